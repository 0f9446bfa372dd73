import { isIP } from "node:net";
import { errorPage } from "./error-page.js";
import { randomString } from "../random.js";
import type { Context, Middleware, Next } from "koa";
import { koaBody } from "koa-body";
import { exposeError, RevueError, tameThrown, type RevueErrorCode } from "../errors.js";
import type { Logger } from "../session/logger.js";

/**
 * The checks every request passes before it can change anything: errors as
 * JSON with a stable code, cross-site refusal, JSON-only bodies of a bounded
 * size with no prototype-polluting keys.
 */

/** Maps errors thrown by koa-body / raw-body / formidable to our codes. */
function codeForStatus(status: number): RevueErrorCode {
  if (status === 413) return "PAYLOAD_TOO_LARGE";
  if (status === 415) return "UNSUPPORTED_MEDIA_TYPE";
  if (status === 403) return "FORBIDDEN";
  if (status === 404) return "NOT_FOUND";
  if (status === 405) return "METHOD_NOT_ALLOWED";
  if (status >= 400 && status < 500) return "BAD_REQUEST";
  return "INTERNAL_ERROR";
}

/** A body parser's or router's HTTP error (413, 415, a 4xx) as a RevueError; anything else as it is. */
function asRevueError(err: unknown, ctx: Context): unknown {
  if (err instanceof RevueError) return err;
  const e = err as { status?: number; httpCode?: number; message?: string };
  const status = e.status ?? e.httpCode ?? 500;
  if (status < 400 || status >= 500) return err;
  const code = codeForStatus(status);
  const message =
    code === "PAYLOAD_TOO_LARGE"
      ? `${ctx.method} ${ctx.path}: the body is larger than this route accepts. Send less data, or raise the limit in createServer({ limits }).`
      : `${ctx.method} ${ctx.path}: ${e.message ?? "bad request"}.`;
  return new RevueError(code, message, { cause: err });
}

/** Codes of a failure that only says the client went away: its socket (Node), its body cut short (the HTTP parser, formidable's 1002). */
const GONE_CODES = new Set<unknown>(["EPIPE", "ECONNRESET", "ECONNABORTED", "ERR_STREAM_PREMATURE_CLOSE", "ERR_STREAM_DESTROYED", "HPE_INVALID_EOF_STATE", 1002]);

/**
 * Whether `err` only says that the request's client went away (not a fault
 * of the server's, and not worth a log line: a cancelled upload wrote two
 * stacks): such a code, with the request's socket gone when it is known.
 */
export function clientGone(err: unknown, ctx?: Context): boolean {
  return GONE_CODES.has((err as { code?: unknown } | null)?.code) && (!ctx || ctx.req.destroyed || !!ctx.req.socket?.destroyed);
}

/** The most of a refused body read to keep its connection usable (see jsonErrors). */
const DRAINED_BYTES = 16 * 1024 * 1024;

/**
 * Turns any failure into `{error: {code, message, id?}}` with the matching
 * status, including what no route answered: an unknown path (404 NOT_FOUND)
 * and a method the path does not serve (405 METHOD_NOT_ALLOWED, with `Allow`).
 * What a failure may say is `exposeError`'s decision (bugs and unexpected
 * exceptions are logged, and hidden in `production`). Every response carries
 * `X-Content-Type-Options: nosniff`, so no browser reads a JSON answer (an
 * error message echoing input, an rpc result) as HTML, and every answer to a
 * POST, and every error, `Cache-Control: no-store`. `paths` are the mount
 * paths, named in the 404 message.
 */
