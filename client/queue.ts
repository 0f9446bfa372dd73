import type { ClientErrorCode, ErrorCode } from "../src/protocol.js";
import type { Reply } from "./transport.js";

/**
 * Outgoing calls (realtime events, rpcs, emits) as plain, testable state, the
 * way Socket.IO's `sendBuffer` works: while the stream is not connected every
 * call waits in `pending`; on connect the buffer is sent in the order the
 * calls were made, at most {@link MAX_IN_FLIGHT} at a time. Each call gets the
 * session's next `seq` when first sent and keeps it across retries, so the
 * server can dedupe a retry and run calls in seq order even when they are sent
 * concurrently. A `429`, or a `503 UNAVAILABLE` (the server's store is down),
 * pauses sending for the server's `Retry-After`, then the call goes again under
 * its seq, still in order. An rpc resolves only with a
 * result the server sent.
 */

/**
 * A failed remote call, carrying the server's error `code` (and, for a server
 * bug, the `id` its log holds it under). Shaped like the server's `RevueError`
 * (same `name`, same `code`), which the client may not import.
 *
 * @example
 * try { await rv.rpc("save", doc); } catch (e) { if (e.code === "RPC_ERROR") alert(e.message); }
 */
export class RevueError extends Error {
  override name = "RevueError";
  constructor(
    readonly code: ClientErrorCode,
    message: string,
    readonly id?: string,
    /** For `INVALID_ARGS`: each issue, its path starting at the argument's index. */
    readonly issues?: Array<{ path: Array<string | number>; message: string }>,
  ) {
    super(message);
  }
}

/** One outgoing call. */
interface Call {
  /** Route under the base, e.g. `/api/emit`. */
  path: string;
  /** The body without `sid` and `seq`, which are added when it is sent. */
  body: Record<string, unknown>;
  /** Assigned on first send in a session; reused by retries. */
  seq?: number;
  /** Enqueue order: what `pending` is sorted by. */
  order: number;
  /** Awaited (an rpc): resolves with the server's `result`. */
  rpc?: boolean;
  /** Sent again after an init that did not acknowledge it. */
  resent?: 1;
  tries: number;
  resolve(value?: unknown): void;
  reject(err: Error): void;
}

/** What the queue needs from the runtime. */
export interface QueueHost {
  post(path: string, body: unknown): Promise<Reply>;
  sid(): string;
  /** The server no longer knows this session (404 SESSION_NOT_FOUND). */
  gone(): void;
  /** A fire-and-forget call failed; nobody awaits it, so it is reported. */
  failed(err: Error): void;
  /**
   * A call the server answered has had no `ack` for {@link UNHEARD_MS}: the stream may be dead
   * while its connection looks open (a proxy keeping it after its node died), so it is reopened.
   */
  unheard(): void;
}

/**
 * How long an answered call may go without its `ack` before the stream is reopened: a click that ran
 * on the node taking over from a killed one showed nothing for 20 s behind a proxy that kept the dead
 * node's stream open. A handler running longer costs one needless reopen (it resumes from its last id).
 */
const UNHEARD_MS = 4e3;

/** How many times a call is tried on network errors before it is rejected. */
const MAX_TRIES = 5;
/** Calls sent and not answered, at most: well inside the server's seq window (256). */
const MAX_IN_FLIGHT = 32;

/** The outgoing call queue (see the top of this file). */
export interface CallQueue {
  /**
   * Queues a call; sends it at once when online. Resolves once an `ack`
   * covers it (the page shows what it did): with the rpc's `result`, or
   * `undefined` for events and emits. Only an `awaited` call rejects; the
   * failure of any other is reported to the host.
   */
  push(path: string, body: Record<string, unknown>, awaited?: boolean, first?: boolean): Promise<unknown>;
  /** The stream opened: send everything buffered, in order. */
  connect(): void;
  /** The stream dropped: buffer from now on. Calls in flight finish (or come back on failure). */
  disconnect(): void;
  /** A new session replaces the old one: seqs restart at 1, and calls not yet answered are numbered again. */
  reset(): void;
  /**
   * The server's `ack` (on a patch or an init): accepted fire-and-forget calls
   * up to it are done. After an init (`resend`), those still above it are sent
   * again under their seq: the session may have moved to another server that
   * never ran them (one that did answers a retry without running it again).
   */
  acked(ack: number, resend?: boolean): void;
}

/**
 * Creates the outgoing call queue. (Closures rather than a class: local names
 * minify, property names do not, and the runtime has a size budget.)
 *
 * @example
 * const q = createQueue(host);
 * const result = q.push("/api/rpc/reset", { args: [0] }, true); // waits for connect()
 * q.connect();                                                  // sent now with seq 1
 */
