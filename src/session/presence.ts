import { randomBytes } from "node:crypto";
import { RevueError, SessionError, UsageError } from "../errors.js";
import type { PresenceDiff, PresenceList, PresenceMeta } from "../protocol.js";
import type { Logger } from "./logger.js";
import type { PubSub } from "./pubsub.js";

export type { PresenceDiff, PresenceList, PresenceMeta } from "../protocol.js";

/*
 * Who is here, across nodes (ARCHITECTURE.md §6), after Phoenix.Presence:
 *
 * - **Per-node ownership.** Each node (each `Presence`: one per app per
 *   process) owns the presences its own sessions track, and it alone ever
 *   publishes or removes them. The merged view is the union of every node's
 *   part; a part changes only by a message from its owner, applied in its
 *   owner's order (`seq`), so merging never conflicts.
 * - **Only owners publish.** A node never relays another node's presences (no
 *   delta catch-up through third parties), so the entries of a node that died
 *   cannot be carried back by someone else, as "zombie" presences of a
 *   restarted node once resurfaced in Phoenix.Tracker (phoenix_pubsub #55,
 *   fixed in #60 by pruning the deltas it relayed).
 * - **Soft state over an ephemeral channel** (`notify`/`listen`): a node
 *   publishes deltas (batched every `batchMs`) and, every `heartbeatMs`, a
 *   heartbeat carrying its `seq`. A node that misses a delta (a gap in `seq`)
 *   or hears of a node it does not know asks it for its full state. Nothing is
 *   logged: the owners always hold the truth.
 * - **Down period.** A node not heard from for `downPeriodMs` is down: its
 *   presences leave. If it comes back, its next heartbeat makes the others ask
 *   for its state and its presences join again. A node restarted under the same
 *   `node` name (a new incarnation, `vsn`) replaces its old self at once
 *   instead of after the down period.
 *
 * Sessions use it through `this.presence` (SessionPresence); their
 * presences leave when they untrack, or when the session ends.
 */

/**
 * Tuning of presence across nodes. A dead node's presences leave between
 * `downPeriodMs` and `downPeriodMs + heartbeatMs` after its last message (the
 * others check at each of their heartbeats).
 *
 * @example
 * createServer(Chat, { pubsub, node: process.env.HOSTNAME, presence: { heartbeatMs: 2_000, downPeriodMs: 10_000 } });
 */
export interface PresenceOptions {
  /** How often a node tells the others it is alive (with its `seq`). Default 5 s. */
  heartbeatMs?: number;
  /** A node not heard from for this long is down and its presences leave. At least twice `heartbeatMs`. Default 30 s. */
  downPeriodMs?: number;
  /** Changes within this long reach handlers and pages as one diff per topic. Default 50 ms. */
  batchMs?: number;
  /**
   * Presences one topic may hold, on every node together. Each page listening
   * to a topic gets each change of it, so a topic's size multiplies what every
   * page is sent. When it is full, a track on a node makes room by untracking
   * that node's presences of a page not connected for 10 s, if any (scripts
   * that track without keeping a page open cannot lock people out); otherwise
   * it fails with a `SessionError` of code `ROOM_LIMIT`. Default 1,000.
   */
  maxPerTopic?: number;
}

/**
 * `this.presence` in a session: its own presences (track, update, untrack) and
 * everyone's (list). Presences are per topic and key; one key may have several
 * metas (several tabs or devices, each its own session). They leave when
 * untracked or when the session ends.
 *
 * @example
 * @server.on("connect") online() { this.presence.track("lobby", this.name, { since: Date.now() }); }
 * @server.on("disconnect") offline() { this.presence.untrack("lobby", this.name); }
 * @server.on("presence") changed(diff: PresenceDiff) { if (diff.topic === "lobby") this.online = Object.keys(this.presence.list("lobby")); }
 */
export interface SessionPresence {
  /**
   * Tracks this session under `key` in `topic` with `meta` (a small JSON
   * object); returns its `ref`. Tracking the same topic and key again replaces
   * the meta (nothing happens if it is the same). Without a key (`undefined`),
   * the signed-in user's: `this.user.id`, else `.name`, else `.email` (a
   * string user is its own key), so one person's tabs and devices are one
   * presence with several metas.
   * @example this.presence.track("lobby", undefined, { since: Date.now() }); // keyed by this.user
   */
  track(topic: string, key?: string, meta?: Record<string, unknown>): string;
  /** Replaces the meta of this session's presence (or maps it: `(meta) => ({ ...meta, away: true })`); returns the new `ref`. */
  update(topic: string, key: string, meta: Record<string, unknown> | ((meta: Record<string, unknown>) => Record<string, unknown>)): string;
  /** Removes this session's presence (without a key: the user's, as `track`); one that is not tracked is ignored. */
  untrack(topic: string, key?: string): void;
  /** Everyone's presences in `topic`, on every node: `{ [key]: { metas: [...] } }`. */
  list(topic: string): PresenceList;
}

