import type { App } from "../app.js";
import { RenderError, SessionError } from "../errors.js";
import { type ByeMessage, type PageDirections, type PageExtras, type ServerMessage } from "../protocol.js";
import { digest53 } from "./digest.js";
import type { CookieJar } from "./address.js";
import type { Binder, VNode } from "../vdom/types.js";
import type { Lease } from "./store.js";
import { CallQueue, type CallLimits } from "./calls.js";
import type { Meter } from "./meter.js";
import { SessionStream, type StreamLimits } from "./stream.js";
import { UploadBox, type UploadQuota } from "./uploads.js";
import { View } from "./view.js";
import { userKeyOf } from "./presence.js";

/**
 * Where a session is in its life (ARCHITECTURE.md §6):
 * - `pending`: its page was served and has not connected yet; it holds only
 *   the app state (the page's tree is rendered again when it connects), lives
 *   `pendingTtlMs` and is evicted first;
 * - `live`: its page connected or called; it holds its tree, hot or packed;
 * - `hibernated`: it keeps its app state but dropped its tree, to stay within
 *   the memory budget; its next message is an `init`;
 * - `ended`: gone, everything released.
 */
/** Who makes a request: the user `authenticate` returned (undefined: nobody signed in) and their roles. */
export interface Who {
  readonly user: unknown;
  readonly roles: readonly string[];
}

/** Nobody signed in. */
export const ANONYMOUS: Who = Object.freeze({ user: undefined, roles: Object.freeze([]) as readonly string[] });

/** Where the page is: its route's params (`/items/:id` → `{ id: "42" }`) and its query string (the first value of each name). */
export interface PageUrl {
  readonly params: Readonly<Record<string, string>>;
  readonly query: Readonly<Record<string, string>>;
}

/** A page at its route's root, with no query. */
export const NO_URL: PageUrl = Object.freeze({ params: Object.freeze({}), query: Object.freeze({}) });

export type SessionState = "pending" | "live" | "hibernated" | "ended";

/** What a session's own objects cost whatever its page (measured: 4.8 KB per counter session, bench/RESULTS.md). */
const SESSION_BYTES = 5 * 1024;
/** The longest a session waits before resting: 8 × `restAfterMs` (40 s by default). */
const MAX_REST_SCALE = 8;

/** Everything a session needs to know about its limits. */
export interface SessionConfig {
  /** The app's name, for messages. */
  app: string;
  calls: CallLimits;
  stream: StreamLimits;
  uploads: UploadQuota;
  /** Broadcasts waiting in the session's queue beyond which it stops queueing them and resyncs instead. */
  maxQueuedEvents: number;
  /** The app's counters, which the session's stream adds what it sends to (`srv.stats()`). */
  meter?: Meter;
  /** What rides on the session's next message besides its tree (the hub's: `@synced` fields, directions); `full` for an `init`. */
  extras?: (session: Session, full: boolean) => PageExtras | undefined;
  /** Told when a `render()` changed a field of the app (see {@link rendered}): the hub warns once per field. */
  renderChanged?: (field: string, message: string) => void;
}

/**
 * What tells users apart, as a session remembers it: a hash of their key
 * (`userKeyOf`: a string user, else `id`, `name` or `email`), else of their
 * JSON (a hash: it is saved in snapshots, and a user object may be large or
 * private).
 */
export function userIdentity(user: unknown): string {
  let key = userKeyOf(user);
  if (key === undefined) {
    try {
      key = JSON.stringify(user) ?? String(user);
    } catch {
      key = "?"; // not comparable: taken as the same
    }
  }
  return digest53(key);
}

/**
 * One browser session: its app instance and everything that lives and dies
 * with it — rooms, the call queue, the view of its page, the SSE stream and
 * its uploads. Other layers change it only through these methods, and
 * {@link Session.end} releases all of it.
 */
