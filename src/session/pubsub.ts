import { EventEmitter } from "eventemitter3";

/**
 * How events cross processes. Messages are strings (JSON), delivered
 * asynchronously, so that an implementation over Redis behaves exactly like
 * the in-memory one.
 *
 * Two kinds of channel:
 * - **logged** (`publish` / `subscribe` / `since`): each message gets an
 *   offset, increasing per channel, and a bounded log keeps the latest ones, so
 *   a node or a session that moved can catch up on what it missed (Redis: a
 *   Stream, `XADD … MAXLEN ~`). Broadcasts to an app's sessions use these.
 * - **ephemeral** (`notify` / `listen`): delivered to whoever listens now and
 *   kept nowhere (Redis: PUBLISH/SUBSCRIBE), for node-to-node requests.
 *
 * @example
 * const bus = new MemoryPubSub();
 * const off = await bus.subscribe("chat", (msg, offset) => console.log(offset, msg));
 * const offset = await bus.publish("chat", JSON.stringify({ text: "hi" }));
 * await bus.since("chat", "0-0"); // [{ offset, message }]
 */
export interface PubSub {
  /** Appends `message` to `channel`'s log and delivers it to every subscriber, in every process; resolves to its offset. */
  publish(channel: string, message: string): Promise<string>;
  /**
   * Calls `handler` for each message published on `channel` from now on, in
   * publish order (one publisher's messages in the order published), with its
   * offset. Resolves (to an unsubscribe function) once the subscription is in
   * place: a message published after that is delivered. A pubsub whose log
   * can lose messages (Redis restarted, a reader left behind) tells
   * `options.onGap` after which offset they may be missing.
   */
  subscribe(channel: string, handler: (message: string, offset: string) => void, options?: { onGap?(gap: { channel: string; after: string; reason: "restart" | "trimmed" }): void }): Promise<() => Promise<void>>;
  /** The logged messages after `offset`, oldest first; undefined when the log no longer reaches back that far. */
  since(channel: string, offset: string): Promise<Array<{ offset: string; message: string }> | undefined>;
  /** The offset of the channel's last message ("0-0" when none): where a reader that has seen everything stands. */
  head(channel: string): Promise<string>;
  /** Delivers `message` to the current listeners of `channel`, in every process; not logged. */
  notify(channel: string, message: string): Promise<void>;
  /** Calls `handler` for each message notified on `channel` from now on; resolves to a stop function. */
  listen(channel: string, handler: (message: string) => void): Promise<() => Promise<void>>;
  /**
   * Resolves when the broker answers (a round trip to its server), rejects
   * when it cannot be reached. Optional: `GET /api/status` answers 503 while
   * it rejects, and takes a pubsub without it as always reachable.
   */
  ping?(): Promise<void>;
  /** Releases connections; later calls reject. */
  close(): Promise<void>;
}

/**
 * Orders two offsets (`<ms>-<n>`, as Redis Stream ids): negative when `a`
 * comes first.
 *
 * @example
 * compareOffsets("1700000000000-1", "1700000000000-0") // 1
 */
export function compareOffsets(a: string, b: string): number {
  const [am = 0, an = 0] = a.split("-").map(Number);
  const [bm = 0, bn = 0] = b.split("-").map(Number);
  return am - bm || an - bn;
}

/**
 * The default, in-process {@link PubSub}: an eventemitter3 bus and, per logged
 * channel, the last `maxLen` messages. Several hubs (several "nodes" in one
 * process, in tests) that share one instance see one broker.
 *
 * @example
 * createServer(Chat, { pubsub: new MemoryPubSub() });
 */
export class MemoryPubSub implements PubSub {
  private readonly broker: Broker;
  /** This client's own subscriptions, dropped when it closes (the broker lives on for other clients). */
  private readonly mine: Array<[string, (...args: any[]) => void]> = [];
  private closed = false;

  constructor(options: { maxLen?: number } = {}, broker?: Broker) {
    this.broker = broker ?? new Broker(options.maxLen ?? 10_000);
  }

