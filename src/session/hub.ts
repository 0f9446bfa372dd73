import { hash } from "node:crypto";
import { randomString } from "../random.js";
import { digest53 } from "./digest.js";
import { App, constructApp, type CookieOptions, type SessionLink } from "../app.js";
import { Exposed, exposeError, RegistryError, RenderError, RevueError, SessionError, SnapshotError, tameThrown, thrownMessage, UnavailableError, UsageError } from "../errors.js";
import { type ErrorCode, type PageExtras, type ServerMessage } from "../protocol.js";
import { addressChange, addressOf, checkedCookie, checkedPath, checkedTarget, COOKIE_TICKET_MS, firstValues, matchRoute, newJar, readAddress, signInAddress, urlDefaults, type CookieJar, type PendingCookie } from "./address.js";
import { createBinder } from "../registry/bind.js";
import { applyField, checkRecovered, FAILED, isBound, isSummary, SET_FIELD_NAME, type RecoveredForms } from "../registry/fields.js";
import { cachedBytes, clearCaches } from "../registry/cached.js";
import { validateArgs } from "../registry/schema.js";
import { LIFECYCLE_EVENTS } from "../registry/decorators.js";
import { accessProblem, judge, type Access, type MethodEntry } from "../registry/entries.js";
import { getSpec, publicName, type AppSpec } from "../registry/spec.js";
import type { Binder, Node } from "../vdom/types.js";
import type { Call, SeqWindow } from "./calls.js";
import { NodeDownError, type Cluster, type NodeReply, type NodeRequest } from "./cluster.js";
import { RepeatedErrors, type Logger } from "./logger.js";
import { Meter, type AppStats } from "./meter.js";
import { defaultLimits, SessionPool, type PoolMember, type SessionLimits } from "./pool.js";
import { Presence, type PresenceDiff, type PresenceOptions, type SessionPresence } from "./presence.js";
import { Outbox } from "./outbox.js";
import { compareOffsets, MemoryPubSub, type PubSub } from "./pubsub.js";
import { SessionRenderer } from "./renderer.js";
import { Rooms } from "./rooms.js";
import { ANONYMOUS, NO_URL, Session, userIdentity, type PageUrl, type SessionConfig, type Who } from "./session.js";
import { captureState, restoreState, type StateRecord } from "./state.js";
import { MemorySessionStore, type Lease, type SavedSession, type SessionStore } from "./store.js";
import type { Sink } from "./stream.js";
import type { ServedPage, View } from "./view.js";

export type { Logger } from "./logger.js";

/** An app class: a subclass of {@link App} constructible without arguments. */
export type AppClass<A extends App = App> = (new () => A) & { prototype: A };

/** How long a restored session's calls wait for missing seqs until its page reconnects (see CallQueue.awaitPage). */
const RESTORED_GAP_MS = 15_000;

export interface HubOptions {
  /** Cross-process event transport. Default: a private {@link MemoryPubSub}. */
  pubsub?: PubSub;
  /** Where sessions are recorded. Default: a private {@link MemorySessionStore}. */
  store?: SessionStore;
  logger?: Logger;
  /** The sessions of the whole process (shared by every app of a server). Default: a pool of this hub's own. */
  pool?: SessionPool;
  /** Limits of a pool of this hub's own (ignored when `pool` is given). */
  limits?: Partial<SessionLimits>;
  /** Receives every message meant for a session's page, in order (besides its stream). */
  deliver?: (session: Session, message: ServerMessage) => void;
  /** Namespace of this app's pubsub channel (several apps may share one pubsub). Default: the class name. */
  channel?: string;
  /** The app's mount prefix, recorded with its sessions. Default "". */
  prefix?: string;
  /** Hide what bugs and unexpected exceptions say from pages (see `exposeError`). Default: `NODE_ENV === "production"`. */
  production?: boolean;
  /**
   * This process as one node of several sharing `store` and `pubsub` (Redis):
   * sessions are leased, saved after their handlers run, forwarded to the node
   * that holds them, and taken over when that node dies. Default: one process.
   */
  cluster?: Cluster;
  /**
   * Presence across nodes: heartbeat, down period (see `PresenceOptions`), and this node's name;
   * `channel`, one shared with other apps (createServer's when it serves several: each app's
   * presences are then one node's, and `list` has every app's).
   */
  presence?: PresenceOptions & { node?: string; channel?: string };
  /**
   * The app serving a path of this server, the path's params, and whether
   * that app lets a user in (createServer's): where a page navigates live
   * (`rv.nav`). Default: only this app's own route.
   */
  routes?: (path: string) => { prefix: string; params: Record<string, string>; admits?: (who: Who) => boolean } | undefined;
  /** createServer's `signIn`: where a page whose click a method's `auth` refused for want of a user is sent (`?next=` its address). */
  signIn?: string;
}

/** A call from the page, decoded and checked for shape at the edge. */
export interface PageCall extends Call {
  kind: "realtime" | "rpc" | "emit";
  /** The realtime or rpc public name, or the emitted event. */
  name: string;
  args: unknown[];
  /** `rv.emit`'s data. */
  data?: unknown;
  /** Who made it (createServer's `authenticate`, resolved at the edge); it travels with a forwarded call. Absent: the session's last known user. */
  who?: Who;
}

export { ANONYMOUS, NO_URL, type PageUrl, type Who };

/** Heap bytes per character of an app state's snapshot JSON, about (see {@link Hub.weigh}). */
const HEAP_PER_STATE_CHAR = 3;

/** A call's bytes past which they count toward its session's weight before it is weighed again (typing and clicks do not). */
const LARGE_CALL_BYTES = 4096;

/** The built-in realtime call a re-bootstrapped page makes first, with its forms' values (`App.recoverForms`). */
export const RECOVER_NAME = "rv.recover";
/** The built-in rpc of a page moving to another address of this server (a link with `navigate`, Back, `this.navigate`). */
export const NAV_NAME = "rv.nav";
/** `rv.nav`'s answer for a move the page makes as a page load. */
const PAGE_LOAD = '{"result":{"load":true}}';

/** The most arguments a call may carry (see `Hub.call`). */
const MAX_ARGS = 1_000;

/**
 * Builds a {@link PageCall}: what the page sent, with its fingerprint (the
 * hash of what the call does: a retry has the same one, another call another)
 * and its size (the body's, when known).
 *
 * @example
 * await hub.call(session, pageCall("rpc", "reset", 1, [0]));
 */
export function pageCall(kind: PageCall["kind"], name: string, seq: number, args: unknown[] = [], data?: unknown, bytes?: number): PageCall {
  // An emit without data and one with `null` are two calls: their handlers see `undefined` and `null`.
  const what = JSON.stringify(data === undefined ? [kind, name, args] : [kind, name, args, data]);
  return { kind, name, seq, args, data, bytes: bytes ?? what.length, fingerprint: fingerprintOf(what), legacyFingerprint };
}

/** `Call.legacyFingerprint` of a page call (one function shared by all, called on the call). */
function legacyFingerprint(this: PageCall): string {
  return digest53(JSON.stringify([this.kind, this.name, this.args, this.data ?? null]));
}

/**
 * A call's fingerprint: SHA-256 of what it does, 128 bits of it in base64url.
 * A seq reused for another call must get `409 SEQ_CONFLICT`, never the first
 * call's answer; with a 53-bit non-cryptographic hash two different arguments
 * of one method were found to collide in 20 s of one core (attacker probe).
 * Costs ≈ 0.8 µs a call, as much as that hash.
 */
function fingerprintOf(what: string): string {
  return hash("sha256", what, "base64url").slice(0, 22);
}

/**
 * A session saved as JSON-safe data (ARCHITECTURE.md §6): enough to bring it
 * back, in this process or another, with {@link Hub.restore}.
 */
export interface SessionSnapshot {
  v: 1;
  sid: string;
  /** The app's mount prefix. */
  app: string;
  /** Hash of the browser token it belongs to. */
  owner: string;
  /** The app instance's fields, minus `@transient` ones. */
  state: StateRecord;
  rooms: string[];
  /** Its presences (`this.presence.track`), tracked again where it is restored. */
  presence?: Array<{ topic: string; key: string; meta: Record<string, unknown> }>;
  /** The seq window: the next seq expected (older ones are answered SEQ_EXPIRED after a restore, but for the latest finished calls, whose retries get their first answer) and the last acknowledged. */
  seq: SeqWindow;
  /** The revision of the page's tree. */
  rev: number;
  /** A page served and not connected yet: the node the session moves to checks its own render against it (no `init` when equal). */
  page?: ServedPage;
  /** The offset of the app's broadcasts up to which the session handled them: a restored copy catches up from there. */
  events?: string;
  /** Where its page is (`this.params`, `this.query`), unless at its route's root with no query. */
  url?: PageUrl;
  /** Cookies handlers set that the page has not fetched yet. */
  cookies?: CookieJar;
  /** Who signed in last in it (a hash of their identity): another user is never given it. */
  user?: string;
}

/** A pubsub envelope: one emitted event, for all sessions or one room. */
interface Envelope {
  event: string;
  data: unknown;
  room?: string;
  /** The page's message for it, built once per broadcast (not sent). */
  message?: ServerMessage;
}

/** The envelope in a pubsub message, or undefined when it is not one. */
function parseEnvelope(raw: string): Envelope | undefined {
  try {
    const env = JSON.parse(raw) as Envelope;
    return typeof env === "object" && env !== null && typeof env.event === "string" ? env : undefined;
  } catch {
    return undefined;
  }
}

/** How long a session lives after its page left for another app (its answer, and the page's last frames, go out first). */
const LEFT_MS = 1_000;

/** How long a node's lease on a session lasts: as long as the session may (another node takes over from a dead one, which it learns from heartbeats). */
const LEASE_MS = 24 * 60 * 60_000;

/** The least a connected session's record is renewed for (the sweep renews it well within that). */
const CONNECTED_TTL_MS = 60_000;

/** Generates a session id with 144 random bits, URL-safe. */
export function newSessionId(): string {
  return randomString(18, "base64url");
}

/**
 * Whether `next` is another signed-in user than the last one signed in in
 * `session`, whatever requests came signed out since (see `userIdentity`).
 */
function switchedUser(session: Session<App>, next: unknown): boolean {
  if (session.userKey === undefined || next === undefined || next === null) return false;
  return userIdentity(next) !== session.userKey;
}

/**
 * Whether a realtime call is a field's typing (its last argument an `input`
 * event's summary with the field's value): like a kit field's update, what it
 * sets is shown before the next call runs (SessionRenderer `beforeCall`). A
 * hand-bound `onInput` and a click that cleared the field within the typing's
 * debounce landed in one render that showed no change, and the page kept the
 * text (new-user probe).
 */
function typedInto(args: readonly unknown[]): boolean {
  const last = args[args.length - 1] as { type?: unknown; value?: unknown } | null | undefined;
  return typeof last === "object" && last !== null && last.type === "input" && typeof last.value === "string" && isSummary(last);
}

/** The refusal of a page's session (`what`) to another user than its own: the page loads its address again. */
function userChanged(what: string): SessionError {
  return new SessionError(
    "USER_CHANGED",
    `${what} belongs to the user signed in before; another user signed in in this browser. The page loads its address again, as that user's page: the old page's typed text and unsent calls are not carried over.`,
  );
}

/** A call as a refusal names it: the app's own by kind and name, Revue's built-ins by what they do (the app never wrote `rv.set`). */
function callOf(kind: string, name: string, args: unknown[]): string {
  const first = args[0] instanceof URL ? args[0].pathname + args[0].search : args[0];
  const arg = JSON.stringify(first)?.slice(0, 60);
  if (name === SET_FIELD_NAME) return `the update of field ${arg} (a revue/ui control or bindField)`;
  if (name === RECOVER_NAME) return "the form recovery of a page whose session was replaced";
  if (name === NAV_NAME) return `a move to ${arg}`;
  return `${kind} "${name}"`;
}

/** The error for an unknown or expired session; the page re-bootstraps when it sees it. */
export function sessionNotFound(sid: string): SessionError {
  return new SessionError(
    "SESSION_NOT_FOUND",
    `Session ${sid.slice(0, 6)}… is unknown or expired (the server may have restarted). The page starts a new one with POST /api/session.`,
  );
}

