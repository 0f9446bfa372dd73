import type { RedisClientOptions, RedisClientType } from "@redis/client";
import { UnavailableError } from "../errors.js";
import type { Logger } from "../session/logger.js";
import { redis } from "./load.js";

/** Any node-redis client (`createClient(…)`, any RESP version, modules or scripts). */
export type RedisClient = RedisClientType<any, any, any, any, any>;

/**
 * How a Redis-backed part gets its connection: a URL (or client options), and
 * it creates, owns and closes its connections; or a client of yours, which it
 * uses and never closes (the extra connections it needs are `client.duplicate()`s
 * it owns).
 */
export interface RedisConnectionOptions {
  /** `redis://[[user]:password@]host[:port][/db]` (`rediss://` for TLS). */
  url?: string;
  /** More options for the client created from `url`: `createClient({ url, ...clientOptions })` (socket, password, reconnectStrategy, …). */
  clientOptions?: RedisClientOptions<any, any, any, any, any>;
  /** A client of yours, connected or connecting (`client.connect()` called); used as it is, never closed here. */
  client?: RedisClient;
  /** Prefix of every key and channel name (default `"revue:"`), so several apps can share one Redis. */
  prefix?: string;
  /** Where a lost connection is reported, once per outage (default `console`). */
  logger?: Logger;
  /** How long the first commands wait for the first connection (default 5,000 ms) before they reject. */
  connectTimeoutMs?: number;
}

/**
 * Redis could not be reached, so a command failed. `maybeApplied` says whether
 * it may still have taken effect: false when it was never sent (the connection
 * was already down), true when the connection dropped while waiting for the
 * reply (a publish may have been logged and delivered all the same). It is an
 * {@link UnavailableError}: a route answers 503 with `Retry-After`, and the
 * page resends.
 *
 * @example
 * try { await bus.publish("chat", msg); }
 * catch (err) { if (err instanceof RedisUnavailableError && !err.maybeApplied) retryLater(msg); }
 */
export class RedisUnavailableError extends UnavailableError {
  override name = "RedisUnavailableError";
  constructor(
    message: string,
    /** True when the command was sent before the connection dropped: it may have taken effect. */
    readonly maybeApplied: boolean,
    options?: { cause?: unknown },
  ) {
    super(message, options);
  }
}

/**
 * The connections of one `RedisPubSub` or `RedisSessionStore`: the main
 * client, the duplicates it made, readiness checks that reject at once while
 * Redis is down (so callers know), and one log line per outage, not one per
 * reconnection attempt. Listening to every connection's `error` event is also
 * what keeps Node from crashing on it.
 */
export class RedisLink {
  readonly client: RedisClient;
  readonly prefix: string;
  readonly owned: boolean;
  readonly where: string;
  closed = false;
  readonly logger: Logger;
  private readonly connectTimeoutMs: number;
  private readonly attached: Array<{ client: RedisClient; onError: (err: Error) => void; onReady: () => void }> = [];
  /** Connections that were ready once: from then on, not ready means an outage, and commands reject at once. */
  private readonly wasReady = new WeakSet<RedisClient>();
  /** Wakes whoever waits for a connection when the link closes. */
  private readonly waiters = new Set<() => void>();
  private downSince: number | undefined;
  private lastError: Error | undefined;

  constructor(
    /** The class this link serves, for messages ("RedisPubSub"). */
    readonly owner: string,
    options: RedisConnectionOptions,
    /** What callers see during an outage, for the log line. */
    private readonly outageNote: string,
  ) {
    this.prefix = options.prefix ?? "revue:";
    this.logger = options.logger ?? console;
    this.connectTimeoutMs = options.connectTimeoutMs ?? 5_000;
    if (options.client) {
      if (options.url || options.clientOptions) throw new TypeError(`new ${owner}(…): pass either { client } or { url, clientOptions }, not both.`);
      if (!options.client.isOpen) throw new TypeError(`new ${owner}({ client }): the client is not connected; call await client.connect() first, or pass { url } and let ${owner} connect.`);
      this.client = options.client;
      this.owned = false;
    } else {
      this.client = redis.createClient({
        url: options.url,
        // Commands issued while Redis is down reject instead of waiting in memory for a reconnection that may never come.
        disableOfflineQueue: true,
        ...options.clientOptions,
      }) as RedisClient;
      this.owned = true;
    }
    this.where = describe(this.client);
    this.attach(this.client);
    if (this.owned) this.start(this.client);
  }

  /** Another connection to the same Redis (for blocking reads, or SUBSCRIBE), owned and closed by this link. */
  duplicate(): RedisClient {
    const client = this.client.duplicate() as RedisClient;
    this.attach(client);
    this.start(client);
    return client;
  }

  /**
   * Resolves when `client` can take commands now. While the first connection
   * is being made, waits for it (up to `connectTimeoutMs`); during an outage,
   * rejects at once with a {@link RedisUnavailableError} (`maybeApplied: false`).
   */
  async ready(what: string, client: RedisClient = this.client): Promise<void> {
    if (this.closed) throw new Error(`${this.owner}.${what}: this ${this.owner} is closed; create a new one.`);
    if (client.isReady) return;
    if (!this.wasReady.has(client) && client.isOpen) {
      if (await this.waitReady(client, this.connectTimeoutMs)) return;
      if (this.closed) throw new Error(`${this.owner}.${what}: this ${this.owner} was closed while connecting.`);
      throw new RedisUnavailableError(
        `${this.owner}.${what}: could not connect to Redis at ${this.where} within ${this.connectTimeoutMs} ms${this.lastError ? ` (${this.lastError.message})` : ""}; nothing was sent. Is redis-server running, and is the url right?`,
        false,
        { cause: this.lastError },
      );
    }
    const since = this.downSince ? ` for ${Date.now() - this.downSince} ms` : "";
    throw new RedisUnavailableError(
      `${this.owner}.${what}: Redis at ${this.where} is unreachable${since}${this.lastError ? ` (${this.lastError.message})` : ""}; nothing was sent. The client reconnects by itself: try again later.`,
      false,
      { cause: this.lastError },
    );
  }