export class Session<A extends App = App> {
  private app: A | undefined;
  /** While hibernated: the app state as the JSON of its snapshot, the instance being gone. */
  private saved: string | undefined;
  readonly rooms = new Set<string>();
  readonly calls: CallQueue;
  readonly view: View;
  readonly stream: SessionStream;
  readonly uploads: UploadBox;
  private current: SessionState = "pending";
  private active = Date.now();
  /** This process's hold on the session when several share a store (see SessionStore). */
  lease: Lease | undefined;
  private by: Who = ANONYMOUS;
  /**
   * Who signed in last in this session ({@link userIdentity}, see
   * `Hub.assertSameUser`): kept through requests made signed out, and saved in
   * snapshots, so that a session is never handed to another user.
   */
  userKey: string | undefined;
  /** Who the page's latest request came from (createServer's `authenticate`): `this.user`. Every request says it again. */
  get who(): Who {
    return this.by;
  }
  set who(who: Who) {
    this.by = who;
    if (who.user !== undefined && who.user !== null) this.userKey = userIdentity(who.user);
  }
  /** Ends the session shortly: its page navigated to another app or to a page load (`rv.nav`); a navigation within the app after it cancels it. */
  leaving: ReturnType<typeof setTimeout> | undefined;
  /**
   * Its page moved within the app and the move failed (a `load` or `params`
   * handler threw): the page loads that address instead, and until a move
   * succeeds the session runs no other call, whose `this.params` would name
   * an address its state was never checked for.
   */
  strayed = false;
  /** Where the page is (`this.params`, `this.query`); saved in snapshots. */
  url: PageUrl = NO_URL;
  /** What its page is to do with the next message (handlers' `navigate`, `setCookie`, a navigation's scroll), until it is sent. */
  directions: PageDirections | undefined;
  /**
   * Restored from a snapshot (its node died): its page's next stream starts
   * with an `init` even when the page has the tree (taken back by `POST
   * /api/session`), because only an init's ack makes a page send again the
   * calls the session lacks (accepted by the dead node, never saved).
   */
  lacksCalls = false;
  /**
   * Being handed to another node (`Hub.letGo`): "saving" refuses new calls before they run, so
   * that the snapshot it leaves with holds every call it ran; "saved" once the store has it.
   */
  handover: "saving" | "saved" | undefined;
  /** Cookies handlers set that the page has not fetched; saved in snapshots. */
  cookies: CookieJar | undefined;
  /** Handlers abandoned at `handlerTimeoutMs` that have not ended yet: no cookie is set meanwhile (`Hub.invoke`). */
  abandoned = 0;
  /** The initial values of the app's `@url` fields (what leaves one out of the address); set when the instance is made. */
  urlDefaults: Record<string, string | number | boolean> | undefined;
  /** The JSON of each `@synced` field as the page last got it. */
  syncedJson: Map<string, string> | undefined;
  /** The title the page last got, when `static title` is a function of the app. */
  title: string | undefined;
  /** The offset of the last broadcast this session handled (what a restored copy catches up from). */
  eventOffset = "0-0";
  /** Messages held back until the snapshot that covers them is saved (several processes: no page sees what a crash could undo). */
  private held: HeldBatch[] | undefined;
  /** Broadcasts queued and not yet handled. */
  private inbound = 0;
  /** Broadcasts were dropped: once the queue drains, the page gets the current state afresh. */
  private overflowed = false;

  constructor(
    readonly sid: string,
    /** The hash of the browser token this session belongs to. */
    readonly owner: string,
    config: SessionConfig,
    bind: Binder,
    onSlow: (why: string) => void,
    /** Rebuilds the instance of a session hibernated as a snapshot (the hub's: it also queues the `resume` handlers). */
    private readonly revive: (state: string) => A,
  ) {
    const where = `${config.app} (session ${sid.slice(0, 6)}…)`;
    this.calls = new CallQueue(config.calls, where);
    const extras = config.extras;
    const changed = config.renderChanged;
    this.view = new View(
      changed ? () => rendered(this.instance, config.app, changed) : () => rootNode(this.instance.render(), config.app),
      bind,
      extras && ((full) => extras(this, full)),
    );
    this.stream = new SessionStream(config.stream, onSlow, config.meter);
    this.uploads = new UploadBox(config.uploads, where);
    this.maxQueuedEvents = config.maxQueuedEvents;
  }

