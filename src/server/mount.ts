import { randomBytes } from "node:crypto";
import { mkdir, rm } from "node:fs/promises";
import type { ServerResponse } from "node:http";
import { join } from "node:path";
import Router from "@koa/router";
import type { Context } from "koa";
import formidable from "formidable";
import type { App } from "../app.js";
import { RevueError, SessionError } from "../errors.js";
import { randomString } from "../random.js";
import { ANONYMOUS, Hub, NO_URL, type AppClass, type Logger, type PageCall, type PageUrl, type Who } from "../session/hub.js";
import { checkedPath, firstValues, matchRoute, signInAddress, withoutTrailingSlashes, type PendingCookie } from "../session/address.js";
import type { Cluster } from "../session/cluster.js";
import type { SessionPool } from "../session/pool.js";
import type { PresenceOptions } from "../session/presence.js";
import type { PubSub } from "../session/pubsub.js";
import type { Session } from "../session/session.js";
import type { SessionStore } from "../session/store.js";
import { fileName, fileType, removeAll, type ReceivedFile } from "../session/uploads.js";
import type { Assets } from "./assets.js";
import type { BrowserTokens } from "./browser-token.js";
import { decodeCall, isId, isSeq } from "./decode-call.js";
import { assertSameOrigin, jsonBody, jsonBodyReader, refusedCall, sameOrigin, watchBody } from "./guards.js";
import { errorPage } from "./error-page.js";
import { pageHead, renderPage } from "./page.js";
import { sseSink } from "./sse-sink.js";

/** Resolved server options shared by every mounted app. */
export interface MountConfig {
  /** Hide what bugs and unexpected exceptions say from pages (see `exposeError`). */
  production: boolean;
  /** This process as one node of several (see `ServerOptions.cluster`). */
  cluster: Cluster | undefined;
  store: SessionStore;
  pubsub: PubSub;
  /** Presence tuning (createServer's `presence` option) and this node's name. */
  presence?: PresenceOptions & { node?: string };
  /** Whether the server's apps share one presence (it serves several): `list(topic)` is every app's. */
  presenceShared?: boolean;
  pool: SessionPool;
  logger: Logger;
  /** Body limits in bytes: events and emits, rpcs, one upload request; files per upload request; the window (ms) over which a body must bring 500 bytes a second. */
  limits: { event: number; rpc: number; upload: number; files: number; bodyMs: number };
  /** The folder uploads are received into (made on first use). */
  uploadDir: () => string;
  /** Serves the runtime and client module of an app (see assets.ts). */
  assets: Assets;
  /** Issues and recognises the `rv_token` cookie (see browser-token.ts). */
  tokens: BrowserTokens;
  /** The Content-Security-Policy header of a page with this nonce (the `csp` option, see page.ts). */
  csp: (nonce: string) => string;
  /** Who makes a request (createServer's `authenticate`), and their roles. */
  authenticate: (ctx: Context) => unknown;
  roles: (user: unknown) => readonly string[];
  /** Where a page load that needs a user is sent (createServer's `signIn`), or undefined: a 401 page. */
  signIn: string | undefined;
  /** The mount serving a path of this server, and the path's params (live navigation between apps). Set by createServer once every app is mounted. */
  routes?: (path: string) => { prefix: string; params: Record<string, string> } | undefined;
}

/**
 * One app mounted under a path prefix: the HTTP face of its hub. Every route
 * checks the request (origin, body, cookie), decodes it once, and hands it to
 * the hub, which owns the sessions (ARCHITECTURE.md §4).
 */
export class Mount<A extends App = App> {
  readonly hub: Hub<A>;
  readonly router: Router;

