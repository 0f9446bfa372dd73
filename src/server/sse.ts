import type { ServerResponse } from "node:http";
import type { ServerMessage, ByeMessage } from "../protocol.js";

/** Stream tuning, from `createServer` options. */
export interface StreamLimits {
  /** Bytes of past frames kept per session for `Last-Event-ID` replay. */
  replayBytes: number;
  /** A stream whose unsent bytes pass this is closed; the page resyncs on reconnect. */
  maxPendingBytes: number;
  /** The `retry:` reconnect delay sent to the page, in ms. */
  retryMs: number;
}

/**
 * Serialised bodies by message object: a broadcast hands the same message to
 * every session, which then costs one JSON.stringify instead of thousands.
 */
const bodies = new WeakMap<object, string>();

/**
 * Heap a buffered frame costs beyond its text (the frame object, its array slot
 * and id string), counted against the cap: measured at ≈ 47 B (bench/RESULTS.md).
 */
const FRAME_OVERHEAD = 48;

/** A buffered message: its id and the shared `event:`/`data:` text (the `id:` line is written on the fly). */
interface Frame {
  id: number;
  tail: string;
  bytes: number;
}

/**
 * One session's side of the SSE protocol: every message gets the next `id:`
 * (ids grow by exactly 1 whatever the kind, so replay covers all of them), the
 * last frames are kept in a byte-capped buffer, and at most one response is
 * attached. Messages produced while no stream is open are only buffered.
 */
export class SessionStream {
  private lastId = 0;
  private frames: Frame[] = [];
  private head = 0;
  private bufferedBytes = 0;
  private res: ServerResponse | undefined;

  constructor(private readonly limits: StreamLimits, private readonly onSlow: (reason: string) => void = () => {}) {}

  /** Whether a response is attached. */
  get open(): boolean {
    return this.res !== undefined;
  }

  /** The id of the last message sent or buffered. */
  get lastEventId(): number {
    return this.lastId;
  }

  /** Assigns the next id, buffers the frame, and writes it if a stream is open. */
  send(message: ServerMessage): void {
    let tail = bodies.get(message);
    if (tail === undefined) {
      const { type, ...body } = message;
      tail = `event: ${type}\ndata: ${JSON.stringify(body)}\n\n`;
      bodies.set(message, tail);
    }
    const id = ++this.lastId;
    // Count heap overhead too, so that replayBytes bounds memory and not only wire bytes.
    const bytes = tail.length + FRAME_OVERHEAD;
    this.frames.push({ id, tail, bytes });
    this.bufferedBytes += bytes;
    // Drop the oldest frames past the cap; a reconnect older than what is left gets an `init`.
    while (this.bufferedBytes > this.limits.replayBytes && this.head < this.frames.length - 1) {
      this.bufferedBytes -= this.frames[this.head]!.bytes;
      this.frames[this.head++] = undefined as unknown as Frame;
    }
    if (this.head > 64 && this.head * 2 > this.frames.length) {
      this.frames = this.frames.slice(this.head);
      this.head = 0;
    }
    this.write(`id: ${id}\n${tail}`);
  }

  /**
   * Whether every message after `lastSeen` is still buffered, so a reconnect can
   * be served by replay alone.
   */
  canReplayFrom(lastSeen: number): boolean {
    if (!Number.isInteger(lastSeen) || lastSeen < 0 || lastSeen > this.lastId) return false;
    if (lastSeen === this.lastId) return true;
    const oldest = this.frames[this.head]?.id ?? this.lastId + 1;
    return lastSeen >= oldest - 1;
  }

  /**
   * Attaches a response (headers already written by the caller). When
   * `replayFrom` is given, writes every buffered frame after it. A previously
   * attached response is told `bye: replaced` and ended.
   */
  attach(res: ServerResponse, replayFrom?: number): void {
    if (this.res && this.res !== res) this.end({ type: "bye", reason: "replaced" });
    this.res = res;
    res.write(`retry: ${this.limits.retryMs}\n\n`);
    if (replayFrom !== undefined) {
      for (let i = this.head; i < this.frames.length; i++) {
        const f = this.frames[i]!;
        if (f.id > replayFrom) this.write(`id: ${f.id}\n${f.tail}`);
      }
    }
  }

  /** Forgets `res` if it is the attached one (it closed); returns whether it was. */
  detach(res: ServerResponse): boolean {
    if (this.res !== res) return false;
    this.res = undefined;
    return true;
  }

  /** Cuts the open connection without a `bye`, as a network failure would. */
  drop(): boolean {
    const res = this.res;
    if (!res) return false;
    res.destroy();
    return true;
  }

  /** Writes a heartbeat comment so proxies keep the connection open. */
  heartbeat(): void {
    this.write(":\n\n");
  }

  /** Sends a final `bye` on the open stream only (not buffered: it is about this connection) and ends it. */
  end(bye: ByeMessage): void {
    const res = this.res;
    if (!res) return;
    this.res = undefined;
    if (!res.writableEnded && !res.destroyed) res.end(`event: bye\ndata: ${JSON.stringify({ reason: bye.reason })}\n\n`);
  }

  private write(text: string): void {
    const res = this.res;
    if (!res) return;
    if (res.destroyed || res.writableEnded) {
      this.res = undefined;
      return;
    }
    res.write(text);
    // A client that does not read makes `writableLength` grow without bound;
    // cut it loose instead — on reconnect it replays or gets an `init`.
    if (res.writableLength > this.limits.maxPendingBytes) {
      this.res = undefined;
      this.onSlow(`stream closed: ${res.writableLength} bytes unsent (limit ${this.limits.maxPendingBytes})`);
      res.destroy();
    }
  }
}
