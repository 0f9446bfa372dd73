import { mkdtempSync, readdirSync, rmSync } from "node:fs";
import { createServer as createHttpServer, type IncomingMessage, type Server, type ServerResponse } from "node:http";
import type { AddressInfo } from "node:net";
import { tmpdir } from "node:os";
import { basename, join } from "node:path";
import Router from "@koa/router";
import { randomBytes } from "node:crypto";
import Koa from "koa";
import { rolesOf } from "../registry/entries.js";
import type { RoomEmitter } from "../app.js";
import { RevueError } from "../errors.js";
import type { AppClass, Hub, Who } from "../session/hub.js";
import type { Logger } from "../session/logger.js";
import { Cluster, type ClusterOptions } from "../session/cluster.js";
import { defaultLimits, SessionPool } from "../session/pool.js";
import type { PresenceOptions } from "../session/presence.js";
import { MemoryPubSub, type PubSub } from "../session/pubsub.js";
import { MemorySessionStore, type SessionStore } from "../session/store.js";
import { ServerUploads } from "../session/uploads.js";
import { Assets } from "./assets.js";
import { BrowserTokens } from "./browser-token.js";
import { claimDevPort, devHost, DevMode } from "./dev-mode.js";
import { BODY_MS, clientGone, jsonErrors, localHostsOnly } from "./guards.js";
import { Health } from "./health.js";
import { checkMetricsOption, Metrics, type MetricsOption } from "./metrics.js";
import { Mount, normalisePrefix, type MountConfig } from "./mount.js";
import { cspHeader, type CspOption } from "./page.js";
import { defaultNodeId, serverStats, type ServerStats, type StatsOptions } from "./stats.js";

