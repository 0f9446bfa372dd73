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

/**
 * A session registry with idle expiry: what the server asks on every request.
 *
 * @example
 * const store = new MemorySessionStore();
 * await store.create({ sid, app: "", owner, createdAt: Date.now() }, 60_000);
 * await store.touch(sid, 60_000);   // keeps it alive another minute
 * (await store.get(sid))?.owner     // the owner's token hash, or undefined once expired
 */
export interface SessionStore {
  /** Records a new session that expires after `ttlMs` unless touched; rejects if the id exists. */
  create(record: SessionRecord, ttlMs: number): Promise<void>;
  /** The record, or undefined if unknown or expired. */
  get(sid: string): Promise<SessionRecord | undefined>;
  /** Extends an unexpired session's life to `ttlMs` from now; resolves false (and does nothing) for an unknown or expired one. */
  touch(sid: string, ttlMs: number): Promise<boolean>;
  delete(sid: string): Promise<void>;
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
  private readonly records = new Map<string, { record: SessionRecord; expiresAt: number }>();
  private sweptAt = 0;

  constructor(private readonly now: () => number = Date.now, private readonly sweepMs = 10_000) {}

  async create(record: SessionRecord, ttlMs: number): Promise<void> {
    this.purge();
    const prior = this.records.get(record.sid);
    if (prior && prior.expiresAt > this.now()) throw new Error(`MemorySessionStore.create: session ${record.sid.slice(0, 6)}… already exists; session ids must be unique.`);
    this.records.set(record.sid, { record: { ...record }, expiresAt: this.now() + ttlMs });
  }

  async get(sid: string): Promise<SessionRecord | undefined> {
    const entry = this.records.get(sid);
    if (!entry) return undefined;
    if (entry.expiresAt <= this.now()) {
      this.records.delete(sid);
      return undefined;
    }
    return { ...entry.record };
  }

  async touch(sid: string, ttlMs: number): Promise<boolean> {
    const entry = this.records.get(sid);
    if (!entry || entry.expiresAt <= this.now()) return false;
    entry.expiresAt = this.now() + ttlMs;
    return true;
  }

  async delete(sid: string): Promise<void> {
    this.records.delete(sid);
  }

  async close(): Promise<void> {
    this.records.clear();
  }

  /** Drops expired records now and then, so ids nobody asks about again do not pile up. */
  private purge(): void {
    const now = this.now();
    if (now - this.sweptAt < this.sweepMs) return;
    this.sweptAt = now;
    for (const [sid, e] of this.records) if (e.expiresAt <= now) this.records.delete(sid);
  }
}