/** What the hub gives a {@link Presence}. */
export interface PresenceConfig extends PresenceOptions {
  /**
   * This node's name among the others (createServer's `node` option). Default:
   * a random one. With a stable name (the host or pod name) a restarted process
   * replaces its old presences at once instead of after the down period.
   */
  node?: string;
  /** The ephemeral channel the nodes of one app talk on. */
  channel: string;
  /** The app's name, for messages. */
  app: string;
  logger?: Logger;
  /** Receives one diff per changed topic, every `batchMs` at most. */
  onDiff: (diff: PresenceDiff) => void;
  /** How long session `sid`'s page has not been connected (0 while it is): a full topic makes room from those offline longest. */
  offlineFor?: (sid: string) => number;
}

/** A page not connected for this long is taken for gone when its topic is full: its presences there make room for a new one. */
export const OFFLINE_EVICT_MS = 10_000;

/** When this process last said that a node went down, by the node's name (see `beat`). */
const reportedDown = new Map<string, number>();

/** Presences one session may hold at once (a bug that tracks in a loop fails early). */
export const MAX_PRESENCES_PER_SESSION = 64;
/** The largest meta, as JSON: presence is for small ephemeral state (a name, a status), not documents. */
export const MAX_META_BYTES = 2048;
/** The longest topic or key. */
const MAX_NAME = 256;

/** One presence, as stored and as sent between nodes. */
interface Entry {
  topic: string;
  key: string;
  ref: string;
  meta: Record<string, unknown>;
}

/** What one node knows of another (or of itself): its incarnation, the last `seq` applied, when it was last heard, its presences by ref. */
interface Replica {
  node: string;
  vsn: number;
  seq: number;
  heard: number;
  entries: Map<string, Entry>;
}

/** Messages between nodes, on the ephemeral channel. */
type Wire =
  | { type: "delta"; node: string; vsn: number; seq: number; joins: Entry[]; leaves: string[] }
  | { type: "beat"; node: string; vsn: number; seq: number }
  | { type: "state"; node: string; vsn: number; seq: number; entries: Entry[] }
  /** Asks node `of` (or every node) to send its state. */
  | { type: "sync"; node: string; vsn: number; of?: string }
  /** A clean shutdown: its presences leave now. */
  | { type: "bye"; node: string; vsn: number };

/**
 * The presences of one app on one node, merged with every other node's (see
 * the notes at the top of this file). The hub makes one per app.
 *
 * @example
 * const presence = new Presence(pubsub, { channel: "revue:Chat:presence", app: "Chat", onDiff: (d) => console.log(d) });
 * await presence.start();
 * presence.track(sid, "lobby", "ann", { tab: 1 });
 * presence.list("lobby"); // { ann: { metas: [{ tab: 1, ref: "…" }] } }
 */
export class Presence {
  /** This node's name and incarnation. */
  readonly node: string;
  readonly vsn: number;
  private readonly heartbeatMs: number;
  private readonly downPeriodMs: number;
  private readonly batchMs: number;
  private readonly logger: Logger;
  /** This node's own part; the other nodes' parts by name. */
  private readonly self: Replica;
  private readonly others = new Map<string, Replica>();
  /** The merged view: topic → key → ref → entry. */
  private readonly topics = new Map<string, Map<string, Map<string, Entry>>>();
  /** How many presences each topic holds (the merged view's). */
  private readonly sizes = new Map<string, number>();
  private readonly maxPerTopic: number;
  /** Each session's presences: sid → "topic\0key" → entry. */
  private readonly bySession = new Map<string, Map<string, Entry>>();
  /** The sessions of this node tracking in each topic: topic → sid → how many of its keys (who hears the topic's diffs). */
  private readonly trackers = new Map<string, Map<string, number>>();
  /** Local changes not yet published. */
  private readonly outJoins = new Map<string, Entry>();
  private readonly outLeaves = new Set<string>();
  /** Changes of the merged view not yet delivered: topic → joined and left entries by ref. */
  private readonly pending = new Map<string, { joins: Map<string, Entry>; leaves: Map<string, Entry> }>();
  /** When each unknown or gapped node was last asked for its state (asked at most once per heartbeat). */
  private readonly asked = new Map<string, number>();
  private batchTimer: ReturnType<typeof setTimeout> | undefined;
  private beatTimer: ReturnType<typeof setInterval> | undefined;
  private stopListening: (() => Promise<void>) | undefined;
  private started = false;
  private stopped = false;
  private nextRef = 0;
  private failing = false;
  private readonly warned = new Set<string>();

