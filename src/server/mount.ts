import { createHash, randomBytes } from "node:crypto";
import type { ServerResponse } from "node:http";
import Router from "@koa/router";
import type { Context } from "koa";
import { koaBody } from "koa-body";
import type { App } from "../app.js";
import { RevueError, SessionError } from "../errors.js";
import { Hub, type AppClass, type Logger } from "../session/hub.js";
import type { PubSub } from "../session/pubsub.js";
import type { Session } from "../session/session.js";
import type { SessionStore } from "../session/store.js";
import { field, isArray, isSeq, isString, jsonBody, sameOrigin, sessionNotFound } from "./guards.js";
import type { Assets } from "./assets.js";
import { contentSecurityPolicy, renderPage } from "./page.js";
import { SessionStream } from "./sse.js";
import { UploadRegistry } from "./uploads.js";

/** The cookie that binds sessions to one browser. */
export const TOKEN_COOKIE = "rv_token";

/** Resolved server options shared by every mounted app. */
export interface MountConfig {
  store: SessionStore;
  pubsub: PubSub;
  logger: Logger;
  sessionTtlMs: number;
  maxSessions: number;
  maxRoomsPerSession: number;
  limits: { event: number; rpc: number; upload: number; files: number };
  replayBytes: number;
  maxPendingBytes: number;
  retryMs: number;
  uploadDir: string;
  /** Serves the runtime and client module of an app (see assets.ts). */
  assets: Assets;
}

const sha = (s: string) => createHash("sha256").update(s).digest("base64url");

/**
 * One app mounted under a path prefix: its hub, its sessions' streams and
 * uploads, and its routes (ARCHITECTURE.md §4) below the prefix.
 */
export class Mount<A extends App = App> {
  readonly hub: Hub<A>;
  readonly router: Router;
  private readonly streams = new Map<string, SessionStream>();
  private readonly uploads = new UploadRegistry();
  /** Hash of the browser token each live session is bound to (the store holds the same; reading it here saves a store round trip per call). */
  private readonly owners = new WeakMap<Session, string>();

  constructor(readonly prefix: string, appClass: AppClass<A>, private readonly cfg: MountConfig) {
    this.hub = new Hub(appClass, {
      pubsub: cfg.pubsub,
      logger: cfg.logger,
      maxRoomsPerSession: cfg.maxRoomsPerSession,
      channel: `${appClass.name}@${prefix || "/"}`,
      deliver: (session, message) => this.streamOf(session).send(message),
    });
    this.router = this.routes();
  }

  /** Every open stream gets a `:` comment so proxies keep it open. */
  heartbeat(): void {
    for (const s of this.streams.values()) if (s.open) s.heartbeat();
  }

  /** Cuts every open stream abruptly; returns how many. */
  dropStreams(): number {
    let n = 0;
    for (const s of this.streams.values()) if (s.drop()) n++;
    return n;
  }

  /** Drops sessions idle for longer than the TTL with no stream open. */
  async sweep(expired: ReadonlySet<string>, now = Date.now()): Promise<void> {
    for (const session of [...this.hub.all()]) {
      if (expired.has(session.sid) || (!session.connected && now - session.lastActive > this.cfg.sessionTtlMs)) await this.expire(session);
    }
  }

  /** Ends every stream with a final `bye`, runs `stop` handlers, removes temp files. */
  async close(handle: unknown): Promise<void> {
    for (const s of this.streams.values()) s.end({ type: "bye", reason: "shutdown" });
    await this.hub.settle().catch(() => {});
    await this.hub.stop(handle);
    await this.uploads.releaseAll();
  }

  private async expire(session: Session<A>): Promise<void> {
    this.streams.get(session.sid)?.end({ type: "bye", reason: "expired" });
    this.streams.delete(session.sid);
    this.hub.drop(session);
    await this.cfg.store.delete(session.sid);
    await this.uploads.release(session.sid);
  }

  private streamOf(session: Session): SessionStream {
    let stream = this.streams.get(session.sid);
    if (!stream) {
      stream = new SessionStream(
        { replayBytes: this.cfg.replayBytes, maxPendingBytes: this.cfg.maxPendingBytes, retryMs: this.cfg.retryMs },
        (why) => this.cfg.logger.warn(`[revue] ${this.hub.spec.name}: session ${session.sid.slice(0, 6)}… is too slow; ${why}. It resyncs on reconnect.`),
      );
      this.streams.set(session.sid, stream);
    }
    return stream;
  }

  /** The browser token from the cookie, minting one if absent. */
  private browserToken(ctx: Context): string {
    let token = ctx.cookies.get(TOKEN_COOKIE);
    if (!token || !/^[\w-]{22,64}$/.test(token)) {
      token = randomBytes(16).toString("base64url");
      ctx.cookies.set(TOKEN_COOKIE, token, { httpOnly: true, sameSite: "lax", path: "/", secure: ctx.secure, overwrite: true });
    }
    return token;
  }

