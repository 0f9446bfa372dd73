import type { Node, PatchOp } from "../src/vdom/types.js";
import { treeHash, type CallMessage, type ErrorMessage, type EventMessage, type PageExtras, type ServerMessage } from "../src/protocol.js";
import type { StreamHandle, Transport } from "./transport.js";

/**
 * The session's SSE stream and everything that keeps it right:
 *
 * - ops are applied in revision order; a message at or below the current
 *   revision is ignored;
 * - a gap (or ops the DOM cannot take) → resync: a fresh stream, which sends
 *   no Last-Event-ID, so the server answers with an `init`;
 * - the first stream of a page (or of a session it re-bootstrapped) says
 *   `?lastEventId=0`: the page has the server-rendered tree, so the server
 *   sends only what happened since, not that tree a second time;
 * - an `init` is checked against its `hash` (a damaged snapshot means a
 *   resync, a bounded number of times) and applied unless it is the snapshot
 *   already shown (same revision and same `hash`);
 * - the server does not know the session (404, or `bye: expired`) → a new
 *   session from `POST /api/session`, rendered in place, no page reload;
 *   unless that session is another user's (`409 USER_CHANGED`: someone else
 *   signed in in this browser), the address has no page (404) or needs a user
 *   (401, 403), or the stream is refused for want of a user (401: the sign-in
 *   was forgotten, say by a restart): then the page loads its address again,
 *   which shows the new user's page, the 404 page or the sign-in page, and
 *   carries nothing of the old page over;
 * - a refused stream is retried with capped exponential backoff, a bounded
 *   number of times; so is re-bootstrapping, which also never runs in a loop:
 *   its tries are only forgiven once a session has lived for 5 s (a server
 *   restarted every few seconds, as `revue dev` does at each save, is followed).
 *
 * Dropped connections are EventSource's own business: it reconnects with
 * Last-Event-ID and the server replays what was missed. A stream reopened by
 * the runtime (after a refusal such as a proxy's 502) says `?lastEventId=`
 * itself, so calls and events sent meanwhile are replayed too.
 */

/** What the stream drives (the runtime). */
export interface StreamHost {
  /** Render a snapshot. */
  init(tree: Node): void;
  /** Apply ops; throwing means the DOM does not match and a snapshot is needed. */
  apply(ops: readonly PatchOp[]): void;
  /** What came with a tree or ops, once they are shown: `@synced` state and directions. */
  extra(extras: PageExtras): void;
  /** The server's `ack` on a patch or an init (`resend` for an init: unacknowledged calls go again). */
  acked(ack: number, resend?: 1): void;
  /** Reverse calls, custom events and errors. */
  message(msg: CallMessage | EventMessage | ErrorMessage): void;
  opened(): void;
  dropped(): void;
  /**
   * A new session replaced the old one, or the old one came back afresh
   * (`same`: its calls keep their numbers); its snapshot is rendered once
   * this settles (it never rejects).
   */
  renewed(same: boolean): Promise<void> | void;
  /** Recovery stopped after too many failures; `why` says what failed. */
  gaveUp(why: string): void;
}

/** Where the stream starts and how hard it tries. */
export interface StreamOptions {
  base: string;
  sid: string;
  rev: number;
  hash?: string;
  /** The page's user (boot data `u`): a session asked for again is refused if someone else signed in since. */
  u?: string;
  /** First retry delay; doubles per try, up to 8 s. */
  backoffMs?: number;
}

/** Tries before giving up (stream reopens and re-bootstraps each). */
const MAX_TRIES = 6;

/** How long a session must live before its re-bootstrap tries are forgiven: a loss within it is a loop (a minute gave up on `revue dev` at the 7th save). */
const PROVEN_MS = 5_000;

/** One page's connection to its session. */
export interface SessionStream {
  readonly sid: string;
  readonly rev: number;
  /** Opens the stream (closing any previous one). */
  start(): void;
  /** Closes the stream and cancels pending retries. */
  stop(): void;
  /**
   * Replaces a session the server no longer knows. Safe to call repeatedly:
   * calls made while one renewal runs join it.
   */
  renew(): void;
}

/**
 * Creates the connection; `start()` opens it. (Closures rather than a class:
 * local names minify, property names do not.)
 *
 * @example
 * const s = createStream(transport, host, { base: "", sid: boot.sid, rev: boot.rev });
 * s.start();
 */
