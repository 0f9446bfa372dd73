import type { Lease, SavedSession, SessionRecord, SessionStore } from "../session/store.js";
import { RedisLink, type RedisClient, type RedisConnectionOptions } from "./connection.js";
import { redis } from "./load.js";

/** Options of {@link RedisSessionStore}: a connection (`url` or `client`) and a key prefix. */
export type RedisSessionStoreOptions = RedisConnectionOptions;

/**
 * Lua helpers every lease script shares: Redis's clock in ms (so every node
 * measures leases on one clock), and integers written as digits (Lua would
 * write 1.8e15 as "1.8e+15").
 */
const PRELUDE = `
local function nowMs()
  local t = redis.call('TIME')
  return tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
end
local function int(n) return string.format('%d', n) end
local function isCurrent(key, node, token)
  local h = redis.call('HMGET', key, 'node', 'token')
  return h[1] == node and h[2] == token
end
`;

/** A script (its text and SHA1), run through evalSha/eval (`RedisSessionStore.eval`), so that a client passed in needs no `scripts` option. */
const script = (body: string) =>
  redis.defineScript({ SCRIPT: PRELUDE + body, parseCommand() {}, transformReply: undefined as any });

/** KEYS: session. ARGV: record JSON, ttl ms. 1 if created, 0 if the id is taken. */
const CREATE = script(`
if redis.call('EXISTS', KEYS[1]) == 1 then return 0 end
redis.call('HSET', KEYS[1], 'record', ARGV[1])
redis.call('PEXPIRE', KEYS[1], ARGV[2])
return 1
`);

/**
 * KEYS: session, token counter. ARGV: node, lease ms, steal ("1"). The new
 * token, or nil when another node holds an unexpired lease (or the session is
 * unknown). Tokens come from one INCR counter, so each grant's is higher than
 * any before; a new counter (first use, or a Redis that lost its data) starts
 * at Redis's clock × 1000, above every token granted before it.
 */
const CLAIM = script(`
if redis.call('EXISTS', KEYS[1]) == 0 then return false end
local now = nowMs()
local h = redis.call('HMGET', KEYS[1], 'node', 'until')
if h[1] and tonumber(h[2]) > now and h[1] ~= ARGV[1] and ARGV[3] ~= '1' then return false end
local token = redis.call('INCR', KEYS[2])
if token == 1 then
  token = now * 1000
  redis.call('SET', KEYS[2], int(token))
end
redis.call('HSET', KEYS[1], 'node', ARGV[1], 'token', int(token), 'until', int(now + tonumber(ARGV[2])))
return token
`);

/** KEYS: session. ARGV: node, token, lease ms. 1 if the lease was current and now runs another lease ms. */
const RENEW = script(`
if not isCurrent(KEYS[1], ARGV[1], ARGV[2]) then return 0 end
redis.call('HSET', KEYS[1], 'until', int(nowMs() + tonumber(ARGV[3])))
return 1
`);

/** KEYS: session. ARGV: node, token. Drops the holder if the lease is current. */
const RELEASE = script(`
if not isCurrent(KEYS[1], ARGV[1], ARGV[2]) then return 0 end
redis.call('HDEL', KEYS[1], 'node', 'token', 'until')
return 1
`);

/** KEYS: session. ARGV: node, token, snapshot JSON. 1 if saved (the lease is current), 0 if fenced off. */
const SAVE = script(`
if not isCurrent(KEYS[1], ARGV[1], ARGV[2]) then return 0 end
redis.call('HSET', KEYS[1], 'snapshot', ARGV[3])
return 1
`);

/**
 * The {@link SessionStore} for several processes, on Redis (through
 * `@redis/client`). Keys (under `prefix`, default `"revue:"`):
 *
 * - `session:<sid>` — one hash per session: `record` (its JSON), `snapshot`
 *   (the last saved one), and the holder's `node`, `token` and `until` (ms on
 *   Redis's clock). Its PEXPIRE is the session's idle TTL: `touch` extends it,
 *   and when it runs out Redis forgets record, snapshot and lease together.
 * - `lease-token` — the counter every grant INCRs, so fencing tokens only grow.
 * - `node:<name>` — a node's heartbeat, a key with a PX TTL.
 *
 * Claims, renewals, releases and saves are Lua scripts: the fencing check and
 * the write are one atomic step, so a node whose lease was taken can neither
 * renew nor save. While Redis is unreachable every method rejects at once with
 * a `RedisUnavailableError`, and one line per outage goes to `logger`.
 * A Redis that restarts without persistence forgets every session: pages then
 * start new sessions by themselves (a re-bootstrap), as after a restart of a
 * single process.
 *
 * @example
 * import { createServer } from "revue";
 * import { RedisPubSub, RedisSessionStore } from "revue/redis";
 * createServer(Chat, {
 *   store: new RedisSessionStore({ url: "redis://127.0.0.1:6379" }),
 *   pubsub: new RedisPubSub({ url: "redis://127.0.0.1:6379" }),
 * });
 *
 * @example
 * const store = new RedisSessionStore({ client, prefix: "shop:" }); // your client: never closed here
 * const lease = await store.claim(sid, "node-a", 5_000);            // { node: "node-a", token: 1718000000000001 }
 * if (lease) await store.save(sid, lease, JSON.stringify(snapshot));
 */