  constructor(readonly prefix: string, appClass: AppClass<A>, private readonly cfg: MountConfig) {
    this.hub = new Hub(appClass, {
      pubsub: cfg.pubsub,
      store: cfg.store,
      pool: cfg.pool,
      logger: cfg.logger,
      prefix,
      production: cfg.production,
      cluster: cfg.cluster,
      // Several apps share one presence channel, each app's presences a node of its own there (see ServerOptions.presence).
      presence: cfg.presenceShared && cfg.presence ? { ...cfg.presence, node: `${cfg.presence.node}@${prefix || "/"}`, channel: "revue:presence" } : cfg.presence,
      channel: `${appClass.name}@${prefix || "/"}`,
      routes: (path) => cfg.routes?.(path),
      signIn: cfg.signIn,
    });
    this.router = this.routes();
    this.readEvent = jsonBodyReader(cfg.limits.event, cfg.limits.bodyMs);
    this.readRpc = jsonBodyReader(cfg.limits.rpc, cfg.limits.bodyMs);
    this.callPaths = new Map([
      [`${prefix}/api/event`, "realtime"],
      [`${prefix}/api/emit`, "emit"],
    ]);
    this.rpcPath = `${prefix}/api/rpc/`;
    this.eventRoute = `POST ${prefix}/api/event`;
    this.emitRoute = `POST ${prefix}/api/emit`;
  }

  private readonly readEvent: (ctx: Context) => Promise<void>;
  private readonly readRpc: (ctx: Context) => Promise<void>;
  /** The exact paths of realtime calls and emits; rpcs are under {@link rpcPath}. */
  private readonly callPaths: Map<string, "realtime" | "emit">;
  private readonly rpcPath: string;
  /** How errors name the call routes (built once: they are the same for every call). */
  private readonly eventRoute: string;
  private readonly emitRoute: string;

  /**
   * Serves the page's calls (`POST /api/event`, `/api/emit`, `/api/rpc/<name>`),
   * or returns undefined when the request is not one. They are dispatched here,
   * ahead of the router: a map lookup and three plain function calls instead of
   * @koa/router's matching and its chain of middleware, on the path every event
   * takes (with the 202's preset text, server CPU per round trip ≈ 0.8× what it
   * was through the router). Other methods on these paths get 405 (`Allow: POST`).
   */
  serveCall(ctx: Context): Promise<void> | undefined {
    // ctx.request and ctx.req directly: ctx's delegates are keyed lookups V8 cannot inline (with the response's below: ≈ 6k instructions a call).
    const path = ctx.request.path;
    let kind = this.callPaths.get(path);
    let name: string | undefined;
    if (kind === undefined) {
      if (!path.startsWith(this.rpcPath) || path.length === this.rpcPath.length || path.indexOf("/", this.rpcPath.length) !== -1) return undefined;
      name = decodeSegment(path.slice(this.rpcPath.length));
    }
    if (ctx.req.method !== "POST") {
      ctx.set("Allow", "POST");
      ctx.status = ctx.method === "OPTIONS" ? 200 : 405;
      if (ctx.method === "OPTIONS") ctx.body = "";
      return Promise.resolve();
    }
    return this.call(ctx, kind ?? "rpc", name);
  }

  /** A call of the page: checked (origin, body), decoded once, run by the hub here or on the node that holds its session. */
  private async call(ctx: Context, kind: PageCall["kind"], name: string | undefined): Promise<void> {
    assertSameOrigin(ctx);
    let decoded: ReturnType<typeof decodeCall>;
    try {
      await (kind === "rpc" ? this.readRpc : this.readEvent)(ctx);
      decoded = decodeCall(ctx, kind, name);
    } catch (err) {
      await this.refuseSeq(ctx, refusedCall(err) ?? (ctx.request.body as Record<string, unknown> | undefined));
      throw err;
    }
    const { sid, call } = decoded;
    const who = this.who(ctx);
    call.who = who instanceof Promise ? await who : who;
    const hub = this.hub;
    const where = await hub.route(sid, this.owner(ctx, false), kind === "rpc" ? `POST ${ctx.request.path}` : kind === "realtime" ? this.eventRoute : this.emitRoute);
    if ("node" in where) {
      // Several processes: the session lives on another node, which runs the call and words the answer.
      const answer = await hub.forward(where.node, sid, this.owner(ctx, false), call);
      ctx.status = answer.status;
      if (answer.retryAfterMs !== undefined) ctx.set("Retry-After", String(Math.ceil(answer.retryAfterMs / 1000)));
      ctx.type = "json";
      ctx.body = answer.body;
      return;
    }
    const outcome = await hub.call(where.session, call);
    const backlog = hub.backlog();
    if (backlog) await backlog;
    // Straight to the response: ctx.type = "json" would look the type up, and ctx.set builds arrays per header.
    ctx.res.setHeader("Content-Type", JSON_TYPE);
    const res = ctx.response;
    if (kind === "rpc") res.body = outcome as string;
    else {
      res.status = 202;
      res.body = ACCEPTED;
    }
  }