  private readonly maxQueuedEvents: number;

  get state(): SessionState {
    return this.current;
  }

  /**
   * The app instance. A session hibernated as a snapshot gets a new one here,
   * with its state restored (the hub wakes sessions before their handlers
   * run, so `resume` handlers come first).
   */
  get instance(): A {
    if (this.app === undefined) {
      if (this.saved === undefined) throw new SessionError("SESSION_NOT_FOUND", `Session ${this.sid.slice(0, 6)}… has no app instance (it ended).`);
      const saved = this.saved;
      this.saved = undefined;
      try {
        this.app = this.revive(saved);
      } catch (err) {
        // Kept for the next call: an app whose constructor failed once (a service it asks blipped) must not lose its state for good.
        this.saved = saved;
        throw err;
      }
    }
    return this.app;
  }

  set instance(app: A) {
    this.app = app;
    this.saved = undefined;
  }

  /** Whether the app state is held as a snapshot, the instance being gone. */
  get asleep(): boolean {
    return this.saved !== undefined;
  }

  /** The JSON of the snapshot state while {@link asleep}. */
  get savedState(): string | undefined {
    return this.saved;
  }

  /** When the session was last used (ms since epoch). */
  get lastActive(): number {
    return this.active;
  }

  /** Whether its page's stream is open. */
  get connected(): boolean {
    return this.stream.open;
  }

  /** Records use: a call, a stream opening or closing, an update. */
  markActive(now = Date.now()): void {
    this.active = now;
    if (this.restedAt === 0) return;
    // Used again within twice the idle time its rest followed (a feed's periodic broadcasts): the rest cost more than it saved.
    this.restScale = now - this.restedAt < 2 * this.restedAfter ? Math.min(MAX_REST_SCALE, 2 * this.restScale) : 1;
    this.restedAt = 0;
  }

  /** When its tree was last packed (0: used since), and how long it had been idle then. */
  private restedAt = 0;
  private restedAfter = 0;
  /**
   * How many times `restAfterMs` the session stays idle before its tree is
   * packed: doubled, up to {@link MAX_REST_SCALE}, each time it is used again
   * soon after a rest, and 1 again after a rest that lasted. Unpacking on
   * every broadcast made one to 1,000 sessions at rest 13× one to sessions in
   * use (a 600-element page, broadcasts 7 s apart).
   */
  restScale = 1;

  /**
   * The page connected or called: a pending session becomes live, a
   * hibernated one wakes (its next message is an `init`). Returns whether it was pending.
   */
  promote(): boolean {
    const was = this.current;
    if (was === "ended") throw new SessionError("SESSION_NOT_FOUND", `Session ${this.sid.slice(0, 6)}… has ended.`);
    this.current = "live";
    return was === "pending";
  }

  /** Sends a message to the page (buffered for replay while no stream is open; held back while a save is under way). */
  send(message: ServerMessage, data?: string): void {
    if (this.current === "ended") return;
    if (this.held) this.held[this.held.length - 1]!.messages.push([message, data]);
    else this.stream.send(message, data);
  }