export function jsonErrors(logger: Logger, paths: readonly string[] = ["/"], production = false): Middleware {
  return async (ctx: Context, next: Next) => {
    // res.setHeader rather than ctx.set, which builds arrays per header (≈ 1.5k instructions a call), on every request.
    if (!ctx.res.headersSent) {
      ctx.res.setHeader("X-Content-Type-Options", "nosniff");
      // An answer to a POST (a new session's id and tree, an rpc's result) is one user's: no cache or proxy keeps it.
      if (ctx.method === "POST") ctx.res.setHeader("Cache-Control", "no-store");
    }
    try {
      await next();
    } catch (thrown) {
      const err = tameThrown(thrown);
      // A request whose client went away mid-body (a closed tab, a cancelled upload): nobody hears an answer, nothing to log.
      if (clientGone(err, ctx)) return;
      const where = `${ctx.method} ${ctx.path}`;
      const wire = exposeError(asRevueError(err, ctx), { production, what: where, log: (id, e) => logger.error(`[revue] ${where} failed (error ${id}):`, e) });
      ctx.status = wire.status;
      ctx.set("Cache-Control", "no-store"); // an error is this moment's: no cache answers the next request with it
      if (err instanceof RevueError && err.retryAfterMs !== undefined) ctx.set("Retry-After", String(Math.ceil(err.retryAfterMs / 1000)));
      // A body refused unread is still on the connection: read and dropped (up to 16 MB declared), so that the next
      // request on it is answered (it never was); a bigger or undeclared one closes the connection instead.
      if (wire.status === 413 && !ctx.req.complete) {
        if (Number(ctx.req.headers["content-length"]) <= DRAINED_BYTES) ctx.req.resume();
        else ctx.set("Connection", "close");
      }
      // A person loading a page (its render threw, the server is full): a page that says so, not JSON.
      if (wantsPage(ctx)) return htmlError(ctx, wire.status >= 500 ? "Something went wrong" : "This page cannot be shown", short(wire.message));
      ctx.body = { error: { code: wire.code, message: short(wire.message), ...(wire.id ? { id: wire.id } : {}), ...(wire.issues ? { issues: wire.issues } : {}) } };
      return;
    }
    // Nothing answered: no route matched (Koa's default 404), or @koa/router's
    // allowedMethods() matched the path under other methods (405, or 501 for a
    // method it does not know at all) and left the body empty.
    // ctx.response's own getters, not ctx's delegates: on every request.
    if (ctx.respond === false || ctx.response.body != null) return;
    if (ctx.response.status === 404) {
      const where = paths.map((p) => `"${p}"`).join(", ");
      ctx.status = 404;
      ctx.set("Cache-Control", "no-store");
      // A person following a link: a page that says so, not JSON.
      if (wantsPage(ctx)) return htmlError(ctx, "Page not found", `There is no page at ${ctx.path.slice(0, 200)}. Check the address, or start again from the home page.`);
      // In production the answer names no route: a stranger's probe learns nothing of pages it was not linked to (an /admin).
      const served = production ? "" : ` This server serves pages at ${where} and their API under <path>/api/ (docs/protocol.md);`;
      ctx.body = { error: { code: "NOT_FOUND", message: `${ctx.method} ${ctx.path.slice(0, 200)}: no such page or route.${served} check the URL.` } };
    } else if (ctx.status === 405 || ctx.status === 501) {
      const allow = ctx.response.get("Allow") || "no method";
      ctx.status = 405;
      ctx.set("Allow", allow);
      const api = allow === "POST" ? " The page's runtime calls it with a JSON body (docs/protocol.md §2)." : "";
      ctx.body = { error: { code: "METHOD_NOT_ALLOWED", message: `${ctx.method} ${ctx.path.slice(0, 200)}: this route answers ${allow} only.${api}` } };
    }
  };
}

/** A browser loading a page (not the runtime calling the API): it gets an HTML error page. */
function wantsPage(ctx: Context): boolean {
  return (ctx.method === "GET" || ctx.method === "HEAD") && !ctx.path.includes("/api/") && ctx.accepts("json", "html") === "html";
}

/** Answers with an error page for `ctx.status`, under a CSP of its own (the page's was not written). */
function htmlError(ctx: Context, title: string, text: string): void {
  const nonce = randomString(16, "base64");
  ctx.set("Content-Security-Policy", `default-src 'none'; style-src 'nonce-${nonce}'; base-uri 'none'; form-action 'self'; frame-ancestors 'none'`);
  ctx.type = "html";
  ctx.body = errorPage(ctx.status, title, text, nonce, { href: "/", text: "Go to the home page" });
}

