import { getHeapStatistics } from "node:v8";
import { SessionError } from "../errors.js";
import { DEFAULT_CALL_LIMITS, type CallLimits } from "./calls.js";
import type { Logger } from "./logger.js";
import type { Session } from "./session.js";
import type { StreamLimits } from "./stream.js";
import type { UploadQuota } from "./uploads.js";

/** Every per-process session limit, resolved (see `ServerOptions` for each one's meaning). */
export interface SessionLimits {
  sessionTtlMs: number;
  pendingTtlMs: number;
  maxSessions: number;
  maxPendingSessions: number;
  maxSessionBytes: number;
  restAfterMs: number;
  maxRoomsPerSession: number;
  maxQueuedEvents: number;
  calls: CallLimits;
  stream: StreamLimits;
  uploads: UploadQuota;
}

/** The defaults: what `createServer` uses for options left out. */
export function defaultLimits(): SessionLimits {
  return {
    sessionTtlMs: 15 * 60_000,
    pendingTtlMs: 30_000,
    maxSessions: 10_000,
    maxPendingSessions: 1_000,
    // A quarter of the heap this process may grow to: sessions yield memory before the process runs out.
    maxSessionBytes: Math.floor(getHeapStatistics().heap_size_limit / 4),
    restAfterMs: 5_000,
    maxRoomsPerSession: 64,
    maxQueuedEvents: 1_000,
    calls: { ...DEFAULT_CALL_LIMITS },
    stream: { replayBytes: 64 * 1024, maxPendingBytes: 1024 * 1024, retryMs: 1_000, heartbeatMs: 15_000 },
    uploads: { bytes: 50 * 1024 * 1024, files: 50 },
  };
}

/** A connected session at rest keeps its replay buffer this long, for a page whose connection just dropped. */
const REPLAY_KEPT_MS = 30_000;

/**
 * Pending sessions weighed per hub per round; the others are taken to weigh
 * their mean (a flood of page loads is weighed by sample: weighing each, as
 * live sessions are, would add a snapshot of its state per page load, ≈ 0.7 ms
 * for 1,000 rows).
 */
const PENDING_SAMPLES = 4;

/**
 * How long a pending session is spared by the budget: its page is likely still
 * loading the runtime, and ending it would only make it start again. Older
 * ones are what a flood of page loads leaves.
 */
const PENDING_GRACE_MS = 2_000;

/**
 * CPU a round may spend weighing sessions that are in use (their state changed
 * since it was weighed and they have not rested): each is weighed at most once
 * per `restAfterMs`, and those left over wait for the next rounds. Weighed only
 * at rest, a script that called each of its sessions every 3 s kept their
 * state out of the budget: 300 sessions of 1.8 MB took a 384 MB heap down
 * (attack probe).
 */
const BUSY_WEIGH_MS = 20;

/** What the pool needs from each hub. */
export interface PoolMember {
  /** Every session of the hub. */
  sessions(): Iterable<Session>;
  /** Ends sessions whose record expired; keeps connected ones alive. */
  expire(): Promise<void>;
  /** Ends a session to make room (`evicted`). */
  evict(session: Session): Promise<void>;
  /** Drops a session's tree and keeps its state as compactly as it can. */
  hibernate(session: Session): void;
  /** Estimates the memory of a session's app state (`Session.stateBytes`). */
  weigh(session: Session): void;
}

/**
 * The sessions of one process, across every mounted app: the counts the caps
 * apply to, the memory budget, and the maintenance timer that rests idle
 * sessions (packs their trees), expires old ones and, past the budget,
 * hibernates the least recently used.
 */
export class SessionPool {
  /** Live and hibernated sessions (pending ones are counted apart). */
  live = 0;
  /** Pending sessions, oldest first: the first evicted when the cap is reached. */
  readonly pending = new Map<Session, PoolMember>();
  private readonly members = new Set<PoolMember>();
  private timer: ReturnType<typeof setInterval> | undefined;
  private expiredAt = 0;
  private sweeping: Promise<void> | undefined;
  /** What a pending session of each hub weighs, by the last ones weighed (see {@link PENDING_SAMPLES}). */
  private readonly pendingMean = new Map<PoolMember, number>();

  constructor(readonly limits: SessionLimits, private readonly logger: Logger) {}

  /** Adds a hub; the first one starts the maintenance timer. */
  join(member: PoolMember): void {
    this.members.add(member);
    if (this.timer) return;
    const l = this.limits;
    const every = Math.max(50, Math.min(1_000, l.restAfterMs, l.pendingTtlMs / 2, l.sessionTtlMs / 2));
    this.timer = setInterval(() => void this.sweep(), every);
    this.timer.unref();
  }