/** Options of {@link createServer}; every one has a safe default. */
export interface ServerOptions {
  /** A session with no open stream expires after this long idle. Default 15 min. */
  sessionTtlMs?: number;
  /** A page served but not connected keeps its session this long. Default 30 s. */
  pendingTtlMs?: number;
  /** Live sessions (connected or recently used) per process; beyond: 503. Default 10,000. */
  maxSessions?: number;
  /** Pending sessions (pages served, not connected) per process; beyond, the oldest is evicted. Default 1,000. */
  maxPendingSessions?: number;
  /**
   * Memory the sessions of this process may hold beyond their app state (trees,
   * replay buffers, queued calls), in bytes; past it the least recently used are
   * hibernated, and, when that is not enough, those without an open page are
   * ended (as past `maxSessions`). Default: a quarter of the heap limit.
   */
  maxSessionBytes?: number;
  /** A session idle this long packs its tree into a compact form (about a tenth of the memory). Default 5 s. A session used again soon after each rest (periodic broadcasts) waits twice as long each time, up to 8×. */
  restAfterMs?: number;
  /** Rooms one session may join. Default 64. */
  maxRoomsPerSession?: number;
  /** Calls of one session accepted and not yet finished; beyond: 429 TOO_MANY_CALLS. Default 256. */
  maxQueuedCalls?: number;
  /** Bytes of those calls' bodies. Default 4 MB. */
  maxQueuedCallBytes?: number;
  /** How far ahead of the expected seq a call may be, and how many past seqs are remembered. Default 256. */
  seqWindow?: number;
  /** Broadcasts queued for one session beyond which it drops them and resyncs its page instead. Default 1,000. */
  maxQueuedEvents?: number;
  /** A handler running longer is abandoned (HANDLER_TIMEOUT; `this.signal` aborts) and the session moves on. Default 30 s. */
  handlerTimeoutMs?: number;
  /** `close()` finishes within this long even while handlers hang. Default 10 s. */
  shutdownTimeoutMs?: number;
  /**
   * Body limits in bytes: events/emits (1 MB), rpc (1 MB), one upload request (10 MB),
   * files per upload request (5); what one session may keep uploaded: 50 MB in 50 files;
   * what all sessions may keep uploaded together (`serverUploadBytes`): 1 GB, beyond which
   * uploads are answered 503 until sessions end and their files go. `bodyMs` (20 s): a
   * request body that receives less than 500 bytes a second over this long, before it is
   * whole, is answered 400 and its connection closed, so bodies trickled in (or stalled
   * after a burst) cannot hold sockets and upload room.
   * @example createServer(App, { limits: { upload: 50 * 1024 * 1024, bodyMs: 60_000 } })
   */
  limits?: { event?: number; rpc?: number; upload?: number; files?: number; sessionUploadBytes?: number; sessionUploadFiles?: number; serverUploadBytes?: number; bodyMs?: number };
  /** Bytes of past messages kept per session for `Last-Event-ID` replay. Default 64 KB. */
  replayBufferBytes?: number;
  /** Unsent bytes after which a slow client's stream is closed (a larger snapshot is still delivered). Default 1 MB. */
  maxPendingBytes?: number;
  /**
   * The keep-alive interval of a page's stream: a keep-alive frame goes out at least this often
   * (proxies keep the connection), and a page reopens a stream that sent none for 2.5 intervals
   * (a dead connection kept open by a proxy or a changed network). Default 15 s.
   */
  heartbeatMs?: number;
  /** The `retry:` reconnect delay sent to pages. Default 1 s. */
  retryMs?: number;
  /**
   * Production mode: an unexpected exception's (or a bug's) message never
   * reaches the page, which gets a generic message and an error id; the log has
   * the stack under that id. Errors thrown on purpose (`RpcError`, any answer
   * such as a bad request) keep their message. Default: `NODE_ENV === "production"`.
   */
  production?: boolean;
  /**
   * Several processes serving the app through a shared store and pubsub
   * (Redis, `revue/redis`): sessions are leased to one node, saved after their
   * handlers run, reached from any node (calls are forwarded to the holder; a
   * stream brings the session over) and taken over from their last snapshot
   * when their node dies. On when the store says it is shared
   * (`RedisSessionStore`); `false` turns it off; an object sets its timing
   * (heartbeat, how long a silent node counts as alive, request timeout). The
   * node's name is the `node` option.
   *
   * @example
   * createServer(Chat, { store: new RedisSessionStore({ url }), pubsub: new RedisPubSub({ url }), node: "web-1" });
   */
  cluster?: boolean | Omit<ClusterOptions, "node">;
  /** Where sessions are recorded. Default: in memory. */
  store?: SessionStore;
  /** How events cross processes. Default: in process. */
  pubsub?: PubSub;
  /**
   * Presence across processes (`this.presence`): each process tells the
   * others it is alive every `heartbeatMs` (5 s); one not heard from for
   * `downPeriodMs` (30 s, at least twice `heartbeatMs`) is down and its
   * presences leave. With a stable `node` name, a restarted process replaces
   * its old presences at once instead.
   *
   * @example
   * createServer(Chat, { pubsub, node: process.env.HOSTNAME, presence: { heartbeatMs: 2_000, downPeriodMs: 10_000 } });
   */
  presence?: PresenceOptions;
  /**
   * Where Revue's warnings and errors go (handler failures with their error
   * id, refused requests, store outages). Default `console`.
   *
   * @example
   * createServer(App, { logger: { warn: (m, ...r) => log.warn({ err: r[0] }, m), error: (m, ...r) => log.error({ err: r[0] }, m) } }); // pino
   */
  logger?: Logger;
  /**
   * Revue runs behind a reverse proxy you control (nginx, Caddy, a load
   * balancer) that sets `X-Forwarded-Proto` and `X-Forwarded-Host`: trust them
   * (Koa's `app.proxy`), so the same-origin checks compare the page's `Origin`
   * with the URL the browser used, and the `rv_token` cookie is `Secure` (and
   * named `__Host-rv_token`) over https. Leave it off when clients reach the
   * server directly: they could then claim any protocol or host. Default false.
   *
   * @example
   * createServer(App, { trustProxy: true }); // behind: proxy_set_header X-Forwarded-Proto $scheme; proxy_set_header X-Forwarded-Host $host;
   */
  trustProxy?: boolean;
  /**
   * Secrets that sign the `rv_token` cookie, so a cookie the server never
   * issued (planted by a sibling subdomain, guessed) is replaced by a fresh
   * one. The first key signs, every key verifies (rotate by prepending). Give
   * every process of one app the same keys, and keep them across restarts when
   * sessions outlive a process (a shared store). Default: a random key per
   * process, so after a restart every page gets a new cookie when it starts
   * its new session.
   *
   * @example
   * createServer(App, { keys: [process.env.REVUE_KEY!] }); // openssl rand -base64 32
   */
  keys?: string[];
  /**
   * Development mode: a page whose render throws shows the error (and its
   * stack) instead of JSON, errors are printed, and pages load an error
   * overlay that clears after the next good save. Never in production: it
   * shows stacks. Default: on under `revue dev`, off otherwise.
   *
   * @example
   * createServer(App, { dev: process.env.NODE_ENV === "development" });
   */
  dev?: boolean;
  /**
   * In development mode, the host names requests may be addressed to besides
   * `localhost`, `*.localhost` and IP addresses (a tunnel's name, a name in
   * `/etc/hosts`); `true` allows any. Any other is refused (403): a site
   * whose name was made to resolve to this machine (DNS rebinding) would
   * otherwise be same-origin with the server. Not checked in production,
   * where a proxy chooses which names reach the server.
   *
   * @example
   * createServer(App, { allowedHosts: ["myapp.test"] });
   */
  allowedHosts?: readonly string[] | true;
  /**
   * The pages' Content-Security-Policy: directives merged over the defaults
   * (a value replaces the default's, `false` removes the directive), or a
   * function of each page's nonce returning them (needed to change
   * `script-src`, which must keep the nonce). The default allows scripts by
   * nonce only (`'strict-dynamic'`), stylesheets from the app's origin,
   * `<style>` elements carrying the nonce, and `style` attributes; see the
   * README (Security defaults). Checked when the server is created.
   *
   * @example
   * createServer(App, { csp: { "img-src": "'self' data: https://images.example", "frame-ancestors": "'none'" } });
   * createServer(App, { csp: (nonce) => ({ "script-src": `'nonce-${nonce}' 'strict-dynamic' https://cdn.example` }) });
   */
  csp?: CspOption;
  /**
   * This process's name among the nodes of a cluster: reported by `stats()`,
   * `GET /api/status` and the metrics. Default: the host name, the pid and a
   * few random characters.
   */
  node?: string;
  /**
   * Prometheus metrics at `GET /metrics` (the server's root), through
   * `prom-client` (an optional peer dependency: `npm install prom-client`):
   * gauges and counters mirroring `stats()`, labelled by app. `true` serves
   * a registry of Revue's own; pass your `Registry` to serve Revue's metrics
   * with yours. The route has no access check: expose it to your scraper
   * only (at the proxy). Default: off.
   *
   * @example
   * createServer(App, { metrics: true });
   *
   * import { Registry, collectDefaultMetrics } from "prom-client";
   * const register = new Registry();
   * collectDefaultMetrics({ register }); // process CPU, memory, event loop lag
   * createServer(App, { metrics: register });
   */
  metrics?: MetricsOption;
  /**
   * Who is making a request: called with the Koa context of every page load,
   * stream and call; what it returns is `this.user` in handlers and
   * `render()` (`undefined` or `null`: nobody signed in). Read your cookie,
   * header or session here; it must return plain data (it travels with a call
   * forwarded to another node). Default: `ctx.state.user`, what the host Koa
   * app's own auth middleware set. An app (`static auth`) or a method
   * (`@server.rpc({ auth })`) may then require a user or a role.
   *
   * @example
   * createServer(apps, {
   *   keys: [process.env.REVUE_KEY!],
   *   authenticate: (ctx) => {
   *     const name = ctx.cookies.get("user", { signed: true });
   *     return name ? { name, roles: name === "ada" ? ["admin"] : [] } : undefined;
   *   },
   * });
   */
  authenticate?: (ctx: Koa.Context) => unknown | Promise<unknown>;
  /** A user's roles, for `auth` checks. Default: `user.roles` when it is an array of strings, else `[user.role]` when it is a string, else none. */
  roles?: (user: any) => readonly string[];
  /**
   * Where a visitor who must sign in is sent: a page load refused for want of
   * a user is redirected to `signIn?next=<the page's path>` (a path on this
   * site) instead of getting the 401 page.
   * @example createServer(apps, { authenticate, signIn: "/login" });
   */
  signIn?: string;
}