export function createStream(transport: Transport, host: StreamHost, options: StreamOptions): SessionStream {
  const { base, backoffMs = 500 } = options;
  let { sid, rev, hash, u } = options;
  let handle: StreamHandle | undefined;
  let timer: ReturnType<typeof setTimeout> | undefined;
  let tries = 0;
  /** 1 until this page's stream has opened once. */
  let fresh = 1;
  let renewals = 0;
  let renewedAt = 0;
  let renewing = false;
  /** Waiting for a snapshot: patches are meaningless until it comes. */
  let stale = false;
  /** The `id:` of the last frame of this session's stream; "0" is the page as the server rendered it. */
  let last: string | undefined = "0";
  /** Snapshots in a row whose hash did not match. */
  let damaged = 0;

  function start(): void {
    // A renewal under way opens the stream once it has a session: reopened meanwhile (an ack late), its timer was lost and the page stuck.
    if (renewing) return;
    stop();
    // A fresh EventSource sends no Last-Event-ID: the URL carries it, so the server
    // replays what was missed (calls and events too) rather than sending a snapshot.
    handle = transport.stream(`${base}/api/sse/${encodeURIComponent(sid)}${last && !stale ? "?lastEventId=" + last : ""}`, {
      open() {
        tries = fresh = 0;
        host.opened();
      },
      message(type, data, id) {
        last = id || last;
        receive({ ...JSON.parse(data), type });
      },
      drop: host.dropped,
      fail(status) {
        host.dropped();
        if (status === 404) renew();
        // Only a stream that opened before: one refused from the start (an `authenticate` that admits the page but
        // not its stream) would reload the page in a loop (150 loads in 15 s); it is retried, then given up.
        else if (status === 401 && !fresh) location.reload();
        else retry(start, `stream refused (${status || "network"})`);
      },
    });
  }

  function stop(): void {
    clearTimeout(timer);
    handle?.close();
    handle = undefined;
  }

  /** Asks for a snapshot by opening a fresh stream. */
  function resync(): void {
    stale = true;
    start();
  }

  function renew(): void {
    if (renewing) return;
    if (Date.now() - renewedAt > PROVEN_MS) renewals = 0;
    renewing = true;
    stop();
    const attempt = async (): Promise<void> => {
      try {
        // Naming the old session: a server that still has its state gives it back afresh (its tree was lost).
        const reply = await transport.post(`${base}/api/session`, { sid, u });
        const b = reply.body as (PageExtras & { sid?: string; rev?: number; tree?: Node; hash?: string; u?: string }) | undefined;
        // Refused for good (another user's session 409, a page that is not there 404, a sign-in needed 401/403): the page
        // loads its address again, which shows why; a live link followed while the server was down was left on the old page.
        if (reply.status > 399 && reply.status < 429) return location.reload();
        if (reply.status >= 300 || !b?.sid || !b.tree) throw Error(`HTTP ${reply.status}`);
        renewing = stale = false;
        renewedAt = Date.now();
        ({ rev = 0, hash, u } = b);
        last = "0";
        await host.renewed(sid == (sid = b.sid));
        host.init(b.tree);
        host.extra(b);
        start();
      } catch (err) {
        retry(attempt, `no new session (${(err as Error).message})`, true);
      }
    };
    retry(attempt, "session lost again", true);
  }

  /** Runs `fn` after the next backoff delay, or gives up after `MAX_TRIES`. */
  function retry(fn: () => void, why: string, renewal = false): void {
    const n = renewal ? renewals++ : tries++;
    if (n >= MAX_TRIES) {
      renewing = false;
      return host.gaveUp(why);
    }
    // The first renewal runs at once: a restarted server is usually already back.
    clearTimeout(timer);
    timer = setTimeout(fn, renewal && !n ? 0 : Math.min(8e3, backoffMs * 2 ** n));
  }

  function receive(msg: ServerMessage): void {
    switch (msg.type) {
      case "init":
        if (msg.hash !== treeHash(JSON.stringify(msg.tree))) {
          if (++damaged > MAX_TRIES) return stop(), host.gaveUp("bad snapshots");
          return resync();
        }
        damaged = 0;
        host.acked(msg.ack ?? 0, 1);
        if (stale || msg.rev > rev || msg.hash !== hash) {
          stale = false;
          rev = msg.rev;
          hash = msg.hash;
          host.init(msg.tree);
        }
        return host.extra(msg);
      case "patch":
        if (stale || msg.rev <= rev) return;
        if (msg.rev !== rev + 1) return resync();
        // Acknowledged first: the calls it covers ran, and a field being typed in takes the server's value only once none is left unanswered.
        host.acked(msg.ack ?? 0);
        try {
          host.apply(msg.ops);
        } catch {
          return resync();
        }
        rev = msg.rev;
        return host.extra(msg);
      case "bye":
        // "shutdown" and "slow": EventSource reconnects by itself (with
        // Last-Event-ID). "replaced": another stream of this session (say, a
        // duplicated tab) took over; fighting it back would loop.
        if (msg.reason === "expired") return host.dropped(), renew();
        if (msg.reason === "replaced") return stop(), host.dropped();
        return;
      default:
        host.message(msg);
    }
  }

  return {
    get sid() {
      return sid;
    },
    get rev() {
      return rev;
    },
    start,
    stop,
    renew,
  };
}