  private async newSession(ctx: Context): Promise<Session<A>> {
    const owner = sha(this.browserToken(ctx));
    if ((await this.cfg.store.count()) >= this.cfg.maxSessions) {
      throw new SessionError(
        "TOO_MANY_SESSIONS",
        `This server is at its limit of ${this.cfg.maxSessions} sessions; try again in a moment. (Operators: raise maxSessions or lower sessionTtlMs in createServer options.)`,
      );
    }
    const session = this.hub.createSession();
    await this.cfg.store.create({ sid: session.sid, app: this.prefix, owner, createdAt: Date.now() }, this.cfg.sessionTtlMs);
    this.owners.set(session, owner);
    return session;
  }

  /** The live session `sid` of this browser: 404 if unknown or expired, 403 if another browser's. */
  private async session(ctx: Context, sid: unknown): Promise<Session<A>> {
    if (!isString(sid)) throw new RevueError("BAD_REQUEST", `${ctx.method} ${ctx.path}: "sid" must be a session id string, got ${JSON.stringify(sid) ?? "nothing"}.`);
    // A live session is authoritative: expiry drops it from the hub (see sweep()).
    const live = this.hub.get(sid);
    if (!live) throw sessionNotFound(sid);
    const token = ctx.cookies.get(TOKEN_COOKIE);
    if (!token || sha(token) !== this.owners.get(live)) {
      throw new RevueError("FORBIDDEN", `${ctx.method} ${ctx.path}: session ${sid.slice(0, 6)}… belongs to another browser (its cookie is missing or different). Reload the page to get your own session.`);
    }
    live.lastActive = Date.now();
    return live;
  }

  private routes(): Router {
    const p = this.prefix;
    const r = new Router();
    const spec = this.hub.spec;
    const { limits } = this.cfg;
    const guard = sameOrigin();

    const page = async (ctx: Context) => {
      const session = await this.newSession(ctx);
      const { rev, tree } = this.hub.snapshot(session);
      const nonce = randomBytes(16).toString("base64");
      ctx.set("Content-Security-Policy", contentSecurityPolicy(nonce));
      ctx.set("X-Content-Type-Options", "nosniff");
      ctx.set("Referrer-Policy", "same-origin");
      ctx.set("Cache-Control", "no-store");
      ctx.type = "html";
      ctx.body = renderPage({
        title: (spec.ctor as { title?: string }).title ?? spec.name,
        css: (spec.ctor as { css?: string }).css,
        tree,
        nonce,
        boot: { sid: session.sid, rev, base: p, module: await this.cfg.assets.moduleUrl(p, this.hub as unknown as Hub) },
        runtimeUrl: await this.cfg.assets.runtimeUrl(p),
      });
    };
    r.get(p || "/", guard, page);
    if (p) r.get(`${p}/`, guard, page);

    r.post(`${p}/api/session`, guard, jsonBody(limits.event), async (ctx) => {
      const session = await this.newSession(ctx);
      const { rev, tree } = this.hub.snapshot(session);
      ctx.status = 201;
      ctx.body = { sid: session.sid, rev, tree, module: await this.cfg.assets.moduleUrl(p, this.hub as unknown as Hub) };
    });

    r.get(`${p}/api/sse/:sid`, guard, async (ctx) => {
      const session = await this.session(ctx, ctx.params.sid);
      this.openStream(ctx, session);
    });

    r.post(`${p}/api/event`, guard, jsonBody(limits.event), async (ctx) => {
      await this.call(ctx, "POST /api/event", (session, seq, body, route) => {
        const method = field(body, "method", isString, "a method name", route);
        void this.hub.realtime(session, seq, method, this.args(session, body, route));
        ctx.status = 202;
        ctx.body = { ok: true };
      });
    });

    for (const [name] of spec.rpc) {
      r.post(`${p}/api/rpc/${name}`, guard, jsonBody(limits.rpc), async (ctx) => {
        await this.call(ctx, `POST /api/rpc/${name}`, (session, seq, body, route) =>
          this.hub.rpc(session, seq, name, this.args(session, body, route)).then((result) => {
            ctx.body = { result: result === undefined ? null : result };
          }),
        );
      });
    }
    r.post(`${p}/api/rpc/:name`, guard, jsonBody(limits.rpc), async (ctx) => {
      const name = ctx.params.name ?? "";
      await this.call(ctx, `POST /api/rpc/${name}`, () => {
        const hint = spec.realtime.has(name) ? ` "${name}" is @server.realtime: call it with POST /api/event.` : ` Known rpc methods: ${[...spec.rpc.keys()].join(", ") || "none"}.`;
        throw new SessionError("METHOD_NOT_FOUND", `${spec.name} has no @server.rpc method "${name}".${hint}`);
      });
    });

    r.post(`${p}/api/emit`, guard, jsonBody(limits.event), async (ctx) => {
      await this.call(ctx, "POST /api/emit", (session, seq, body, route) => {
        const event = field(body, "event", isString, "an event name", route);
        void this.hub.pageEmit(session, seq, event, body.data);
        ctx.status = 202;
        ctx.body = { ok: true };
      });
    });

    const multipart = koaBody({
      multipart: true,
      json: false,
      urlencoded: false,
      text: false,
      formidable: { uploadDir: this.cfg.uploadDir, maxFileSize: limits.upload, maxTotalFileSize: limits.upload, maxFiles: limits.files, maxFields: 20, keepExtensions: false },
    });
    r.post(`${p}/api/upload`, guard, async (ctx) => {
      if (!ctx.is("multipart/form-data")) {
        throw new RevueError("UNSUPPORTED_MEDIA_TYPE", `POST /api/upload: expected multipart/form-data, got "${ctx.get("content-type") || "none"}". Send a FormData body.`);
      }
      const session = await this.session(ctx, ctx.query.sid);
      const declared = Number(ctx.get("content-length"));
      if (declared > limits.upload + 64 * 1024) {
        throw new RevueError("PAYLOAD_TOO_LARGE", `POST /api/upload: ${declared} bytes is over the upload limit of ${limits.upload} bytes. Send a smaller file, or raise limits.upload.`);
      }
      await multipart(ctx, async () => {});
      const files = Object.values(ctx.request.files ?? {}).flat();
      if (files.length === 0) throw new RevueError("BAD_REQUEST", "POST /api/upload: the form has no file field. Append a File to the FormData.");
      ctx.body = {
        files: files.map((f) => this.uploads.add(session.sid, { path: f.filepath, name: f.originalFilename ?? "upload", type: f.mimetype ?? "application/octet-stream", size: f.size })),
      };
    });

    this.cfg.assets.register(r, this.hub as unknown as Hub, p);
    return r;
  }