/**
 * Refuses cross-site requests: `Sec-Fetch-Site: cross-site`, or an `Origin`
 * that is not this server's own. Same-site navigations and tools that send
 * neither header (curl, server-to-server) pass.
 *
 * With `navigation`, for the page routes, a top-level GET navigation from
 * another site (a link, a typed or bookmarked URL) is a normal visit and
 * passes: it can only render the page into a fresh pending session, which the
 * attacker cannot read; of the app's handlers only `load` runs before the page
 * itself, same-origin, opens its stream. Frames, fetch() and forms posting cross-site stay refused
 * (and the CSP's frame-ancestors keeps other sites from framing the page).
 */
export function sameOrigin(options: { navigation?: boolean } = {}): Middleware {
  return async (ctx, next) => {
    assertSameOrigin(ctx, options.navigation === true);
    await next();
  };
}

/**
 * A development server answers only requests addressed to it by a name no
 * other site can make point here: `localhost`, `*.localhost`, an IP address,
 * or one of `allowed`. Otherwise a site whose name its owner made resolve to
 * 127.0.0.1 (DNS rebinding) is same-origin with the server, and its pages
 * could drive the apps being developed.
 */
export function localHostsOnly(allowed: readonly string[]): Middleware {
  const names = new Set(allowed.map((name) => name.toLowerCase()));
  return async (ctx, next) => {
    const host = ctx.req.headers.host ?? "";
    let name = "";
    try {
      name = new URL(`http://${host}`).hostname.replace(/\.$/, ""); // "localhost." is localhost
    } catch {}
    const local = name === "localhost" || name.endsWith(".localhost") || isIP(name.replace(/^\[|\]$/g, "")) !== 0;
    if (!local && !names.has(name)) {
      throw new RevueError(
        "FORBIDDEN",
        `${ctx.method} ${ctx.path}: this development server answers requests addressed to localhost or an IP address, and this one came for "${host.slice(0, 100)}". ` +
          `If that name is yours (a tunnel, a name in /etc/hosts), allow it: createServer(App, { allowedHosts: [${JSON.stringify(name || host.slice(0, 100))}] }).`,
      );
    }
    await next();
  };
}

/** {@link sameOrigin}'s check, without the middleware: throws the 403, or returns. */
export function assertSameOrigin(ctx: Context, navigation = false): void {
  if (navigation && isTopLevelNavigation(ctx)) return;
  const headers = ctx.req.headers; // read directly: ctx.get lowercases each name and passes through two delegates
  const site = headers["sec-fetch-site"];
  const origin = headers.origin;
  if (site === "cross-site") {
    const page = navigation ? ` (a page is served to another site only as a top-level navigation, "Sec-Fetch-Mode: navigate" and "Sec-Fetch-Dest: document", not to fetch() or a frame)` : "";
    throw forbidden(ctx, `Sec-Fetch-Site is "cross-site"${page}`);
  }
  // Koa 3's ctx.origin echoes the Origin header, so compute our own. With
  // trustProxy, ctx.protocol and ctx.host are the ones the browser used.
  if (origin && origin !== "null") {
    const address = `${ctx.request.protocol}://${ctx.request.host}`;
    // A browser's Origin is usually this very text: then no URL needs parsing.
    if (origin !== address) {
      const own = originOf(address);
      if (originOf(origin) !== own) throw forbidden(ctx, `Origin ${origin} is not this server (${own})${proxyHint(ctx, origin)}`);
    }
  }
  if (origin === "null" && ctx.method !== "GET") throw forbidden(ctx, `Origin is "null" (a sandboxed or file: page)`);
}

