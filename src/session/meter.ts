import type { ServerMessage } from "../protocol.js";
import type { PageCall } from "./hub.js";
import type { Rooms } from "./rooms.js";
import type { Session } from "./session.js";

/**
 * What one app's sessions hold now and did since the server started: what
 * `srv.stats()` reports per mounted app (and summed for the node), and what
 * the Prometheus metrics mirror. Every field is a plain number.
 *
 * @example
 * const { sessions, streams, messagesIn } = srv.stats().apps["/"];
 * console.log(`${sessions.live} live, ${streams} streams, ${messagesIn.rpc} rpcs`);
 */
export interface AppStats {
  /** Sessions by state (ARCHITECTURE.md §6): pages served and not connected, connected or recently used, and hibernated to a snapshot. */
  sessions: { live: number; pending: number; hibernated: number };
  /** SSE streams open now (one per connected page). */
  streams: number;
  /**
   * Rooms with at least one member, and memberships (a session in three rooms
   * counts three). `names` (room → members) only with `srv.stats({ rooms: true })`:
   * room names may be user data, and there may be many.
   */
  rooms: { count: number; members: number; names?: Record<string, number> };
  /** Page calls accepted and not finished yet (held for their turn, queued or running). */
  queuedCalls: number;
  /** Page calls accepted since the server started, by kind (a retry of an accepted call is not counted again; a refused call is not counted). */
  messagesIn: Record<PageCall["kind"], number>;
  /**
   * Messages sent to pages since the server started, by type: written to the
   * open stream, or kept for the page's `Last-Event-ID` replay while it has
   * none (each counted once, replays not again). `bye` counts goodbyes written.
   */
  messagesOut: Record<ServerMessage["type"], number>;
  /** Bytes written to SSE streams since the server started (frames, replays, `retry:` lines, heartbeats, goodbyes; not headers). */
  bytesSent: number;
}

/**
 * One app's counters, bumped where the events happen (the hub accepts a
 * call, a session's stream sends or writes a frame), so reading them costs
 * nothing. Gauges (sessions by state, open streams, queued calls) are not kept
 * as counters: {@link Meter.read} takes them in one walk over the app's
 * sessions, which keeps them true however a session changes state (measured:
 * 0.2 to 0.6 ms per 10,000 sessions).
 */
export class Meter {
  readonly messagesIn: AppStats["messagesIn"] = { realtime: 0, rpc: 0, emit: 0 };
  readonly messagesOut: AppStats["messagesOut"] = { init: 0, patch: 0, call: 0, event: 0, error: 0, bye: 0 };
  bytesSent = 0;

  /** The app's stats now: the counters, and the gauges from one walk over `sessions`. */
  read(sessions: Iterable<Session>, rooms: Rooms, roomNames = false): AppStats {
    const stats = emptyStats();
    stats.rooms = { count: rooms.count, members: rooms.memberships };
    Object.assign(stats.messagesIn, this.messagesIn);
    Object.assign(stats.messagesOut, this.messagesOut);
    stats.bytesSent = this.bytesSent;
    for (const s of sessions) {
      const state = s.state;
      if (state !== "ended") stats.sessions[state]++;
      if (s.connected) stats.streams++;
      stats.queuedCalls += s.calls.pending;
    }
    if (roomNames) stats.rooms.names = rooms.sizes();
    return stats;
  }
}

/** Adds `b` into `a` (the node's totals are its apps' sums). */
export function addStats(a: AppStats, b: AppStats): AppStats {
  a.sessions.live += b.sessions.live;
  a.sessions.pending += b.sessions.pending;
  a.sessions.hibernated += b.sessions.hibernated;
  a.streams += b.streams;
  a.rooms.count += b.rooms.count;
  a.rooms.members += b.rooms.members;
  a.queuedCalls += b.queuedCalls;
  for (const k of Object.keys(b.messagesIn) as (keyof AppStats["messagesIn"])[]) a.messagesIn[k] += b.messagesIn[k];
  for (const k of Object.keys(b.messagesOut) as (keyof AppStats["messagesOut"])[]) a.messagesOut[k] += b.messagesOut[k];
  a.bytesSent += b.bytesSent;
  return a;
}

/** Stats of nothing: the start of a sum. */
export function emptyStats(): AppStats {
  return {
    sessions: { live: 0, pending: 0, hibernated: 0 },
    streams: 0,
    rooms: { count: 0, members: 0 },
    queuedCalls: 0,
    messagesIn: { realtime: 0, rpc: 0, emit: 0 },
    messagesOut: { init: 0, patch: 0, call: 0, event: 0, error: 0, bye: 0 },
    bytesSent: 0,
  };
}
