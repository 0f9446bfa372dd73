import type { ByeMessage, ServerMessage } from "../protocol.js";
import { Meter } from "./meter.js";

/** Stream tuning, from `createServer` options. */
export interface StreamLimits {
  /** Bytes of past frames kept per session for `Last-Event-ID` replay. */
  replayBytes: number;
  /** Unsent bytes beyond which a reader is cut off (not counting a snapshot it is still draining). */
  maxPendingBytes: number;
  /** The `retry:` reconnect delay sent to the page, in ms. */
  retryMs: number;
  /**
   * The keep-alive interval, in ms: a keep-alive frame goes out at least this
   * often, and the page reopens a stream silent for 2.5 of them (see {@link SessionStream.heartbeat}).
   */
  heartbeatMs: number;
}

/**
 * Where frames go: the SSE response (a `node:http` `ServerResponse` fits), or
 * anything that buffers like one.
 */
export interface Sink {
  write(text: string): unknown;
  /** Writes a frame whose UTF-8 size the stream knows already (a sink that frames chunks itself needs it). */
  writeFrame?(text: string, utf8: number): unknown;
  end(text?: string): unknown;
  destroy(): unknown;
  readonly writableLength: number;
  readonly writableEnded: boolean;
  readonly destroyed: boolean;
  once(event: "drain", listener: () => void): unknown;
}

/**
 * A broadcast's frame text after its `id:` line, and its UTF-8 size, kept on
 * the message object (a symbol key, which JSON ignores): a broadcast hands the
 * same message to every session, which then costs one JSON.stringify (and one
 * byte count) instead of thousands. (A WeakMap by message cost ≈ 75
 * instructions per session and broadcast, callgrind; a property load, a few.)
 */
const SHARED = Symbol("revue.sharedFrame");
type Shared = { [SHARED]?: { tail: string; utf8: number } };

/** A message's JSON without its `type`: the `data:` of its frame. */
function eventData(message: ServerMessage): string {
  const { type: _, ...fields } = message;
  return JSON.stringify(fields);
}

/** Where the counts of a stream built without a meter go (tests of the stream alone). */
const UNMETERED = new Meter();

/**
 * Heap a buffered frame is counted for beyond its text, so that the cap bounds
 * memory: its array slot and its string's headers, ≈ 40 B measured with patch
 * frames.
 */
const FRAME_OVERHEAD = 48;

/**
 * One session's side of the SSE protocol: every message gets the next `id:`
 * (ids grow by exactly 1 whatever the kind, so replay covers all of them), the
 * last frames are kept in a byte-capped buffer, and at most one sink is
 * attached. Messages produced while no stream is open are only buffered.
 *
 * A reader is cut off when what it fails to drain passes `maxPendingBytes`.
 * A snapshot larger than that cap is still delivered: while it drains, its
 * own size is allowed on top of the cap.
 */
export class SessionStream {
  private lastId = 0;
  /**
   * The buffered frames, a ring: `count` frames from index `start` (wrapping
   * round; the length is a power of two), the oldest with id `firstId`, ids
   * being consecutive. Plain strings, no object per frame: a broadcast's
   * `event:`/`data:` text, shared by every session (its `id:` line is written
   * on replay), or a frame's whole text, `id:` line included. Less survives
   * to the old generation for the GC, and a steady stream of frames allocates
   * no array once the ring is large enough for the byte cap.
   */
  private ring: (string | undefined)[] = [];
  private start = 0;
  private count = 0;
  private firstId = 1;
  private bufferedBytes = 0;
  private sink: Sink | undefined;
  /** Bytes of a large frame the attached sink is still draining, allowed beyond the cap. */
  private allowance = 0;
  /** Whether frames wait for {@link uncork}; their text and its UTF-8 size. */
  private corked = false;
  private heldText = "";
  private heldUtf8 = 0;
  /** Whether anything reached the sink since the last {@link heartbeat} tick. */
  private wrote = false;
  /** Whether the last tick wrote no keep-alive (frames had gone out). */
  private skipped = false;
  /** The keep-alive frame (see {@link heartbeat}), made once: every open stream writes it each interval. */
  private readonly beat: string;

  constructor(
    private readonly limits: StreamLimits,
    private readonly onSlow: (reason: string) => void = () => {},
    /** The app's counters: messages out by type, bytes written. */
    private readonly meter: Meter = UNMETERED,
  ) {
    this.beat = `data:${limits.heartbeatMs}\n\n`;
  }

  /** Whether a sink is attached. */
  get open(): boolean {
    return this.sink !== undefined;
  }

  /** When the last sink went (or the stream was made, before any). */
  private closedAt = Date.now();

  /** How long no sink has been attached: 0 while one is. */
  offlineFor(now: number): number {
    return this.sink ? 0 : now - this.closedAt;
  }