/** A browser's top-level navigation: the user followed a link or typed the URL. */
function isTopLevelNavigation(ctx: Context): boolean {
  return (ctx.method === "GET" || ctx.method === "HEAD") && ctx.get("sec-fetch-mode") === "navigate" && ctx.get("sec-fetch-dest") === "document";
}

/** `scheme://host[:port]` with the default port dropped and the host lowercased, as browsers send `Origin`. */
function originOf(url: string): string {
  try {
    return new URL(url).origin;
  } catch {
    return url;
  }
}

/** Why an Origin may look foreign behind a reverse proxy, and the fix. */
function proxyHint(ctx: Context, origin: string): string {
  if (ctx.app.proxy) return "";
  if (ctx.get("x-forwarded-proto") || ctx.get("x-forwarded-host")) {
    return ". The request came through a proxy (X-Forwarded-* headers), which Revue ignores unless told to trust it: behind a reverse proxy you control, pass createServer(app, { trustProxy: true })";
  }
  if (origin.startsWith("https:") && ctx.protocol === "http") {
    return ". If a proxy terminates TLS in front of Revue, have it send X-Forwarded-Proto and X-Forwarded-Host and pass createServer(app, { trustProxy: true })";
  }
  return "";
}

function forbidden(ctx: Context, why: string): RevueError {
  return new RevueError("FORBIDDEN", `${ctx.method} ${ctx.path} refused: ${why}. Revue only accepts requests from its own pages.`);
}

const FORBIDDEN_KEYS = new Set(["__proto__", "constructor", "prototype"]);

/**
 * Checks a parsed body once, at the edge, for what JSON text can hold and the
 * body's JSON does not say back: keys that could pollute prototypes (400), a
 * number too large for a double (`1e400` parses to Infinity, 400), and `-0`,
 * made `0`. A call's fingerprint is the hash of its arguments written back as
 * JSON, so two calls must differ there when they differ for their handler:
 * `[1e400]` and `[null]` were one call (a retry of the first), and the second
 * was answered with the first's outcome without running (attacker probe).
 */
export function checkPayload(value: unknown, path = "body", depth = 0): void {
  if (depth > 64) throw new RevueError("BAD_REQUEST", `${path}: the payload is nested more than 64 levels deep.`);
  if (typeof value !== "object" || value === null) return;
  for (const key of Object.keys(value)) {
    if (FORBIDDEN_KEYS.has(key)) throw new RevueError("BAD_REQUEST", `${path}.${key}: "${key}" keys are not allowed in payloads (prototype pollution guard). Rename the field.`);
    const v = (value as Record<string, unknown>)[key];
    if (typeof v === "number") {
      if (v === 0) (value as Record<string, unknown>)[key] = 0; // -0 as 0: JSON writes both "0"
      else if (!Number.isFinite(v)) throw new RevueError("BAD_REQUEST", `${path}.${key}: a number too large for a double (it parses as ${v}); send it as a string.`);
    } else checkPayload(v, `${path}.${key}`, depth + 1);
  }
}

/** Charsets a JSON body may declare: JSON is UTF-8 (RFC 8259), and the parser reads it as such. */
const JSON_CHARSETS = new Set(["", "utf-8", "utf8"]);

/**
 * Content types that are plainly JSON in UTF-8, as the page's runtime and
 * most clients send them: taken without parsing (type-is and content-type's
 * regexes and splits cost ≈ 8k instructions of a ≈ 200k round trip). Any
 * other spelling goes through the full check, which accepts the same ones.
 */
const PLAIN_JSON_TYPES = ["application/json", "application/json; charset=utf-8", "application/json;charset=utf-8", "application/json; charset=UTF-8", "application/json;charset=UTF-8"];

/**
 * Parses a JSON object body of at most `limit` bytes, refusing other content
 * types and charsets (415), a body that does not decompress (400), scalars and
 * arrays (400), and prototype keys (400).
 */
export function jsonBody(limit: number, bodyMs: number = BODY_MS): Middleware {
  const read = jsonBodyReader(limit, bodyMs);
  return async (ctx, next) => {
    await read(ctx);
    await next();
  };
}