  /**
   * Holds the messages sent from now on (until the next call) back until
   * `saved` settles, then sends them in order (a snapshot being written must
   * come first); drops them if it rejects (the state they show was not kept).
   * Each save covers the messages sent before it was made: batches are
   * released in order, each when its own save is done, so a session that
   * renders through every save still sends as each one lands.
   */
  holdUntil(saved: Promise<unknown>): void {
    const batch: HeldBatch = { messages: [], kept: undefined };
    (this.held ??= []).push(batch);
    const settle = (kept: boolean) => {
      batch.kept = kept;
      // Unsettled batches stay in `held`: this one is there, and the front ones that settled go out.
      const held = this.held!;
      while (held.length > 0 && held[0]!.kept !== undefined) {
        const { messages, kept: send } = held.shift()!;
        if (held.length === 0) this.held = undefined;
        // Straight to the stream: a later batch still held must not take them in behind its own.
        if (send && this.current !== "ended") for (const [message, data] of messages) this.stream.send(message, data);
      }
    };
    saved.then(() => settle(true), () => settle(false));
  }

  /** Whether broadcasts are queued for this session and not yet handled. */
  get behind(): boolean {
    return this.inbound > 0;
  }

  /**
   * Queues a broadcast's delivery and handlers behind the session's other
   * work. A session that cannot keep up stops queueing them past
   * `maxQueuedEvents`; once its backlog has drained, its tree is dropped and
   * `resync` runs, so that its page gets the current state afresh instead of the events
   * it missed. Returns "dropped" for a broadcast dropped so, "overflow" for
   * the first one dropped since the last resync.
   */
  queueBroadcast(task: () => unknown, resync: () => void): "queued" | "overflow" | "dropped" {
    if (this.current === "ended") return "dropped";
    if (this.inbound >= this.maxQueuedEvents) {
      if (this.overflowed) return "dropped";
      this.overflowed = true;
      return "overflow";
    }
    this.inbound++;
    const running = this.calls.runOrEnqueue(task);
    // (Closures only for a queued broadcast: one that ran at once, the common case, allocates none.)
    if (running) running.then(() => this.drained(resync), () => this.drained(resync));
    else this.drained(resync);
    return "queued";
  }

  /** A queued broadcast was handled: once none wait and some were dropped, the page resyncs. */
  private drained(resync: () => void): void {
    if (--this.inbound > 0 || !this.overflowed || this.current === "ended") return;
    this.overflowed = false;
    this.view.hibernate();
    resync();
  }

  /**
   * What its app state weighed when last weighed (the hub's `weigh`, when the
   * session came to rest), and when: the state changes only through calls and
   * handlers, which mark the session active.
   */
  stateBytes = 0;
  weighedAt = -1;

  /** An estimate of the memory the session holds, in bytes: its own objects, tree, buffers, and app state (as weighed, or its snapshot while hibernated). */
  get bytes(): number {
    return SESSION_BYTES + this.view.bytes + this.stream.bytes + this.calls.pending * 256 + (this.saved !== undefined ? this.saved.length : this.stateBytes);
  }

  /** While idle: packs the tree and forgets remembered outcomes; `forgetReplay` also drops the replay buffer. */
  rest(forgetReplay: boolean, now = Date.now()): void {
    if (!this.calls.idle || this.current === "ended") return;
    if (this.view.rest()) {
      this.restedAt = now;
      this.restedAfter = now - this.active;
    }
    this.calls.compact();
    if (forgetReplay) this.stream.forget();
  }

  /**
   * Drops the tree and the replay buffer; the app state stays, as the JSON of
   * its snapshot when `saved` is given (the instance goes), else as the
   * instance itself. Its next message is an `init`.
   */
  hibernate(saved?: string): void {
    if (this.current === "ended" || !this.calls.idle) return;
    this.view.hibernate();
    this.stream.forget();
    this.calls.compact();
    if (saved !== undefined) {
      this.saved = saved;
      this.app = undefined;
    }
    if (this.current === "live") this.current = "hibernated";
  }