export function createQueue(host: QueueHost, retryMs = 250): CallQueue {
  const pending: Call[] = [];
  let online = false;
  let seq = 0;
  let count = 0;
  let inFlight = 0;
  /** Until when the server asked us to wait (429, 503 UNAVAILABLE). */
  let pausedUntil = 0;
  let timer: ReturnType<typeof setTimeout> | undefined;
  /** Fire-and-forget calls the server accepted (202) and no `ack` has covered yet. */
  let accepted: Call[] = [];
  /** The last `ack`: calls numbered up to it finished, whether or not their answers came yet (two sockets race). */
  let ackedTo = 0;
  /** Answered calls whose patch has not come: each resolves once an `ack` covers its seq, so its caller sees the page it changed. */
  let answered: [number, () => void][] = [];
  const release = (upTo: number) => (answered = answered.filter(([s, done]) => s > upTo || done()));

  const flush = (): void => {
    const wait = pausedUntil - Date.now();
    if (wait > 0) return void (timer ??= setTimeout(() => ((timer = undefined), flush()), wait));
    while (online && pending.length && inFlight < MAX_IN_FLIGHT) send(pending.shift()!);
  };

  const requeue = (call: Call) => {
    pending.push(call);
    pending.sort((a, b) => a.order - b.order);
  };

  async function send(call: Call): Promise<void> {
    const s = (call.seq ??= ++seq);
    // An event or emit is done once an ack covers it, whether its answer came yet or not (the two sockets race);
    // on its first try only, not on every retry while the network is down.
    if (!call.rpc && !call.tries) answered.push([s, () => call.resolve()]);
    call.tries++;
    inFlight++;
    const sid = host.sid();
    let reply: Reply | undefined;
    try {
      reply = await host.post(call.path, { sid, seq: call.seq, ...call.body });
    } catch {}
    inFlight--;
    const error = reply?.body?.error as { code?: ErrorCode; message?: string; id?: string; issues?: RevueError["issues"] } | undefined;
    // A network error, a server on its way down, or a proxy's gateway error (a 502 while a node fails
    // over, no answer of Revue's): the same call again, later, under its seq (never run twice).
    if (!reply || error?.code === "SERVER_CLOSING" || (!error && reply.status > 501)) {
      // An rpc's caller hears it after MAX_TRIES; a click (nobody awaits it) is tried until it arrives, at most 8 s apart:
      // a network drop the page's stream does not notice (it stays open) must not lose it.
      if (call.rpc && call.tries >= MAX_TRIES) call.reject(new RevueError("NETWORK_ERROR", `${call.path}: server unreachable`));
      else {
        // Same seq on retry: if the first try did reach the server, it is deduped
        // there. Unless the session changed meanwhile: then it is a new call there.
        if (sid !== host.sid()) call.seq = undefined;
        requeue(call);
        return void setTimeout(flush, Math.min(8e3, retryMs * 2 ** (call.tries - 1)));
      }
    } else if (reply.status === 429 || error?.code === "UNAVAILABLE") {
      // The session's queue is full, or the server's store is down (nothing ran): wait as told, then this call goes first again (it keeps its seq and its place).
      call.tries--;
      pausedUntil = Date.now() + (reply.retryAfterMs || 1000);
      requeue(call);
    } else if (reply.status < 400) {
      // Unheard: the stream may be dead; reopened, and a waiting call answered without its patch.
      setTimeout(() => ackedTo < s && (host.unheard(), release(s)), UNHEARD_MS);
      const body = reply.body;
      if (!call.rpc) accepted.push(call);
      else if (body && "result" in body) {
        // Released at once if its ack came first.
        answered.push([s, () => call.resolve(body.result)]);
        release(ackedTo);
      } else call.reject(new RevueError("PROTOCOL_ERROR", `${call.path}: no result (HTTP ${reply.status})`));
    } else if (reply.status === 404 && error?.code === "SESSION_NOT_FOUND") {
      // The call never ran: send it again in the next session, under a new seq.
      call.seq = undefined;
      call.tries = 0;
      requeue(call);
      // A late answer for a session already replaced only needs the re-send.
      if (sid === host.sid()) {
        online = false;
        return host.gone();
      }
    } else if (error?.code !== "SEQ_EXPIRED" || !call.resent) {
      call.reject(new RevueError(error?.code ?? `HTTP_${reply.status}`, error?.message ?? `${call.path}: HTTP ${reply.status}`, error?.id, error?.issues));
    } // (a call sent again after an init and older than the server remembers ran before: nothing to report)
    flush();
  }

  return {
    push: (path, body, awaited, first) =>
      new Promise((resolve, reject) => {
        // `first`: ahead of every call waiting (a re-bootstrapped page's form recovery).
        const call = { path, body, order: first ? -1 : count++, tries: 0, rpc: awaited, resolve, reject: awaited ? reject : host.failed };
        requeue(call);
        flush();
      }),
    connect() {
      online = true;
      flush();
    },
    disconnect() {
      online = false;
    },
    reset() {
      release(seq);
      seq = 0;
      accepted = [];
      ackedTo = 0;
      for (const call of pending) call.seq = undefined;
    },
    acked(ack, resend) {
      ackedTo = ack;
      release(ack);
      accepted = accepted.filter((call) => call.seq! > ack);
      if (!resend) return;
      for (const call of accepted) (call.resent = 1), (call.tries = 0), requeue(call);
      accepted = [];
      flush();
    },
  };
}