/**
 * The HTTP-free engine of one app: its sessions (created, found, ended), their
 * calls under the sequence rules, events and rooms, lifecycle handlers and
 * rendering. `createServer` puts HTTP in front of it and `revue/testing`
 * drives it directly.
 *
 * @example
 * const hub = new Hub(Counter, { deliver: (s, msg) => console.log(s.sid, msg) });
 * await hub.start();
 * const s = await hub.createSession();
 * await hub.call(s, pageCall("realtime", "increment", 1));
 */
export class Hub<A extends App = App> implements PoolMember {
  readonly spec: AppSpec;
  /** Who may use the app at all (its `static auth`), or undefined: anyone. */
  private readonly access: Access | undefined;
  /** `static title` when it is a function of the app (its text follows the session's state), else undefined. */
  private readonly titleOf: ((app: App) => unknown) | undefined;
  readonly bind: Binder;
  readonly logger: Logger;
  /** Handlers' and renders' failures, each kind logged at most 10 times a minute. */
  private readonly repeats: RepeatedErrors;
  readonly pool: SessionPool;
  readonly store: SessionStore;
  readonly prefix: string;
  /** Who is here, across nodes: `this.presence` of every session. */
  readonly presence: Presence;
  private readonly byId = new Map<string, Session<A>>();
  private readonly rooms: Rooms<Session<A>>;
  /** This app's counters for `srv.stats()`: calls accepted (here), messages and bytes sent (by the sessions' streams). */
  private readonly meter = new Meter();
  private readonly pubsub: PubSub;
  /** Publishes this app's broadcasts, holding them through a pubsub outage. */
  private readonly outbox: Outbox;
  private readonly ownsPubsub: boolean;
  private readonly ownsStore: boolean;
  private readonly channel: string;
  private readonly deliverTo: ((session: Session, message: ServerMessage) => void) | undefined;
  private readonly warned = new Set<string>();
  /** Which session's weight counts an object of app state: the first weighed holding it (see {@link weigh}). */
  private readonly owners = new WeakMap<object, string>(); // by sid: a session held here would outlive its end
  private readonly renderer: SessionRenderer;
  private unsubscribe: (() => Promise<void>) | undefined;
  private started = false;
  /** Whether this app's sessions hibernate as snapshots (false once one failed to save). */
  private snapshots = true;
  private closing = false;
  private readonly production: boolean;
  private readonly signIn: string | undefined;
  private readonly cluster: Cluster | undefined;
  /** The app serving a path of this server, and its params (see {@link HubOptions.routes}). */
  private readonly routes: NonNullable<HubOptions["routes"]>;
  /** The offset of the last broadcast this hub received. */
  private lastOffset = "0-0";
  /** Sessions being restored, with the broadcasts that arrived meanwhile (delivered after their catch-up). */
  private readonly catchingUp = new Map<Session<A>, Array<[Envelope, string | undefined]>>();

  constructor(readonly appClass: AppClass<A>, options: HubOptions = {}) {
    if (typeof appClass !== "function" || !(appClass.prototype instanceof App)) {
      const got = typeof appClass === "function" ? `class ${appClass.name}` : String(appClass);
      throw new RegistryError(`Revue needs a class that extends App, got ${got}. Write: class ${typeof appClass === "function" ? appClass.name : "MyApp"} extends App { ... }.`);
    }
    this.spec = getSpec(appClass);
    // `static auth = false` (what `static auth = true`'s type allows) is no rule.
    const declared = (appClass as { auth?: unknown }).auth;
    const access = declared === false ? undefined : declared;
    const wrong = accessProblem(access);
    if (wrong) throw new RegistryError(`${this.spec.name}.auth ${wrong}.`);
    this.access = access as Access | undefined;
    const title = (appClass as { title?: unknown }).title;
    this.titleOf = typeof title === "function" ? (title as (app: App) => unknown) : undefined;
    this.bind = createBinder(this.spec);
    this.logger = options.logger ?? console;
    this.repeats = new RepeatedErrors(this.logger);
    this.pool = options.pool ?? new SessionPool({ ...defaultLimits(), ...options.limits }, this.logger);
    this.pubsub = options.pubsub ?? new MemoryPubSub();
    this.ownsPubsub = !options.pubsub;
    this.outbox = new Outbox(this.pubsub, this.logger, this.spec.name);
    this.store = options.store ?? new MemorySessionStore();
    this.ownsStore = !options.store;
    this.prefix = options.prefix ?? "";
    this.channel = `revue:${options.channel ?? this.spec.name}:events`;
    this.presence = new Presence(this.pubsub, {
      ...options.presence,
      channel: options.presence?.channel ?? `revue:${options.channel ?? this.spec.name}:presence`,
      app: this.spec.name,
      logger: this.logger,
      onDiff: (diff) => this.presenceChanged(diff),
      offlineFor: (sid) => this.byId.get(sid)?.stream.offlineFor(Date.now()) ?? Infinity,
    });
    this.deliverTo = options.deliver;
    this.production = options.production ?? process.env.NODE_ENV === "production";
    this.signIn = options.signIn;
    this.cluster = options.cluster;
    this.routes = options.routes ?? ((path) => {
      const params = matchRoute(this.prefix, path);
      return params && { prefix: this.prefix, params };
    });
    this.rooms = new Rooms(this.spec.name, this.limits.maxRoomsPerSession);
    // Several processes: the state a render shows (or would have shown) is saved; a message is held back until then.
    const save = (session: Session) => void (this.cluster && this.persist(session as Session<A>).catch(() => {}));
    this.renderer = new SessionRenderer(
      (session, message, data) => {
        save(session);
        this.send(session, message, data);
      },
      (session, err) => this.renderFailed(session, err),
      // A page reached through `deliver` (tests, benches) has no stream to wait for.
      (session) => session.connected || this.deliverTo !== undefined,
      save,
      // As hub.connect tells a reconnecting page whose tree is gone: it asks for the same session by id
      // (`reissue`), gets its state back as a first tree, and recovers its forms into it.
      (session) => {
        save(session);
        session.stream.end({ type: "bye", reason: "expired" });
      },
    );
  }

  private get limits(): SessionLimits {
    return this.pool.limits;
  }

  /** Subscribes to the pubsub and runs the static `@server.on("start")` handlers, awaited in declaration order. */
  async start(server?: unknown): Promise<void> {
    if (this.started) return;
    this.started = true;
    this.pool.join(this);
    this.lastOffset = await this.pubsub.head(this.channel);
    this.unsubscribe = await this.pubsub.subscribe(this.channel, (raw, offset) => this.receive(raw, offset), {
      // Nothing brings lost broadcasts back: said once per gap, in the app's words (not the pubsub's advice to its own callers).
      onGap: ({ after, reason }) =>
        this.logger.warn(
          `[revue] ${this.spec.name}: broadcasts published after ${after} may not have reached this process's sessions (${reason === "restart" ? "Redis restarted" : "this process fell behind the pubsub's log"}). Their pages show what they handled; later broadcasts arrive as before.`,
        ),
    });
    this.cluster?.handle(this.prefix, (req) => this.answer(req));
    await this.presence.start();
    for (const entry of this.spec.staticOn.get("start") ?? []) await this.callStatic(entry, "start", [server]);
  }

  /**
   * Shuts down within `timeoutMs` even while a handler hangs: every page's
   * stream gets a final `bye`, queued work gets until the deadline, the static
   * `stop` handlers run, then every session ends (calls not run are refused
   * with SERVER_CLOSING, running handlers' signals abort).
   */
  async stop(server?: unknown, timeoutMs = 10_000): Promise<void> {
    if (!this.started) return;
    this.started = false;
    this.closing = true;
    const deadline = Date.now() + timeoutMs;
    for (const s of this.byId.values()) s.stream.end({ type: "bye", reason: "shutdown" });
    let settled = false;
    await within(this.settle().finally(() => (settled = true)), deadline);
    if (!settled) {
      const busy = [...this.byId.values()].filter((s) => !s.calls.idle).length;
      this.logger.warn(`[revue] ${this.spec.name}: shutting down with handlers still running in ${busy} session${busy === 1 ? "" : "s"} after shutdownTimeoutMs (${timeoutMs} ms): they are abandoned (their signals abort). Raise shutdownTimeoutMs if they should finish.`);
    }
    for (const entry of this.spec.staticOn.get("stop") ?? []) await within(this.callStatic(entry, "stop", [server]), deadline);
    // Several processes: each session is saved and let go, so another node takes it over at once.
    if (this.cluster) await within(Promise.all([...this.byId.values()].map((s) => this.letGo(s).catch(() => {}))), deadline);
    await Promise.all([...this.byId.values()].map((s) => this.end(s, "shutdown", false)));
    await within(this.presence.stop(), deadline); // after the sessions' presences left
    this.pool.leave(this);
    await within(this.outbox.drain(), deadline);
    this.outbox.close();
    await within(this.unsubscribe?.() ?? Promise.resolve(), deadline);
    if (this.ownsPubsub) await this.pubsub.close();
    if (this.ownsStore) await this.store.close();
    clearCaches(this.appClass); // disposes its @cached.resource handles (a pool holds the process open)
  }

  // ------------------------------------------------------------ sessions

  /**
   * Starts a session for a page being served (`GET /`, `POST /api/session`):
   * renders its first page with `first` (`view.firstPage(nonce)` for HTML,
   * `view.firstTree()` for a tree) and records it as pending. A render that
   * throws leaves nothing behind.
   */
  async open<P>(owner: string, first: (view: View) => P, visit: { who?: Who; url?: PageUrl } = {}): Promise<{ session: Session<A>; page: P; state?: Record<string, unknown>; title?: string }> {
    this.assertOpen();
    const who = visit.who ?? ANONYMOUS;
    this.admit(who, "a new page");
    await this.pool.admitPending();
    const session = this.make(newSessionId(), owner);
    // Before the first render: render() may show the user and read the params.
    session.who = who;
    session.url = visit.url ?? NO_URL;
    let page: P;
    let state: Record<string, unknown> | undefined;
    let title: string | undefined;
    try {
      if (this.spec.url.size) readAddress(session.instance, this.spec, session.urlDefaults!, session.url.query, false);
      if (this.spec.serverOn.has("load")) await this.pool.loading(this.spec.name, () => session.calls.enqueue(() => this.load(session)));
      page = first(session.view);
      // The page starts with these (its boot data); its patches carry what changes.
      if (this.spec.synced.size) state = this.syncedChanges(session, true);
      title = this.pageTitle(session);
      await this.store.create({ sid: session.sid, app: this.prefix, owner, createdAt: Date.now() }, this.limits.pendingTtlMs);
      if (this.cluster) session.lease = await this.store.claim(session.sid, this.cluster.node, LEASE_MS);
    } catch (err) {
      this.forget(session);
      void session.end("expired");
      throw err;
    }
    this.byId.set(session.sid, session);
    this.pool.pending.set(session, this);
    return { session, page, ...(state ? { state } : {}), ...(title !== undefined ? { title } : {}) };
  }

  /**
   * The same session for a page that starts it afresh (POST /api/session
   * naming its sid, after `bye: expired`): a first tree at revision 1 and its
   * stream's ids from 0, as a new session would give, with the session's
   * state as it is and its call sequence going on (the page keeps its calls'
   * numbers, so a call it sends again is still recognised). Its page then
   * recovers its forms into it, as into a new one. Its tree need not be lost:
   * a page asking again (its first answer lost on the way) gets the same
   * session again, not a new one that would leave this state behind.
   * `undefined` while another stream of it is open (the page is given a new
   * session then, as before). Refused with `USER_CHANGED` when another user
   * signed in in this browser since: the page loads its address again, so
   * nothing of the old user's page (typed text, unsent clicks) reaches the
   * new user's session.
   */
  async reissue(session: Session<A>, who: Who): Promise<{ session: Session<A>; page: ReturnType<View["firstTree"]>; state?: Record<string, unknown>; title?: string } | undefined> {
    if (switchedUser(session, who.user)) throw userChanged(`Session ${session.sid.slice(0, 6)}…`);
    if (session.connected) return undefined;
    this.admit(who, "a new page");
    this.wake(session);
    session.who = who;
    // In the session's queue, as any render: never while one of its handlers waits in an `await`.
    return session.calls.enqueue(() => {
      session.stream.restart();
      const page = session.view.firstTree();
      const state = this.spec.synced.size ? this.syncedChanges(session, true) : undefined;
      const title = this.pageTitle(session);
      return { session, page, ...(state ? { state } : {}), ...(title !== undefined ? { title } : {}) };
    });
  }