  /**
   * Ends the session: the open stream gets a final `bye` (or is cut, for
   * `dropped`), calls not finished are rejected, the running handler's signal
   * aborts, and its uploads are removed. Rooms are the hub's to leave first.
   */
  async end(reason: ByeMessage["reason"]): Promise<void> {
    if (this.current === "ended") return;
    this.current = "ended";
    this.stream.end({ type: "bye", reason });
    this.calls.close(() =>
      reason === "shutdown"
        ? new SessionError("SERVER_CLOSING", `The server is shutting down; session ${this.sid.slice(0, 6)}… ended before this call ran. The page reconnects to a new server.`)
        : reason === "moved"
          ? new SessionError("SERVER_CLOSING", `Session ${this.sid.slice(0, 6)}… moved to another server before this call was done; send it again (the page does).`)
          : new SessionError("SESSION_NOT_FOUND", `Session ${this.sid.slice(0, 6)}… ended (${reason}) before this call ran. The page starts a new one.`),
    );
    this.rooms.clear();
    this.saved = undefined;
    await this.uploads.release();
  }
}

/** What `render()` returned when it is a node; otherwise a RenderError that names the app and says what to return. */
function rootNode(out: unknown, app: string): VNode {
  const type = typeof out === "object" && out !== null ? (out as VNode).type : undefined;
  if (type === "element" || type === "text") return out as VNode;
  if (typeof (out as PromiseLike<unknown> | null)?.then === "function") {
    throw new RenderError(
      `${app}.render() returned a Promise: render() must be synchronous (is it async?). Load data in a handler (@server.on("load") before the first page, an rpc) into a field, and render the field.`,
    );
  }
  const got = Array.isArray(out) ? "an array" : typeof out === "string" ? `the string ${JSON.stringify(out.slice(0, 40))}` : out === null ? "null" : typeof out === "object" ? "an object that is not an h() node" : String(out);
  throw new RenderError(`${app}.render() must return one element built with h(), got ${got}. Wrap what it shows in one: return h("main", {}, ${Array.isArray(out) ? "list" : "…"});`);
}

/**
 * `app.render()`, telling `changed` when it replaced or deleted a field of
 * the app (compared by identity), or changed a list's length in place
 * (`this.items.push(x)`; a list sorted in place goes unseen). A
 * render that changes state is a bug that fails silently: most often an `on*`
 * prop that calls a method instead of passing it (`onClick: this.clear()`
 * runs `clear` at every render and binds nothing). Reading the fields twice
 * costs ≈ 15 ns a field per render (≈ 180 ns for 12 fields, in process),
 * where the smallest page's render and diff take microseconds.
 */
function rendered(app: App, name: string, changed: (field: string, message: string) => void): VNode {
  const record = app as unknown as Record<string, unknown>;
  // A list's length too: `this.items.push(x)` in render() changes no field, but the list in place.
  const keys: string[] = [], values: unknown[] = [], lengths: number[] = [];
  for (const k in record) {
    const v = record[k];
    keys.push(k);
    values.push(v);
    lengths.push(Array.isArray(v) ? v.length : -1);
  }
  const out = rootNode(app.render(), name);
  let i = 0, field: string | undefined;
  for (const k in record) {
    // Another name here: this one was added, or the one expected was deleted.
    if (k !== keys[i]) field = keys.includes(k) ? keys[i] : k;
    else if (!Object.is(values[i], record[k]) || (lengths[i] !== -1 && (values[i] as unknown[]).length !== lengths[i])) field = k;
    if (field !== undefined) break;
    i++;
  }
  if (field === undefined && i < keys.length) field = keys[i];
  if (field !== undefined) {
    changed(
      field,
      `[revue] ${name}.render() changed this.${field}. render() must only read the app's state: a change made while rendering runs again at every render and shows only in the next one. ` +
        `If an on* prop calls a method (onClick: this.save()), pass the method instead (onClick: this.save); compute derived values in local variables. (Said once per field.)`,
    );
  }
  return out;
}

/** Messages held back until the save that covers them settles (see {@link Session.holdUntil}); `kept` once it has. */
interface HeldBatch {
  messages: Array<[ServerMessage, string | undefined]>;
  kept: boolean | undefined;
}