  /** Removes a hub; the last one stops the timer. */
  leave(member: PoolMember): void {
    this.members.delete(member);
    this.pendingMean.delete(member);
    if (this.members.size > 0) return;
    clearInterval(this.timer);
    this.timer = undefined;
  }

  /** When a new session was last refused at `maxSessions` (see {@link refuseNew}). */
  private fullAt = 0;
  /** Refusals at `maxSessions` not yet in a warning, and when the last warning was logged. */
  private refusedSince = 0;
  private warnedFullAt = 0;

  /**
   * The refusal of a page that would pass `maxSessions` (TOO_MANY_SESSIONS,
   * 503 with `Retry-After`), counted: a warning at most once a minute says
   * how many were refused (a flood of streams from one client locked new
   * visitors out with nothing in the log), and {@link full} says so for a while.
   */
  refuseNew(): SessionError {
    const now = Date.now();
    this.fullAt = now;
    this.refusedSince++;
    if (now - this.warnedFullAt >= 60_000) {
      this.logger.warn(
        `[revue] ${this.refusedSince} new session(s) refused since the last warning: this process holds ${this.live} live sessions, its limit (maxSessions), and none idle to end. Raise maxSessions or lower sessionTtlMs; a crowd from one address is best capped at the proxy (nginx limit_conn on /api/sse/).`,
      );
      this.warnedFullAt = now;
      this.refusedSince = 0;
    }
    return new SessionError("TOO_MANY_SESSIONS", `This server is at its limit of ${this.limits.maxSessions} sessions; try again in a moment. (Operators: raise maxSessions or lower sessionTtlMs in createServer options.)`, { retryAfterMs: 5_000 });
  }

  /** Whether a new session was refused at `maxSessions` in the last 10 s (`GET /api/status` says `full`). */
  get full(): boolean {
    return Date.now() - this.fullAt < 10_000;
  }

  /** New sessions whose `@server.on("load")` handlers run now (see {@link loading}). */
  private loadingNow = 0;

  /**
   * Runs a new session's `load` handlers, counted as a pending session: they
   * cannot be evicted (their work is under way), so past `maxPendingSessions`
   * loading at once a new page is refused with a 503 that asks it to retry (a
   * flood of page loads started every load handler at once, each a database query).
   */
  async loading<T>(app: string, work: () => Promise<T>): Promise<T> {
    if (this.loadingNow >= this.limits.maxPendingSessions) {
      // TOO_MANY_SESSIONS (503, Retry-After), as a full server: a crowd of page loads is not an outage to log line by line.
      throw new SessionError("TOO_MANY_SESSIONS", `${app}: ${this.loadingNow} new pages are loading their data (@server.on("load")) at once, the limit (maxPendingSessions). Try again in a moment.`, { retryAfterMs: 1_000 });
    }
    this.loadingNow++;
    try {
      return await work();
    } finally {
      this.loadingNow--;
    }
  }

  /**
   * Makes room for one more pending session: past `maxPendingSessions`
   * (sessions running their `load` handlers counted), the oldest pending one
   * is evicted (its page re-bootstraps if it ever connects).
   */
  async admitPending(): Promise<void> {
    while (this.pending.size > 0 && this.pending.size + this.loadingNow >= this.limits.maxPendingSessions) {
      const [oldest, member] = this.pending.entries().next().value as [Session, PoolMember];
      this.pending.delete(oldest);
      await member.evict(oldest);
    }
  }

  /**
   * Makes room for one more live session at `maxSessions`: ends the least
   * recently active live session that has no open stream and nothing running
   * (its page, if it comes back, starts a new session and gets its forms back).
   * False when every live session has its page open: the cap refuses then.
   * Without it, pages that made one call and never opened a stream (a script's
   * `GET /` and `POST /api/event`, 2 requests each) held every place for `sessionTtlMs`.
   */
  evictIdleLive(): boolean {
    let victim: Session | undefined, owner: PoolMember | undefined;
    for (const m of this.members) {
      for (const s of m.sessions()) {
        if (s.state === "pending" || s.connected || !s.calls.idle) continue;
        if (victim === undefined || s.lastActive < victim.lastActive) [victim, owner] = [s, m];
      }
    }
    if (victim === undefined) return false;
    // Counted out at once (the hub forgets it before its end's first await), so the new session fits now.
    owner!.evict(victim).catch((err) => this.logger.error("[revue] ending a session to make room failed:", err));
    return true;
  }