/**
 * {@link jsonBody}'s parse and checks, without the middleware: resolves once
 * `ctx.request.body` holds the checked object. An uncompressed body is read
 * and parsed by {@link readUtf8} and {@link parseStrictJson}, which do what
 * koa-body does for it (its raw-body, iconv-lite, co-body and bourne) in two
 * plain functions: ≈ 6 % of a round trip's server CPU less (bench/server.ts).
 */
export function jsonBodyReader(limit: number, bodyMs: number = BODY_MS): (ctx: Context) => Promise<void> {
  const parse = koaBody({ json: true, urlencoded: false, text: false, multipart: false, jsonLimit: limit, jsonStrict: true, patchKoa: true });
  const read = readJson(limit, parse);
  return async (ctx) => {
    // A body already whole is read at once, unwatched (most are not yet: Node hands a request over before parsing the body that came with it).
    if (ctx.req.complete) return read(ctx);
    // Too slow, the reader hears it as its request's error (and answers it); a reader that does not listen (koa-body's, for a
    // compressed body) has its request destroyed.
    const unwatch = watchBody(ctx, bodyMs, (err) => (ctx.req.listenerCount("error") > 0 ? ctx.req.emit("error", err) : ctx.req.destroy(err)));
    try {
      await read(ctx);
    } finally {
      unwatch();
    }
  };
}

/** How long a request body may go without delivering 500 bytes a second (limits.bodyMs), as Apache mod_reqtimeout's MinRate=500. */
export const BODY_MS = 20_000;
const MIN_BYTES_PER_S = 500;

/** A body being read: where its socket's count of bytes stood when its window began. */
interface Watch {
  ctx: Context;
  from: number;
  since: number;
  late(err: RevueError): void;
}

/**
 * The bodies being read, by window length, each set swept by one interval: a
 * timer and promises for each call raised the round trip's server CPU from
 * 1.23–1.56× the Koa echo's to 1.34–1.97× (nearly every call is watched).
 */
const watched = new Map<number, Set<Watch>>();

/**
 * Watches `ctx`'s request body until the returned function is called: once the
 * body, not yet whole, has received less than 500 bytes a second over a window
 * of `ms`, `late` hears a 400 and the answer will close the connection (the rest
 * of the body unread). Window by window, so bytes sent early buy no time later
 * (a 10 MB body sent at once and then stalled held its upload room for hours
 * under a rule of credit per byte). Without it a body trickled in holds its
 * socket, and an upload what it holds of the server's upload room, until Node's
 * requestTimeout (300 s; none under a host's own server). Checked once a window:
 * a body is cut between one and two windows after it fell behind.
 */
export function watchBody(ctx: Context, ms: number, late: (err: RevueError) => void): () => void {
  let set = watched.get(ms);
  if (!set) {
    const bodies = (set = new Set());
    watched.set(ms, bodies);
    const timer = setInterval(() => {
      sweep(bodies, ms);
      if (bodies.size === 0) clearInterval(timer), watched.delete(ms);
    }, ms).unref();
  }
  // What the socket has read tells the body's progress without a 'data' listener, which would start the body flowing before its reader listens.
  const watch: Watch = { ctx, from: ctx.req.socket.bytesRead, since: Date.now(), late };
  set.add(watch);
  return () => void set.delete(watch);
}

function sweep(bodies: Set<Watch>, ms: number): void {
  const now = Date.now();
  for (const w of bodies) {
    if (now - w.since < ms) continue;
    const { req } = w.ctx;
    const received = req.socket.bytesRead - w.from;
    if (req.complete || received >= (MIN_BYTES_PER_S * ms) / 1000) {
      w.from += received;
      w.since = now;
      continue;
    }
    bodies.delete(w);
    w.ctx.set("Connection", "close");
    const declared = req.headers["content-length"];
    w.late(
      new RevueError(
        "BAD_REQUEST",
        `${w.ctx.method} ${w.ctx.path}: the body came too slowly (${received} bytes in the last ${ms / 1000} s${declared ? `, of ${declared} declared` : ""}; ` +
          `a body must keep coming at ${MIN_BYTES_PER_S} bytes a second). Send it at once, or raise limits.bodyMs.`,
      ),
    );
  }
}