  /** Forgets the attached sink, noting when (every way a stream ends goes through here). */
  private unsink(): void {
    this.sink = undefined;
    this.closedAt = Date.now();
  }

  /** The id of the last message sent or buffered. */
  get lastEventId(): number {
    return this.lastId;
  }

  /**
   * Starts the ids again from 0 with an empty buffer, for a page that starts
   * this session afresh (see `Hub.reissue`): its stream asks for the frames
   * after 0. Only while no stream is attached.
   */
  restart(): void {
    if (this.sink) return;
    this.forget();
    this.lastId = 0;
    this.firstId = 1;
  }

  /** Bytes the replay buffer holds (counted with their overhead). */
  get bytes(): number {
    return this.bufferedBytes;
  }

  /**
   * Assigns the next id, buffers the frame, and writes it if a stream is open.
   * `data` is the message's JSON without `type`, when the caller has it already.
   */
  send(message: ServerMessage, data?: string): void {
    const id = ++this.lastId;
    this.meter.messagesOut[message.type]++;
    // Kept for replay: a broadcast's `event` as its shared text (a slot per session), written
    // after its `id:` line; any other frame as the text written, made flat by the byte count
    // (one string per frame once a scavenge drops the flattened wrapper).
    let text: string, kept: string, utf8: number;
    if (message.type === "event") {
      // Only a broadcast's `event` is shared by sessions; caching the others (patches, inits) would cost an object each.
      let body = (message as Shared)[SHARED];
      if (body === undefined) {
        const tail = `event: event\ndata: ${data ?? eventData(message)}\n\n`;
        (message as Shared)[SHARED] = body = { tail, utf8: Buffer.byteLength(tail) };
      }
      const idLine = `id: ${id}\n`;
      text = idLine + body.tail;
      kept = body.tail;
      utf8 = idLine.length + body.utf8;
    } else {
      text = `id: ${id}\nevent: ${message.type}\ndata: ${data ?? eventData(message)}\n\n`;
      kept = text;
      utf8 = Buffer.byteLength(text);
    }
    // Count heap overhead too, so that replayBytes bounds memory and not only wire bytes.
    const bytes = kept.length + FRAME_OVERHEAD;
    if (bytes > this.limits.replayBytes) {
      // A frame larger than the whole buffer (a big `init`) is not kept: a reconnect from
      // before it gets a snapshot anyway, and from after it replays what follows.
      this.forget();
    } else {
      this.keep(kept, id, bytes);
    }
    this.write(text, utf8);
  }

  /**
   * Whether every message after `lastSeen` is still buffered, so a reconnect can
   * be served by replay alone.
   */
  canReplayFrom(lastSeen: number): boolean {
    if (!Number.isInteger(lastSeen) || lastSeen < 0 || lastSeen > this.lastId) return false;
    if (lastSeen === this.lastId) return true;
    const oldest = this.count ? this.firstId : this.lastId + 1;
    return lastSeen >= oldest - 1;
  }

  /**
   * Attaches a sink (headers already written by the caller). When
   * `replayFrom` is given, writes every buffered frame after it. A previously
   * attached sink is told `bye: replaced` and ended.
   */
  attach(sink: Sink, replayFrom?: number): void {
    this.uncork(); // to the sink they were sent on
    if (this.sink && this.sink !== sink) this.end({ type: "bye", reason: "replaced" });
    this.sink = sink;
    this.allowance = 0;
    // The reconnect delay, and the first keep-alive: the page's watchdog learns the interval from it.
    const retry = `retry: ${this.limits.retryMs}\n${this.beat}`;
    sink.write(retry);
    this.meter.bytesSent += retry.length;
    this.wrote = true;
    this.skipped = false;
    if (replayFrom !== undefined) {
      const mask = this.ring.length - 1;
      for (let k = Math.max(0, replayFrom + 1 - this.firstId); k < this.count; k++) {
        const f = this.ring[(this.start + k) & mask]!;
        this.write(f.startsWith("id: ") ? f : `id: ${this.firstId + k}\n${f}`);
      }
    }
  }

  /**
   * Holds the frames sent from now on until {@link uncork}, which writes them
   * in one `write`: a broadcast's `event` and the patch its handler caused
   * leave as one HTTP chunk instead of two (a handled broadcast at 500
   * streams: 48k → 38k instructions per session, callgrind; raw SSE 32k).
   * Buffering and ids are unchanged.
   */
  cork(): void {
    this.corked = true;
  }

  /** Writes what was sent since {@link cork}, in one `write`. */
  uncork(): void {
    if (!this.corked) return;
    const text = this.heldText;
    this.corked = false;
    this.heldText = "";
    if (text) this.write(text, this.heldUtf8);
  }

  /** Forgets `sink` if it is the attached one (it closed); returns whether it was. */
  detach(sink: Sink): boolean {
    if (this.sink !== sink) return false;
    this.corked = false;
    this.heldText = "";
    this.unsink();
    return true;
  }