  /**
   * Every open stream gets a `:` comment so proxies keep it open (called every
   * half `heartbeatMs`); every other call, the users of an app's open streams
   * are asked for again (see {@link recheckUsers}).
   */
  heartbeat(): void {
    for (const s of this.hub.sessions()) if (s.connected) s.stream.heartbeat();
    if (this.watched.size > 0 && ++this.beats % 2 === 0 && !this.rechecking) void this.recheckUsers();
  }

  /** The open streams of an app with `static auth`, each with the request that opened it (see {@link recheckUsers}). */
  private readonly watched = new Map<Session<A>, Context>();
  private beats = 0;
  private rechecking = false;

  /**
   * Asks `authenticate` again who each open stream of an app with `static
   * auth` is for, with the request that opened it, once per `heartbeatMs`: a
   * sign-in revoked on the server (a store of sign-ins that ended it), or a
   * user who lost the role, stops getting the page's renders then, rather
   * than at the page's next call, which a page that only watches (a dashboard)
   * may never make (attack probe: an admin page kept streaming after its
   * sign-in was revoked). Its stream is cut; the page's reconnect is refused
   * (401/403), and the page loads its address again: the sign-in page.
   */
  private async recheckUsers(): Promise<void> {
    this.rechecking = true;
    try {
      for (const [session, ctx] of [...this.watched]) {
        if (!session.connected) {
          this.watched.delete(session);
          continue;
        }
        let who: Who;
        try {
          who = await this.who(ctx);
        } catch {
          continue; // its store unavailable (or an authenticate that needs a live response): asked again next time
        }
        if (this.watched.get(session) !== ctx) continue; // the page reconnected meanwhile, admitted then
        if (this.hub.keepsStream(session, who)) continue;
        this.watched.delete(session);
        session.stream.drop();
      }
    } finally {
      this.rechecking = false;
    }
  }

  /** Cuts every open stream abruptly; returns how many. */
  dropStreams(): number {
    let n = 0;
    for (const s of this.hub.sessions()) if (s.stream.drop()) n++;
    return n;
  }

  /** Ends every stream with a final `bye`, runs `stop` handlers and ends every session, within `timeoutMs`. */
  close(handle: unknown, timeoutMs: number): Promise<void> {
    return this.hub.stop(handle, timeoutMs);
  }

  /**
   * The params of a path under this mount's route (`/items/:id` and
   * `/items/42` → `{ id: "42" }`), or undefined when it is not one.
   */
  paramsOf(path: string): Record<string, string> | undefined {
    return matchRoute(this.prefix, path);
  }

  /**
   * Where a page that starts a session (`POST /api/session`) is: the `url` its
   * body names (live navigation), else its Referer (a re-bootstrap; same-origin,
   * checked by the guard), so a page at `/items/42?tab=2` gets a new session
   * with the same params and query.
   */
  private pageUrlOf(ctx: Context): PageUrl {
    const named = (ctx.request.body as { url?: unknown } | undefined)?.url;
    let page: URL | undefined;
    try {
      page = typeof named === "string" ? checkedPath(named) : new URL(ctx.get("referer"));
    } catch {}
    const params = page && this.paramsOf(page.pathname);
    return params ? { params, query: firstValues(page!.searchParams) } : NO_URL;
  }