function readJson(limit: number, parse: Middleware): (ctx: Context) => Promise<void> {
  return async (ctx) => {
    const headers = ctx.req.headers;
    // type-is's rule: a request has a body when it declares a length or a transfer encoding.
    const plain = PLAIN_JSON_TYPES.includes(headers["content-type"]!) && (headers["transfer-encoding"] !== undefined || !isNaN(headers["content-length"] as unknown as number));
    if (!plain) assertJsonType(ctx);
    const encoding = headers["content-encoding"];
    let text: string | undefined;
    try {
      // A compressed body goes through koa-body (inflation knows the encodings); a plain one, what every page call sends, is read here.
      if (encoding && encoding.toLowerCase() !== "identity") await parse(ctx, async () => {});
      else ctx.request.body = parseStrictJson(ctx, (text = await readUtf8(ctx, limit))) as typeof ctx.request.body;
      const body = ctx.request.body as unknown;
      if (typeof body !== "object" || body === null || Array.isArray(body)) {
        throw new RevueError("BAD_REQUEST", `${ctx.method} ${ctx.path}: the body must be a JSON object, got ${Array.isArray(body) ? "an array" : typeof body}.`);
      }
      checkPayload(body);
    } catch (err) {
      // zlib's errors carry no HTTP status: a gzip/deflate/br body that does not
      // decompress is the client's mistake (400), not the server's (500).
      if ((err as { status?: unknown }).status === undefined && !(err instanceof RevueError) && encoding && encoding !== "identity") {
        throw new RevueError("BAD_REQUEST", `${ctx.method} ${ctx.path}: the body does not decompress as "content-encoding: ${encoding}" (${(err as Error).message}). Send a valid ${encoding} body, or an uncompressed one without content-encoding.`, { cause: err });
      }
      throw text === undefined ? err : withHead(err, text);
    }
  };
}

/** What a refused body began with (its first 400 characters), on the error: a call's sid and seq may be read from it (see {@link refusedCall}). */
const HEAD = Symbol("body head");

function withHead(err: unknown, text: string): unknown {
  if (typeof err === "object" && err !== null) (err as { [HEAD]?: string })[HEAD] = text.slice(0, 400);
  return err;
}

/** A page's call as the runtime writes it: `{"sid":"…","seq":N,` first. */
const CALL_HEAD = /^[\x20\x09\x0a\x0d]*\{[\x20\x09\x0a\x0d]*"sid"[\x20\x09\x0a\x0d]*:[\x20\x09\x0a\x0d]*"([\w.~-]{1,256})"[\x20\x09\x0a\x0d]*,[\x20\x09\x0a\x0d]*"seq"[\x20\x09\x0a\x0d]*:[\x20\x09\x0a\x0d]*([1-9]\d{0,14})[\x20\x09\x0a\x0d]*[,}]/;

/**
 * The session and seq of a call whose body was refused before it was parsed
 * (too large, not JSON, a prototype key, nested too deep), read from the text
 * it began with, when it began as the page's runtime writes a call; or undefined.
 * The session's later calls then need not wait for that seq (docs/protocol.md §2).
 */
export function refusedCall(err: unknown): { sid: string; seq: number } | undefined {
  const head = typeof err === "object" && err !== null ? (err as { [HEAD]?: string })[HEAD] : undefined;
  const m = head === undefined ? null : CALL_HEAD.exec(head);
  return m ? { sid: m[1]!, seq: Number(m[2]) } : undefined;
}