export class RedisSessionStore implements SessionStore {
  /** Several servers share it: `createServer` turns its `cluster` mode on (leases, saves after handlers, forwarding, failover). */
  readonly shared = true;
  private readonly link: RedisLink;

  constructor(options: RedisSessionStoreOptions = {}) {
    this.link = new RedisLink("RedisSessionStore", options, "Session lookups, leases and saves reject until it is back.");
  }

  /** The client this store uses (yours, or the one it created). */
  get client(): RedisClient {
    return this.link.client;
  }

  async create(record: SessionRecord, ttlMs: number): Promise<void> {
    const created = await this.eval("create", CREATE, [this.key(record.sid)], [JSON.stringify(record), ms(ttlMs, "create", "ttlMs")]);
    if (created !== 1) throw new Error(`RedisSessionStore.create: session ${record.sid.slice(0, 6)}… already exists; session ids must be unique.`);
  }

  async get(sid: string): Promise<SessionRecord | undefined> {
    const json = await this.link.run("get", () => this.link.client.hGet(this.key(sid), "record"));
    return json ? (JSON.parse(String(json)) as SessionRecord) : undefined;
  }

  async touch(sid: string, ttlMs: number): Promise<boolean> {
    const ttl = ms(ttlMs, "touch", "ttlMs");
    return (await this.link.run("touch", () => this.link.client.pExpire(this.key(sid), Number(ttl)))) === 1;
  }

  async delete(sid: string): Promise<void> {
    await this.link.run("delete", () => this.link.client.del(this.key(sid)));
  }

  async claim(sid: string, node: string, leaseMs: number, steal = false): Promise<Lease | undefined> {
    const token = await this.eval("claim", CLAIM, [this.key(sid), this.tokenKey()], [node, ms(leaseMs, "claim", "leaseMs"), steal ? "1" : "0"]);
    return token == null ? undefined : { node, token: Number(token) };
  }

  async renew(sid: string, lease: Lease, leaseMs: number): Promise<boolean> {
    return (await this.eval("renew", RENEW, [this.key(sid)], [lease.node, String(lease.token), ms(leaseMs, "renew", "leaseMs")])) === 1;
  }

  async release(sid: string, lease: Lease): Promise<void> {
    await this.eval("release", RELEASE, [this.key(sid)], [lease.node, String(lease.token)]);
  }

  async save(sid: string, lease: Lease, snapshot: string): Promise<boolean> {
    if (typeof snapshot !== "string") throw new TypeError(`RedisSessionStore.save: the snapshot must be a string (its JSON), got ${typeof snapshot}.`);
    return (await this.eval("save", SAVE, [this.key(sid)], [lease.node, String(lease.token), snapshot])) === 1;
  }

  async load(sid: string): Promise<SavedSession | undefined> {
    const hash = (await this.link.run("load", () => this.link.client.hGetAll(this.key(sid)))) as Record<string, string>;
    if (!hash?.record) return undefined;
    const saved: SavedSession = { record: JSON.parse(String(hash.record)) };
    if (hash.snapshot !== undefined) saved.snapshot = String(hash.snapshot);
    if (hash.node !== undefined) saved.holder = { node: String(hash.node), token: Number(hash.token), until: Number(hash.until) };
    return saved;
  }

  async beat(node: string, ttlMs: number): Promise<void> {
    const ttl = Number(ms(ttlMs, "beat", "ttlMs"));
    await this.link.run("beat", () => this.link.client.set(this.nodeKey(node), String(Date.now()), { expiration: { type: "PX", value: ttl } }));
  }

  async alive(node: string): Promise<boolean> {
    return (await this.link.run("alive", () => this.link.client.exists(this.nodeKey(node)))) === 1;
  }

  /** Resolves when Redis answers a PING (and every connection of this store is up); rejects with a `RedisUnavailableError` otherwise. For `GET /api/status`. */
  async ping(): Promise<void> {
    await this.link.ping();
  }

  async close(): Promise<void> {
    await this.link.close();
  }

  private key(sid: string): string {
    return `${this.link.prefix}session:${sid}`;
  }

  private tokenKey(): string {
    return `${this.link.prefix}lease-token`;
  }

  private nodeKey(node: string): string {
    return `${this.link.prefix}node:${node}`;
  }

  /** EVALSHA, or EVAL when Redis does not have the script yet (a new or restarted server). */
  private eval(what: string, s: { SCRIPT: string | Buffer; SHA1: string }, keys: string[], args: string[]): Promise<unknown> {
    const options = { keys, arguments: args };
    return this.link.run(what, async () => {
      try {
        return await this.link.client.evalSha(s.SHA1, options);
      } catch (err: any) {
        if (!String(err?.message).startsWith("NOSCRIPT")) throw err;
        return await this.link.client.eval(s.SCRIPT, options);
      }
    });
  }
}

/** A duration argument as Redis wants it: a positive whole number of ms. */
function ms(value: number, method: string, name: string): string {
  if (!Number.isFinite(value) || value < 1) throw new TypeError(`RedisSessionStore.${method}: ${name} must be a positive number of milliseconds, got ${value}.`);
  return String(Math.ceil(value));
}
