import type { Logger } from "./logger.js";
import type { PubSub } from "./pubsub.js";

/** How often held broadcasts are offered to the pubsub again while it is unreachable. */
const RETRY_MS = 250;

/**
 * The bytes of broadcasts sent to the pubsub and not yet answered; past them,
 * later ones wait here, in order. Sent without a bound, 100 broadcasts of
 * 900 KB (to 4 apps' logs) queued 360 MB on the Redis client's one connection,
 * whose 5 s command timeout then failed 49 of them, maybe applied, so dropped
 * (attack probe).
 */
const IN_FLIGHT_BYTES = 8 << 20;

/** The bytes of held broadcasts, with {@link Outbox}'s `max` count: past either, newer ones are dropped. */
const HELD_BYTES = 64 << 20;

/**
 * The bytes waiting here (held and in flight) past which a page's call that
 * emitted waits before it is answered (see {@link Outbox.room}): a client
 * emitting faster than the pubsub takes broadcasts goes at its pace, rather
 * than past {@link HELD_BYTES}, where its broadcasts would be dropped.
 */
const SLOW_BYTES = 16 << 20;

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
 * Broadcasts also wait here while those sent and not yet answered pass
 * {@link IN_FLIGHT_BYTES}, so that a burst of large ones reaches the pubsub at
 * the pace it takes them. Bounded by `max` held broadcasts and
 * {@link HELD_BYTES}: past either, new ones are dropped, and the number dropped
 * is logged once the pubsub is back. A failure that is not an outage (or one
 * where the message may have been sent) is logged and not retried: a retry
 * could deliver it twice.
 *
 * @example
 * const outbox = new Outbox(pubsub, console, "Chat");
 * outbox.publish("revue:Chat@/:events", JSON.stringify({ event: "message", data }), "message");
 * await outbox.drain(); // shutdown: what is still held gets one last chance
 */
export class Outbox {
  private readonly held: Held[] = [];
  private heldBytes = 0;
  /** Bytes sent and not yet answered. */
  private inFlight = 0;
  private dropped = 0;
  /** Calls waiting for {@link room}. */
  private readonly waiting: Array<() => void> = [];
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
    if (this.held.length || (this.inFlight > 0 && this.inFlight + payload.length > IN_FLIGHT_BYTES)) return this.hold(msg);
    this.inFlight += payload.length;
    this.pubsub.publish(channel, payload).then(
      () => this.answered(msg),
      (err) => {
        this.answered(msg);
        this.failed(msg, err);
      },
    );
  }

  /** A broadcast sent was answered: those waiting for room go next. */
  private answered(msg: Held): void {
    this.inFlight -= msg.payload.length;
    if (this.held.length && !this.draining && !this.closed) void this.drain();
    this.wake();
  }

  /**
   * Undefined while less than {@link SLOW_BYTES} wait here; else a promise that
   * resolves once it is so again, or after `ms` (the broadcasts stay held):
   * what a page's call waits for before it is answered.
   */
  room(ms: number): Promise<void> | undefined {
    if (this.heldBytes + this.inFlight <= SLOW_BYTES || this.closed) return undefined;
    return new Promise((resolve) => {
      const done = () => {
        clearTimeout(timer);
        const at = this.waiting.indexOf(done);
        if (at >= 0) this.waiting.splice(at, 1);
        resolve();
      };
      const timer = setTimeout(done, ms);
      this.waiting.push(done);
    });
  }

  private wake(): void {
    if (this.waiting.length && (this.heldBytes + this.inFlight <= SLOW_BYTES || this.closed)) for (const done of this.waiting.slice()) done();
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
    this.heldBytes = 0;
    this.wake();
    if (lost) this.logger.error(`[revue] ${this.what}: ${lost} broadcast(s) were never published: the pubsub was still unreachable when the server stopped.`);
  }

  private failed(msg: Held, err: unknown): void {
    if (this.closed || !isOutage(err)) return this.logger.error(`[revue] ${this.what}: publishing "${msg.event}" failed:`, err);
    this.hold(msg);
  }

  private hold(msg: Held): void {
    if (this.held.length >= this.max || this.heldBytes + msg.payload.length > HELD_BYTES) {
      if (!this.dropped++) this.logger.error(`[revue] ${this.what}: ${this.held.length} broadcasts (${this.heldBytes} bytes) are waiting for the pubsub; newer ones are dropped until it takes them.`);
      return;
    }
    this.held.push(msg);
    this.heldBytes += msg.payload.length;
    if (!this.timer && !this.draining && !this.closed) this.timer = setTimeout(() => void this.drain(), RETRY_MS);
  }

  /** Sends what is held, oldest first, one at a time (after those in flight: the pubsub answers in order). */
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
      this.heldBytes -= next.payload.length;
      this.wake();
    }
    if (this.dropped && !this.held.length) {
      this.logger.error(`[revue] ${this.what}: ${this.dropped} broadcast(s) were dropped while the pubsub was unreachable or behind (more than ${this.max} broadcasts or ${HELD_BYTES} bytes waited).`);
      this.dropped = 0;
    }
  }
}

/** Refused because the pubsub is unreachable, and certainly not sent. */
function isOutage(err: unknown): boolean {
  const e = err as { code?: unknown; maybeApplied?: unknown } | null;
  return e?.code === "UNAVAILABLE" && e.maybeApplied !== true;
}