  constructor(private readonly pubsub: PubSub, private readonly config: PresenceConfig) {
    const where = `${config.app}: presence options`;
    this.heartbeatMs = positive(config.heartbeatMs, 5_000, `${where}: heartbeatMs`);
    this.downPeriodMs = positive(config.downPeriodMs, 30_000, `${where}: downPeriodMs`);
    this.batchMs = positive(config.batchMs, 50, `${where}: batchMs`);
    this.maxPerTopic = config.maxPerTopic ?? 1_000;
    if (!Number.isInteger(this.maxPerTopic) || this.maxPerTopic < 1) {
      throw new RevueError("BAD_REQUEST", `${where}: maxPerTopic must be a positive whole number of presences, got ${JSON.stringify(config.maxPerTopic)}.`);
    }
    if (this.downPeriodMs < 2 * this.heartbeatMs) {
      throw new RevueError(
        "BAD_REQUEST",
        `${where}: downPeriodMs (${this.downPeriodMs}) must be at least twice heartbeatMs (${this.heartbeatMs}), or one late heartbeat would make a live node's presences leave. Raise downPeriodMs or lower heartbeatMs.`,
      );
    }
    if (config.node !== undefined && (typeof config.node !== "string" || config.node === "" || config.node.length > MAX_NAME)) {
      throw new RevueError("BAD_REQUEST", `${config.app}: the presence node must be a non-empty string of at most ${MAX_NAME} characters (such as the host name), got ${JSON.stringify(config.node)}.`);
    }
    this.node = config.node ?? randomBytes(6).toString("base64url");
    // The incarnation: a restart under the same name is a newer one (see receive()).
    this.vsn = Date.now() * 1000 + Math.floor(Math.random() * 1000);
    this.logger = config.logger ?? console;
    this.self = { node: this.node, vsn: this.vsn, seq: 0, heard: 0, entries: new Map() };
  }

  /** Listens to the other nodes, asks them for their state and announces its own; starts the heartbeat. */
  async start(): Promise<void> {
    if (this.started || this.stopped) return;
    this.started = true;
    this.stopListening = await this.pubsub.listen(this.config.channel, (raw) => this.receive(raw));
    this.send({ type: "sync", node: this.node, vsn: this.vsn });
    this.sendState();
    this.beatTimer = setInterval(() => this.beat(), this.heartbeatMs);
    this.beatTimer.unref();
  }

  /**
   * Publishes what is left to publish, says goodbye (the other nodes drop this
   * node's presences at once) and stops listening. The sessions have ended
   * first, so their presences have left already.
   */
  async stop(): Promise<void> {
    if (this.stopped) return;
    this.stopped = true;
    clearInterval(this.beatTimer);
    clearTimeout(this.batchTimer);
    if (!this.started) return;
    this.flush();
    this.send({ type: "bye", node: this.node, vsn: this.vsn });
    await this.stopListening?.().catch(() => {});
  }

  // ------------------------------------------------------------ a session's presences

  /** `this.presence` of session `sid`; `user` reads who is signed in now (the default key). */
  forSession(sid: string, user: () => unknown = () => undefined): SessionPresence {
    return new PresenceOfSession(this, sid, user);
  }

  /** The key of a track or untrack without one: the signed-in user's (see {@link userKey}). */
  userKeyOf(user: unknown, topic: string, what: string): string {
    return userKey(user, `${this.config.app}.presence.${what}(${JSON.stringify(topic)})`);
  }