  /**
   * Reads the session and seq of a call, then runs `handle`. A call refused
   * after that point (unknown method, bad arguments) still consumes its seq,
   * so the session's later calls do not wait for it.
   */
  private async call(
    ctx: Context,
    route: string,
    handle: (session: Session<A>, seq: number, body: Record<string, unknown>, route: string) => unknown,
  ): Promise<void> {
    const body = ctx.request.body as Record<string, unknown>;
    const session = await this.session(ctx, body.sid);
    const seq = field(body, "seq", isSeq, "a positive integer", route);
    let submitted = false;
    try {
      const out = handle(session, seq, body, route);
      submitted = true;
      await out;
    } catch (err) {
      if (!submitted) session.skip(seq);
      throw err;
    }
  }

  private args(session: Session<A>, body: Record<string, unknown>, route: string): unknown[] {
    return this.uploads.resolve(session.sid, body.args === undefined ? [] : field(body, "args", isArray, "an array", route), route);
  }

  /** Answers with the SSE stream: replay after `Last-Event-ID` when possible, else an `init` snapshot. */
  private openStream(ctx: Context, session: Session<A>): void {
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
    const stream = this.streamOf(session);
    const header = ctx.get("last-event-id") || (typeof ctx.query.lastEventId === "string" ? ctx.query.lastEventId : "");
    const lastSeen = header === "" ? NaN : Number(header);
    if (stream.canReplayFrom(lastSeen)) stream.attach(res, lastSeen);
    else {
      stream.attach(res);
      const { rev, tree } = this.hub.snapshot(session);
      stream.send({ type: "init", rev, tree, ack: session.ackedSeq });
    }
    res.on("close", () => {
      if (!stream.detach(res)) return; // replaced by a newer stream: still connected
      session.connected = false;
      session.lastActive = Date.now();
      void this.cfg.store.touch(session.sid, this.cfg.sessionTtlMs);
      if (this.hub.get(session.sid)) void this.hub.lifecycle(session, "disconnect");
    });
    if (!session.connected) {
      session.connected = true;
      void this.cfg.store.touch(session.sid, Number.MAX_SAFE_INTEGER);
      void this.hub.lifecycle(session, "connect");
    }
  }
}

/** Normalises a mount prefix: "/" → "", "/chat/" → "/chat". */
export function normalisePrefix(prefix: string): string {
  if (typeof prefix !== "string" || !prefix.startsWith("/") || /[?#\s]/.test(prefix)) {
    throw new RevueError("BAD_REQUEST", `createServer: mount path ${JSON.stringify(prefix)} must start with "/" and contain no spaces, "?" or "#". Example: { "/": Home, "/chat": Chat }.`);
  }
  return prefix.replace(/\/+$/, "");
}

