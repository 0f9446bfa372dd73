import type { Logger } from "./logger.js";
import type { PubSub } from "./pubsub.js";

/** How often held broadcasts are offered to the pubsub again while it is unreachable. */
const RETRY_MS = 250;

interface Held {
  channel: string;
  payload: string;
  event: string;
}

/**
 * Publishes a hub's broadcasts and holds them through a pubsub outage: a
 * publish refused as `UNAVAILABLE` with nothing sent (Redis restarting) is
 * kept and offered again every 250 ms, oldest first, until the pubsub takes
 * it, so the handler that emitted it, already answered, loses nothing. While
 * any is held, later broadcasts queue behind it, so they keep their order.
 *
 * Bounded by `max` held broadcasts: past it, new ones are dropped, and the
 * number dropped is logged once the pubsub is back. A failure that is not an
 * outage (or one where the message may have been sent) is logged and not
 * retried: a retry could deliver it twice.
 *
 * @example
 * const outbox = new Outbox(pubsub, console, "Chat");
 * outbox.publish("revue:Chat@/:events", JSON.stringify({ event: "message", data }), "message");
 * await outbox.drain(); // shutdown: what is still held gets one last chance
 */
export class Outbox {
  private readonly held: Held[] = [];
  private dropped = 0;
  private timer: NodeJS.Timeout | undefined;
  private draining: Promise<void> | undefined;
  private closed = false;

  constructor(
    private readonly pubsub: PubSub,
    private readonly logger: Logger,
    private readonly what: string,
    private readonly max = 10_000,
  ) {}

  /** How many broadcasts wait for the pubsub to come back. */
  get pending(): number {
    return this.held.length;
  }

  publish(channel: string, payload: string, event: string): void {
    const msg = { channel, payload, event };
    if (this.held.length) return this.hold(msg);
    this.pubsub.publish(channel, payload).catch((err) => this.failed(msg, err));
  }

  /** Offers what is held to the pubsub now; resolves when all of it was taken or the pubsub is still away. */
  drain(): Promise<void> {
    clearTimeout(this.timer);
    this.timer = undefined;
    return (this.draining ??= this.flush().finally(() => (this.draining = undefined)));
  }

  /** Stops retrying; what is still held is logged as lost. */
  close(): void {
    this.closed = true;
    clearTimeout(this.timer);
    const lost = this.held.length + this.dropped;
    this.held.length = 0;
    if (lost) this.logger.error(`[revue] ${this.what}: ${lost} broadcast(s) were never published: the pubsub was still unreachable when the server stopped.`);
  }

  private failed(msg: Held, err: unknown): void {
    if (this.closed || !isOutage(err)) return this.logger.error(`[revue] ${this.what}: publishing "${msg.event}" failed:`, err);
    this.hold(msg);
  }

  private hold(msg: Held): void {
    if (this.held.length >= this.max) {
      if (!this.dropped++) this.logger.error(`[revue] ${this.what}: ${this.max} broadcasts are waiting for the pubsub to come back; newer ones are dropped until it does.`);
      return;
    }
    this.held.push(msg);
    if (!this.timer && !this.draining && !this.closed) this.timer = setTimeout(() => void this.drain(), RETRY_MS);
  }

  private async flush(): Promise<void> {
    while (this.held.length && !this.closed) {
      const next = this.held[0]!;
      try {
        await this.pubsub.publish(next.channel, next.payload);
      } catch (err) {
        if (isOutage(err)) {
          if (!this.closed) this.timer = setTimeout(() => void this.drain(), RETRY_MS);
          return;
        }
        this.logger.error(`[revue] ${this.what}: publishing "${next.event}" failed:`, err);
      }
      this.held.shift();
    }
    if (this.dropped && !this.held.length) {
      this.logger.error(`[revue] ${this.what}: ${this.dropped} broadcast(s) were dropped while the pubsub was unreachable (more than ${this.max} waited).`);
      this.dropped = 0;
    }
  }
}

/** Refused because the pubsub is unreachable, and certainly not sent. */
function isOutage(err: unknown): boolean {
  const e = err as { code?: unknown; maybeApplied?: unknown } | null;
  return e?.code === "UNAVAILABLE" && e.maybeApplied !== true;
}