  /** Resolves true once `client` is ready, false after `ms` (Infinity: no limit) or when the link closes. */
  waitReady(client: RedisClient, ms = Infinity): Promise<boolean> {
    if (client.isReady) return Promise.resolve(true);
    if (this.closed) return Promise.resolve(false);
    return new Promise((resolve) => {
      const done = (ok: boolean) => {
        clearTimeout(timer);
        client.off("ready", onReady);
        this.waiters.delete(onClose);
        resolve(ok);
      };
      const onReady = () => done(true);
      const onClose = () => done(false);
      const timer = Number.isFinite(ms) ? setTimeout(() => done(false), ms) : undefined;
      client.on("ready", onReady);
      this.waiters.add(onClose);
    });
  }

  /**
   * What a failed command becomes: Redis's own error replies (a wrong type, a
   * script error) as they are, with where it happened; a lost connection as a
   * {@link RedisUnavailableError} with `maybeApplied: true` (the command was sent).
   */
  failure(what: string, err: unknown): Error {
    if (err instanceof redis.ErrorReply) return new Error(`${this.owner}.${what}: Redis answered with an error: ${err.message}`, { cause: err });
    if (this.closed) return new Error(`${this.owner}.${what}: this ${this.owner} was closed before Redis answered.`, { cause: err });
    const message = err instanceof Error ? err.message : String(err);
    return new RedisUnavailableError(
      `${this.owner}.${what}: the connection to Redis at ${this.where} dropped before it answered (${message}); the command may or may not have taken effect.`,
      true,
      { cause: err },
    );
  }

  /** Runs one command (or a few) once the main client is ready, turning failures into {@link failure}s. */
  async run<T>(what: string, command: () => Promise<T>): Promise<T> {
    await this.ready(what);
    try {
      return await command();
    } catch (err) {
      throw this.failure(what, err);
    }
  }

  /**
   * A round trip to Redis on the main connection; rejects as well while any
   * other connection of this link (a subscriber's) is still reconnecting, since
   * that part is not working yet. What `GET /api/status` asks.
   */
  async ping(): Promise<void> {
    await this.run("ping", () => this.client.ping());
    const down = this.attached.find((a) => a.client !== this.client && !a.client.isReady);
    if (down) throw new RedisUnavailableError(`${this.owner}.ping: Redis at ${this.where} answers, but a subscription connection is still reconnecting.`, false);
  }

  /** Closes the connections this link created (the duplicates, and the main client if it made it); a client passed in stays open. */
  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    for (const wake of [...this.waiters]) wake();
    for (const { client, onError, onReady } of this.attached.splice(0)) {
      const mine = client !== this.client || this.owned;
      if (!mine) {
        client.off("error", onError);
        client.off("ready", onReady);
        continue;
      }
      // Our own listeners stay on our connections: an error emitted while they close must not crash the process.
      if (!client.isOpen) continue;
      // The main client finishes what it sent (a publish awaiting its reply); duplicates only hold blocked reads and subscriptions.
      if (client === this.client && client.isReady) await Promise.race([client.close().catch(() => {}), new Promise((r) => setTimeout(r, 1_000).unref())]);
      if (client.isOpen) client.destroy();
    }
  }

  private attach(client: RedisClient): void {
    if (client.isReady) this.wasReady.add(client);
    const onError = (err: Error) => {
      this.lastError = err;
      if (this.closed || this.downSince !== undefined) return;
      this.downSince = Date.now();
      this.logger.error(`[revue] ${this.owner}: Redis at ${this.where} is unreachable (${err?.message ?? err}); reconnecting. ${this.outageNote}`);
    };
    const onReady = () => {
      this.wasReady.add(client);
      if (this.downSince === undefined || this.closed) return;
      if (!this.attached.every((a) => a.client.isReady)) return;
      this.logger.warn(`[revue] ${this.owner}: Redis at ${this.where} is reachable again (after ${Date.now() - this.downSince} ms).`);
      this.downSince = undefined;
    };
    client.on("error", onError);
    client.on("ready", onReady);
    this.attached.push({ client, onError, onReady });
  }

  private start(client: RedisClient): void {
    // connect() keeps retrying (reconnectStrategy) and rejects only if that gives up; the error event has said why.
    client.connect().catch((err: unknown) => {
      this.lastError = err instanceof Error ? err : new Error(String(err));
    });
  }
}

/** host:port (or the url without its password) of a client, for messages. */
function describe(client: RedisClient): string {
  const options: any = client.options ?? {};
  if (options.url) {
    try {
      const url = new URL(options.url);
      url.password = "";
      url.username = "";
      return url.toString().replace(/\/$/, "");
    } catch {
      return "(unparsable url)";
    }
  }
  const socket = options.socket ?? {};
  return socket.path ?? `${socket.host ?? "localhost"}:${socket.port ?? 6379}`;
}