  /**
   * Who makes this request (createServer's `authenticate`): the user, or
   * nobody, and their roles. Synchronous when `authenticate` is (the default
   * reads `ctx.state.user`): a call's path takes no extra turn for it.
   */
  private who(ctx: Context): Who | Promise<Who> {
    let user: unknown;
    try {
      user = this.cfg.authenticate(ctx);
    } catch (err) {
      throw authenticateFailed(ctx, err);
    }
    if (typeof (user as PromiseLike<unknown> | null)?.then === "function") {
      return Promise.resolve(user).then((u) => this.whoOf(u), (err) => Promise.reject(authenticateFailed(ctx, err)));
    }
    return this.whoOf(user);
  }

  private whoOf(user: unknown): Who {
    return user === undefined || user === null ? ANONYMOUS : { user, roles: this.cfg.roles(user) };
  }

  /** The owner hash of the browser's token (minting a fresh one if `mint` and none is valid), or "". */
  private owner(ctx: Context, mint: boolean): string {
    return this.cfg.tokens.owner(ctx, mint);
  }

  /** Sets the cookies handlers asked for (App.setCookie) on this answer. */
  private setCookies(ctx: Context, cookies: readonly PendingCookie[]): void {
    for (const { name, value, options } of cookies) {
      ctx.cookies.set(name, value ?? null, { path: "/", sameSite: "lax", httpOnly: true, secure: ctx.secure, signed: true, ...options, overwrite: true });
    }
  }

  /** The session named in a request, of this browser, brought to this process (404 / 403 otherwise). */
  private find(ctx: Context, sid: unknown): Promise<Session<A>> {
    return this.hub.acquire(this.checkedSid(ctx, sid), this.owner(ctx, false), `${ctx.method} ${ctx.path}`);
  }

  private checkedSid(ctx: Context, sid: unknown): string {
    if (typeof sid !== "string" || sid === "" || sid.length > 256) {
      throw new RevueError("BAD_REQUEST", `${ctx.method} ${ctx.path}: "sid" must be a session id string, got ${JSON.stringify(sid) ?? "nothing"}.`);
    }
    return sid;
  }

  /**
   * A call refused before it ran (its body too large, not JSON, or of the
   * wrong shape) that still names its session and seq (in its parsed body, or
   * at the start of its text): that seq stays usable, and the session's later
   * calls do not wait for it (docs/protocol.md §2).
   */
  private async refuseSeq(ctx: Context, named: { sid?: unknown; seq?: unknown } | undefined): Promise<void> {
    const { sid, seq } = named ?? {};
    if (!isId(sid) || !isSeq(seq)) return;
    try {
      const found = await this.hub.route(sid, this.owner(ctx, false), `${ctx.method} ${ctx.path}`);
      if ("session" in found) found.session.calls.refuse(seq); // on another node, the gap timer covers it
    } catch {} // an unknown or foreign session: the 400 is the answer
  }