  /** Tracks session `sid` under `key` in `topic` (see {@link SessionPresence.track}). */
  track(sid: string, topic: string, key: string, meta?: Record<string, unknown>, restoring = false): string {
    const where = `${this.config.app}.presence.track(${JSON.stringify(topic)}, ${JSON.stringify(key)})`;
    checkName(topic, "topic", where);
    checkName(key, "key", where);
    const clean = cleanMeta(meta ?? {}, where);
    const mine = this.bySession.get(sid);
    const had = mine?.get(slot(topic, key));
    if (had) {
      if (JSON.stringify(had.meta) === JSON.stringify(clean)) return had.ref;
      return this.replace(sid, had, clean);
    }
    if (mine && mine.size >= MAX_PRESENCES_PER_SESSION) {
      throw new UsageError(`${where}: this session already holds ${MAX_PRESENCES_PER_SESSION} presences, the limit. Untrack one first (this.presence.untrack(topic, key)).`);
    }
    // Not for a restored session's own: they were counted where it was, and still are until that node's leave (or down period).
    if (!restoring && (this.sizes.get(topic) ?? 0) >= this.maxPerTopic && !this.makeRoom(topic)) {
      throw new SessionError(
        "ROOM_LIMIT",
        `${where}: the topic already holds ${this.maxPerTopic} presences, the limit (every page listening gets each change of it), none of a page offline for ${OFFLINE_EVICT_MS / 1000} s or more. Catch it and say so, split the topic, or raise createServer's presence.maxPerTopic.`,
      );
    }
    return this.add(sid, { topic, key, ref: this.newRef(), meta: clean });
  }

  /**
   * Untracks, in the full `topic`, the presences of this node's session whose
   * page has been offline longest, if at least {@link OFFLINE_EVICT_MS}:
   * 1,000 sessions that tracked from one script and never opened a stream held
   * a lobby against everyone for their 15 minutes (attack probe). Whether room
   * was made.
   */
  private makeRoom(topic: string): boolean {
    const offlineFor = this.config.offlineFor, sids = this.trackers.get(topic);
    if (!offlineFor || !sids) return false;
    let gone: string | undefined, longest = OFFLINE_EVICT_MS - 1;
    for (const sid of sids.keys()) {
      const t = offlineFor(sid);
      if (t > longest) (longest = t), (gone = sid);
    }
    if (gone === undefined) return false;
    for (const entry of [...this.bySession.get(gone)?.values() ?? []]) if (entry.topic === topic) this.untrack(gone, topic, entry.key);
    return true;
  }

  /** Replaces (or maps) the meta of a presence session `sid` tracks (see {@link SessionPresence.update}). */
  update(sid: string, topic: string, key: string, meta: Record<string, unknown> | ((meta: Record<string, unknown>) => Record<string, unknown>)): string {
    const where = `${this.config.app}.presence.update(${JSON.stringify(topic)}, ${JSON.stringify(key)})`;
    const had = this.bySession.get(sid)?.get(slot(topic, key));
    if (!had) throw new UsageError(`${where}: this session does not track ${JSON.stringify(key)} in ${JSON.stringify(topic)}. Call this.presence.track(topic, key, meta) first.`);
    const next = typeof meta === "function" ? meta(structuredClone(had.meta)) : meta;
    return this.replace(sid, had, cleanMeta(next, where));
  }

  /** Removes a presence of session `sid`; one it does not track is ignored. */
  untrack(sid: string, topic: string, key: string): void {
    const mine = this.bySession.get(sid);
    const had = mine?.get(slot(topic, key));
    if (!had) return;
    mine!.delete(slot(topic, key));
    if (mine!.size === 0) this.bySession.delete(sid);
    this.removeLocal(sid, had);
  }

  /** Removes every presence of session `sid` (it ended). */
  untrackAll(sid: string): void {
    const mine = this.bySession.get(sid);
    if (!mine) return;
    this.bySession.delete(sid);
    for (const entry of mine.values()) this.removeLocal(sid, entry);
  }

  /** Session `sid`'s presences, as JSON-safe data (for its snapshot); {@link restore} tracks them again. */
  entriesOf(sid: string): Array<{ topic: string; key: string; meta: Record<string, unknown> }> {
    return [...(this.bySession.get(sid)?.values() ?? [])].map(({ topic, key, meta }) => ({ topic, key, meta: structuredClone(meta) }));
  }

  /** Tracks again the presences of a session restored from its snapshot (on this node now). */
  restore(sid: string, saved: ReadonlyArray<{ topic: string; key: string; meta: Record<string, unknown> }>): void {
    for (const { topic, key, meta } of saved) this.track(sid, topic, key, meta, true);
  }