  /**
   * Refuses a page asking for a session (`POST /api/session`) on behalf of
   * another signed-in user than the one it was rendered for (`u`: what its
   * boot data or last session answer carried, `is` telling whether it is of
   * a {@link userIdentity}: the identity itself unless keyed). The
   * page's session need not exist any more (a restart forgot it, and who it
   * was of): without this, a tab of ada's would recover her typed text and
   * send her unsent clicks into a new session of bob's, who signed in since.
   */
  assertPageUser(u: unknown, who: Who, is: (u: string, identity: string) => boolean = (tag, identity) => tag === identity): void {
    if (typeof u !== "string" || who.user === undefined || who.user === null || is(u, userIdentity(who.user))) return;
    throw userChanged("This page");
  }

  /**
   * Refuses a request of another signed-in user than the one the session was
   * last used by (someone else signed in in this browser, in another tab):
   * the session's state (a cart, a draft, what the app loaded for that user)
   * is not theirs. Answered as a lost session (404 `SESSION_NOT_FOUND`): the
   * page then asks for its session afresh, is refused (`reissue`:
   * `USER_CHANGED`) and loads its address again, as the new user's page. Signing in from nobody, or out, is not a switch.
   */
  assertSameUser(session: Session<A>, who: Who): void {
    if (!switchedUser(session, who.user)) return;
    throw new SessionError(
      "SESSION_NOT_FOUND",
      `Session ${session.sid.slice(0, 6)}… belongs to the user signed in before; another user signed in in this browser. The page starts a new session with POST /api/session.`,
    );
  }

  /**
   * Sends the page to its own address again, as a page load: a page whose
   * user signed out elsewhere (another tab), or lost the role, would otherwise
   * see each call refused in its console only. Loading it shows why (the
   * sign-in page, or a 401/403 page).
   */
  private reload(session: Session<A>): void {
    this.sendTo(session, addressOf(this.prefix, session.url), true);
  }

  /** Where the page goes after its next message (a handler's `navigate`, {@link reload}); a render carries it. */
  private sendTo(session: Session<A>, target: string, replace: boolean | undefined): void {
    const d = (session.directions ??= {});
    d.g = target;
    if (replace) d.r = 1;
    else delete d.r;
    this.renderer.schedule(session);
  }

  /**
   * Refuses a request the app's `static auth` (or a method's `auth`) does not
   * let `who` make: 401 UNAUTHORIZED when nobody is signed in, 403 FORBIDDEN
   * for a user without the role.
   */
  /** Whether the app's `static auth` lets `who` in (what {@link admit} checks first). */
  admits(who: Who): boolean {
    return judge(this.access, who.user, who.roles) === "ok";
  }

  /**
   * Undefined, or a promise to wait for before answering a page's call: while
   * this app's broadcasts are backed up on their way to the pubsub (Outbox
   * `room`), for up to 5 s, so that a page emitting faster than the pubsub
   * takes broadcasts is slowed to its pace instead of having them dropped.
   */
  backlog(): Promise<void> | undefined {
    return this.outbox.room(5_000);
  }

  /** Whether the app has a `static auth` rule: its open streams' users are asked for again (mount.ts `recheckUsers`). */
  get guarded(): boolean {
    return this.access !== undefined;
  }

  /** Whether an open stream of `session` may go on for `who`, whom its request now resolves to: admitted, and the session's user. */
  keepsStream(session: Session<A>, who: Who): boolean {
    return this.admits(who) && !switchedUser(session, who.user);
  }

  admit(who: Who, what: string | (() => string), entry?: MethodEntry): void {
    // Checked on every call: nothing is built unless a rule refuses.
    this.refuseUnless(this.access, who, what, this.spec.name);
    if (entry?.options.auth !== undefined) this.refuseUnless(entry.options.auth, who, what, `${this.spec.name}.${entry.method}`);
  }

  private refuseUnless(access: Access | undefined, who: Who, what: string | (() => string), whose: string): void {
    const verdict = judge(access, who.user, who.roles);
    if (verdict === "ok") return;
    const where = typeof what === "function" ? what() : what;
    if (verdict === "signin") throw new SessionError("UNAUTHORIZED", `${where} refused: ${whose} requires a signed-in user, and this request has none. Sign in first (createServer's authenticate resolves the user).`);
    const roles = typeof access === "string" ? [access] : (access as readonly string[]);
    throw new SessionError("FORBIDDEN", `${where} refused: ${whose} requires the role ${roles.map((r) => JSON.stringify(r)).join(" or ")}, which this user does not have.`);
  }

  /** A live session, for code that drives the hub without HTTP (`revue/testing`, tests). */
  async createSession(owner = ""): Promise<Session<A>> {
    const { session } = await this.open(owner, (view) => view.firstTree());
    this.wake(session);
    return session;
  }

  /**
   * The session `sid` of the browser whose token hashes to `owner`: refused
   * with 404 if the store does not know it (unknown, expired, or another
   * app's), 403 if it belongs to another browser.
   */
  async find(sid: string, owner: string, where: string): Promise<Session<A>> {
    const record = await this.store.get(sid);
    const local = this.byId.get(sid);
    if (!record || record.app !== this.prefix) {
      if (local) await this.end(local, "expired");
      throw sessionNotFound(sid);
    }
    if (record.owner !== owner) {
      throw new SessionError("FORBIDDEN", `${where}: session ${sid.slice(0, 6)}… belongs to another browser (its cookie is missing or different). Reload the page to get your own session.`);
    }
    // Known to the store but not alive here: another process's, or lost in a restart.
    if (!local) throw sessionNotFound(sid);
    return local;
  }

  /** The session with this id in this process, if any (no store check: for tests and tools). */
  get(sid: string): Session<A> | undefined {
    return this.byId.get(sid);
  }

  /** Every session of this process. */
  sessions(): IterableIterator<Session<A>> {
    return this.byId.values();
  }

  get size(): number {
    return this.byId.size;
  }

  /** What this app's sessions hold now and did so far (`srv.stats()`; one walk over its sessions). */
  stats(roomNames = false): AppStats {
    return this.meter.read(this.byId.values(), this.rooms, roomNames);
  }

  /**
   * Ends a session: the one call that releases everything (its stream gets a
   * final `bye` with `reason`, its calls and handlers stop, its rooms, uploads
   * and store record go).
   */
  async end(session: Session<A>, reason: "expired" | "evicted" | "shutdown" | "moved" | "replaced", deleteRecord = true): Promise<void> {
    if (session.state === "ended") return;
    this.forget(session);
    await session.end(reason);
    if (deleteRecord) await this.store.delete(session.sid).catch((err) => this.logger.error(`[revue] ${this.spec.name}: deleting session ${session.sid.slice(0, 6)}… from the store failed:`, err));
  }

  /** @internal The pool's eviction. */
  evict(session: Session): Promise<void> {
    return this.end(session as Session<A>, "evicted");
  }

  /**
   * @internal The pool's expiry round: a connected session's record is kept
   * alive, any other is read; a session whose record is gone (expired, or
   * deleted by someone: a sign-out everywhere) ends, one store call each.
   */
  async expire(): Promise<void> {
    for (const s of [...this.byId.values()]) {
      const exists = s.connected ? await this.keepAlive(s) : (await this.store.get(s.sid)) !== undefined;
      if (!exists) await this.end(s, "expired", false);
    }
  }

  /** Attaches a page's stream: replays what it missed after `lastSeen`, or sends a snapshot; runs `connect` handlers. */
  connect(session: Session<A>, sink: Sink, lastSeen?: number): void {
    const { stream, view } = session;
    // The page shows a tree this session sent in an earlier life (restored in a new process after a
    // restart, or hibernated): an `init` would replace it, and with it what the visitor typed and did not
    // send. The page is told to start its session afresh instead (`bye: expired`): it asks for it by id
    // (POST /api/session, `reissue`), keeping the session's state, and first sends what its forms hold.
    if (lastSeen !== undefined && lastSeen > 0 && view.cold) {
      stream.attach(sink);
      stream.end({ type: "bye", reason: "expired" });
      return;
    }
    this.wake(session);
    const replay = lastSeen !== undefined && stream.canReplayFrom(lastSeen);
    stream.attach(sink, replay ? lastSeen : undefined);
    if (!replay || view.needsInit || session.lacksCalls) this.sendSnapshot(session);
    if (session.lacksCalls) {
      // The page has what ran (the init's ack): calls it still holds come now, or not at all.
      session.lacksCalls = false;
      session.calls.awaitPage(this.limits.calls.gapMs);
    }
    // Handlers ran while the stream was closed (renders wait for it, see SessionRenderer): what they changed is sent now.
    // So is the address, when the page's does not read as its @url fields (`?page=abc` left `page` at 1): a patch corrects it.
    if (this.renderer.isDirty(session) || (this.spec.url.size && addressChange(session.instance, this.spec, session.urlDefaults!, session.url.query))) this.renderer.schedule(session);
    session.markActive();
    this.renew(session);
    void this.lifecycle(session, "connect");
  }

  /** A page's stream closed; returns false when it had already been replaced by a newer one. */
  disconnect(session: Session<A>, sink: Sink): boolean {
    if (!session.stream.detach(sink)) return false;
    session.markActive();
    if (session.state !== "ended") {
      this.store.touch(session.sid, this.limits.sessionTtlMs).catch((err) => this.renewFailed(session, err));
      void this.lifecycle(session, "disconnect");
    }
    return true;
  }

  /** The session's current page as an `init` (for `revue/testing`'s first document). */
  snapshotTree(session: Session<A>): { rev: number; tree: Node } {
    this.wake(session);
    const { message } = session.view.snapshot(session.calls.ackedSeq);
    return { rev: message.rev, tree: (message as { tree: Node }).tree };
  }

  // ------------------------------------------------------------ calls