  private routes(): Router {
    const p = this.prefix;
    const r = new Router();
    const hub = this.hub;
    const spec = hub.spec;
    const { limits } = this.cfg;
    const guard = sameOrigin();

    // static title, css and head, checked once: a mistake fails createServer, naming the class.
    const head = pageHead(spec.ctor);
    const page = async (ctx: Context) => {
      const nonce = randomString(16, "base64");
      ctx.set("Content-Security-Policy", this.cfg.csp(nonce));
      ctx.set("X-Content-Type-Options", "nosniff");
      ctx.set("Referrer-Policy", "same-origin");
      ctx.set("Cache-Control", "no-store");
      // A window this page opens on another site cannot reach back into it (window.opener), nor one that opened it.
      ctx.set("Cross-Origin-Opener-Policy", "same-origin");
      // Over HTTPS (or behind a proxy saying so, Koa's `proxy`): the browser keeps to HTTPS for this host for a year.
      if (ctx.secure) ctx.set("Strict-Transport-Security", "max-age=31536000");
      ctx.type = "html";
      const who = await this.who(ctx);
      try {
        hub.admit(who, `${ctx.method} ${ctx.path}`);
      } catch (err) {
        const { code, message } = err as SessionError;
        const signIn = code === "UNAUTHORIZED" && this.cfg.signIn ? signInAddress(this.cfg.signIn, ctx.originalUrl) : undefined;
        if (signIn) return ctx.redirect(signIn);
        ctx.status = code === "UNAUTHORIZED" ? 401 : 403;
        ctx.body = code === "UNAUTHORIZED"
          ? errorPage(401, "Please sign in", `This page is for signed-in users. ${this.cfg.production ? "" : message}`.trim(), nonce)
          : errorPage(403, "Not allowed", `Your account cannot open this page. ${this.cfg.production ? "" : message}`.trim(), nonce, { href: "/", text: "Go to the home page" });
        return;
      }
      // A HEAD request (a link checker, a balancer's probe) gets the headers and creates nothing.
      if (ctx.method === "HEAD") {
        ctx.status = 200;
        return;
      }
      const url = { params: this.paramsOf(ctx.path) ?? {}, query: firstValues(new URLSearchParams(ctx.querystring)) };
      const { session, page, state, title } = await hub.open(this.owner(ctx, true), (view) => view.firstPage(nonce, ctx.url), { who, url });
      // What `@server.on("load")` asked: its cookies with this answer, and its redirect as this answer.
      const first = hub.takeFirstDirections(session);
      this.setCookies(ctx, first.cookies);
      if (first.go !== undefined) return ctx.redirect(first.go);
      ctx.body = renderPage({
        head: title !== undefined ? { ...head, title } : head,
        html: page.html,
        nonce,
        boot: {
          sid: session.sid,
          rev: page.rev,
          base: p,
          module: await this.cfg.assets.moduleUrl(p, hub as unknown as Hub),
          ...(state ? { s: state } : {}),
          ...(session.userKey !== undefined ? { u: this.cfg.tokens.userTag(session.userKey) } : {}),
        },
        runtimeUrl: await this.cfg.assets.runtimeUrl(p),
      });
    };
    // A link to the app from another site is a normal visit (guards.ts, sameOrigin).
    const visit = sameOrigin({ navigation: true });
    r.get(p || "/", visit, page);
    if (p) r.get(`${p}/`, visit, page);

    // A page replacing a lost session, or arriving by live navigation: its tree, and its head (title, css, static head) for the latter.
    const headJson = `"css":${JSON.stringify(head.css)},"head":${JSON.stringify(head.elements)}`;
    r.post(`${p}/api/session`, guard, jsonBody(limits.event, limits.bodyMs), async (ctx) => {
      const who = await this.who(ctx);
      // A page whose session lost the tree it showed names it (hub.connect, `bye: expired`): the same session, afresh.
      const { sid, url, u } = (ctx.request.body ?? {}) as { sid?: unknown; url?: unknown; u?: unknown };
      if (url !== undefined && !checkedPath(url)) {
        throw new RevueError("BAD_REQUEST", `${ctx.method} ${ctx.path}: "url" must be a path of this server (such as "/items/42?tab=2"), got ${JSON.stringify(url)?.slice(0, 80)}.`);
      }
      // The user the page was of (its boot data's `u`): a page whose session is gone (a restart) is not made another user's.
      hub.assertPageUser(u, who, (tag, identity) => this.cfg.tokens.isUserTag(tag, identity));
      // A sid that is not a session id string is refused (400, by `find`); one of a session gone gets a new session.
      const found = sid !== undefined ? await this.find(ctx, sid).catch(() => undefined) : undefined;
      const again = found && (await hub.reissue(found, who));
      const { session, page, state, title } = again ?? (await hub.open(this.owner(ctx, true), (view) => view.firstTree(), { who, url: this.pageUrlOf(ctx) }));
      ctx.status = 201;
      ctx.type = "json";
      ctx.body =
        `{"sid":${JSON.stringify(session.sid)},"rev":${page.rev},"hash":"${page.hash}","tree":${page.json},"module":${JSON.stringify(await this.cfg.assets.moduleUrl(p, hub as unknown as Hub))},` +
        `"title":${JSON.stringify(title ?? head.title)},${headJson}${state ? `,"s":${JSON.stringify(state)}` : ""}${session.userKey !== undefined ? `,"u":${JSON.stringify(this.cfg.tokens.userTag(session.userKey))}` : ""}}`;
    });

    // The cookies this session's handlers set (App.setCookie): the page trades the ticket its patch carried for them.
    r.post(`${p}/api/cookie`, guard, jsonBody(limits.event, limits.bodyMs), async (ctx) => {
      const { sid, ticket } = ctx.request.body as { sid?: unknown; ticket?: unknown };
      const session = await this.find(ctx, sid);
      this.setCookies(ctx, hub.takeCookies(session, ticket));
      ctx.status = 204;
    });

    r.get(`${p}/api/sse/:sid`, guard, async (ctx) => {
      // Admitted before the session is looked up: a refused request must not bring it to this node (its stream elsewhere ended).
      const who = await this.who(ctx);
      hub.admit(who, `${ctx.method} ${ctx.path}`); // a page whose user signed out meanwhile gets no more of it
      const session = await this.find(ctx, ctx.params.sid);
      hub.assertSameUser(session, who); // another user signed in in this browser: the page starts a session of theirs
      if (ctx.method === "HEAD") {
        // The headers a stream starts with, and no stream: the session's open one stays attached. (What the runtime
        // asks when a stream was refused: EventSource hides the status.)
        ctx.status = 200;
        ctx.type = "text/event-stream; charset=utf-8";
        ctx.set("Cache-Control", "no-cache, no-transform");
        return;
      }
      session.who = who; // what this.user reads
      const header = ctx.get("last-event-id") || (typeof ctx.query.lastEventId === "string" ? ctx.query.lastEventId : "");
      const lastSeen = /^\d{1,15}$/.test(header) ? Number(header) : undefined;
      hub.wake(session); // a refusal (too many sessions) is still an ordinary JSON answer
      const res: ServerResponse = ctx.res;
      ctx.respond = false;
      ctx.req.socket.setNoDelay(true);
      ctx.req.socket.setTimeout(0);
      res.writeHead(200, {
        "Content-Type": "text/event-stream; charset=utf-8",
        "Cache-Control": "no-cache, no-transform",
        Connection: "keep-alive",
        "X-Accel-Buffering": "no",
      });
      // The page may have gone while the session and its user were looked up (a store's round trip, an async
      // `authenticate`): its close came before anyone listened, and connecting would leave a session that no
      // disconnect ever ends (a presence list showed a reloaded page online for good).
      if (ctx.req.socket.destroyed) return;
      const sink = sseSink(res);
      hub.connect(session, sink, lastSeen);
      if (hub.guarded) this.watched.set(session, ctx);
      res.on("close", () => {
        hub.disconnect(session, sink);
        if (this.watched.get(session) === ctx) this.watched.delete(session);
      });
    });

    r.post(`${p}/api/upload`, guard, async (ctx) => {
      if (!ctx.is("multipart/form-data")) {
        throw new RevueError("UNSUPPORTED_MEDIA_TYPE", `POST /api/upload: expected multipart/form-data, got "${ctx.get("content-type") || "none"}". Send a FormData body.`);
      }
      hub.admit(await this.who(ctx), `${ctx.method} ${ctx.path}`);
      const length = ctx.get("content-length");
      const declared = length ? Number(length) : NaN; // NaN: not said (chunked)
      // Refused before the session is looked up: in a cluster, finding it here brings it from the node holding it.
      if (declared > limits.upload + 64 * 1024) throw tooLarge(declared, limits.upload);
      const session = await this.find(ctx, ctx.query.sid);
      const room = session.uploads.room();
      if (room.files === 0 || declared > room.bytes + 64 * 1024) throw uploadQuota(room, `this upload is ${declared} bytes`);
      // What it may take is set aside while it is received, so that uploads at once share the room: its declared size less
      // the form's own bytes (2 KB of it, so that uploads filling the room exactly fit together), else all it may be.
      const most = Math.max(1, Math.min(limits.upload, room.bytes));
      // What stops the form (the body too slow, the session ended): its request's error, which formidable listens to while it reads.
      const stop = (err: unknown) => ctx.req.listenerCount("error") > 0 && ctx.req.emit("error", err);
      const taken = session.uploads.reserve(declared >= 0 ? Math.max(1, Math.min(most, declared - FORM_BYTES)) : most, `${ctx.method} ${ctx.path}`, stop);
      // Each request writes into its own folder, so a refused or broken upload leaves no temp file behind.
      const dir = join(this.cfg.uploadDir(), randomBytes(9).toString("base64url"));
      // Fields other than files are read into memory and the page sends none: 16 KB of them at most (formidable's 20 MB each,
      // in bodies with no Content-Length, held 1.4 GB for 100 uploads).
      const form = formidable({ uploadDir: dir, maxFileSize: most, maxTotalFileSize: most, maxFiles: Math.min(limits.files, room.files), maxFields: 20, maxFieldsSize: 16 * 1024, keepExtensions: false, multiples: true, allowEmptyFiles: true, minFileSize: 0 });
      // The server's tally takes what arrives (UPLOADS_FULL once it is full), and a body without a declared length stops
      // at the request's limit as a declared one does: a throw here stops the form, as formidable passes what its 'progress'
      // listeners throw to its own error, which the catch below answers.
      let counted = 0;
      form.on("progress", (bytes: number) => {
        if (bytes > limits.upload + 64 * 1024) throw tooLarge(bytes, limits.upload);
        taken.received(bytes - counted);
        counted = bytes;
      });
      const unwatch = watchBody(ctx, limits.bodyMs, stop);
      const giveBack = () => {
        unwatch();
        taken.giveBack();
      };
      let received: ReceivedFile[] = [];
      try {
        await mkdir(dir);
        const [, files] = await form.parse(ctx.req);
        giveBack();
        received = Object.values(files)
          .flatMap((f) => f ?? [])
          .map((f) => ({ path: f.filepath, name: fileName(f.originalFilename), type: fileType(f.mimetype), size: f.size }));
        if (received.length === 0) throw new RevueError("BAD_REQUEST", "POST /api/upload: the form has no file field. Append a File to the FormData.");
        ctx.body = { files: await session.uploads.add(received, dir) };
      } catch (err) {
        giveBack();
        if (!ctx.req.complete) ctx.set("Connection", "close"); // the rest of its body is not read
        await removeAll(received);
        await rm(dir, { recursive: true, force: true });
        throw overQuota(err, room, limits) ?? err;
      }
    });

    this.cfg.assets.register(r, hub as unknown as Hub, p);
    return r;
  }
}