  /** The sessions of this node that track a presence in `topic`, by id. */
  trackersOf(topic: string): Iterable<string> {
    return this.trackers.get(topic)?.keys() ?? [];
  }

  /** Everyone's presences in `topic`, merged over every node: `{ [key]: { metas } }`, each meta a copy carrying its `ref`. */
  list(topic: string): PresenceList {
    const out = byKey();
    for (const [key, refs] of this.topics.get(topic) ?? []) out[key] = { metas: [...refs.values()].map(asMeta) };
    return out;
  }

  /** Counts, for stats: nodes known (this one included), presences in the merged view, and this node's own. */
  stats(): { nodes: number; presences: number; local: number } {
    let presences = this.self.entries.size;
    for (const r of this.others.values()) presences += r.entries.size;
    return { nodes: this.others.size + 1, presences, local: this.self.entries.size };
  }

  /**
   * Publishes this node's pending changes and delivers the pending diffs now
   * (the batch timer does it `batchMs` after the first change; `hub.settle()` and tests call it).
   */
  flush(): void {
    clearTimeout(this.batchTimer);
    this.batchTimer = undefined;
    this.publishDelta();
    this.dispatch();
  }

  // ------------------------------------------------------------ local changes

  private add(sid: string, entry: Entry): string {
    let mine = this.bySession.get(sid);
    if (!mine) this.bySession.set(sid, (mine = new Map()));
    mine.set(slot(entry.topic, entry.key), entry);
    let here = this.trackers.get(entry.topic);
    if (!here) this.trackers.set(entry.topic, (here = new Map()));
    here.set(sid, (here.get(sid) ?? 0) + 1);
    this.self.entries.set(entry.ref, entry);
    this.index(entry);
    // A presence that joins and leaves within one batch is never published.
    this.outJoins.set(entry.ref, entry);
    this.schedule();
    return entry.ref;
  }

  /** An update: the old presence leaves, a new one (new ref) joins, as Phoenix reports it, so a page can tell them apart. */
  private replace(sid: string, had: Entry, meta: Record<string, unknown>): string {
    this.bySession.get(sid)!.delete(slot(had.topic, had.key));
    this.removeLocal(sid, had);
    return this.add(sid, { topic: had.topic, key: had.key, ref: this.newRef(), meta });
  }

  private removeLocal(sid: string, entry: Entry): void {
    const here = this.trackers.get(entry.topic);
    const n = here?.get(sid) ?? 0;
    if (n > 1) here!.set(sid, n - 1);
    else if (here?.delete(sid) && here.size === 0) this.trackers.delete(entry.topic);
    this.self.entries.delete(entry.ref);
    this.unindex(entry);
    if (!this.outJoins.delete(entry.ref)) this.outLeaves.add(entry.ref);
    this.schedule();
  }

  private newRef(): string {
    return `${this.node}.${(this.vsn % 1e6).toString(36)}.${(this.nextRef++).toString(36)}`;
  }

  private schedule(): void {
    if (this.batchTimer || this.stopped) return;
    this.batchTimer = setTimeout(() => this.flush(), this.batchMs);
    this.batchTimer.unref();
  }

  private publishDelta(): void {
    if (this.outJoins.size === 0 && this.outLeaves.size === 0) return;
    const joins = [...this.outJoins.values()];
    const leaves = [...this.outLeaves];
    this.outJoins.clear();
    this.outLeaves.clear();
    this.self.seq++;
    if (this.started) this.send({ type: "delta", node: this.node, vsn: this.vsn, seq: this.self.seq, joins, leaves });
  }

  /** Delivers one diff per changed topic; a topic whose changes cancelled out gets none. */
  private dispatch(): void {
    const changed = [...this.pending];
    this.pending.clear();
    for (const [topic, { joins, leaves }] of changed) {
      if (joins.size === 0 && leaves.size === 0) continue;
      const diff: PresenceDiff = { topic, joins: group(joins.values()), leaves: group(leaves.values()) };
      try {
        this.config.onDiff(diff);
      } catch (err) {
        this.logger.error(`[revue] ${this.config.app}: delivering a presence diff of ${JSON.stringify(topic)} failed:`, err);
      }
    }
  }

  // ------------------------------------------------------------ the merged view