/** What {@link createServer} returns. */
export interface ServerHandle {
  /** The underlying Koa application (add your own middleware before `listen`). */
  readonly koa: Koa;
  /** The router holding Revue's page, stream, upload and asset routes (the page's calls are served ahead of it: use {@link middleware} to mount Revue into another Koa app). */
  readonly router: Router;
  /**
   * Everything this server serves (pages, streams, calls, uploads, assets,
   * JSON errors) as one Koa middleware, to mount Revue into an existing Koa
   * app after its own middleware: its auth middleware's `ctx.state.user` is
   * then `this.user` (the default `authenticate`). Start handlers run before
   * the first request it serves; call `srv.close()` when the host stops.
   *
   * @example
   * const host = new Koa();
   * host.use(session(host));                  // the host's own auth
   * host.use(async (ctx, next) => { ctx.state.user = await userOf(ctx); await next(); });
   * host.use(createServer({ "/app": Dashboard }).middleware());
   * host.listen(3000);
   */
  middleware(): Koa.Middleware;
  /** The engine of each mounted app, by prefix ("" for the root). */
  readonly hubs: ReadonlyMap<string, Hub>;
  /** The URL once listening. */
  readonly url: string | undefined;
  /** Runs `start` handlers and listens; resolves to the URL. `port` 0 (default) picks a free one. */
  listen(port?: number, host?: string): Promise<string>;
  /** Graceful stop: every stream gets a final `bye`, `stop` handlers run, the port closes. */
  close(): Promise<void>;
  /** Emits to every session of every mounted app, from code outside any session. */
  emit(event: string, data?: unknown): void;
  /** Narrows `emit` to one room. */
  to(room: string): RoomEmitter;
  /**
   * Cuts every open stream without a goodbye, as a lost connection would; pages
   * reconnect with Last-Event-ID and miss nothing. For fault-injection tests.
   * Returns how many streams were cut.
   */
  dropStreams(): number;
  /** A Node request handler, for mounting into an existing server; `start` handlers run before the first request. */
  callback(): (req: IncomingMessage, res: ServerResponse) => void;
  /**
   * What this process and each mounted app hold and did: sessions by state,
   * open streams, rooms and their members, calls accepted and queued,
   * messages and bytes sent. Counters are kept where the events happen; the
   * gauges take one walk over the sessions (under 1 ms per 10,000).
   *
   * @example
   * const { total, apps } = srv.stats();
   * console.log(`${total.sessions.live} live sessions, ${total.streams} open streams, ${apps["/chat"]!.rooms.count} chat rooms`);
   */
  stats(options?: StatsOptions): ServerStats;
}

