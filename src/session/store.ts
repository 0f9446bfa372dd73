/**
 * Where sessions are recorded: the source of truth for whether a session
 * exists, which browser owns it, and until when it lives. The live app
 * instances stay in the process that runs them; every request first asks the
 * store, so a shared store (Redis) makes all processes agree.
 */

/** What a store keeps for one session. */
export interface SessionRecord {
  sid: string;
  /** The app's mount prefix ("" or "/chat"). */
  app: string;
  /** Hash of the browser token (the HttpOnly cookie) the session is bound to. */
  owner: string;
  createdAt: number;
}

/** A node's hold on a session: who, and the fencing token of this grant (every grant gets a higher one). */
export interface Lease {
  node: string;
  token: number;
}

/** What {@link SessionStore.load} returns: the last saved snapshot and the current holder, if any. */
export interface SavedSession {
  record: SessionRecord;
  /** The JSON of the session's last saved snapshot (`hub.snapshot()`), if one was saved. */
  snapshot?: string;
  /** The node holding the session, and until when (ms since epoch) unless it renews. */
  holder?: Lease & { until: number };
}

/**
 * A session registry with idle expiry, and, for several processes, ownership
 * and snapshots: what the server asks on every request.
 *
 * Ownership is a lease with a fencing token: one node at a time holds a
 * session, renews its lease while alive, and saves the session's snapshot
 * under its token; a save under an older token (a node that lost the lease
 * without knowing) is refused, so two nodes never both write a session.
 *
 * @example
 * const store = new MemorySessionStore();
 * await store.create({ sid, app: "", owner, createdAt: Date.now() }, 60_000);
 * await store.touch(sid, 60_000);                        // keeps it alive another minute
 * const lease = await store.claim(sid, "node-a", 5_000); // { node: "node-a", token: 1 }
 * await store.save(sid, lease!, JSON.stringify(snapshot));
 */
export interface SessionStore {
  /** True for a store several processes share (Redis): createServer then runs as one node of several (`cluster`). */
  readonly shared?: boolean;
  /** Records a new session that expires after `ttlMs` unless touched; rejects if the id exists. */
  create(record: SessionRecord, ttlMs: number): Promise<void>;
  /** The record, or undefined if unknown or expired. */
  get(sid: string): Promise<SessionRecord | undefined>;
  /** Extends an unexpired session's life to `ttlMs` from now; resolves false (and does nothing) for an unknown or expired one. */
  touch(sid: string, ttlMs: number): Promise<boolean>;
  /** Forgets a session: its record, lease and snapshot. */
  delete(sid: string): Promise<void>;
  /**
   * Grants `node` the session for `leaseMs`: when nobody holds it, its lease
   * ran out, `node` holds it already (a renewal under a new token), or
   * `steal` and the holder is not `node` (the caller knows the holder is
   * dead). Undefined when another node holds it, or the session is unknown.
   */
  claim(sid: string, node: string, leaseMs: number, steal?: boolean): Promise<Lease | undefined>;
  /** Extends a lease that is still the current one; false when it was lost (another grant came since). */
  renew(sid: string, lease: Lease, leaseMs: number): Promise<boolean>;
  /** Gives a lease up (a clean shutdown): the next claim needs no wait. */
  release(sid: string, lease: Lease): Promise<void>;
  /** Saves the session's snapshot JSON, only under the current lease; false (nothing written) otherwise. */
  save(sid: string, lease: Lease, snapshot: string): Promise<boolean>;
  /** The record, last snapshot and holder; undefined if unknown or expired. */
  load(sid: string): Promise<SavedSession | undefined>;
  /** Records that `node` is alive for another `ttlMs` (its heartbeat). */
  beat(node: string, ttlMs: number): Promise<void>;
  /** Whether `node` beat within its last `ttlMs`. */
  alive(node: string): Promise<boolean>;
  /**
   * Resolves when the store answers (a round trip to its server), rejects
   * when it cannot be reached. Optional: `GET /api/status` answers 503 while
   * it rejects, and takes a store without it as always reachable.
   */
  ping?(): Promise<void>;
  /** Releases connections and memory; later calls may reject. */
  close(): Promise<void>;
}