/** The refusal of an upload body past the request's limit (`upload`), declared or as it arrives. */
function tooLarge(bytes: number, upload: number): RevueError {
  return new RevueError("PAYLOAD_TOO_LARGE", `POST /api/upload: ${bytes} bytes is over the upload limit of ${upload} bytes. Send a smaller file, or raise limits.upload.`);
}

/** What an upload's multipart form may add to its files' bytes (boundaries, part headers) that is not counted against the room. */
const FORM_BYTES = 2 * 1024;

/** The answer to an accepted realtime call or emit (docs/protocol.md §2), as the text Koa sends without serialising an object. */
const ACCEPTED = '{"ok":true}';
const JSON_TYPE = "application/json; charset=utf-8";

/**
 * What a request whose `authenticate` threw (or rejected) answers: a
 * `RevueError` it threw on purpose as it is (an `UnavailableError` while its
 * store of sign-ins is down: the page waits and sends the call again), anything
 * else as a bug of the app's, named.
 */
function authenticateFailed(ctx: Context, err: unknown): RevueError {
  if (err instanceof RevueError) return err;
  return new RevueError("INTERNAL_ERROR", `${ctx.method} ${ctx.path}: createServer's authenticate(ctx) threw (${(err as Error)?.message ?? err}). Make it return the user, or undefined for nobody.`, { cause: err });
}