/** What all sessions of a server may keep uploaded together, by default (limits.serverUploadBytes). */
const SERVER_UPLOAD_BYTES = 1024 * 1024 * 1024;

/**
 * Turns app classes into a running Koa server with sessions, the SSE patch
 * stream and every route of ARCHITECTURE.md §4.
 *
 * @example
 * const srv = createServer(Counter);
 * console.log(await srv.listen(3000));
 *
 * // several apps, each under its own prefix:
 * createServer({ "/": Home, "/chat": Chat }, { sessionTtlMs: 60_000 });
 */
export function createServer(apps: AppClass | Record<string, AppClass>, options: ServerOptions = {}): ServerHandle {
  const table: Record<string, AppClass> = typeof apps === "function" ? { "/": apps } : apps;
  if (typeof table !== "object" || table === null || Object.keys(table).length === 0) {
    throw new RevueError("BAD_REQUEST", `createServer(apps): pass an App class, or an object of mount paths to App classes such as { "/": Home, "/chat": Chat }.`);
  }
  const logger = options.logger ?? console;
  const ownsStore = !options.store;
  const ownsPubsub = !options.pubsub;
  const csp = cspHeader(options.csp);
  // Before anything that needs cleaning up: a missing prom-client or a taken registry fails here.
  const metrics = checkMetricsOption(options.metrics) ? new Metrics(options.metrics, () => handle.stats()) : undefined;
  // Made on the first upload: a server that fails its options, or never receives a file, leaves no folder behind.
  let uploadDir: string | undefined;
  const uploads = () => (uploadDir ??= uploadFolder());
  const defaults = defaultLimits();
  const o = options;
  const pool = new SessionPool(
    {
      sessionTtlMs: positive(o.sessionTtlMs, defaults.sessionTtlMs, "sessionTtlMs"),
      pendingTtlMs: positive(o.pendingTtlMs, defaults.pendingTtlMs, "pendingTtlMs"),
      maxSessions: positive(o.maxSessions, defaults.maxSessions, "maxSessions"),
      maxPendingSessions: positive(o.maxPendingSessions, defaults.maxPendingSessions, "maxPendingSessions"),
      maxSessionBytes: positive(o.maxSessionBytes, defaults.maxSessionBytes, "maxSessionBytes"),
      restAfterMs: positive(o.restAfterMs, defaults.restAfterMs, "restAfterMs"),
      maxRoomsPerSession: positive(o.maxRoomsPerSession, defaults.maxRoomsPerSession, "maxRoomsPerSession"),
      maxQueuedEvents: positive(o.maxQueuedEvents, defaults.maxQueuedEvents, "maxQueuedEvents"),
      calls: {
        window: positive(o.seqWindow, defaults.calls.window, "seqWindow"),
        maxCalls: positive(o.maxQueuedCalls, defaults.calls.maxCalls, "maxQueuedCalls"),
        maxBytes: positive(o.maxQueuedCallBytes, defaults.calls.maxBytes, "maxQueuedCallBytes"),
        gapMs: defaults.calls.gapMs,
        timeoutMs: positive(o.handlerTimeoutMs, defaults.calls.timeoutMs, "handlerTimeoutMs"),
      },
      stream: {
        replayBytes: positive(o.replayBufferBytes, defaults.stream.replayBytes, "replayBufferBytes"),
        maxPendingBytes: positive(o.maxPendingBytes, defaults.stream.maxPendingBytes, "maxPendingBytes"),
        retryMs: positive(o.retryMs, defaults.stream.retryMs, "retryMs"),
        heartbeatMs: heartbeat(o.heartbeatMs, defaults.stream.heartbeatMs),
      },
      uploads: {
        bytes: positive(o.limits?.sessionUploadBytes, defaults.uploads.bytes, "limits.sessionUploadBytes"),
        files: positive(o.limits?.sessionUploadFiles, defaults.uploads.files, "limits.sessionUploadFiles"),
        server: new ServerUploads(positive(o.limits?.serverUploadBytes, SERVER_UPLOAD_BYTES, "limits.serverUploadBytes")),
      },
    },
    logger,
  );
  const production = o.production ?? process.env.NODE_ENV === "production";
  const store = options.store ?? new MemorySessionStore();
  const pubsub = options.pubsub ?? new MemoryPubSub();
  if (o.node !== undefined && (typeof o.node !== "string" || !/^[\w.:@-]{1,128}$/.test(o.node))) {
    throw new RevueError("BAD_REQUEST", `createServer options: node must be 1 to 128 letters, digits or . _ : @ -, such as "web-1", got ${JSON.stringify(o.node)}.`);
  }
  const node = o.node ?? defaultNodeId();
  const clustered = o.cluster !== undefined ? o.cluster !== false : store.shared === true;
  if (clustered && !options.pubsub) {
    logger.warn(
      `[revue] createServer: sessions are shared through the store (cluster mode), but no pubsub was given (the default is an in-process MemoryPubSub), so broadcasts, presence and calls forwarded to another node stay inside this process. Running more than one node? Pass pubsub: new RedisPubSub({ url }) from "revue/redis" too.`,
    );
  }
  const cluster = clustered ? new Cluster(store, pubsub, logger, { ...(typeof o.cluster === "object" ? o.cluster : {}), node }) : undefined;
  const cfg: MountConfig = {
    production,
    cluster,
    store,
    pubsub,
    pool,
    logger,
    limits: {
      // An input's event carries the field's whole value: a long text (a note, a document) is typed into this limit.
      event: positive(o.limits?.event, 1024 * 1024, "limits.event"),
      rpc: positive(o.limits?.rpc, 1024 * 1024, "limits.rpc"),
      upload: positive(o.limits?.upload, 10 * 1024 * 1024, "limits.upload"),
      files: positive(o.limits?.files, 5, "limits.files"),
      bodyMs: positive(o.limits?.bodyMs, BODY_MS, "limits.bodyMs"),
    },
    uploadDir: uploads,
    assets: new Assets(),
    tokens: new BrowserTokens(o.keys),
    csp,
    authenticate: checkedFunction(o.authenticate, "authenticate") ?? ((ctx) => ctx.state?.user),
    roles: checkedFunction(o.roles, "roles") ?? rolesOf,
    signIn: checkedSignIn(o.signIn),
  };
  cfg.presence = { ...o.presence, node }; // presence tells nodes apart by this name
  cfg.presenceShared = Object.keys(table).length > 1;
  const createdAt = Date.now();
  const health = new Health(cfg, logger);
  const shutdownTimeoutMs = positive(o.shutdownTimeoutMs, 10_000, "shutdownTimeoutMs");

  const mounts = Object.entries(table)
    .map(([prefix, cls]) => new Mount(normalisePrefix(prefix), cls, cfg))
    // Routes match whole paths, params any segment: fewer params first ("/items/new" before "/items/:id", "/a/b" before "/a/:x"), then longer ones.
    .sort((a, b) => a.prefix.split(":").length - b.prefix.split(":").length || b.prefix.length - a.prefix.length);
  // A path's app, in the order the router tries them.
  cfg.routes = (path) => {
    for (const m of mounts) {
      const params = m.paramsOf(path);
      if (params) return { prefix: m.prefix, params, admits: (who: Who) => m.hub.admits(who) };
    }
    return undefined;
  };
  // `this.emit` in any app reaches every app of this server, as the handle's `emit` does (a host app's question reaches its participants' app);
  // the static handlers of a class mounted at several paths run once.
  const emitEverywhere = (event: string, data: unknown, room: string | undefined) => {
    const ran = new Set<unknown>(); // static handlers, each run once
    for (const m of mounts) m.hub.emit(event, data, room, ran);
  };
  if (mounts.length > 1) for (const m of mounts) m.hub.emitsThrough(emitEverywhere);
  const seen = new Set<string>();
  for (const m of mounts) {
    if (seen.has(m.prefix)) throw new RevueError("BAD_REQUEST", `createServer: two apps are mounted at "${m.prefix || "/"}"; give each its own path.`);
    seen.add(m.prefix);
  }

  const koa = new Koa();
  if (o.trustProxy !== undefined && typeof o.trustProxy !== "boolean") {
    throw new RevueError("BAD_REQUEST", `createServer options: trustProxy must be true or false, got ${JSON.stringify(o.trustProxy)}.`);
  }
  koa.proxy = o.trustProxy === true;
  // Signed cookies (`ctx.cookies.get(name, { signed: true })`, e.g. in `authenticate`) use the same keys as the browser token.
  koa.keys = o.keys?.length ? [...o.keys] : [randomBytes(32).toString("base64")];
  const router = new Router();
  // At the server's root, whatever the apps' paths: one node, one health check (docs/protocol.md §7). No cookie, no origin check.
  router.get("/api/status", health.route(() => ({ node, uptime: Math.round(Date.now() - createdAt) / 1000, sessions: pool.live + pool.pending.size, ...(pool.full ? { full: true as const } : {}) })));
  if (metrics) router.get("/metrics", metrics.route());
  for (const m of mounts) {
    if (m.prefix === "/api/status" || (metrics && m.prefix === "/metrics")) throw new RevueError("BAD_REQUEST", `createServer: "${m.prefix}" is Revue's own route (${m.prefix === "/metrics" ? "metrics" : "the health check"}); mount the app at another path.`);
    router.use(m.router.routes(), m.router.allowedMethods());
  }
  const stack: Koa.Middleware[] = [jsonErrors(logger, mounts.map((m) => m.prefix || "/").reverse(), production)];
  if (o.allowedHosts !== undefined && o.allowedHosts !== true && !(Array.isArray(o.allowedHosts) && o.allowedHosts.every((h) => typeof h === "string" && h !== ""))) {
    throw new RevueError("BAD_REQUEST", `createServer options: allowedHosts must be a list of host names (such as ["myapp.test"]) or true, got ${JSON.stringify(o.allowedHosts)?.slice(0, 80)}.`);
  }
  if (o.dev ?? devHost() !== undefined) {
    if (o.allowedHosts !== true) stack.push(localHostsOnly(o.allowedHosts ?? []));
    stack.push(new DevMode(logger).middleware());
  }
  // The page's calls, the requests every event makes, go straight to their app (Mount.serveCall); the router serves the rest.
  stack.push((ctx, next) => {
    for (const m of mounts) {
      const served = m.serveCall(ctx);
      if (served) return served;
    }
    return next();
  });
  stack.push(router.routes() as unknown as Koa.Middleware, router.allowedMethods() as unknown as Koa.Middleware);
  // Browsers ask for a favicon on every page; answer "none" rather than log a 404 in the console.
  stack.push(async (ctx, next) => {
    if (ctx.path === "/favicon.ico" && ctx.method === "GET" && ctx.status === 404 && !ctx.body) ctx.status = 204;
    else await next();
  });
  // Everything Revue serves, as one middleware: this server's, or a host Koa app's (`srv.middleware()`).
  const middleware: Koa.Middleware = (ctx, next) => {
    const run = (i: number): Promise<void> => (i === stack.length ? next() : Promise.resolve(stack[i]!(ctx, () => run(i + 1))));
    return run(0);
  };
  koa.use(middleware);
  koa.on("error", (err: Error & { status?: number; code?: unknown }) => {
    if ((err.status ?? 500) >= 500 && !clientGone(err)) logger.error("[revue] unhandled error:", err);
  });

  let server: Server | undefined;
  let url: string | undefined;
  let started: Promise<void> | undefined;
  const timers: ReturnType<typeof setInterval>[] = [];

  const handle: ServerHandle = {
    koa,
    router,
    hubs: new Map(mounts.map((m) => [m.prefix, m.hub as unknown as Hub])),
    get url() {
      return url;
    },
    listen(port = 0, host) {
      // Under `revue dev` the first server to listen takes revue dev's port (dev-mode.ts).
      return claimDevPort(port, (p) => listenOn(p, host), () => handle.close());
    },
    async close() {
      health.drain();
      for (const t of timers.splice(0)) clearInterval(t);
      const closing = server ? new Promise<void>((r) => server!.close(() => r())) : Promise.resolve();
      await Promise.all(mounts.map((m) => m.close(handle, shutdownTimeoutMs)));
      await cluster?.stop();
      server?.closeAllConnections();
      await closing;
      if (ownsStore) await cfg.store.close();
      if (ownsPubsub) await cfg.pubsub.close();
      if (uploadDir) {
        rmSync(uploadDir, { recursive: true, force: true });
        ownFolders.delete(basename(uploadDir));
      }
      metrics?.close();
      server = undefined;
    },
    stats(options = {}) {
      return serverStats(node, createdAt, health.isDraining, mounts.map((m) => [m.prefix || "/", m.hub.stats(options.rooms === true)]));
    },
    dropStreams() {
      return mounts.reduce((n, m) => n + m.dropStreams(), 0);
    },
    emit(event, data) {
      emitEverywhere(event, data, undefined);
    },
    to(room) {
      return { emit: (event, data) => emitEverywhere(event, data, room) };
    },
    middleware() {
      return (ctx, next) => start().then(() => middleware(ctx, next));
    },
    callback() {
      const handler = koa.callback();
      return (req, res) => {
        start().then(
          () => handler(req, res),
          (err) => {
            logger.error("[revue] start handlers failed:", err);
            res.statusCode = 500;
            res.end();
          },
        );
      };
    },
  };

  async function listenOn(port: number, host?: string): Promise<string> {
    await start();
    server = createHttpServer(koa.callback());
    server.keepAliveTimeout = 5_000;
    await new Promise<void>((resolve, reject) => {
      server!.once("error", (err: NodeJS.ErrnoException) =>
        reject(err.code === "EADDRINUSE" ? new RevueError("INTERNAL_ERROR", `listen(${port}): port ${port} is already in use. Stop the other process or pick another port (0 picks a free one).`) : err),
      );
      server!.listen(port, host, resolve);
    });
    const addr = server.address() as AddressInfo;
    const shown = !host || host === "0.0.0.0" || host === "::" ? "localhost" : host.includes(":") ? `[${host}]` : host;
    url = `http://${shown}:${addr.port}`;
    return url;
  }

  function start(): Promise<void> {
    return (started ??= (async () => {
      await cluster?.start();
      for (const m of mounts) await m.hub.start(handle);
      // Ticks at half the interval: a stream written since the last tick may skip one (see SessionStream.heartbeat), and none is silent for a whole interval.
      timers.push(setInterval(() => mounts.forEach((m) => m.heartbeat()), pool.limits.stream.heartbeatMs / 2));
      for (const t of timers) t.unref();
    })());
  }

  return handle;
}