  /**
   * Runs a call of the page under the sequence rules. Throws (synchronously
   * refused, its seq left usable) for an unknown method, bad arguments or a
   * lifecycle event name; throws the queue's SEQ_* or TOO_MANY_CALLS errors.
   * Otherwise returns the call's outcome: for an rpc, the JSON body to answer
   * with; for realtime calls and emits, acceptance (their failures go to the
   * page as `error` messages).
   */
  call(session: Session<A>, call: PageCall): Promise<unknown> {
    let entry: MethodEntry | undefined;
    let field = false;
    let recover = false;
    let nav = false;
    let leaving = false;
    let args: unknown[];
    // Refused before it runs, its seq left unused in the snapshot the session leaves with: the page sends it again, and
    // the next holder runs it once. (A call run here meanwhile was not in the snapshot: it ran twice; a seq passed by
    // as refused was in it: the retry got SEQ_EXPIRED and the click was lost.)
    this.assertOpen();
    if (session.handover) throw new SessionError("SERVER_CLOSING", `${this.spec.name}: session ${session.sid.slice(0, 6)}… is moving to another server; send the call again (the page does).`);
    try {
      if (call.kind === "emit") assertCustomEvent(call.name, "rv.emit");
      else if (call.kind === "realtime" && call.name === SET_FIELD_NAME) field = true;
      else if (call.kind === "realtime" && call.name === RECOVER_NAME) recover = true;
      else if (call.kind === "rpc" && call.name === NAV_NAME) nav = true;
      else {
        entry = (call.kind === "rpc" ? this.spec.rpc : this.spec.realtime).get(call.name);
        if (!entry) throw this.unknownMethod(call.name, call.kind);
      }
      // A method is applied to its args: tens of thousands of them overflow the stack inside the app's method.
      if (call.args.length > MAX_ARGS) {
        throw new SessionError("INVALID_ARGS", `${this.spec.name}.${call.name}: ${call.args.length} arguments; a call takes at most ${MAX_ARGS}. Pass a list as one argument (an array) instead.`);
      }
      args = session.uploads.resolve(call.args, `${this.spec.name}.${call.name}`);
      if (nav) {
        const target = checkedPath(args[0]);
        if (!target) throw new SessionError("INVALID_ARGS", `${this.spec.name}: ${NAV_NAME} needs a path of this server (such as "/items/42?tab=2"), got ${JSON.stringify(args[0])?.slice(0, 80)}.`);
        args = [target];
        // Leaving for another app, or a page load, tells nothing and changes nothing here: a page whose user signed out may always leave.
        leaving = this.routes(target.pathname)?.prefix !== this.prefix;
      }
      // Checked here, at the edge: a refused call leaves its seq usable, and the method only ever sees valid arguments.
      if ((this.access !== undefined || entry?.options.auth !== undefined) && !leaving) this.admit(call.who ?? session.who, () => `${this.spec.name}: ${callOf(call.kind, call.name, args)}`, entry);
      if (call.who && !leaving) this.assertSameUser(session, call.who);
      if (field) this.knowField(session, args);
      if (recover) args = [checkRecovered(this.spec.name, args[0])];
      const schemas = entry?.options.schemas;
      if (schemas) args = validateArgs(`${this.spec.name}.${entry!.method}`, schemas, args, call.kind === "realtime");
    } catch (err) {
      session.calls.refuse(call.seq);
      if (!leaving && !nav && this.access !== undefined && judge(this.access, (call.who ?? session.who).user, (call.who ?? session.who).roles) !== "ok") this.reload(session);
      // A click (or a typed event) a method refused to nobody: the visitor signs in, then comes back. An rpc's caller hears the 401 itself.
      else if (this.signIn && call.kind === "realtime" && (err as RevueError | undefined)?.code === "UNAUTHORIZED") {
        const to = signInAddress(this.signIn, addressOf(this.prefix, session.url));
        if (to) this.sendTo(session, to, false);
      }
      throw err;
    }
    // A page leaving an app its user may no longer use (signed out, then sent elsewhere) keeps the
    // user it had here: the app never renders for someone its `static auth` refuses.
    // Nor does a page leaving take the session for another user who signed in meanwhile (its calls until it ends would be theirs).
    if (call.who && !switchedUser(session, call.who.user) && (!leaving || judge(this.access, call.who.user, call.who.roles) === "ok")) session.who = call.who;
    this.wake(session);
    session.markActive();
    this.renew(session);
    const run = nav ? () => this.navigated(session, args[0] as URL)
      : call.kind === "rpc" ? () => this.runRpc(session, entry!, args, call.seq)
      : field ? () => this.setField(session, args, call.seq)
      : recover ? () => session.instance.recoverForms(args[0] as RecoveredForms)
      : entry ? () => (call.kind === "realtime" && typedInto(args) && this.renderer.fieldChanged(session), this.invoke(session, entry, args))
      : () => this.runHandlers(session, call.name, call.data);
    // A field's new value is shown before the next call runs (see SessionRenderer.beforeCall).
    const { outcome, retry } = session.calls.submit(call, () => (this.renderer.beforeCall(session), nav || !session.strayed ? run() : this.strayedCall(session)));
    // Several processes: an rpc's answer, the first try's or a retry's, waits for a snapshot that holds the call's effect,
    // so no crash can undo an answered call.
    // A call that ended before the session was handed over is in the snapshot it left with: its answer stands.
    const answer = () => (this.cluster ? outcome.then((body) => session.calls.enqueue(() => this.persist(session)).then(() => body, (err) => (session.handover === "saved" ? body : Promise.reject(err)))) : outcome);
    if (retry) return call.kind === "rpc" ? answer() : Promise.resolve();
    this.meter.messagesIn[call.kind]++;
    // What a large call brings may stay in the state: counted at once, until the session is weighed again (pool.ts), so
    // that a script filling sessions faster than they are weighed meets the budget within a round (attack probe).
    if (call.bytes > LARGE_CALL_BYTES) session.stateBytes += call.bytes * HEAP_PER_STATE_CHAR;
    if (call.kind === "rpc") {
      outcome.then(() => this.renderer.schedule(session), () => this.renderer.schedule(session));
      return answer();
    }
    outcome.then(
      (value) => {
        if (call.kind === "realtime" && value !== undefined) this.warnOnce(entry!);
        this.renderer.schedule(session);
      },
      (err) => {
        const what = `${this.spec.name}.${entry?.method ?? (field ? SET_FIELD_NAME : recover ? "recoverForms" : `on("${call.name}")`)}`;
        const { code, message, id } = this.expose(err, what, `a ${call.kind} call (seq ${call.seq})`);
        this.send(session, { type: "error", seq: call.seq, code, message, ...(id ? { id } : {}) });
        this.renderer.schedule(session);
      },
    );
    return Promise.resolve();
  }

  /**
   * An rpc's run: its result as the JSON body to answer with. A failure is
   * worded here, once, by `exposeError` (an unexpected exception becomes
   * RPC_ERROR, hidden in production), and the route sends it as it is.
   */
  private async runRpc(session: Session<A>, entry: MethodEntry, args: unknown[], seq: number): Promise<string> {
    const what = `${this.spec.name}.${entry.method}`;
    try {
      const value = await this.invoke(session, entry, args);
      // A function or a symbol has no JSON: stringified, the answer would lack its `result`.
      if (typeof value === "function" || typeof value === "symbol") throw new UsageError(`${what} returned a ${typeof value}, which is not JSON. Return plain data: objects, arrays, strings, numbers, booleans, null.`);
      try {
        // In development, a Map or a Set in the result (JSON makes it `{}`) is said once per method.
        const json = JSON.stringify(value === undefined ? null : value, this.production || this.warned.has(`${entry.method}\0json`) ? undefined : this.mapsSaid(entry));
        return `{"result":${json ?? "null"}}`; // (undefined: a toJSON that returned nothing)
      } catch (err) {
        throw new UsageError(`${what} returned a value that is not JSON (${thrownMessage(err)}). Return plain data: objects, arrays, strings, numbers, booleans, null.`);
      }
    } catch (err) {
      throw new Exposed(this.expose(err, what, `an rpc (seq ${seq})`, "RPC_ERROR"), err);
    }
  }

  /** What a failure of `what` shows the page (see `exposeError`); a bug or an unexpected exception is logged with its id. */
  private expose(err: unknown, what: string, during: string, code?: ErrorCode) {
    return exposeError(err, { production: this.production, what, code, log: (id, e) => this.repeats.error(`${what}\0${(e as Error)?.name}`, `[revue] ${what} failed while handling ${during} (error ${id}):`, e) });
  }

  /**
   * The page moved to `target` (`rv.nav`): within this app, the session takes
   * its params, query and `@url` fields, its `@server.on("params")` handlers
   * run and its next patch tells the page to scroll as after a page load;
   * another app of this server is named for the page to start a session
   * with; an address no app serves is for a page load. Answers the rpc's body.
   */
  private navigated(session: Session<A>, target: URL): string | Promise<string> {
    const found = this.routes(target.pathname);
    clearTimeout(session.leaving);
    // The page leaves this app for good (Back makes a new session from the address): its session goes once the answer is out.
    const leave = (answer: string) => ((session.leaving = setTimeout(() => void this.end(session, "replaced"), LEFT_MS).unref()), answer);
    // Another app is named only to a user it lets in: anyone else loads the page (its 401 or 403), so a move does not tell a stranger which paths are apps.
    if (!found || found.prefix !== this.prefix) return leave(found && (found.admits?.(session.who) ?? true) ? JSON.stringify({ result: { api: found.prefix } }) : PAGE_LOAD);
    // A navigation within the app after one away (two clicks in one moment, or Back twice): the page stays, so does its session.
    session.leaving = undefined;
    const url: PageUrl = { params: found.params, query: firstValues(target.searchParams) };
    session.url = url;
    if (this.spec.url.size) readAddress(session.instance, this.spec, session.urlDefaults!, url.query, true);
    (session.directions ??= {}).n = 1;
    // `load` reads the data of the address a page shows, and a move shows another: it runs again, then `params` handlers.
    // One that fails (a product that does not exist: RpcError NOT_FOUND) makes the move a page load of the address, which
    // shows that failure as a page load would (its 404 page); the page showed the old item under the new address.
    let failed = false;
    const fail = () => (failed = true);
    const answer = () => ((session.strayed = failed), failed ? leave(PAGE_LOAD) : '{"result":{}}');
    const params = () => (failed ? undefined : this.runHandlers(session, "params", { params: url.params, query: url.query }, 0, fail));
    const loaded = this.loadOnMove(session, fail);
    const running = loaded ? loaded.then(params) : params();
    return running ? running.then(answer) : answer();
  }

  /** A move within the app runs `load` handlers as a page load does, each awaited, up to the first that throws. */
  private loadOnMove(session: Session<A>, failed: () => void): Promise<void> | undefined {
    const entries = this.spec.serverOn.get("load");
    if (!entries) return undefined;
    return (async () => {
      for (const entry of entries) {
        try {
          await this.invoke(session, entry, []);
        } catch (err) {
          return this.handlerFailed(session, "load", entry, err, failed);
        }
      }
    })();
  }

  /** A call that reached a session whose page is loading the address its move failed at (see `Session.strayed`). */
  private strayedCall(session: Session<A>): never {
    throw new SessionError(
      "SESSION_NOT_FOUND",
      `Session ${session.sid.slice(0, 6)}…: its page moved to ${addressOf(this.prefix, session.url)} and the move failed (a load or params handler threw), so the page loads that address; this session runs no more calls. Send them from the loaded page.`,
    );
  }

  /** Runs `@server.on("connect")` (or `"disconnect"`, `"resume"`) handlers of one session, then re-renders. */
  lifecycle(session: Session<A>, event: "connect" | "disconnect" | "resume"): Promise<void> {
    if (!this.spec.serverOn.has(event)) return Promise.resolve();
    if (session.asleep) void session.instance; // revived first: its resume handlers are queued before this
    return session.calls.enqueue(() => this.runHandlers(session, event, undefined)).then(
      () => this.renderer.schedule(session),
      () => this.renderer.schedule(session),
    );
  }

  /**
   * Emits a custom event to every session of this app (or one room), in every
   * process. Static handlers run once, here; `ran`, shared by the apps a
   * server's emit reaches, skips a handler another app ran (a class mounted
   * twice, a subclass mounted beside its parent).
   */
  emit(event: string, data?: unknown, room?: string, ran?: Set<unknown>): void {
    assertCustomEvent(event, "emit");
    let payload: string;
    try {
      payload = JSON.stringify({ event, data, room } satisfies Envelope);
    } catch (err) {
      throw new UsageError(`emit("${event}"): data must be JSON-serialisable (it may cross processes): ${(err as Error).message}`);
    }
    for (const entry of this.spec.staticOn.get(event) ?? []) {
      const fn = (this.appClass as unknown as Record<string, unknown>)[entry.method];
      if (ran?.has(fn)) continue;
      ran?.add(fn);
      void this.callStatic(entry, event, [data]);
    }
    this.outbox.publish(this.channel, payload, event);
  }

  /** What an app's `this.emit` calls: {@link emit}, or the server's emit to every app it serves (see {@link emitsThrough}). */
  private emitter: (event: string, data: unknown, room: string | undefined) => void = (event, data, room) => this.emit(event, data, room);

  /**
   * Sends the emits of this app's sessions (`this.emit`, `this.to(room).emit`)
   * through `emit`: `createServer` passes its own when it serves several apps,
   * so that an emit reaches every app's sessions, as the server handle's does.
   */
  emitsThrough(emit: (event: string, data: unknown, room: string | undefined) => void): void {
    this.emitter = emit;
  }

  /** Resolves once every session's queue is idle and pending renders are flushed (tests, shutdown). */
  async settle(): Promise<void> {
    for (let round = 0; round < 10; round++) {
      this.presence.flush(); // its diffs now, not a batch later
      await new Promise((r) => setImmediate(r));
      await Promise.all([...this.byId.values()].map((s) => s.calls.whenIdle()));
      await this.renderer.flush();
      if ([...this.byId.values()].every((s) => s.calls.idle)) return;
    }
  }

  // ------------------------------------------------------------ snapshots

  /**
   * The session as JSON-safe data: its app state (minus `@transient` fields),
   * rooms, seq window and revision. Throws a `SnapshotError` naming the class
   * and the field when a field cannot be saved.
   *
   * @example
   * const saved = JSON.stringify(hub.snapshot(session));
   * const back = await hub.restore(JSON.parse(saved));
   */
  snapshot(session: Session<A>): SessionSnapshot {
    return {
      v: 1,
      sid: session.sid,
      app: this.prefix,
      owner: session.owner,
      state: session.asleep ? (JSON.parse(session.savedState!) as StateRecord) : captureState(session.instance, this.spec),
      rooms: [...session.rooms],
      ...this.presenceOf(session),
      seq: session.calls.window(),
      rev: session.view.rev,
      ...(session.view.servedPage ? { page: session.view.servedPage } : {}),
      ...(session.url !== NO_URL ? { url: session.url } : {}),
      ...(session.cookies ? { cookies: session.cookies } : {}),
      ...(session.userKey !== undefined ? { user: session.userKey } : {}),
      // Every broadcast received was handled unless some wait in its queue: then, the last it handled.
      events: session.behind ? session.eventOffset : this.lastOffset,
    };
  }

