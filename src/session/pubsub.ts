import { EventEmitter } from "eventemitter3";

/**
 * How events cross processes. Messages are strings (JSON) so that an
 * implementation over Redis pub/sub behaves exactly like the in-memory one;
 * delivery is asynchronous in both.
 *
 * @example
 * const bus = new MemoryPubSub();
 * const off = await bus.subscribe("chat", (msg) => console.log(msg));
 * await bus.publish("chat", JSON.stringify({ text: "hi" }));
 */
export interface PubSub {
  /** Sends `message` to every subscriber of `channel`, in this and other processes. */
  publish(channel: string, message: string): Promise<void>;
  /** Calls `handler` for each message on `channel`, in publish order; resolves to an unsubscribe function. */
  subscribe(channel: string, handler: (message: string) => void): Promise<() => Promise<void>>;
  /** Releases connections; later publishes reject. */
  close(): Promise<void>;
}

/**
 * The default, in-process {@link PubSub} on an eventemitter3 bus.
 *
 * @example
 * createServer(Chat, { pubsub: new MemoryPubSub() });
 */
export class MemoryPubSub implements PubSub {
  private readonly bus = new EventEmitter();
  private closed = false;

  async publish(channel: string, message: string): Promise<void> {
    if (this.closed) throw new Error(`MemoryPubSub.publish("${channel}"): the pubsub is closed; create a new one.`);
    if (typeof message !== "string") throw new TypeError(`MemoryPubSub.publish("${channel}"): message must be a string (JSON), got ${typeof message}.`);
    // Deliver on a later microtask, like a network pubsub would: a publisher
    // never runs subscribers inside its own call stack.
    queueMicrotask(() => this.bus.emit(channel, message));
  }

  async subscribe(channel: string, handler: (message: string) => void): Promise<() => Promise<void>> {
    if (this.closed) throw new Error(`MemoryPubSub.subscribe("${channel}"): the pubsub is closed; create a new one.`);
    this.bus.on(channel, handler);
    return async () => {
      this.bus.off(channel, handler);
    };
  }

  async close(): Promise<void> {
    this.closed = true;
    this.bus.removeAllListeners();
  }
}
