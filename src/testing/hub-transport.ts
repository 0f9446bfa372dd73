import { randomBytes } from "node:crypto";
import { mkdir, rm, writeFile } from "node:fs/promises";
import { join } from "node:path";
import type { DOMWindow } from "jsdom";
import { RevueError } from "../errors.js";
import type { App } from "../app.js";
import { NAV_NAME, type Hub, type Who } from "../session/hub.js";
import type { Session } from "../session/session.js";
import type { Sink } from "../session/stream.js";
import { fileType, removeAll, type ReceivedFile } from "../session/uploads.js";
import { decodeCallBody, isId, isSeq } from "../server/decode-call.js";
import type { ClientModuleAsset } from "../server/client-module.js";
import type { ClientModule, Reply, StreamHandlers, StreamHandle, Transport, Uploadable, UploadHandle, UploadOptions } from "../../client/transport.js";

/**
 * The page runtime's {@link Transport} for `revue/testing`: what the browser
 * does over HTTP, done in-process against the {@link Hub}, with the same
 * checks as the routes (src/server/mount.ts) and the same JSON round trip.
 *
 * - `post` decodes a call as decode-call.ts does and runs it with `hub.call`
 *   (`/api/session` opens a session as the route does); bodies are serialised
 *   and parsed, so arguments and results reach each side as JSON would.
 * - `stream` attaches a {@link Sink} that parses SSE frames and hands them to
 *   the runtime one task later, as EventSource does; a stream the server ends
 *   reconnects with the last event id, as EventSource does.
 * - `load` evaluates the generated client module inside the page's window, so
 *   `@client` code sees that window's `document`, `FormData` and events.
 * - `upload` takes the page's `File`s into the session's upload box, as
 *   `POST /api/upload` does.
 */

/** What the transport needs from the test page it serves. */
export interface PageHost {
  hub: Hub;
  /** Who the page's requests are from (`mount(App, { user })`). */
  who: Who;
  /** The browser token's hash this page's sessions belong to. */
  owner: string;
  /** The page's window: replies are parsed with its JSON, module code runs in it. */
  window: DOMWindow;
  /** The app's generated client module (src/server/client-module.ts). */
  module: ClientModuleAsset;
  /** Counts work in flight, for `settle()`. */
  activity: Activity;
  /** A frame the page received (for `t.ops`, `t.calls`, …). */
  received(type: string, data: string, id: number): void;
  /** A realtime call or emit of the page's that the server refused (for `t.errors`). */
  refused?(code: string, message: string, seq: number | undefined): void;
  /** A navigation the server answered with a page load elsewhere (another app, another server): its path; undefined for one within the app. */
  left?(path: string | undefined): void;
  /** Rewrites a frame before the page sees it (`dom: "rendered"`); undefined keeps it. */
  rewrite?(session: Session, type: string, data: string): { type: string; data: string } | undefined;
  /** A `@client` method the runtime ran threw or rejected. */
  clientError(method: string, err: unknown): void;
  /** Body limits of an upload request, as `createServer({ limits })` has them. */
  limits: { upload: number; files: number };
  /** Where uploaded files are written. */
  uploadDir: string;
}

/**
 * Work in flight: posts, frames not yet delivered, running `@client`
 * methods, reconnects. `settle()` waits until it is idle.
 */
export class Activity {
  private count = 0;
  /** Bumped whenever work starts: `settle()` is done only after a round in which nothing started. */
  generation = 0;
  private waiters: Array<() => void> = [];

  get busy(): boolean {
    return this.count > 0;
  }

  begin(): void {
    this.count++;
    this.generation++;
  }

  end(): void {
    if (--this.count > 0) return;
    for (const w of this.waiters.splice(0)) w();
  }

  /** Runs `work`, counted while it runs. */
  async track<T>(work: () => Promise<T>): Promise<T> {
    this.begin();
    try {
      return await work();
    } finally {
      this.end();
    }
  }

  idle(): Promise<void> {
    return this.count === 0 ? Promise.resolve() : new Promise((resolve) => this.waiters.push(resolve));
  }
}

/** The HTTP status a failure is answered with, as the routes' JSON error middleware does. */
function failure(err: unknown): { status: number; json: string; retryAfterMs?: number } {
  if (err instanceof RevueError) return { status: err.status, json: JSON.stringify(err.toJSON()), retryAfterMs: err.retryAfterMs };
  return { status: 500, json: JSON.stringify({ error: { code: "INTERNAL_ERROR", message: "Internal server error; the server log has the details." } }) };
}