  /**
   * Brings a saved session back as a live session of this process: a new
   * instance with the saved state, rooms and seq window; `@server.on("resume")`
   * handlers run to rebuild `@transient` fields; its page gets an `init`.
   * The store must still know the session (or gets it again, with `record: true`).
   */
  async restore(saved: SessionSnapshot, options: { record?: boolean; lease?: Lease } = {}): Promise<Session<A>> {
    this.assertOpen();
    if (saved?.v !== 1 || typeof saved.sid !== "string" || typeof saved.owner !== "string") {
      throw new SessionError("BAD_REQUEST", `${this.spec.name}: restore() needs a snapshot made by hub.snapshot() (version 1), got ${JSON.stringify(saved)?.slice(0, 80)}.`);
    }
    if (saved.app !== this.prefix) {
      // Another app's state would land on this class's instance, and the store would file the session under this app.
      throw new SessionError(
        "BAD_REQUEST",
        `${this.spec.name}: the snapshot of session ${saved.sid.slice(0, 6)}… belongs to the app mounted at ${JSON.stringify(saved.app)}, and this hub serves ${JSON.stringify(this.prefix)}. ` +
          `Restore it with that app's hub: srv.hubs.get(${JSON.stringify(saved.app)}).`,
      );
    }
    if (this.byId.has(saved.sid)) throw new SessionError("BAD_REQUEST", `${this.spec.name}: session ${saved.sid.slice(0, 6)}… is already live in this process.`);
    const session = this.make(saved.sid, saved.owner);
    if (saved.url) session.url = saved.url;
    if (saved.cookies) session.cookies = saved.cookies;
    if (typeof saved.user === "string") session.userKey = saved.user;
    if (saved.events) session.eventOffset = saved.events;
    try {
      restoreState(session.instance, saved.state, this.spec);
      for (const room of saved.rooms) session.instance.join(room);
      this.presence.restore(saved.sid, saved.presence ?? []);
      session.calls.resume(saved.seq);
      session.view.resume(saved.rev, saved.page);
      if (options.record) await this.store.create({ sid: saved.sid, app: this.prefix, owner: saved.owner, createdAt: Date.now() }, this.limits.sessionTtlMs);
    } catch (err) {
      this.forget(session);
      void session.end("expired");
      throw err;
    }
    session.lease = options.lease;
    // Broadcasts that arrive while it catches up wait, so that they follow the ones it missed.
    if (saved.events) this.catchingUp.set(session, []);
    this.byId.set(session.sid, session);
    this.pool.live++;
    session.promote();
    await this.lifecycle(session, "resume");
    if (saved.events) await this.catchUp(session, saved.events);
    return session;
  }

  /**
   * Delivers to a restored session the broadcasts it missed since `from` (those
   * for all sessions or one of its rooms), then those that arrived meanwhile.
   * When the log no longer reaches back that far, the page gets a fresh snapshot
   * instead, and the loss is logged.
   */
  private async catchUp(session: Session<A>, from: string): Promise<void> {
    const upTo = this.lastOffset;
    let missed: Array<{ offset: string; message: string }> | undefined;
    try {
      missed = await this.pubsub.since(this.channel, from);
    } catch (err) {
      this.logger.error(`[revue] ${this.spec.name}: catching session ${session.sid.slice(0, 6)}… up failed:`, err);
    }
    if (!missed) {
      this.logger.warn(`[revue] ${this.spec.name}: session ${session.sid.slice(0, 6)}… missed broadcasts older than the pubsub's log keeps; its page gets a fresh snapshot.`);
      session.view.hibernate();
      this.renderer.schedule(session);
    }
    for (const { offset, message } of missed ?? []) {
      if (compareOffsets(offset, upTo) > 0) break; // the live subscription has it
      const env = parseEnvelope(message);
      if (env && (env.room === undefined || session.rooms.has(env.room))) this.deliver(session, env, offset, this.handles(env.event));
    }
    const arrived = this.catchingUp.get(session) ?? [];
    this.catchingUp.delete(session);
    for (const [env, offset] of arrived) this.deliver(session, env, offset, this.handles(env.event));
  }

  // ------------------------------------------------------------ several processes

  /**
   * Where the session `sid` of this browser lives: here (returned), or on
   * another live node (its name, to forward the request to). A session held by
   * no live node is taken over here from its last snapshot.
   */
  async route(sid: string, owner: string, where: string): Promise<{ session: Session<A> } | { node: string }> {
    if (!this.cluster) return { session: await this.find(sid, owner, where) };
    const local = this.byId.get(sid);
    const saved = await this.store.load(sid);
    if (!saved || saved.record.app !== this.prefix) {
      if (local) await this.end(local, "expired");
      throw sessionNotFound(sid);
    }
    if (saved.record.owner !== owner) {
      throw new SessionError("FORBIDDEN", `${where}: session ${sid.slice(0, 6)}… belongs to another browser (its cookie is missing or different). Reload the page to get your own session.`);
    }
    const holder = saved.holder;
    if (local && holder?.node === this.cluster.node && holder.token === local.lease?.token) return { session: local };
    // One decision at a time per session here: calls that arrive together for a session whose holder
    // died each took it over, each claim fencing the copy the one before restored, and calls answered 202 were lost.
    let deciding = this.moving.get(sid);
    if (!deciding) {
      deciding = this.relocate(sid).finally(() => this.moving.delete(sid));
      this.moving.set(sid, deciding);
    }
    return deciding;
  }

  /** Sessions whose holder {@link relocate} is deciding, by id: a call that needs it meanwhile waits for that decision. */
  private readonly moving = new Map<string, Promise<{ session: Session<A> } | { node: string }>>();

  /**
   * Where a session not held here goes, from the store read afresh (a read
   * made before a concurrent call took the session over here is stale): the
   * copy here if it holds the lease now, its live holder, or a takeover here.
   */
  private async relocate(sid: string): Promise<{ session: Session<A> } | { node: string }> {
    const node = this.cluster!.node;
    const local = this.byId.get(sid);
    const saved = await this.store.load(sid);
    if (!saved || saved.record.app !== this.prefix) {
      if (local) await this.end(local, "expired");
      throw sessionNotFound(sid);
    }
    const holder = saved.holder;
    if (local && holder?.node === node && holder.token === local.lease?.token) return { session: local };
    if (local) await this.end(local, "moved", false); // another node took it: this copy is stale
    if (holder && holder.node !== node && (await this.cluster!.alive(holder.node))) return { node: holder.node };
    return { session: await this.takeOver(saved, holder !== undefined) };
  }

  /**
   * The session `sid` of this browser, here: a session another live node
   * holds is handed over first (the page's stream, or an upload, brings it).
   */
  async acquire(sid: string, owner: string, where: string): Promise<Session<A>> {
    const found = await this.route(sid, owner, where);
    if ("session" in found) return found.session;
    await this.cluster!.request(found.node, { app: this.prefix, op: "handoff", sid }).catch(ifNodeDown);
    const again = await this.route(sid, owner, where);
    if ("session" in again) return again.session;
    throw new SessionError("SERVER_CLOSING", `${where}: session ${sid.slice(0, 6)}… is being moved between servers; try again in a moment.`);
  }

  /**
   * Runs a call on the node that holds its session; resolves with the HTTP
   * answer that node gave. When that node dies while the call waits, the
   * session is taken over here and the call runs here (under its seq: a call
   * the snapshot shows done answers from it, and is not run again).
   */
  async forward(node: string, sid: string, owner: string, call: PageCall): Promise<{ status: number; body: string; retryAfterMs?: number }> {
    // As long as the holder beats, the call may take as long as a handler may; its death is noticed sooner (NodeDownError).
    const timeoutMs = this.limits.calls.timeoutMs + this.cluster!.requestTimeoutMs;
    const reply = await this.cluster!.request(node, { app: this.prefix, op: "call", sid, owner, call }, timeoutMs).catch(ifNodeDown);
    if (reply) return { status: reply.status as number, body: reply.body as string, ...(typeof reply.retryAfterMs === "number" ? { retryAfterMs: reply.retryAfterMs } : {}) };
    const found = await this.route(sid, owner, "forwarded call");
    if ("node" in found) throw new UnavailableError(`session ${sid.slice(0, 6)}… moved to node ${found.node} while its call waited; try the call again.`, { retryAfterMs: 250 });
    return this.runHere(found.session, call);
  }

  /** Runs a call of a session held here, answered as the route would. */
  private async runHere(session: Session<A>, call: PageCall): Promise<{ status: number; body: string }> {
    const outcome = await this.call(session, call);
    return call.kind === "rpc" ? { status: 200, body: outcome as string } : { status: 202, body: '{"ok":true}' };
  }

  /** Answers another node's request: a forwarded call, or a session to hand over. */
  private async answer(req: NodeRequest): Promise<NodeReply> {
    const sid = String(req.sid);
    if (req.op === "handoff") {
      const session = this.byId.get(sid);
      if (session) await this.letGo(session);
      return { ok: true };
    }
    if (req.op === "call") {
      try {
        const found = await this.route(sid, String(req.owner), "forwarded call");
        if (!("session" in found)) throw new SessionError("SERVER_CLOSING", `session ${sid.slice(0, 6)}… moved again; try the call again.`);
        return await this.runHere(found.session, req.call as PageCall);
      } catch (err) {
        const wire = this.expose(err, `${this.spec.name}.${String((req.call as PageCall | undefined)?.name)}`, "a forwarded call");
        const retryAfterMs = err instanceof RevueError ? err.retryAfterMs : undefined;
        return { status: wire.status, body: JSON.stringify({ error: { code: wire.code, message: wire.message, ...(wire.id ? { id: wire.id } : {}) } }), ...(retryAfterMs ? { retryAfterMs } : {}) };
      }
    }
    throw new SessionError("BAD_REQUEST", `node request "${req.op}" is not one this server knows.`);
  }

  /** Restores a session held by no live node from its last snapshot, under a lease of this node. */
  private async takeOver(saved: SavedSession, steal: boolean): Promise<Session<A>> {
    const sid = saved.record.sid;
    if (!saved.snapshot) throw sessionNotFound(sid); // never saved (a page served and lost with its node): the page starts over
    const lease = await this.store.claim(sid, this.cluster!.node, LEASE_MS, steal);
    if (!lease) throw new SessionError("SERVER_CLOSING", `session ${sid.slice(0, 6)}… is being taken over by another server; try again in a moment.`);
    const existing = this.byId.get(sid);
    if (existing) return existing; // restored meanwhile by a concurrent request
    const session = await this.restore(JSON.parse(saved.snapshot) as SessionSnapshot, { lease });
    if (steal) {
      // Its holder died: it may have accepted calls it never saved, which only the page can send again.
      session.calls.awaitPage(RESTORED_GAP_MS); // until its page reconnects (see connect)
      session.lacksCalls = true;
    }
    return session;
  }

  /** Saves a session and gives it up here (shutdown, or another node asked for it); its page reconnects to the next holder. */
  private letGo(session: Session<A>): Promise<void> {
    if (session.state === "ended") return Promise.resolve();
    let going = this.handing.get(session);
    if (!going) this.handing.set(session, (going = this.handOver(session).finally(() => this.handing.delete(session))));
    return going;
  }

  /** Each session's {@link letGo} in progress: a second request for it waits for the first. */
  private readonly handing = new WeakMap<Session<A>, Promise<void>>();

  private async handOver(session: Session<A>): Promise<void> {
    const deadline = Date.now() + this.limits.calls.timeoutMs;
    try {
      // Calls go on while those running finish (refused all along, an rpc behind a slow handler gave up after its 5 tries),
      // then new ones are refused until the snapshot holding every call run here is saved.
      await within(session.calls.whenIdle(), deadline);
      session.handover = "saving";
      await within(session.calls.whenIdle(), deadline);
      const lease = session.lease;
      if (lease && (session.state as string) !== "ended") {
        await this.persist(session);
        // A store that did not take it (a retry is scheduled) keeps the session here: moved, the calls answered since its last save would be undone.
        if (this.unsaved.has(session)) throw new SessionError("UNAVAILABLE", `session ${session.sid.slice(0, 6)}… could not be saved to move it; it stays on node ${this.cluster!.node} for now.`, { retryAfterMs: 1_000 });
        session.handover = "saved";
        await this.store.release(session.sid, lease);
      }
    } catch (err) {
      session.handover = undefined; // not handed over: it stays here, taking calls
      throw err;
    }
    await this.end(session, "moved", false);
  }