/**
 * The default in-process {@link SessionStore}. Expired records are removed
 * when read, and by a sweep every `sweepMs` at most.
 *
 * @example
 * createServer(App, { store: new MemorySessionStore() });
 */
export class MemorySessionStore implements SessionStore {
  private readonly records = new Map<string, { record: SessionRecord; expiresAt: number; snapshot?: string; holder?: Lease & { until: number } }>();
  private readonly nodes = new Map<string, number>();
  private tokens = 0;
  private sweptAt = 0;

  /**
   * @param now    the clock (tests move it)
   * @param shared treat it as shared by several servers (tests of several nodes in one process)
   */
  constructor(private readonly now: () => number = Date.now, private readonly sweepMs = 10_000, readonly shared = false) {}

  async create(record: SessionRecord, ttlMs: number): Promise<void> {
    this.purge();
    const prior = this.records.get(record.sid);
    if (prior && prior.expiresAt > this.now()) throw new Error(`MemorySessionStore.create: session ${record.sid.slice(0, 6)}… already exists; session ids must be unique.`);
    this.records.set(record.sid, { record: { ...record }, expiresAt: this.now() + ttlMs });
  }

  async get(sid: string): Promise<SessionRecord | undefined> {
    const entry = this.entryOf(sid);
    return entry && { ...entry.record };
  }

  async touch(sid: string, ttlMs: number): Promise<boolean> {
    const entry = this.entryOf(sid);
    if (!entry) return false;
    entry.expiresAt = this.now() + ttlMs;
    return true;
  }

  async delete(sid: string): Promise<void> {
    this.records.delete(sid);
  }

  async claim(sid: string, node: string, leaseMs: number, steal = false): Promise<Lease | undefined> {
    const entry = this.entryOf(sid);
    if (!entry) return undefined;
    const holder = entry.holder;
    if (holder && holder.until > this.now() && holder.node !== node && !steal) return undefined;
    const lease = { node, token: ++this.tokens };
    entry.holder = { ...lease, until: this.now() + leaseMs };
    return lease;
  }

  async renew(sid: string, lease: Lease, leaseMs: number): Promise<boolean> {
    const entry = this.current(sid, lease);
    if (!entry) return false;
    entry.holder!.until = this.now() + leaseMs;
    return true;
  }

  async release(sid: string, lease: Lease): Promise<void> {
    const entry = this.current(sid, lease);
    if (entry) entry.holder = undefined;
  }

  async save(sid: string, lease: Lease, snapshot: string): Promise<boolean> {
    const entry = this.current(sid, lease);
    if (!entry) return false;
    entry.snapshot = snapshot;
    return true;
  }

  async load(sid: string): Promise<SavedSession | undefined> {
    const entry = this.entryOf(sid);
    if (!entry) return undefined;
    return { record: { ...entry.record }, snapshot: entry.snapshot, holder: entry.holder && { ...entry.holder } };
  }

  async beat(node: string, ttlMs: number): Promise<void> {
    this.nodes.set(node, this.now() + ttlMs);
  }

  async alive(node: string): Promise<boolean> {
    return (this.nodes.get(node) ?? 0) > this.now();
  }

  /** In memory: always reachable. */
  async ping(): Promise<void> {}

  async close(): Promise<void> {
    this.records.clear();
    this.nodes.clear();
  }

  /** The unexpired entry of `sid` (an expired one is removed on the way). */
  private entryOf(sid: string) {
    const entry = this.records.get(sid);
    if (!entry) return undefined;
    if (entry.expiresAt <= this.now()) {
      this.records.delete(sid);
      return undefined;
    }
    return entry;
  }

  /** The entry of `sid` if `lease` is its current, unexpired lease. */
  private current(sid: string, lease: Lease) {
    const entry = this.entryOf(sid);
    const holder = entry?.holder;
    return holder && holder.token === lease.token && holder.node === lease.node ? entry : undefined;
  }

  /** Drops expired records now and then, so ids nobody asks about again do not pile up. */
  private purge(): void {
    const now = this.now();
    if (now - this.sweptAt < this.sweepMs) return;
    this.sweptAt = now;
    for (const [sid, e] of this.records) if (e.expiresAt <= now) this.records.delete(sid);
  }
}