/** Throws the 415 unless the request has a body whose type is JSON (any spelling type-is accepts) in UTF-8. */
function assertJsonType(ctx: Context): void {
  if (!ctx.is("application/json")) {
    throw new RevueError(
      "UNSUPPORTED_MEDIA_TYPE",
      `${ctx.method} ${ctx.path}: expected a JSON body with "content-type: application/json", got "${ctx.get("content-type") || "none"}".`,
    );
  }
  const charset = ctx.request.charset.toLowerCase();
  if (!JSON_CHARSETS.has(charset)) {
    // The parser would read it as UTF-8 anyway: refuse rather than misread it.
    throw new RevueError("UNSUPPORTED_MEDIA_TYPE", `${ctx.method} ${ctx.path}: a JSON body must be UTF-8, got charset "${charset}". Send UTF-8 and say "charset=utf-8", or leave the charset out.`);
  }
}

/**
 * The body of `ctx`'s request as UTF-8 text (a BOM dropped), as raw-body reads
 * it: 413 when it declares or sends more than `limit` bytes, 400 when it ends
 * before its declared length, sends more, or is aborted.
 */
function readUtf8(ctx: Context, limit: number): Promise<string> {
  const req = ctx.req;
  const declared = req.headers["content-length"];
  const expected = declared === undefined ? undefined : Number(declared);
  if (expected !== undefined && expected > limit) {
    // Refused unread, but for its first chunk, which names the call's session and seq (see refusedCall): waited for 1 s at most.
    return new Promise((_, reject) => {
      const refuse = (chunk?: Buffer) => {
        clearTimeout(timer);
        for (const event of ["data", "end", "error"]) req.off(event, refuse);
        req.pause();
        const err = refusal(413, "request entity too large");
        reject(chunk instanceof Buffer ? withHead(err, chunk.subarray(0, 400).toString("utf8")) : err);
      };
      const timer = setTimeout(refuse, 1_000);
      req.on("data", refuse);
      req.on("end", refuse);
      req.on("error", refuse);
    });
  }
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let received = 0;
    let failed = false;
    // The listeners stay on the request when it ends well: it is dropped with
    // them (removing four listeners costs ≈ 5k instructions per call).
    const fail = (err: Error | undefined) => {
      if (failed) return;
      failed = true;
      req.off("data", onData);
      req.pause();
      reject(err ?? refusal(400, "request aborted")); // "aborted" has no argument
    };
    const onData = (chunk: Buffer) => {
      received += chunk.length;
      if (received > limit) fail(withHead(refusal(413, "request entity too large"), (chunks[0] ?? chunk).subarray(0, 400).toString("utf8")) as Error);
      else chunks.push(chunk);
    };
    req.on("data", onData);
    req.on("end", () => {
      if (failed) return;
      if (expected !== undefined && received !== expected) return fail(refusal(400, "request size did not match content length"));
      const text = (chunks.length === 1 ? chunks[0]! : Buffer.concat(chunks, received)).toString("utf8");
      resolve(text.charCodeAt(0) === 0xfeff ? text.slice(1) : text);
    });
    req.on("error", fail);
    req.on("aborted", fail);
  });
}

/** An HTTP error as raw-body words it, for {@link asRevueError}. */
function refusal(status: number, message: string): Error {
  return Object.assign(new Error(message), { status, expose: true });
}

/** JSON text that must be an object or an array (an empty body is `{}`), as co-body's strict mode parses it: 400 otherwise. */
function parseStrictJson(ctx: Context, text: string): unknown {
  if (text === "") return {};
  if (!/^[\x20\x09\x0a\x0d]*[[{]/.test(text)) throw new RevueError("BAD_REQUEST", `${ctx.method} ${ctx.path}: the body is not a JSON object.`);
  try {
    return JSON.parse(text);
  } catch (err) {
    throw new RevueError("BAD_REQUEST", `${ctx.method} ${ctx.path}: the body is not valid JSON (${(err as Error).message}).`);
  }
}

/** An error's message as an answer carries it: at most 1,000 characters (a 15 KB path or name sent back whole, twice, made a 30 KB answer). */
function short(message: string): string {
  return message.length > 1_000 ? message.slice(0, 1_000) + "…" : message;
}