function positive(value: number | undefined, fallback: number, name: string): number {
  if (value === undefined) return fallback;
  if (typeof value !== "number" || !(value > 0)) throw new RevueError("BAD_REQUEST", `createServer options: ${name} must be a positive number, got ${JSON.stringify(value)}.`);
  return value;
}

/**
 * A new folder for this process's uploads, `revue-uploads-<pid>-…` in the
 * system's temp folder, once the folders a process that is gone left there
 * are removed: a process that was killed (`kill -9`, out of memory) never
 * removed its own, and its visitors' uploads stayed on disk (attack probe:
 * 51 MB a crash). A folder of this process's pid that it did not make is an
 * earlier run's (in a container the app is often pid 1 at each start); one of
 * a pid alive is left.
 */
function uploadFolder(): string {
  const base = tmpdir();
  let names: string[] = [];
  try {
    names = readdirSync(base);
  } catch {
    // An unreadable temp folder: nothing to clean, and mkdtemp says what is wrong.
  }
  for (const name of names) {
    const pid = /^revue-uploads-(\d+)-/.exec(name)?.[1];
    if (pid === undefined || ownFolders.has(name)) continue;
    if (Number(pid) === process.pid || !alive(Number(pid))) rmSync(join(base, name), { recursive: true, force: true });
  }
  const dir = mkdtempSync(join(base, `revue-uploads-${process.pid}-`));
  ownFolders.add(basename(dir));
  return dir;
}

