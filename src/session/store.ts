/**
 * Where sessions are recorded: which ids exist, which browser they belong to,
 * and until when an idle session lives. The live app instances stay in the
 * process that owns them; the store is what lets a server refuse unknown or
 * expired ids, cap the number of sessions, and (with a shared store such as
 * Redis) agree across processes.
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
 * A session registry with idle expiry.
 *
 * @example
 * const store = new MemorySessionStore();
 * await store.create({ sid, app: "", owner, createdAt: Date.now() }, 60_000);
 * await store.touch(sid, 60_000);   // keeps it alive another minute
 */
export interface SessionStore {
  /** Records a new session that expires after `ttlMs` unless touched. */
  create(record: SessionRecord, ttlMs: number): Promise<void>;
  /** The record, or undefined if unknown or expired. */
  get(sid: string): Promise<SessionRecord | undefined>;
  /** Extends the session's life to `ttlMs` from now (`Infinity`: no expiry, e.g. while a stream is open). */
  touch(sid: string, ttlMs: number): Promise<void>;
  delete(sid: string): Promise<void>;
  /** How many unexpired sessions exist. */
  count(): Promise<number>;
  /** Ids of sessions that have expired since the last call (the caller cleans them up). */
  expired(): Promise<string[]>;
  close(): Promise<void>;
}

/**
 * The default in-process {@link SessionStore}.
 *
 * @example
 * createServer(App, { store: new MemorySessionStore() });
 */
export class MemorySessionStore implements SessionStore {
  private readonly records = new Map<string, { record: SessionRecord; expiresAt: number }>();

  constructor(private readonly now: () => number = Date.now) {}

  async create(record: SessionRecord, ttlMs: number): Promise<void> {
    if (this.records.has(record.sid)) throw new Error(`MemorySessionStore.create: session ${record.sid.slice(0, 6)}… already exists; session ids must be unique.`);
    this.records.set(record.sid, { record: { ...record }, expiresAt: this.now() + ttlMs });
  }

  async get(sid: string): Promise<SessionRecord | undefined> {
    const entry = this.records.get(sid);
    if (!entry || entry.expiresAt <= this.now()) return undefined;
    return { ...entry.record };
  }

  async touch(sid: string, ttlMs: number): Promise<void> {
    const entry = this.records.get(sid);
    if (entry && entry.expiresAt > this.now()) entry.expiresAt = this.now() + ttlMs;
  }

  async delete(sid: string): Promise<void> {
    this.records.delete(sid);
  }

  async count(): Promise<number> {
    const now = this.now();
    let n = 0;
    for (const e of this.records.values()) if (e.expiresAt > now) n++;
    return n;
  }

  async expired(): Promise<string[]> {
    const now = this.now();
    const gone: string[] = [];
    for (const [sid, e] of this.records) {
      if (e.expiresAt <= now) {
        gone.push(sid);
        this.records.delete(sid);
      }
    }
    return gone;
  }

  async close(): Promise<void> {
    this.records.clear();
  }
}
