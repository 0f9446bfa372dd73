import type { Context, Middleware, Next } from "koa";
import { koaBody } from "koa-body";
import { exposeError, RevueError, type RevueErrorCode } from "../errors.js";
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

/**
 * Turns any failure into `{error: {code, message, id?}}` with the matching
 * status; what it may say is `exposeError`'s decision (bugs and unexpected
 * exceptions are logged, and hidden in production).
 */
export function jsonErrors(logger: Logger, production = false): Middleware {
  return async (ctx: Context, next: Next) => {
    try {
      await next();
    } catch (err) {
      const where = `${ctx.method} ${ctx.path}`;
      const wire = exposeError(asRevueError(err, ctx), { production, what: where, log: (id, e) => logger.error(`[revue] ${where} failed (error ${id}):`, e) });
      ctx.status = wire.status;
      if (err instanceof RevueError && err.retryAfterMs !== undefined) ctx.set("Retry-After", String(Math.ceil(err.retryAfterMs / 1000)));
      ctx.body = { error: { code: wire.code, message: wire.message, ...(wire.id ? { id: wire.id } : {}) } };
    }
  };
}

/**
 * Refuses cross-site requests: `Sec-Fetch-Site: cross-site`, or an `Origin`
 * that is not this server's own. Same-site navigations and tools that send
 * neither header (curl, server-to-server) pass.
 */
export function sameOrigin(): Middleware {
  return async (ctx, next) => {
    const site = ctx.get("sec-fetch-site");
    const origin = ctx.get("origin");
    if (site === "cross-site") throw forbidden(ctx, `Sec-Fetch-Site is "cross-site"`);
    // Koa 3's ctx.origin echoes the Origin header, so compute our own.
    const own = `${ctx.protocol}://${ctx.host}`;
    if (origin && origin !== "null" && origin !== own) throw forbidden(ctx, `Origin ${origin} is not this server (${own})`);
    if (origin === "null" && ctx.method !== "GET") throw forbidden(ctx, `Origin is "null" (a sandboxed or file: page)`);
    await next();
  };
}

function forbidden(ctx: Context, why: string): RevueError {
  return new RevueError("FORBIDDEN", `${ctx.method} ${ctx.path} refused: ${why}. Revue only accepts requests from its own pages.`);
}

const FORBIDDEN_KEYS = new Set(["__proto__", "constructor", "prototype"]);

/** Throws if any object in `value` has a key that could pollute prototypes. */
export function assertNoProtoKeys(value: unknown, path = "body", depth = 0): void {
  if (depth > 64) throw new RevueError("BAD_REQUEST", `${path}: the payload is nested more than 64 levels deep.`);
  if (typeof value !== "object" || value === null) return;
  for (const key of Object.keys(value)) {
    if (FORBIDDEN_KEYS.has(key)) throw new RevueError("BAD_REQUEST", `${path}.${key}: "${key}" keys are not allowed in payloads (prototype pollution guard). Rename the field.`);
    assertNoProtoKeys((value as Record<string, unknown>)[key], `${path}.${key}`, depth + 1);
  }
}

/**
 * Parses a JSON object body of at most `limit` bytes, refusing other content
 * types (415), scalars and arrays (400), and prototype keys (400).
 */
export function jsonBody(limit: number): Middleware {
  const parse = koaBody({ json: true, urlencoded: false, text: false, multipart: false, jsonLimit: limit, jsonStrict: true, patchKoa: true });
  return async (ctx, next) => {
    if (!ctx.is("application/json")) {
      throw new RevueError(
        "UNSUPPORTED_MEDIA_TYPE",
        `${ctx.method} ${ctx.path}: expected a JSON body with "content-type: application/json", got "${ctx.get("content-type") || "none"}".`,
      );
    }
    await parse(ctx, async () => {});
    const body = ctx.request.body as unknown;
    if (typeof body !== "object" || body === null || Array.isArray(body)) {
      throw new RevueError("BAD_REQUEST", `${ctx.method} ${ctx.path}: the body must be a JSON object, got ${Array.isArray(body) ? "an array" : typeof body}.`);
    }
    assertNoProtoKeys(body);
    await next();
  };
}
