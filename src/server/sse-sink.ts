import { ServerResponse } from "node:http";
import type { Socket } from "node:net";
import type { Sink } from "../session/stream.js";

/**
 * An SSE response as the {@link Sink} its session's stream writes to. Over
 * HTTP/1.1 each frame goes to the socket as one chunk of the response's
 * chunked body, framed here (`<size in hex>\r\n<frame>\r\n`): the same bytes
 * `res.write` would send, without its three-part write per frame (which
 * corks the socket and uncorks it on the next tick): a broadcast to 2,000
 * streams costs ≈ 6.6k instructions per message, where a raw `node:http`
 * server writing the same frames with `res.write` spends ≈ 19k (callgrind).
 *
 * Frames written in one tick leave together, at its end, as one chunk (what
 * `res.write` does by corking until the next tick): two broadcasts handled in
 * the same tick cost a socket one send, not two (a raw server writing with
 * `res.write` made half the `write` calls when two broadcasts arrived together).
 *
 * The response itself is used when that would not be the same bytes: a body
 * that is not chunked (an HTTP/1.0 client, a HEAD request), a `write` replaced by middleware,
 * no socket, or, per frame, bytes of the response still queued ahead of it.
 *
 * @example
 * res.writeHead(200, { "Content-Type": "text/event-stream" });
 * const sink = sseSink(res);
 * hub.connect(session, sink);
 * res.on("close", () => hub.disconnect(session, sink));
 */
export function sseSink(res: ServerResponse): Sink {
  const socket = res.socket;
  if (!socket || !res.chunkedEncoding || res.write !== ServerResponse.prototype.write) return res;
  res.flushHeaders(); // so that what follows them can go to the socket
  return new ChunkedSink(res, socket);
}

/** Sinks holding frames until the end of this tick, and the flush that writes them. */
let holding: ChunkedSink[] = [];
function flushHeld(): void {
  const sinks = holding;
  holding = [];
  for (const sink of sinks) sink.flush();
}

class ChunkedSink implements Sink {
  /** Frames written this tick, not yet sent, and their UTF-8 size. */
  private held = "";
  private heldUtf8 = 0;

  constructor(
    private readonly res: ServerResponse,
    private readonly socket: Socket,
  ) {}

  write(text: string): boolean {
    return this.writeFrame(text, Buffer.byteLength(text));
  }

  writeFrame(text: string, utf8: number): boolean {
    // A socket whose peer half-closed it is ended by Node (allowHalfOpen is off): a write would fail with
    // "write after end", outside any request (a proxy closing its side while a node failed over).
    if (this.socket.writableEnded) return false;
    // Bytes the response still holds (a frame it queued) leave first, through it.
    if (this.res.writableLength !== this.socket.writableLength || this.res.socket !== this.socket) {
      this.flush();
      return this.res.write(text);
    }
    if (this.heldUtf8 === 0) {
      if (holding.push(this) === 1) process.nextTick(flushHeld);
      this.held = text;
    } else {
      this.held += text;
    }
    this.heldUtf8 += utf8;
    return true;
  }

  /** Sends the frames held this tick as one chunk. */
  flush(): void {
    const utf8 = this.heldUtf8;
    if (utf8 === 0) return;
    const text = this.held;
    this.held = "";
    this.heldUtf8 = 0;
    if (!this.socket.writableEnded && !this.socket.destroyed) this.socket.write(`${utf8.toString(16)}\r\n${text}\r\n`);
  }

  end(text?: string): unknown {
    this.flush();
    return this.res.end(text);
  }

  destroy(): unknown {
    this.held = "";
    this.heldUtf8 = 0;
    return this.res.destroy();
  }

  /**
   * What the reader has not taken: the response's and socket's queue. Frames held this tick are
   * not counted: they say nothing of the reader (a replay on reconnect holds the whole buffer).
   */
  get writableLength(): number {
    return this.res.writableLength;
  }

  get writableEnded(): boolean {
    return this.res.writableEnded;
  }

  get destroyed(): boolean {
    return this.res.destroyed || this.socket.writableEnded;
  }

  once(event: "drain", listener: () => void): unknown {
    // A frame written here fills the socket's buffer, not the response's: the socket says when it drained.
    // (Held frames leave before this tick ends, so no drain of earlier bytes comes between.)
    return this.socket.once(event, listener);
  }
}