  /**
   * Saves the session's snapshot under its lease, and holds its messages back
   * until the store has it, so that no page sees a state a crash could undo.
   * Call it where the state is consistent: between handlers (a render task).
   * A lost lease means another node took the session: this copy ends.
   */
  /** Sessions whose last snapshot the store did not take, and those with a retry scheduled (see {@link saveFailed}). */
  private readonly unsaved = new WeakSet<Session<A>>();
  private readonly resaving = new WeakSet<Session<A>>();
  /** Why snapshots could not be made, each logged once. */
  private readonly unsavable = new Set<string>();

  /** The message of a failed snapshot, the first time it is seen (at most 64 are remembered), else undefined. */
  private firstFailure(err: unknown): string | undefined {
    const why = thrownMessage(err);
    if (this.unsavable.has(why) || this.unsavable.size >= 64) return undefined;
    this.unsavable.add(why);
    return why;
  }

  /** Each session's save in flight, and the one that follows it (of the state as it is when the first is done). */
  private readonly saving = new WeakMap<Session<A>, Promise<void>>();
  private readonly savingNext = new WeakMap<Session<A>, Promise<void>>();

  private persist(session: Session<A>): Promise<void> {
    const lease = session.lease;
    if (!this.cluster || !lease || session.state === "ended") return Promise.resolve();
    const running = this.saving.get(session);
    if (running) {
      // One save at a time per session; what changes meanwhile goes in the next, made once this one is done. A save per
      // render made a burst of 50 broadcasts to 1,000 sessions 50,000 saves: the store's queue passed its command timeout,
      // heartbeats with it, and another node took live sessions over.
      let next = this.savingNext.get(session);
      if (!next) {
        const after = () => {
          this.savingNext.delete(session);
          return this.persist(session);
        };
        next = running.then(after, after);
        this.savingNext.set(session, next);
        session.holdUntil(next);
      }
      return next;
    }
    let json: string;
    try {
      json = JSON.stringify(this.snapshot(session));
    } catch (err) {
      // Once per reason (it names the field), not at every save of every session: the log would repeat it per event.
      if (this.firstFailure(err) !== undefined) {
        this.logger.error(`[revue] ${this.spec.name}: session ${session.sid.slice(0, 6)}… cannot be saved, so it cannot move to another server if this one dies (said once per reason):`, err);
      }
      return Promise.resolve();
    }
    const saving = this.store.save(session.sid, lease, json).then(
      (kept) => {
        if (kept) return void this.unsaved.delete(session);
        // Another node took the session (this one was thought dead): what this copy did since is not kept, so it is not reported either.
        if (session.lease === lease) void this.end(session, "moved", false);
        throw new SessionError("SERVER_CLOSING", `session ${session.sid.slice(0, 6)}… moved to another server before this could be saved; send it again.`);
      },
      (err) => this.saveFailed(session, err),
    );
    const done: Promise<void> = saving.finally(() => this.saving.get(session) === done && this.saving.delete(session));
    this.saving.set(session, done);
    session.holdUntil(done);
    return done;
  }

  /**
   * The store did not take a session's snapshot (it is unreachable): the page
   * was answered all the same (an outage must not hang it), so the snapshot is
   * tried again every second until it is saved or the session is gone; the
   * failure is logged once per session until then.
   */
  private saveFailed(session: Session<A>, err: unknown): void {
    if (this.resaving.has(session)) return;
    if (!this.unsaved.has(session)) this.logger.error(`[revue] ${this.spec.name}: saving session ${session.sid.slice(0, 6)}… failed; trying again every second until the store takes it:`, err);
    this.unsaved.add(session);
    const timer = setTimeout(() => {
      this.resaving.delete(session);
      if (session.state === "ended") return void this.unsaved.delete(session);
      void this.persist(session).then(() => this.resaving.has(session) || this.unsaved.delete(session));
    }, 1_000);
    timer.unref();
    this.resaving.add(session);
  }

  /** A snapshot's `presence`, left out when the session tracks none. */
  private presenceOf(session: Session<A>): Pick<SessionSnapshot, "presence"> {
    const presence = this.presence.entriesOf(session.sid);
    return presence.length > 0 ? { presence } : {};
  }

  // ------------------------------------------------------------ internals

  private assertOpen(): void {
    if (this.closing) throw new SessionError("SERVER_CLOSING", `${this.spec.name}: the server is shutting down and takes no new work. The page reconnects to its next instance.`);
  }

  private sessionConfig: SessionConfig | undefined;

  /** A new session object with its app instance (not registered yet). */
  private make(sid: string, owner: string): Session<A> {
    const l = this.limits;
    // One per hub: each session's closures keep it.
    const config = (this.sessionConfig ??= { app: this.spec.name, calls: l.calls, stream: l.stream, uploads: l.uploads, maxQueuedEvents: l.maxQueuedEvents, meter: this.meter, extras: this.extrasOf, renderChanged: this.renderChanged });
    const session: Session<A> = new Session<A>(
      sid,
      owner,
      config,
      this.bind,
      (why) => this.logger.warn(`[revue] ${this.spec.name}: session ${sid.slice(0, 6)}… is too slow; ${why}. It resyncs on reconnect.`),
      (saved): A => this.revive(session, saved),
    );
    // A new session has missed nothing logged before it: a snapshot saved while it waits on a presence diff (which the
    // log does not carry) caught a restored copy up from the log's start, 10,000 old broadcasts (new-user probe).
    session.eventOffset = this.lastOffset;
    try {
      session.instance = constructApp(this.appClass, this.linkFor(session));
      if (this.spec.url.size) session.urlDefaults = urlDefaults(session.instance, this.spec);
    } catch (err) {
      // A constructor that joined rooms (or tracked presence) and then threw leaves no member behind.
      this.rooms.leaveAll(session);
      this.presence.untrackAll(sid);
      throw err;
    }
    return session;
  }

  /**
   * Hibernates a session (the pool's, past the memory budget): its tree goes,
   * and its app state is kept as the JSON of its snapshot instead of the
   * instance. An app whose state cannot be saved hibernates with its instance
   * kept (one warning per app).
   */
  hibernate(session: Session): void {
    if (session.state !== "live" || !session.calls.idle) return;
    let saved: string | undefined;
    if (this.snapshots) {
      try {
        saved = JSON.stringify(captureState(session.instance, this.spec));
        // A state mostly shared with other sessions (a room's messages every session holds) is counted once, by the
        // first session weighed with it: its JSON would be a copy of its own, more than dropping the instance frees.
        if (session.weighedAt >= 0 && saved.length > session.stateBytes) saved = undefined;
      } catch (err) {
        if (err instanceof SnapshotError) {
          this.snapshots = false;
          this.logger.warn(`[revue] ${this.spec.name}: sessions hibernate with their instance kept in memory, because a snapshot failed: ${err.message}`);
        } else {
          // This session's own state threw (a getter of its): it keeps its instance; said once per reason.
          const why = this.firstFailure(err);
          if (why !== undefined) this.logger.warn(`[revue] ${this.spec.name}: a session hibernates with its instance kept in memory, because reading its state threw: ${why}`);
        }
      }
    }
    session.hibernate(saved);
  }

  /**
   * @internal The pool's: estimates the heap an idle session's app state
   * holds, from the length of its snapshot's JSON (objects take about three
   * times their JSON in the heap), leaving out objects another session was
   * weighed with first (shared state is counted once). Not for a state that
   * cannot be saved, nor while a call runs (it would read a half-changed state).
   */
  weigh(session: Session): void {
    if (!session.calls.idle) return; // weighed at its next rest
    session.weighedAt = Date.now();
    if (session.asleep || (session.state !== "live" && session.state !== "pending")) return;
    // Its `@cached({ scope: "session" })` results are its own too (they go when it hibernates).
    const cache = cachedBytes(session.instance);
    const owners = this.owners, sid = session.sid, byId = this.byId;
    // An object is counted by the first session weighed with it: state sessions share (a room's messages pushed to
    // each) is in memory once, and counted N times it made the budget hibernate sessions into N copies of it.
    const othersOwn = (obj: object) => {
      const owner = owners.get(obj);
      if (owner !== undefined && owner !== sid && byId.has(owner)) return true;
      owners.set(obj, sid); // unclaimed, or its owner ended: this session's now
      return false;
    };
    try {
      session.stateBytes = (this.snapshots ? JSON.stringify(captureState(session.instance, this.spec, othersOwn)).length * HEAP_PER_STATE_CHAR : 0) + cache;
    } catch {
      // A state that cannot be saved (a SnapshotError, or a getter of its own that throws) keeps its last weight.
    }
  }

  /** A new instance for a session hibernated as a snapshot: its state restored, its `resume` handlers queued first. */
  private revive(session: Session<A>, saved: string): A {
    const instance = constructApp(this.appClass, this.linkFor(session));
    restoreState(instance, JSON.parse(saved) as StateRecord, this.spec);
    session.instance = instance; // before the handlers, which may start at once
    if (this.spec.serverOn.has("resume")) void session.calls.enqueue(() => this.runHandlers(session, "resume", undefined)).catch(() => {});
    return instance;
  }

  /** Removes a session from every index and count (not from the store). */
  private forget(session: Session<A>): void {
    this.rooms.leaveAll(session);
    this.presence.untrackAll(session.sid);
    this.renderer.cancel(session);
    if (this.byId.get(session.sid) !== session) return; // never registered (a first render that threw)
    this.byId.delete(session.sid);
    if (session.state === "pending") this.pool.pending.delete(session);
    else this.pool.live--;
  }

  /**
   * The page connected or called: a pending session becomes live (within
   * `maxSessions`, making room by ending a live session whose page is not
   * open, else TOO_MANY_SESSIONS), and its packed tree is unpacked
   * before anything changes its state, so what follows is a patch.
   */
  wake(session: Session<A>): void {
    if (session.state === "pending") {
      if (this.pool.live >= this.limits.maxSessions && !this.pool.evictIdleLive()) throw this.pool.refuseNew();
      this.pool.pending.delete(session);
      this.pool.live++;
      this.renew(session);
    }
    // A session hibernated as a snapshot gets its instance back now, so its `resume` handlers run before anything else.
    if (session.asleep) void session.instance;
    const wasPending = session.promote();
    // Before any handler runs here (`connect` first): a served page is checked against the state it was rendered from.
    session.view.warm();
    // Handlers that ran while it was pending (a broadcast) changed what its page should show.
    if (wasPending && this.renderer.isDirty(session)) this.renderer.schedule(session);
  }

  /**
   * Renews the session's record: `sessionTtlMs` from now, or while its stream
   * is open at least {@link CONNECTED_TTL_MS}, so that a stalled event loop
   * cannot expire a page that is still open. Resolves whether the record exists.
   */
  private keepAlive(session: Session<A>): Promise<boolean> {
    const ttl = this.limits.sessionTtlMs;
    return this.store.touch(session.sid, session.connected ? Math.max(ttl, CONNECTED_TTL_MS) : ttl);
  }

  /** {@link keepAlive} in the background: a store that is down costs the record a renewal, never the call or stream that asked for it. */
  private renew(session: Session<A>): void {
    this.keepAlive(session).catch((err) => this.renewFailed(session, err));
  }

  private renewFailed(session: Session, err: unknown): void {
    this.logger.warn(`[revue] ${this.spec.name}: renewing session ${session.sid.slice(0, 6)}…'s record in the store failed (it is renewed again on its next call or reconnect):`, err);
  }

  private sendSnapshot(session: Session<A>): void {
    try {
      const { message, data } = session.view.snapshot(session.calls.ackedSeq);
      this.send(session, message, data);
    } catch (err) {
      this.renderFailed(session, err);
    }
  }

  /** A render threw: the page keeps its last state and is told (in production without the details). */
  private renderFailed(session: Session, err: unknown): void {
    const { code, message, id } = this.expose(err, `${this.spec.name}.render()`, `session ${session.sid.slice(0, 6)}… (the page keeps its last state)`);
    this.send(session, { type: "error", code, message, ...(id ? { id } : {}) });
  }