/** Routes of `POST` calls: path → kind (and rpc name). */
function route(path: string): { kind: "realtime" | "rpc" | "emit"; name?: string } | undefined {
  if (path === "/api/event") return { kind: "realtime" };
  if (path === "/api/emit") return { kind: "emit" };
  const rpc = /^\/api\/rpc\/([^/?]+)$/.exec(path);
  return rpc ? { kind: "rpc", name: decodeURIComponent(rpc[1]!) } : undefined;
}

/** How long a dropped stream waits before it reconnects (EventSource waits `retry:`; tests need not). */
const RECONNECT_MS = 5;

/**
 * Creates the in-process transport of one test page.
 *
 * @example
 * const transport = hubTransport(host);
 * window.rv = createRuntime({ root, boot, transport, applier: createApplier });
 */
export function hubTransport(host: PageHost): Transport {
  const { hub, owner, window: win, activity, who } = host;
  /** A reply as the page's fetch would parse it: with the page's own JSON. */
  const reply = (status: number, json: string, retryAfterMs?: number): Reply => ({ status, body: win.JSON.parse(json), retryAfterMs });
  /** An error as the page sees a failed request: shaped like the runtime's RevueError. */
  const pageError = (code: string, message: string): Error => Object.assign(new win.Error(message), { name: "RevueError", code });

  /** A call refused for its shape still names its seq: keep that seq usable, as the route does. */
  const refuseSeq = async (body: Record<string, unknown>) => {
    if (!isId(body.sid) || !isSeq(body.seq)) return;
    try {
      (await hub.find(body.sid, owner, "POST")).calls.refuse(body.seq);
    } catch {}
  };

  async function post(url: string, body: unknown): Promise<Reply> {
    const text = JSON.stringify(body);
    const parsed = JSON.parse(text) as Record<string, unknown>;
    const path = new URL(url, "http://page").pathname;
    let r: ReturnType<typeof route>;
    try {
      if (path === "/api/session") {
        // A page whose session lost the tree it showed names it (`bye: expired`): the same session, afresh, as the route does.
        const sid = parsed.sid;
        hub.assertPageUser(parsed.u, who);
        const found = typeof sid === "string" ? await hub.find(sid, owner, "POST /api/session").catch(() => undefined) : undefined;
        const again = found && (await hub.reissue(found, who));
        const { session, page } = again ?? (await hub.open(owner, (view) => view.firstTree(), { who }));
        return reply(201, `{"sid":${JSON.stringify(session.sid)},"rev":${page.rev},"hash":"${page.hash}","tree":${page.json},"module":${JSON.stringify(`/rv/${host.module.file}`)}${session.userKey !== undefined ? `,"u":${JSON.stringify(session.userKey)}` : ""}}`);
      }
      r = route(path);
      if (!r) throw new RevueError("NOT_FOUND", `POST ${path}: no such route. Calls go to /api/event, /api/emit and /api/rpc/<name>.`);
      let decoded: ReturnType<typeof decodeCallBody>;
      try {
        decoded = decodeCallBody(parsed, r.kind, r.name, text.length);
      } catch (err) {
        await refuseSeq(parsed);
        throw err;
      }
      const session = await hub.find(decoded.sid, owner, `POST ${path}`);
      decoded.call.who = who;
      const outcome = await hub.call(session, decoded.call);
      if (r.name === NAV_NAME) {
        // jsdom loads no other document: the address the page would load is what the test sees.
        const to = JSON.parse(outcome as string) as { result?: { load?: boolean; api?: string } };
        host.left?.(to.result?.load || to.result?.api !== undefined ? String(decoded.call.args[0]) : undefined);
      }
      return r.kind === "rpc" ? reply(200, outcome as string) : reply(202, '{"ok":true}');
    } catch (err) {
      if (!(err instanceof RevueError)) hub.logger.error(`[revue] POST ${path} failed:`, err);
      const f = failure(err);
      // A click or an emit refused (401, 403, 400…) has no caller to throw to: the page is told, as of a handler's error.
      // Not what the runtime retries: a session to renew (404) or a wait (429).
      const told = (JSON.parse(f.json) as { error: { code: string; message: string } }).error;
      if (r && r.kind !== "rpc" && f.status !== 429 && told.code !== "SESSION_NOT_FOUND") host.refused?.(told.code, told.message, isSeq(parsed.seq) ? parsed.seq : undefined);
      return reply(f.status, f.json, f.retryAfterMs);
    }
  }

  function stream(url: string, on: StreamHandlers): StreamHandle {
    const u = new URL(url, "http://page");
    const sid = decodeURIComponent(u.pathname.replace(/^\/api\/sse\//, ""));
    const first = u.searchParams.get("lastEventId");
    let closed = false;
    let sink: PageSink | undefined;
    let session: Session | undefined;
    /** The id of the last frame delivered: what EventSource sends as Last-Event-ID when it reconnects. */
    let lastId: number | undefined = first !== null && /^\d{1,15}$/.test(first) ? Number(first) : undefined;

    /** Hands something to the page one task later, in order, counted as work in flight. */
    const later = (fn: () => void) => {
      activity.begin();
      setImmediate(() => {
        try {
          if (!closed) fn();
        } finally {
          activity.end();
        }
      });
    };

    const open = async (lastSeen: number | undefined) => {
      try {
        session = await hub.find(sid, owner, `GET /api/sse/${sid}`);
        hub.wake(session as Session<App>);
      } catch (err) {
        return later(() => on.fail(failure(err).status));
      }
      if (closed) return;
      const s = session;
      const current = (sink = new PageSink(
        (type, data, id) => {
          if (id !== undefined) lastId = id;
          host.received(type, data, lastId ?? 0);
          const shown = host.rewrite?.(s, type, data) ?? { type, data };
          const seen = lastId === undefined ? undefined : String(lastId);
          later(() => on.message(shown.type, shown.data, seen));
        },
        () => {
          // The server ended or cut the stream: EventSource reports the drop and reconnects.
          hub.disconnect(s, current);
          if (closed || sink !== current) return;
          later(() => on.drop());
          activity.begin();
          setTimeout(() => {
            activity.end();
            if (!closed && sink === current) void open(lastId);
          }, RECONNECT_MS);
        },
      ));
      later(() => on.open());
      hub.connect(s, current, lastSeen);
    };
    void activity.track(() => open(lastId));

    return {
      close() {
        if (closed) return;
        closed = true;
        if (session && sink) {
          const s = sink;
          sink = undefined;
          s.closeFromPage();
          hub.disconnect(session, s);
        }
      },
    };
  }

  async function load(url: string): Promise<ClientModule> {
    const mod = host.module;
    if (new URL(url, "http://page").pathname !== `/rv/${mod.file}`) {
      throw new RevueError("NOT_FOUND", `GET ${url}: no such Revue asset (this app's client module is /rv/${mod.file}).`);
    }
    // The module is ESM; evaluated as a function body in the page's window, its
    // code sees the page's globals, as the browser's import() would give it.
    const body = mod.code.replace(/^export default /m, "return ");
    const loaded = (win as unknown as { eval(code: string): ClientModule }).eval(`(() => {\n${body}\n})()`);
    // The methods the runtime runs (callbacks, reverse calls, listeners) are
    // counted while they run, and their failures are reported to the test.
    for (const [name, fn] of Object.entries(loaded.methods)) {
      if (loaded.kinds[name] === "client") continue;
      loaded.methods[name] = function (this: unknown, ...args: unknown[]) {
        let out: unknown;
        try {
          out = fn.apply(this, args);
        } catch (err) {
          host.clientError(name, err);
          throw err;
        }
        if (out && typeof (out as PromiseLike<unknown>).then === "function") {
          activity.begin();
          (out as PromiseLike<unknown>).then(
            () => activity.end(),
            (err) => {
              host.clientError(name, err);
              activity.end();
            },
          );
        }
        return out;
      };
    }
    return loaded;
  }

  async function upload(url: string, files: Uploadable, options: UploadOptions = {}): Promise<UploadHandle[]> {
    return activity.track(async () => {
      const u = new URL(url, "http://page");
      const where = "POST /api/upload";
      const list: Blob[] = files instanceof win.Blob ? [files as Blob] : Array.from(files as ArrayLike<Blob>);
      let received: ReceivedFile[] = [];
      const dir = join(host.uploadDir, randomBytes(9).toString("base64url"));
      try {
        const sid = u.searchParams.get("sid");
        if (!isId(sid)) throw new RevueError("BAD_REQUEST", `${where}: "sid" must be a session id string, got ${JSON.stringify(sid)}.`);
        const session = await hub.find(sid, owner, where);
        if (options.signal?.aborted) throw Object.assign(new Error("aborted"), { aborted: true });
        const bytes = await Promise.all(list.map(async (f) => Buffer.from(await f.arrayBuffer())));
        const total = bytes.reduce((n, b) => n + b.length, 0);
        if (list.length === 0) throw new RevueError("BAD_REQUEST", `${where}: the form has no file field. Append a File to the FormData.`);
        if (list.length > host.limits.files) {
          // As the server refuses it (mount.ts overQuota), so that the page and revue/ui's fileUpload hear the same.
          throw new RevueError("PAYLOAD_TOO_LARGE", `${where}: an upload carries at most ${host.limits.files} files. Send the others in another upload, or raise limits.files.`);
        }
        if (total > host.limits.upload) {
          throw new RevueError("PAYLOAD_TOO_LARGE", `${where}: ${total} bytes is over the upload limit of ${host.limits.upload} bytes. Send a smaller file, or raise limits.upload.`);
        }
        options.onProgress?.({ loaded: 0, total });
        await mkdir(dir, { recursive: true });
        received = await Promise.all(
          list.map(async (f, i) => {
            const path = join(dir, String(i));
            await writeFile(path, bytes[i]!);
            return { path, name: (f as File).name ?? "blob", type: fileType(f.type), size: bytes[i]!.length };
          }),
        );
        const handles = await session.uploads.add(received, dir);
        options.onProgress?.({ loaded: total, total });
        return win.JSON.parse(JSON.stringify(handles)) as UploadHandle[];
      } catch (err) {
        await removeAll(received);
        await rm(dir, { recursive: true, force: true });
        if ((err as { aborted?: boolean }).aborted) throw pageError("ABORTED", `POST ${url}: the upload was aborted`);
        const body = JSON.parse(failure(err).json) as { error: { code: string; message: string } };
        throw pageError(body.error.code, body.error.message);
      }
    });
  }

  return { post: (url, body) => activity.track(() => post(url, body)), stream, load, upload };
}

/**
 * A session stream's {@link Sink} that parses SSE text into frames, in
 * process: what an EventSource parser does with the response body.
 */
class PageSink implements Sink {
  private buffer = "";
  private ended = false;
  writableLength = 0;

  constructor(
    private readonly frame: (type: string, data: string, id: number | undefined) => void,
    private readonly gone: () => void,
  ) {}

  get writableEnded(): boolean {
    return this.ended;
  }

  get destroyed(): boolean {
    return this.ended;
  }

  write(text: string): boolean {
    if (this.ended) return false;
    this.buffer += text;
    let end: number;
    while ((end = this.buffer.indexOf("\n\n")) >= 0) {
      const block = this.buffer.slice(0, end);
      this.buffer = this.buffer.slice(end + 2);
      let type = "message";
      let id: number | undefined;
      const data: string[] = [];
      for (const line of block.split("\n")) {
        const colon = line.indexOf(":");
        if (colon === 0) continue; // a comment
        const field = colon < 0 ? line : line.slice(0, colon);
        const value = colon < 0 ? "" : line.slice(colon + 1).replace(/^ /, "");
        if (field === "event") type = value;
        else if (field === "data") data.push(value);
        else if (field === "id") id = Number(value);
      }
      // An unnamed frame is a keep-alive, which a browser's runtime keeps to itself (its watchdog).
      if (data.length && type !== "message") this.frame(type, data.join("\n"), id);
    }
    return true;
  }

  /** The server ends the response (after a final `bye`). */
  end(text?: string): void {
    if (this.ended) return;
    if (text) this.write(text);
    this.ended = true;
    this.gone();
  }

  /** The server cuts the connection. */
  destroy(): void {
    if (this.ended) return;
    this.ended = true;
    this.gone();
  }

  /** The page closed the stream: nothing more is delivered, and no reconnect follows. */
  closeFromPage(): void {
    this.ended = true;
  }

  once(_event: "drain", listener: () => void): this {
    // Nothing is ever left unsent here.
    setImmediate(listener);
    return this;
  }
}