  /** Cuts the open connection without a `bye`, as a network failure would. */
  drop(): boolean {
    const sink = this.sink;
    if (!sink) return false;
    this.corked = false;
    this.heldText = "";
    this.unsink();
    sink.destroy();
    return true;
  }

  /**
   * One tick of the keep-alive, called every half interval. The keep-alive is
   * an unnamed event whose data is the interval (`data:15000`): proxies see
   * bytes, and the page's watchdog, which counts only these frames (an
   * EventSource shows no comment, and a page must not tell a frame missed from
   * a stream gone silent), reopens a stream that sent none for 2.5 intervals.
   * A tick writes one unless frames went out since the last tick, and at least
   * every other tick writes one anyway: a stream goes no interval without one,
   * and one that frames keep busy gets one per interval, not per tick.
   */
  heartbeat(): void {
    if (this.wrote && !this.skipped) {
      this.wrote = false;
      this.skipped = true;
      return;
    }
    this.write(this.beat, this.beat.length); // counts as written: the next tick skips
    this.skipped = false;
  }

  /**
   * Empties the replay buffer (the ids go on): a session at rest does not keep
   * frames its page has long had. A reconnect from before this point gets an `init`.
   */
  forget(): void {
    this.ring = [];
    this.start = 0;
    this.count = 0;
    this.bufferedBytes = 0;
  }

  /** Keeps frame `id` for replay, then drops the oldest past the cap (a reconnect older than what is left gets an `init`). */
  private keep(kept: string, id: number, bytes: number): void {
    if (this.count === 0) this.firstId = id;
    if (this.count === this.ring.length) this.grow();
    const mask = this.ring.length - 1;
    this.ring[(this.start + this.count++) & mask] = kept;
    this.bufferedBytes += bytes;
    while (this.bufferedBytes > this.limits.replayBytes && this.count > 1) {
      this.bufferedBytes -= this.ring[this.start]!.length + FRAME_OVERHEAD;
      this.ring[this.start] = undefined;
      this.start = (this.start + 1) & mask;
      this.count--;
      this.firstId++;
    }
  }

  /** Doubles the ring (at least 16 slots), its frames oldest first from index 0. */
  private grow(): void {
    const old = this.ring, mask = old.length - 1;
    const ring = new Array<string | undefined>(Math.max(16, old.length * 2));
    for (let k = 0; k < this.count; k++) ring[k] = old[(this.start + k) & mask];
    this.ring = ring;
    this.start = 0;
  }

  /** Sends a final `bye` on the open stream only (not buffered: it is about this connection) and ends it. */
  end(bye: ByeMessage): void {
    this.uncork();
    const sink = this.sink;
    if (!sink) return;
    this.unsink();
    if (sink.writableEnded || sink.destroyed) return;
    const text = `event: bye\ndata: ${JSON.stringify({ reason: bye.reason })}\n\n`;
    sink.end(text);
    this.meter.messagesOut.bye++;
    this.meter.bytesSent += text.length; // ASCII: the reason is one of a few words
  }

  /** Writes `text` to the open stream, if any; `utf8` is its size in bytes when the caller knows it. */
  private write(text: string, utf8?: number): void {
    const sink = this.sink;
    if (!sink) return;
    if (this.corked) {
      if (this.heldText === "") this.heldUtf8 = 0;
      this.heldText += text;
      this.heldUtf8 += utf8 ?? Buffer.byteLength(text);
      return;
    }
    if (sink.destroyed || sink.writableEnded) {
      this.unsink();
      return;
    }
    // What the reader has not drained before this frame: a reader that stops
    // reading makes it grow without bound, so it is cut loose (on reconnect it
    // replays or gets an `init`). A single frame larger than the cap (a big
    // snapshot) is allowed while it drains.
    const pending = sink.writableLength;
    if (pending > this.limits.maxPendingBytes + this.allowance) {
      this.unsink();
      this.onSlow(`stream closed: ${pending} bytes unsent (limit ${this.limits.maxPendingBytes})`);
      sink.destroy();
      return;
    }
    const bytes = utf8 ?? Buffer.byteLength(text);
    if (sink.writeFrame) sink.writeFrame(text, bytes);
    else sink.write(text);
    this.meter.bytesSent += bytes;
    this.wrote = true;
    // (length × 3 bounds the UTF-8 size: the exact count is only taken for frames that may pass the cap.)
    if (text.length * 3 > this.limits.maxPendingBytes) {
      // One listener for a run of large frames (a burst of them added one each, past Node's warning at 11).
      if (this.allowance === 0) {
        sink.once("drain", () => {
          if (this.sink === sink) this.allowance = 0;
        });
      }
      this.allowance = Math.max(this.allowance, Buffer.byteLength(text));
    }
  }
}