  private send(session: Session, message: ServerMessage, data?: string): void {
    session.send(message, data);
    this.deliverTo?.(session, message);
  }

  private receive(raw: string, offset: string): void {
    this.lastOffset = offset;
    const env = parseEnvelope(raw);
    if (!env) return void this.logger.warn(`[revue] ${this.spec.name}: ignored a malformed pubsub message on ${this.channel}.`);
    this.fanOut(env, offset);
  }

  /**
   * A presence diff of this node's merged view: static handlers once here,
   * then the sessions of this node that follow its topic (per-session
   * handlers, a re-render, the page's `rv.on("presence")`): those tracking in
   * it and those in the room of that name. Any other page, of this app or
   * another, hears nothing of who is where (topics, keys and metas are the
   * app's data; a user's key may be their email).
   */
  private presenceChanged(diff: PresenceDiff): void {
    for (const entry of this.spec.staticOn.get("presence") ?? []) void this.callStatic(entry, "presence", [diff]);
    const followers = new Set(this.rooms.of(diff.topic));
    for (const sid of this.presence.trackersOf(diff.topic)) {
      const session = this.byId.get(sid);
      if (session) followers.add(session);
    }
    if (followers.size > 0) this.fanOut({ event: "presence", data: diff }, undefined, followers);
  }

  /**
   * Delivers an event to this process's sessions (all, one room's, or
   * `targets`); a broadcast from the pubsub's log carries its `offset`. A session still
   * catching up gets it after what it missed.
   */
  private fanOut(env: Envelope, offset?: string, targets: Iterable<Session<A>> = env.room === undefined ? this.byId.values() : this.rooms.of(env.room)): void {
    // Per broadcast, not per session: these map lookups cost ≈ 100 instructions a message (callgrind, 2,000 sessions).
    const handled = this.handles(env.event);
    const catchingUp = this.catchingUp.size > 0;
    for (const session of targets) {
      const waiting = catchingUp ? this.catchingUp.get(session) : undefined;
      if (waiting) waiting.push([env, offset]);
      else this.deliver(session, env, offset, handled);
    }
  }

  /** Whether anything runs on `event`: a per-session or a static handler (a static one may change what every page shows). */
  private handles(event: string): boolean {
    return this.spec.serverOn.has(event) || this.spec.staticOn.has(event);
  }

  /** Delivers one event to one session: the page's `event` message, then the session's handlers and a render. */
  private deliver(session: Session<A>, env: Envelope, offset: string | undefined, handled: boolean): void {
    // One message object per broadcast would let the stream layer serialise it once; the envelope keeps it.
    const message = (env.message ??= { type: "event", event: env.event, data: env.data });
    // Nothing queued and nothing to run: delivered now, in order (the common fan-out: 2,000 sessions, no handler).
    if (!handled && session.calls.idle) {
      this.send(session, message);
      if (offset) session.eventOffset = offset;
      return;
    }
    if (handled && session.asleep) void session.instance; // revived first: its resume handlers are queued before these
    const queued = session.queueBroadcast(
      () => {
        if (offset) session.eventOffset = offset;
        if (!handled) return this.send(session, message);
        // The `event` frame and the patch its handlers cause (when they are synchronous) in one write.
        session.stream.cork();
        try {
          this.send(session, message);
          const running = this.runHandlers(session, env.event, env.data);
          if (!running) return this.renderer.renderInTask(session);
          return running.then(() => this.renderer.schedule(session));
        } finally {
          session.stream.uncork();
        }
      },
      () => this.renderer.schedule(session),
    );
    if (queued === "overflow") {
      this.logger.warn(`[revue] ${this.spec.name}: session ${session.sid.slice(0, 6)}… cannot keep up with broadcasts (over ${this.limits.maxQueuedEvents} queued); it drops them, and its page gets the current state afresh once it catches up.`);
    }
  }

  /**
   * Runs every per-session handler of `event` in turn; a throwing handler is
   * logged and the others still run. Synchronous while the handlers are (a
   * promise only once one returns one): a broadcast to thousands of sessions
   * then costs no promise, and no timeout timer, per session.
   */
  private runHandlers(session: Session<A>, event: string, data: unknown, from = 0, failed?: () => void): void | Promise<void> {
    const entries = this.spec.serverOn.get(event);
    if (!entries) return;
    const args = event === "connect" || event === "disconnect" || event === "resume" ? [] : [data];
    for (let i = from; i < entries.length; i++) {
      const entry = entries[i]!;
      let result: unknown;
      try {
        result = this.invoke(session, entry, args);
      } catch (err) {
        this.handlerFailed(session, event, entry, err, failed);
        continue;
      }
      if (isThenable(result)) {
        return Promise.resolve(result).then(
          () => this.runHandlers(session, event, data, i + 1, failed),
          (err) => (this.handlerFailed(session, event, entry, err, failed), this.runHandlers(session, event, data, i + 1, failed)),
        );
      }
    }
  }

  /**
   * Runs a new session's `@server.on("load")` handlers in turn, each awaited,
   * before its first render; the first that throws fails the page load with
   * its error (an `RpcError("NOT_FOUND", …)` is a 404 page).
   */
  private async load(session: Session<A>): Promise<void> {
    for (const entry of this.spec.serverOn.get("load")!) await this.invoke(session, entry, []);
  }

  /** Logs a handler's failure; with `failed` (the caller answers for it), a `RevueError` thrown on purpose is its answer, not logged. */
  private handlerFailed(session: Session<A>, event: string, entry: MethodEntry, err: unknown, failed?: () => void): void {
    failed?.();
    if (failed && err instanceof RevueError) return;
    this.repeats.error(`${entry.method}\0${event}\0${(err as Error)?.name}`, `[revue] ${this.spec.name}.${entry.method} threw while handling "${event}" (session ${session.sid.slice(0, 6)}…):`, err);
  }

  private async callStatic(entry: MethodEntry, event: string, args: unknown[]): Promise<void> {
    try {
      await (this.appClass as unknown as Record<string, (...a: unknown[]) => unknown>)[entry.method]!(...args);
    } catch (err) {
      this.logger.error(`[revue] static ${this.spec.name}.${entry.method} threw while handling "${event}":`, tameThrown(err));
    }
  }

  /** Fields a `render()` was seen changing, each warned about once (session.ts, `rendered`). */
  private readonly changedInRender = new Set<string>();
  private readonly renderChanged = (field: string, message: string): void => {
    if (this.changedInRender.has(field) || this.changedInRender.size >= 64) return;
    this.changedInRender.add(field);
    this.logger.warn(message);
  };

  /**
   * What rides on a session's next message besides its tree (View calls it
   * after each render): `@synced` fields that changed (all of them for an
   * `init`), and directions: the address its `@url` fields make, and what
   * handlers asked (navigate, cookies). Nothing at all for an app that uses
   * none of them: one check per render.
   */
  private readonly extrasOf = (session: Session, full: boolean): PageExtras | undefined => {
    const spec = this.spec;
    // An init also repeats a cookie ticket not traded yet: the patch that carried it may be the one the page missed.
    const ticket = full ? session.cookies?.ticket : undefined;
    const t = this.titleOf && this.pageTitle(session, full);
    if (session.directions === undefined && spec.url.size === 0 && spec.synced.size === 0 && ticket === undefined) return t === undefined ? undefined : { t };
    let x = ticket !== undefined ? { ...session.directions, c: ticket } : session.directions;
    if (spec.url.size) {
      const change = addressChange(session.instance, spec, session.urlDefaults!, session.url.query);
      if (change) {
        session.url = { params: session.url.params, query: change.query };
        x = { ...x, u: addressOf(this.prefix, session.url) };
        if (change.push) x.p = 1;
      }
    }
    const s = spec.synced.size ? this.syncedChanges(session, full) : undefined;
    session.directions = undefined;
    return x || s || t !== undefined ? { ...(s ? { s } : {}), ...(x ? { x } : {}), ...(t !== undefined ? { t } : {}) } : undefined;
  };

  /**
   * The session's page title from a `static title` function, noted as the page's; undefined when
   * it is the one the page has (unless `always`: an init, a page served) or the title is fixed.
   * A function that throws or returns no string is a bug of the app's, named (a RenderError).
   */
  pageTitle(session: Session, always = true): string | undefined {
    const titleOf = this.titleOf;
    if (!titleOf) return undefined;
    let text: unknown;
    try {
      text = titleOf(session.instance as App);
    } catch (err) {
      throw new RenderError(`${this.spec.name}.title(app) threw: ${(err as Error)?.message ?? err}. Make it return the page's title from the app's fields.`);
    }
    if (typeof text !== "string") throw new RenderError(`${this.spec.name}.title(app) must return a string (the page's <title>), got ${text === null ? "null" : typeof text}.`);
    if (!always && session.title === text) return undefined;
    return (session.title = text);
  }

  /** The `@synced` fields whose JSON changed since the page last got them (all of them when `full`), noted as sent. */
  private syncedChanges(session: Session, full: boolean): Record<string, unknown> | undefined {
    const app = session.instance as unknown as Record<string, unknown>;
    const sent = (session.syncedJson ??= new Map());
    let out: Record<string, unknown> | undefined;
    for (const field of this.spec.synced) {
      const value = app[field];
      let json: string;
      try {
        json = JSON.stringify(value) ?? "null";
      } catch (err) {
        throw new UsageError(`${this.spec.name}.${field} is @synced, and its value is not JSON (${(err as Error).message}). Keep plain data in it: objects, arrays, strings, numbers, booleans, null.`);
      }
      if (!full && sent.get(field) === json) continue;
      sent.set(field, json);
      const lost = this.warned.has(`@synced ${field}`) ? undefined : lostInJson(value, 0);
      if (lost) {
        this.warned.add(`@synced ${field}`);
        this.logger.warn(
          `[revue] ${this.spec.name}.${field} is @synced and holds a ${lost}, which JSON turns into {}: the page's rv.state.${field} loses its entries. ` +
            `Keep an array (or an object) in it instead, e.g. [...set] or Object.fromEntries(map). (Said once.)`,
        );
      }
      (out ??= {})[field] = value === undefined ? null : value;
    }
    return out;
  }

  /**
   * What a new session's `load` asked of its page load (a `GET`, answered
   * with HTML): the cookies it set, which go with that answer, and the
   * address it sent the page to (`redirect`, `navigate`), which the page load
   * answers with a redirect instead; that session then ends (the address
   * makes its own). A live navigation or a restart's `POST /api/session`
   * keeps them for the page's runtime, as any handler's.
   */
  takeFirstDirections(session: Session<A>): { cookies: PendingCookie[]; go?: string } {
    const cookies = session.cookies?.cookies ?? [];
    session.cookies = undefined;
    const d = session.directions;
    if (!d) return { cookies };
    const go = d.g;
    delete d.c;
    delete d.g;
    delete d.r;
    if (Object.keys(d).length === 0) session.directions = undefined;
    if (go !== undefined) void this.end(session, "expired");
    return { cookies, go };
  }

  /**
   * The cookies handlers of this session set, for `POST /api/cookie`: once,
   * for the ticket the page was given, within its time.
   */
  takeCookies(session: Session<A>, ticket: unknown): PendingCookie[] {
    const jar = session.cookies;
    if (!jar || typeof ticket !== "string" || ticket !== jar.ticket || Date.now() > jar.until) {
      throw new SessionError("FORBIDDEN", `${this.spec.name}: this cookie ticket is unknown, used or expired (a ticket works once, within a minute of the patch that carried it).`);
    }
    session.cookies = undefined;
    return jar.cookies;
  }

  /**
   * Refuses, at the edge (400, its seq left usable), a field binding's event
   * for a key no control of this page binds, or whose event summary has
   * values a page does not send (the kit reads it as typed). A restored
   * session's fresh instance has not rendered yet, so it does not know its
   * bindings: one render (its result unused) teaches it before the key is judged.
   */
  private knowField(session: Session<A>, args: readonly unknown[]): void {
    const app = session.instance, key = args[0];
    if (!isSummary(args.at(-1))) {
      throw new SessionError("INVALID_ARGS", `${this.spec.name}: ${SET_FIELD_NAME} ${JSON.stringify(key)?.slice(0, 60) ?? "without a key"} refused: its last argument must be the event summary a page sends ({ type: string, value?: string, checked?: boolean, form?: { name: string | string[] } }).`);
    }
    if (isBound(app, key)) return;
    try {
      app.render();
    } catch {
      // The render's failure is reported by the view's next render; here the key is just unknown.
    }
    if (!isBound(app, key)) {
      throw new SessionError("INVALID_ARGS", `${this.spec.name}: ${SET_FIELD_NAME} ${JSON.stringify(key)?.slice(0, 60) ?? "without a key"} refused: no control on this page binds that field. Bind it with a revue/ui control or bindField() in render().`);
    }
  }

