import { randomBytes } from "node:crypto";
import { hostname } from "node:os";
import { addStats, emptyStats, type AppStats } from "../session/meter.js";

export type { AppStats } from "../session/meter.js";

/**
 * What `srv.stats()` returns: this process (node) and each mounted app, now.
 * Counters (`messagesIn`, `messagesOut`, `bytesSent`) count since the server
 * was created; the rest are what is there at the time of the call.
 *
 * @example
 * const s = srv.stats();
 * // { node: "web-1-4711-k3Jd", uptime: 812.4, draining: false,
 * //   total: { sessions: { live: 120, pending: 4, hibernated: 30 }, streams: 118, rooms: { count: 9, members: 131 },
 * //            queuedCalls: 0, messagesIn: { realtime: 5210, rpc: 88, emit: 40 },
 * //            messagesOut: { init: 160, patch: 5301, call: 12, event: 2400, error: 1, bye: 35 }, bytesSent: 1893320 },
 * //   apps: { "/": { … }, "/chat": { … } } }
 * const chatRooms = srv.stats({ rooms: true }).apps["/chat"].rooms.names; // { lobby: 12, "team-7": 3 }
 */
export interface ServerStats {
  /** This process's node id (the `node` option of `createServer`). */
  node: string;
  /** Seconds since the server was created. */
  uptime: number;
  /** Whether `close()` has started (`GET /api/status` then answers 503). */
  draining: boolean;
  /** The whole node: every app's stats summed. */
  total: AppStats;
  /** Each mounted app's stats, by its mount path ("/", "/chat"). */
  apps: Record<string, AppStats>;
}

/** What `srv.stats(options)` may add. */
export interface StatsOptions {
  /** Include each app's room names with their member counts (`rooms.names`). Default false: room names may be user data. */
  rooms?: boolean;
}

/** A node id unique enough to tell processes apart in logs and metrics: host, pid and a few random characters. */
export function defaultNodeId(): string {
  return `${hostname()}-${process.pid}-${randomBytes(3).toString("base64url")}`;
}

/** Puts the apps' stats together with the node's. */
export function serverStats(node: string, createdAt: number, draining: boolean, apps: Iterable<[path: string, stats: AppStats]>): ServerStats {
  const byPath: Record<string, AppStats> = {};
  const total = emptyStats();
  for (const [path, stats] of apps) {
    byPath[path] = stats;
    addStats(total, stats);
  }
  return { node, uptime: Math.round(Date.now() - createdAt) / 1000, draining, total, apps: byPath };
}