  private index(entry: Entry): void {
    let keys = this.topics.get(entry.topic);
    if (!keys) this.topics.set(entry.topic, (keys = new Map()));
    let refs = keys.get(entry.key);
    if (!refs) keys.set(entry.key, (refs = new Map()));
    if (!refs.has(entry.ref)) this.sizes.set(entry.topic, (this.sizes.get(entry.topic) ?? 0) + 1);
    refs.set(entry.ref, entry);
    const p = this.pendingOf(entry.topic);
    // Left and back within one batch (a node down and up again): no change to report.
    if (!p.leaves.delete(entry.ref)) p.joins.set(entry.ref, entry);
    this.schedule();
  }

  private unindex(entry: Entry): void {
    const keys = this.topics.get(entry.topic);
    const refs = keys?.get(entry.key);
    if (!refs?.delete(entry.ref)) return;
    if (refs.size === 0) keys!.delete(entry.key);
    if (keys!.size === 0) this.topics.delete(entry.topic), this.sizes.delete(entry.topic);
    else this.sizes.set(entry.topic, this.sizes.get(entry.topic)! - 1);
    const p = this.pendingOf(entry.topic);
    if (!p.joins.delete(entry.ref)) p.leaves.set(entry.ref, entry);
    this.schedule();
  }

  private pendingOf(topic: string) {
    let p = this.pending.get(topic);
    if (!p) this.pending.set(topic, (p = { joins: new Map(), leaves: new Map() }));
    return p;
  }

  // ------------------------------------------------------------ other nodes

  private receive(raw: string): void {
    if (this.stopped) return;
    let msg: Wire;
    try {
      msg = JSON.parse(raw) as Wire;
    } catch {
      return this.warnOnce("malformed", `[revue] ${this.config.app}: ignored a malformed presence message on ${this.config.channel}.`);
    }
    if (!isWire(msg)) return this.warnOnce("malformed", `[revue] ${this.config.app}: ignored a malformed presence message on ${this.config.channel}.`);
    if (msg.node === this.node) {
      // An older incarnation's late message means nothing; a newer one under this name means the other nodes now ignore this one.
      if (msg.vsn > this.vsn) {
        this.warnOnce(
          "same-name",
          `[revue] ${this.config.app}: a newer process uses this node's presence name ${JSON.stringify(this.node)}, so the other nodes now ignore this one's presences. Give each process its own name (the node option of createServer).`,
        );
      }
      return;
    }
    if (msg.type === "sync") {
      if (msg.of === undefined || msg.of === this.node) this.sendState();
      return;
    }
    let r = this.others.get(msg.node);
    if (r && r.vsn !== msg.vsn) {
      // A late message of an old incarnation changes nothing; a new incarnation replaces the old one at once.
      if (msg.vsn < r.vsn) return;
      this.drop(r);
      r = undefined;
    }
    if (msg.type === "bye") {
      if (r) this.drop(r);
      return;
    }
    if (!r) {
      if (msg.type !== "state") return this.ask(msg.node);
      r = { node: msg.node, vsn: msg.vsn, seq: -1, heard: 0, entries: new Map() };
      this.others.set(msg.node, r);
      this.asked.delete(msg.node);
    }
    r.heard = Date.now();
    if (msg.type === "beat") {
      if (msg.seq > r.seq) this.ask(r.node); // a delta was lost
    } else if (msg.type === "delta") {
      if (msg.seq === r.seq + 1) {
        r.seq = msg.seq;
        for (const ref of msg.leaves) this.removeRemote(r, ref);
        for (const entry of msg.joins) this.addRemote(r, entry);
      } else if (msg.seq > r.seq + 1) this.ask(r.node);
    } else if (msg.type === "state" && msg.seq >= r.seq) {
      r.seq = msg.seq;
      const entries = msg.entries.filter(isEntry);
      const now = new Set(entries.map((e) => e.ref));
      for (const ref of [...r.entries.keys()]) if (!now.has(ref)) this.removeRemote(r, ref);
      for (const entry of entries) this.addRemote(r, entry);
    }
  }

  private addRemote(r: Replica, entry: Entry): void {
    if (r.entries.has(entry.ref) || !isEntry(entry)) return;
    r.entries.set(entry.ref, entry);
    this.index(entry);
  }

  private removeRemote(r: Replica, ref: string): void {
    const entry = r.entries.get(ref);
    if (!entry) return;
    r.entries.delete(ref);
    this.unindex(entry);
  }