  /** A field binding's event (registry/fields.ts); an update's follow-up (`followUp`) runs after a render that shows the new value (never coalesced away). */
  private setField(session: Session<A>, args: unknown[], seq: number): unknown {
    const fields = session.instance as unknown as Record<string, unknown>, key = args[0] as string;
    const before = fields[key];
    const follow = applyField(session.instance, this.spec.name, args);
    if (!follow) {
      if (fields[key] !== before) this.renderer.fieldChanged(session); // its render is scheduled when the call is done, as any call's
      return undefined;
    }
    this.renderer.renderNow(session);
    // A failure names the method the follow-up ran (a kit form's submit method), not the field update that started it;
    // the cookies that method set go with it, as a handler's do (`invoke`).
    const jar = session.cookies, cookies = jar?.cookies;
    const failed = (err: unknown): never => {
      undoCookies(session, jar, cookies);
      if (follow.method === undefined) throw err;
      throw new Exposed(this.expose(err, `${this.spec.name}.${follow.method}`, `the submit of field "${key}" (seq ${seq})`), err);
    };
    const shownFailed = (result: unknown) => void (result === FAILED && undoCookies(session, jar, cookies));
    let out: unknown;
    try {
      out = follow.run();
    } catch (err) {
      failed(err);
    }
    return isThenable(out) ? Promise.resolve(out).then(shownFailed, failed) : shownFailed(out);
  }

  /**
   * Runs a method of the app. The cookies it set do not outlive its failure: a
   * sign-in that throws after `setCookie` (a bad redirect, a check after) must
   * not leave its caller told "failed" and signed in.
   */
  private invoke(session: Session<A>, entry: MethodEntry, args: unknown[]): unknown {
    const method = (session.instance as unknown as Record<string, unknown>)[entry.method];
    if (typeof method !== "function") throw new Error(`${this.spec.name}.${entry.method} is not a function on this instance.`);
    const jar = session.cookies, before = jar?.cookies;
    let out: unknown;
    try {
      out = method.apply(session.instance, args);
    } catch (err) {
      undoCookies(session, jar, before);
      throw tameThrown(err);
    }
    if (!isThenable(out)) return out;
    // Abandoned at handlerTimeoutMs, its caller told HANDLER_TIMEOUT: what it set is undone, and while it still runs no
    // session cookie is taken (`Link.cookie`): one it sets later could not be told from another handler's.
    let done = false, abandoned = false;
    session.calls.whenAbandoned(() => {
      if (done) return;
      abandoned = true;
      session.abandoned++;
      undoCookies(session, jar, before);
    });
    const settled = () => {
      done = true;
      if (abandoned) session.abandoned--;
    };
    return Promise.resolve(out).then(
      (value) => (settled(), value),
      (err: unknown) => {
        settled();
        if (!abandoned) undoCookies(session, jar, before);
        return Promise.reject(tameThrown(err));
      },
    );
  }

  /** A JSON replacer that warns, once for `entry`'s method, of a Map or a Set in its result, which JSON makes `{}`. */
  private mapsSaid(entry: MethodEntry): (key: string, value: unknown) => unknown {
    return (key, value) => {
      // By its tag, not instanceof: a Map made in another realm (a vm context, a test runner's) is one too.
      const kind = typeof value === "object" && value !== null ? Object.prototype.toString.call(value) : "";
      if ((kind === "[object Map]" || kind === "[object Set]") && !this.warned.has(`${entry.method}\0json`)) {
        this.warned.add(`${entry.method}\0json`);
        const map = kind === "[object Map]";
        this.logger.warn(
          `[revue] ${this.spec.name}.${entry.method} returned a ${map ? "Map" : "Set"}${key ? ` (at "${key.slice(0, 40)}")` : ""}, which JSON sends as {}: ` +
            `return an array (${map ? "[...map] or Object.fromEntries(map)" : "[...set]"}). Said once; not in production.`,
        );
      }
      return value;
    };
  }

  private warnOnce(entry: MethodEntry): void {
    if (this.warned.has(entry.method)) return;
    this.warned.add(entry.method);
    this.logger.warn(
      `[revue] ${this.spec.name}.${entry.method} is @server.realtime but returned a value; realtime calls are fire-and-forget, so the value was dropped. ` +
        `Use @server.rpc if the page needs the result.`,
    );
  }

  private unknownMethod(name: string, kind: "rpc" | "realtime"): SessionError {
    const known = [...(kind === "rpc" ? this.spec.rpc : this.spec.realtime).keys()];
    const other = kind === "rpc" ? this.spec.realtime.has(name) : this.spec.rpc.has(name);
    // In production the methods are not listed: a page need not learn those it never binds (an admin's, say).
    const hint = other
      ? kind === "rpc"
        ? ` "${name}" is @server.realtime, which answers nothing: call it as this.server.${name}(…) in @client code, or bind it to an event (POST /api/event on the wire).`
        : ` "${name}" is @server.rpc: call it as this.server.${name}(…) or rv.rpc("${name}", …) in the page (POST /api/rpc/${name} on the wire).`
      : this.production ? "" : known.length ? ` Known: ${known.join(", ")}.` : ` It declares none.`;
    return new SessionError("METHOD_NOT_FOUND", `${this.spec.name} has no @server.${kind} method "${name}".${hint}`);
  }

  private linkFor(session: Session<A>): SessionLink {
    return new Hub.Link(this, session);
  }

  /**
   * A session's side of its app instance (`this.emit`, `this.join`, …): its
   * methods on the prototype, so a session holds one small object (with a
   * closure per method, each session was 1.3 KB heavier). Declared in Hub's
   * body to reach the hub's private parts.
   */
  private static readonly Link = class Link<A extends App> implements SessionLink {
    private presenceOf: SessionPresence | undefined;

    constructor(
      private readonly hub: Hub<A>,
      private readonly session: Session<A>,
    ) {}

    get sid(): string {
      return this.session.sid;
    }

    get production(): boolean {
      return this.hub.production;
    }

    get rooms(): ReadonlySet<string> {
      return this.session.rooms;
    }

    get user(): unknown {
      return this.session.who.user;
    }

    get url(): PageUrl {
      return this.session.url;
    }

    /** Made at first use: most apps never track a presence. */
    get presence(): SessionPresence {
      const session = this.session;
      return (this.presenceOf ??= this.hub.presence.forSession(session.sid, () => session.who.user));
    }

    emit(event: string, data: unknown, room?: string): void {
      this.hub.emitter(event, data, room);
    }

    join(room: string): void {
      this.hub.rooms.join(this.session, room);
    }

    leave(room: string): void {
      this.hub.rooms.leave(this.session, room);
    }

    callClient(method: string, args: unknown[]): void {
      const spec = this.hub.spec;
      // By the public name or by the method's own name (what `this.client`'s types offer); the page takes either.
      const entry = spec.clientRealtime.get(method) ?? [...spec.clientRealtime.values()].find((e) => e.method === method);
      if (!entry) {
        const known = [...spec.clientRealtime.keys()];
        throw new UsageError(
          `${spec.name}.client.${method}(): there is no @client.realtime method "${method}". ` +
            (known.length ? `Known: ${known.join(", ")}.` : `Declare one: @client.realtime ${method}(...) { ... }.`),
        );
      }
      // The page runs the call after the patch of what its handler changed so far: a call that focuses
      // or measures an element the handler just added finds it.
      const session = this.session;
      if (session.calls.busy && session.connected) this.hub.renderer.renderNow(session);
      this.hub.send(session, { type: "call", method: publicName(entry), args });
    }

    signal(): AbortSignal {
      return this.session.calls.signal();
    }

    navigate(url: string, { replace, anySite }: { replace: boolean; anySite: boolean }, what: string): void {
      this.hub.sendTo(this.session, checkedTarget(url, what, !anySite), replace);
    }

    admit(entry: MethodEntry, what: string): void {
      this.hub.admit(this.session.who, what, entry);
    }

    cookie(name: string, value: string | undefined, options: CookieOptions | undefined, what: string): void {
      const session = this.session;
      if (session.abandoned > 0) {
        throw new UsageError(
          `${what}("${String(name).slice(0, 40)}") refused: a handler of this session ran past handlerTimeoutMs and was abandoned (its caller was told HANDLER_TIMEOUT) but is still running, ` +
            `and a cookie set now may be its own. Make long handlers stop when this.signal aborts; cookies are taken again once it ends.`,
        );
      }
      const cookie = checkedCookie(name, value, options, what);
      const jar = (session.cookies ??= newJar());
      jar.cookies = jar.cookies.filter((c) => c.name !== cookie.name || c.options.path !== cookie.options.path || c.options.domain !== cookie.options.domain);
      jar.cookies.push(cookie);
      jar.until = Date.now() + COOKIE_TICKET_MS;
      (session.directions ??= {}).c = jar.ticket;
      this.hub.renderer.schedule(session);
    }
  };
}

/** For a request to another node: its death is no failure (the caller routes again, and takes the session over); anything else is. */
function ifNodeDown(err: unknown): undefined {
  if (err instanceof NodeDownError) return undefined;
  throw err;
}

/** Puts a session's pending cookies back as they were before a handler that failed (`Hub.invoke`). */
function undoCookies(session: Session<App>, jar: CookieJar | undefined, before: PendingCookie[] | undefined): void {
  if (session.cookies === jar && session.cookies?.cookies === before) return;
  if (jar && before) jar.cookies = before, session.cookies = jar;
  else {
    session.cookies = undefined;
    if (session.directions) delete session.directions.c;
  }
}

function isThenable(x: unknown): x is PromiseLike<unknown> {
  return typeof x === "object" && x !== null && typeof (x as PromiseLike<unknown>).then === "function";
}

/** Resolves with `work`, or at `deadline` if it is not done by then (shutdown never waits on a hung handler). */
function within(work: Promise<unknown>, deadline: number): Promise<void> {
  let timer: ReturnType<typeof setTimeout> | undefined;
  const late = new Promise<void>((resolve) => (timer = setTimeout(resolve, Math.max(0, deadline - Date.now()))));
  return Promise.race([work.then(() => {}, () => {}), late]).finally(() => clearTimeout(timer));
}

/**
 * Refuses event names a caller may not emit: empty, non-strings and lifecycle
 * names. From a page (`rv.emit`) that is a bad request; from the server's own
 * code (`emit`), a bug.
 */
function assertCustomEvent(event: unknown, caller: "emit" | "rv.emit"): asserts event is string {
  const refuse = (message: string) => (caller === "emit" ? new UsageError(message) : new SessionError("BAD_REQUEST", message));
  if (typeof event !== "string" || event === "") throw refuse(`${caller}(event): the event name must be a non-empty string, got ${JSON.stringify(event)}.`);
  if (LIFECYCLE_EVENTS.has(event)) throw refuse(`${caller}("${event}"): "${event}" is a lifecycle event and only Revue may emit it. Pick another event name.`);
  if (event === "presence") throw refuse(`${caller}("presence"): "presence" carries Revue's presence diffs and only Revue may emit it. Use this.presence.track(topic, key, meta) on the server, or pick another event name.`);
}

/** "Set" or "Map" when `value` holds one (where JSON keeps nothing of it), within a few levels; else undefined. */
function lostInJson(value: unknown, depth: number): string | undefined {
  if (typeof value !== "object" || value === null || depth > 4) return undefined;
  if (value instanceof Set || value instanceof Map) return value.constructor.name;
  if (Array.isArray(value)) {
    for (let i = 0; i < value.length && i < 100; i++) {
      const lost = lostInJson(value[i], depth + 1);
      if (lost) return lost;
    }
    return undefined;
  }
  let seen = 0;
  for (const k in value) {
    const lost = lostInJson((value as Record<string, unknown>)[k], depth + 1);
    if (lost || ++seen >= 100) return lost;
  }
  return undefined;
}