  /**
   * Another client of the same in-process broker (as a second connection to
   * one Redis): what one publishes, the other's subscribers get; closing one
   * leaves the other working.
   */
  client(): MemoryPubSub {
    return new MemoryPubSub({}, this.broker);
  }

  async publish(channel: string, message: string): Promise<string> {
    this.open("publish", channel, message);
    const offset = this.broker.append(channel, message);
    // Deliver on a later microtask, like a network pubsub would: a publisher
    // never runs subscribers inside its own call stack.
    queueMicrotask(() => this.broker.bus.emit(`log:${channel}`, message, offset));
    return offset;
  }

  async subscribe(channel: string, handler: (message: string, offset: string) => void): Promise<() => Promise<void>> {
    this.open("subscribe", channel);
    return this.on(`log:${channel}`, handler);
  }

  async since(channel: string, offset: string): Promise<Array<{ offset: string; message: string }> | undefined> {
    this.open("since", channel);
    return this.broker.since(channel, offset);
  }

  async head(channel: string): Promise<string> {
    this.open("head", channel);
    return this.broker.logs.get(channel)?.entries.at(-1)?.offset ?? "0-0";
  }

  async notify(channel: string, message: string): Promise<void> {
    this.open("notify", channel, message);
    queueMicrotask(() => this.broker.bus.emit(`ephemeral:${channel}`, message));
  }

  async listen(channel: string, handler: (message: string) => void): Promise<() => Promise<void>> {
    this.open("listen", channel);
    return this.on(`ephemeral:${channel}`, handler);
  }

  /** In process: reachable until this client is closed. */
  async ping(): Promise<void> {
    if (this.closed) throw new Error("MemoryPubSub.ping(): this client is closed; create a new one.");
  }

  async close(): Promise<void> {
    this.closed = true;
    for (const [event, handler] of this.mine.splice(0)) this.broker.bus.off(event, handler);
  }

  private on(event: string, handler: (...args: any[]) => void): () => Promise<void> {
    this.broker.bus.on(event, handler);
    this.mine.push([event, handler]);
    return async () => {
      this.broker.bus.off(event, handler);
      const at = this.mine.findIndex(([e, h]) => e === event && h === handler);
      if (at >= 0) this.mine.splice(at, 1);
    };
  }

  private open(what: string, channel: string, message?: unknown): void {
    if (this.closed) throw new Error(`MemoryPubSub.${what}("${channel}"): this client is closed; create a new one.`);
    if (arguments.length > 2 && typeof message !== "string") throw new TypeError(`MemoryPubSub.${what}("${channel}"): message must be a string (JSON), got ${typeof message}.`);
  }
}

/** The in-process broker behind {@link MemoryPubSub} clients: the bus and, per logged channel, its last `maxLen` messages. */
class Broker {
  readonly bus = new EventEmitter();
  readonly logs = new Map<string, { next: number; entries: Array<{ offset: string; message: string }> }>();

  constructor(private readonly maxLen: number) {}

  append(channel: string, message: string): string {
    let log = this.logs.get(channel);
    if (!log) this.logs.set(channel, (log = { next: 1, entries: [] }));
    const offset = `0-${log.next++}`;
    log.entries.push({ offset, message });
    if (log.entries.length > this.maxLen) log.entries.splice(0, log.entries.length - this.maxLen);
    return offset;
  }

  since(channel: string, offset: string): Array<{ offset: string; message: string }> | undefined {
    const entries = this.logs.get(channel)?.entries ?? [];
    const first = entries[0];
    // The log reaches back far enough when nothing after `offset` was dropped: its oldest entry is at most the next one.
    if (first && compareOffsets(first.offset, offset) > 0 && seqOf(first.offset) > seqOf(offset) + 1) return undefined;
    return entries.filter((e) => compareOffsets(e.offset, offset) > 0);
  }
}

const seqOf = (offset: string) => Number(offset.split("-")[1] ?? 0);