  /** Forgets a node that is down, said goodbye or was replaced: its presences leave. */
  private drop(r: Replica): void {
    this.others.delete(r.node);
    for (const ref of [...r.entries.keys()]) this.removeRemote(r, ref);
  }

  /** Asks a node for its full state (at most once per heartbeat: its reply may simply be on its way). */
  private ask(node: string): void {
    const now = Date.now();
    if (now - (this.asked.get(node) ?? -Infinity) < this.heartbeatMs) return;
    this.asked.set(node, now);
    this.send({ type: "sync", node: this.node, vsn: this.vsn, of: node });
  }

  /** This node's whole part, as of its last published delta (pending changes are published first, so `seq` covers them). */
  private sendState(): void {
    this.publishDelta();
    this.send({ type: "state", node: this.node, vsn: this.vsn, seq: this.self.seq, entries: [...this.self.entries.values()] });
  }

  /** Every heartbeat: tell the others this node is alive and where it stands; drop the nodes that have been silent too long. */
  private beat(): void {
    this.send({ type: "beat", node: this.node, vsn: this.vsn, seq: this.self.seq });
    const now = Date.now();
    for (const r of [...this.others.values()]) {
      if (now - r.heard <= this.downPeriodMs) continue;
      // Said only when presences leave (a node that tracked none, an app without presence sharing the channel,
      // goes quietly), and once per process: the apps of one server each see the same node go.
      if (r.entries.size > 0 && !(now - (reportedDown.get(r.node) ?? -Infinity) < this.downPeriodMs)) {
        reportedDown.set(r.node, now);
        if (reportedDown.size > 1024) reportedDown.delete(reportedDown.keys().next().value!);
        this.logger.warn(
          `[revue] presence: node ${JSON.stringify(r.node)} was not heard from for ${this.downPeriodMs} ms (presence.downPeriodMs); its ${r.entries.size} presence${r.entries.size === 1 ? "" : "s"} left. They come back if it does.`,
        );
      }
      this.drop(r);
    }
    for (const [node, at] of this.asked) if (now - at > this.downPeriodMs) this.asked.delete(node);
  }

  private send(msg: Wire): void {
    let json: string;
    try {
      json = JSON.stringify(msg);
    } catch (err) {
      return this.logger.error(`[revue] ${this.config.app}: a presence message could not be serialised:`, err);
    }
    const sent = (async () => this.pubsub.notify(this.config.channel, json))();
    sent.then(
      () => {
        if (this.failing) this.logger.warn(`[revue] ${this.config.app}: presence messages go through again.`);
        this.failing = false;
      },
      (err) => {
        // Once per outage: the heartbeat would log it every few seconds. The others will ask for this node's state when they hear it again.
        if (!this.failing && !this.stopped) this.logger.error(`[revue] ${this.config.app}: sending a presence message failed (other nodes will resync when it works again):`, err);
        this.failing = true;
      },
    );
  }

  private warnOnce(what: string, message: string): void {
    if (this.warned.has(what)) return;
    this.warned.add(what);
    this.logger.warn(message);
  }
}

const slot = (topic: string, key: string) => `${topic}\u0000${key}`;

/** The meta with its `ref` (written before the spread and set after it: a property after a spread costs ≈ 0.5 µs on Node 20, see ui/controls.ts `settings`). */
const asMeta = (e: Entry): PresenceMeta => {
  const meta = { ref: e.ref, ...e.meta };
  meta.ref = e.ref;
  return meta;
};

/**
 * A record by presence key with no prototype: a key is any string a visitor
 * may choose (a name), and on `{}` one like `toString` or `__proto__` names
 * what every object inherits (`toString` crashed the presence timer, and with
 * it the process).
 */
const byKey = (): PresenceList => Object.create(null) as PresenceList;

/** Entries grouped by key, as lists and diffs show them. */
function group(entries: Iterable<Entry>): PresenceList {
  const out = byKey();
  for (const e of entries) (out[e.key] ??= { metas: [] }).metas.push(asMeta(e));
  return out;
}

function checkName(value: unknown, what: "topic" | "key", where: string): asserts value is string {
  if (typeof value !== "string" || value === "" || value.length > MAX_NAME) {
    throw new UsageError(`${where}: the ${what} must be a non-empty string of at most ${MAX_NAME} characters, got ${JSON.stringify(value)?.slice(0, 80) ?? String(value)}.${what === "key" ? " Use a user id or name: String(id)." : ""}`);
  }
}