/** The upload folders this process made (a process may run several servers). */
const ownFolders = new Set<string>();

/** Whether a process of that pid runs (one of another user's counts: it cannot be signalled, but it is there). */
function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === "EPERM";
  }
}

/**
 * `heartbeatMs`, from 100 ms to 10 minutes: a page reopens a stream silent for 2.5 intervals, so a
 * shorter one reopens busy streams whose frames wait in line, and a longer one overflows its timer.
 */
function heartbeat(value: number | undefined, fallback: number): number {
  const ms = positive(value, fallback, "heartbeatMs");
  if (ms < 100 || ms > 600_000) throw new RevueError("BAD_REQUEST", `createServer options: heartbeatMs must be from 100 (ms) to 600000 (10 minutes), got ${ms}. The default, 15000, suits most proxies.`);
  return ms;
}

function checkedFunction<F>(f: F | undefined, name: string): F | undefined {
  if (f !== undefined && typeof f !== "function") throw new RevueError("BAD_REQUEST", `createServer options: ${name} must be a function, got ${typeof f}.`);
  return f;
}

function checkedSignIn(path: unknown): string | undefined {
  if (path === undefined) return undefined;
  if (typeof path !== "string" || !path.startsWith("/") || path.startsWith("//") || /[\s#]/.test(path)) {
    throw new RevueError("BAD_REQUEST", `createServer options: signIn must be a path on this site such as "/login", got ${JSON.stringify(path)}.`);
  }
  return path;
}