  /** One maintenance round (the timer runs it; tests may too). Rounds never overlap. */
  sweep(now = Date.now()): Promise<void> {
    return (this.sweeping ??= this.round(now).finally(() => (this.sweeping = undefined)));
  }

  private async round(now: number): Promise<void> {
    try {
      const l = this.limits;
      if (now - this.expiredAt >= Math.min(30_000, l.sessionTtlMs / 2, l.pendingTtlMs / 2)) {
        this.expiredAt = now;
        for (const m of this.members) await m.expire();
      }
      let total = 0;
      const weighUntil = performance.now() + BUSY_WEIGH_MS;
      for (const m of this.members) {
        let sampled = 0;
        for (const s of m.sessions()) {
          if (s.state === "pending") {
            // A page load's session holds the app's state until its page connects: 600 loads of an app holding 1.7 MB each
            // took a 1 GB heap down, the budget not counting them (attacker probe).
            if (s.weighedAt < 0 && sampled < PENDING_SAMPLES) {
              m.weigh(s);
              sampled++;
              const mean = this.pendingMean.get(m);
              this.pendingMean.set(m, mean === undefined ? s.bytes : mean * 0.75 + s.bytes * 0.25);
            }
            total += this.pendingBytes(s, m);
            continue;
          }
          const idle = now - s.lastActive;
          if (s.state === "live" && idle >= l.restAfterMs * s.restScale) {
            s.rest(idle >= REPLAY_KEPT_MS, now);
            // Its app state is weighed once it rests after a change: a script's sessions, each holding a large state
            // after one call and no stream, passed the budget uncounted (2,000 of them: 2.5 GB).
            if (s.weighedAt < s.lastActive) m.weigh(s);
          } else if (s.state === "live" && s.weighedAt < s.lastActive && now - s.weighedAt >= l.restAfterMs && performance.now() < weighUntil) m.weigh(s);
          total += s.bytes;
        }
      }
      if (total > l.maxSessionBytes) await this.shed(total, now);
    } catch (err) {
      this.logger.error("[revue] session maintenance failed:", err);
    }
  }

  /**
   * Over the budget: hibernates the least recently active sessions (their
   * state stays, their trees go) until 90 % of it is used; if that is not
   * enough, evicts the least recently active sessions with no open stream.
   */
  private async shed(total: number, now: number): Promise<void> {
    const target = this.limits.maxSessionBytes * 0.9;
    let hibernated = 0, evicted = 0;
    // Pages that have not connected for PENDING_GRACE_MS go first, the oldest first: the cheapest to lose (one that
    // connects later starts afresh, its forms recovered), where hibernating live sessions would cost pages in use their trees.
    for (const [s, m] of [...this.pending]) {
      if (total <= target || now - s.lastActive < PENDING_GRACE_MS) break;
      total -= this.pendingBytes(s, m);
      this.pending.delete(s);
      await m.evict(s);
      evicted++;
    }
    const all: [Session, PoolMember][] = [];
    for (const m of this.members) for (const s of m.sessions()) if (s.state !== "pending") all.push([s, m]);
    all.sort((a, b) => a[0].lastActive - b[0].lastActive);
    for (const [s, m] of all) {
      if (total <= target) break;
      const before = s.bytes;
      m.hibernate(s);
      total -= before - s.bytes;
      if (before !== s.bytes) hibernated++;
    }
    for (const [s, m] of all) {
      if (total <= target) break;
      if (s.connected || !s.calls.idle) continue;
      total -= s.bytes;
      await m.evict(s);
      evicted++;
    }
    // Over the budget with nothing left to do (every session holds an open page): said once a minute, not at every sweep.
    if (hibernated + evicted === 0) {
      if (Date.now() - this.warnedStuck < 60_000) return;
      this.warnedStuck = Date.now();
    }
    this.logger.warn(
      `[revue] sessions passed their memory budget (maxSessionBytes ${this.limits.maxSessionBytes}): hibernated ${hibernated} and ended ${evicted} without an open page, the least recently used first; ` +
        `now about ${Math.round(total)} bytes${total > target ? " (the sessions left all have an open page)" : ""}. Raise maxSessionBytes if this happens often.`,
    );
  }

  /** What a pending session counts for in the budget: its weight, or its hub's pending sessions' mean until it is weighed. */
  private pendingBytes(s: Session, m: PoolMember): number {
    return s.weighedAt < 0 ? Math.max(s.bytes, this.pendingMean.get(m) ?? 0) : s.bytes;
  }

  /** When the budget was last found out of reach (see {@link shed}). */
  private warnedStuck = -Infinity;
}