/** A meta as stored: a detached JSON copy of a small plain object, without Revue's own `ref`. */
function cleanMeta(meta: unknown, where: string): Record<string, unknown> {
  if (typeof meta !== "object" || meta === null || Array.isArray(meta)) {
    throw new UsageError(`${where}: meta must be a plain object such as { name: "ann", status: "online" }, got ${Array.isArray(meta) ? "an array" : JSON.stringify(meta) ?? typeof meta}.`);
  }
  let json: string;
  try {
    json = JSON.stringify(meta);
  } catch (err) {
    throw new UsageError(`${where}: meta must be JSON (it crosses processes): ${(err as Error).message}`);
  }
  if (json.length > MAX_META_BYTES) {
    throw new UsageError(`${where}: meta is ${json.length} bytes of JSON, over the ${MAX_META_BYTES} a presence may carry. Keep a name and a status in it; look the rest up by key.`);
  }
  const copy = JSON.parse(json) as Record<string, unknown>;
  if (Object.hasOwn(copy, "ref")) throw new UsageError(`${where}: "ref" is Revue's own field of a meta (the id of one presence, a new one on every update); name yours otherwise.`);
  return copy;
}

function isWire(m: unknown): m is Wire {
  if (typeof m !== "object" || m === null) return false;
  const w = m as Record<string, unknown>;
  if (typeof w.node !== "string" || typeof w.vsn !== "number") return false;
  switch (w.type) {
    case "beat":
      return typeof w.seq === "number";
    case "delta":
      return typeof w.seq === "number" && Array.isArray(w.joins) && Array.isArray(w.leaves) && w.leaves.every((r) => typeof r === "string");
    case "state":
      return typeof w.seq === "number" && Array.isArray(w.entries);
    case "sync":
      return w.of === undefined || typeof w.of === "string";
    case "bye":
      return true;
    default:
      return false;
  }
}

function isEntry(e: unknown): e is Entry {
  const x = e as Entry;
  return typeof x === "object" && x !== null && typeof x.topic === "string" && typeof x.key === "string" && typeof x.ref === "string" && typeof x.meta === "object" && x.meta !== null;
}

function positive(value: number | undefined, fallback: number, name: string): number {
  if (value === undefined) return fallback;
  if (typeof value !== "number" || !(value > 0) || !Number.isFinite(value)) throw new RevueError("BAD_REQUEST", `${name} must be a positive number of milliseconds, got ${JSON.stringify(value)}.`);
  return value;
}

/** What names a signed-in user: a string user, else its `id`, `name` or `email`; undefined when none does. */
export function userKeyOf(user: unknown): string | undefined {
  if (typeof user === "string" && user) return user;
  if (typeof user === "object" && user !== null) {
    for (const field of ["id", "name", "email"] as const) {
      const v = (user as Record<string, unknown>)[field];
      if ((typeof v === "string" && v) || (typeof v === "number" && Number.isFinite(v))) return String(v);
    }
  }
  return undefined;
}

/** The presence key of a signed-in user ({@link userKeyOf}); a UsageError when there is none. */
function userKey(user: unknown, where: string): string {
  const key = userKeyOf(user);
  if (key !== undefined) return key;
  throw new UsageError(
    `${where}: no key was given and ${user === undefined || user === null ? "nobody is signed in" : "this.user has no id, name or email"}. Pass the key: this.presence.track(topic, key, meta).`,
  );
}

/** {@link SessionPresence} of one session: its methods on the prototype, so a session holds one small object, not a closure per method. */
class PresenceOfSession implements SessionPresence {
  constructor(
    private readonly presence: Presence,
    private readonly sid: string,
    private readonly user: () => unknown,
  ) {}

  track(topic: string, key?: string, meta?: Record<string, unknown>): string {
    return this.presence.track(this.sid, topic, this.keyOf(key, topic, "track"), meta);
  }

  update(topic: string, key: string, meta: Record<string, unknown> | ((meta: Record<string, unknown>) => Record<string, unknown>)): string {
    return this.presence.update(this.sid, topic, key, meta);
  }

  untrack(topic: string, key?: string): void {
    this.presence.untrack(this.sid, topic, this.keyOf(key, topic, "untrack"));
  }

  list(topic: string): PresenceList {
    return this.presence.list(topic);
  }

  private keyOf(key: string | undefined, topic: string, what: string): string {
    return key ?? this.presence.userKeyOf(this.user(), topic, what);
  }
}