/** A path segment percent-decoded, or as it is when it does not decode (as @koa/router does for its params). */
function decodeSegment(segment: string): string {
  try {
    return decodeURIComponent(segment);
  } catch {
    return segment;
  }
}

/** Normalises a mount prefix: "/" → "", "/chat/" → "/chat". */
export function normalisePrefix(prefix: string): string {
  if (typeof prefix !== "string" || !prefix.startsWith("/") || /[?#\s]/.test(prefix)) {
    throw new RevueError("BAD_REQUEST", `createServer: mount path ${JSON.stringify(prefix)} must start with "/" and contain no spaces, "?" or "#". Example: { "/": Home, "/chat": Chat }.`);
  }
  for (const segment of prefix.split("/")) {
    if (/[*()+{}]/.test(segment) || (segment.includes(":") && !/^:[A-Za-z_]\w*$/.test(segment))) {
      throw new RevueError("BAD_REQUEST", `createServer: route ${JSON.stringify(prefix)}: "${segment}" is not a path segment or a param. A param is a whole segment named ":name" (letters, digits, _), as in "/items/:id"; wildcards and optional params are not supported.`);
    }
  }
  return withoutTrailingSlashes(prefix);
}

/** formidable's codes for a form past `maxFiles`, past `maxFileSize` / `maxTotalFileSize`, and past its fields' count or bytes. */
const FORMIDABLE_TOO_MANY_FILES = 1015;
const FORMIDABLE_FIELD_BYTES = 1006;
const FORMIDABLE_FIELDS = 1007;
const FORMIDABLE_TOO_LARGE = new Set([1009, 1016]);

/**
 * formidable stops a form at the tighter of the request's limits and what the
 * session may still upload (both answer 413). When the session's quota was the
 * tighter one, the page must hear UPLOAD_QUOTA (nothing more fits until the
 * session ends), not PAYLOAD_TOO_LARGE (a smaller upload would pass); past the
 * request's count of files, it hears that count rather than of a body too large.
 */
function overQuota(err: unknown, room: { bytes: number; files: number }, limits: MountConfig["limits"]): SessionError | undefined {
  const code = (err as { code?: unknown } | null)?.code as number;
  if (code === FORMIDABLE_TOO_MANY_FILES && room.files < limits.files) return uploadQuota(room, "this upload has more files");
  if (FORMIDABLE_TOO_LARGE.has(code) && room.bytes < limits.upload) return uploadQuota(room, "this upload is larger");
  if (code === FORMIDABLE_TOO_MANY_FILES) {
    return new SessionError("PAYLOAD_TOO_LARGE", `POST /api/upload: an upload carries at most ${limits.files} files. Send the others in another upload, or raise limits.files.`);
  }
  if (code === FORMIDABLE_FIELDS) return new SessionError("BAD_REQUEST", "POST /api/upload: the form has more than 20 fields other than files. Send the files alone (rv.upload does).");
  if (code === FORMIDABLE_FIELD_BYTES) return new SessionError("PAYLOAD_TOO_LARGE", "POST /api/upload: the form's fields other than files hold more than 16 KB. Send the files alone (rv.upload does).");
  return undefined;
}

/** The UPLOAD_QUOTA refusal: what the session may still keep, and why this upload does not fit. */
function uploadQuota(room: { bytes: number; files: number }, what: string): SessionError {
  return new SessionError(
    "UPLOAD_QUOTA",
    `POST /api/upload: this session may keep ${room.bytes} more bytes in ${room.files} more files, and ${what}. Uploads are kept until the session ends; raise limits.sessionUploadBytes / limits.sessionUploadFiles to allow more.`,
  );
}
