import type { Context } from "koa";
import { RevueError } from "../errors.js";
import { pageCall, type PageCall } from "../session/hub.js";

/**
 * Reads a call of the page from a parsed JSON body, once, at the edge: the
 * session id, the seq, the method or event, the arguments, the body's size
 * and the call's fingerprint. Anything malformed is a 400 naming the field;
 * nothing reaches a session before this passed.
 *
 * @example
 * const { sid, call } = decodeCall(ctx, "rpc", "reset"); // call: { kind: "rpc", name: "reset", seq, args, bytes, fingerprint }
 */
export function decodeCall(ctx: Context, kind: PageCall["kind"], name?: string): { sid: string; call: PageCall } {
  const declared = Number(ctx.req.headers["content-length"]);
  return decodeCallBody(ctx.request.body as Record<string, unknown>, kind, name, Number.isFinite(declared) && declared > 0 ? declared : undefined);
}

/**
 * {@link decodeCall} without HTTP: the same checks on a parsed body, for
 * callers that have no Koa context (`revue/testing`'s in-process transport).
 *
 * @example
 * const { sid, call } = decodeCallBody(JSON.parse(text), "realtime", undefined, text.length);
 */
export function decodeCallBody(body: Record<string, unknown>, kind: PageCall["kind"], name?: string, bytes?: number): { sid: string; call: PageCall } {
  const route = kind === "rpc" ? `POST /api/rpc/${name}` : kind === "realtime" ? "POST /api/event" : "POST /api/emit";
  const sid = field(body, "sid", isId, "a session id string", route);
  const seq = field(body, "seq", isSeq, "a positive integer", route);
  if (kind === "realtime") name = field(body, "method", isId, "a method name", route);
  if (kind === "emit") name = field(body, "event", isId, "an event name", route);
  const args = body.args === undefined ? [] : field(body, "args", Array.isArray, "an array", route);
  return { sid, call: pageCall(kind, name!, seq, args, body.data, bytes) };
}

/** Reads `body[name]`, checking its type, or throws a 400 that names the field and the expected shape. */
export function field<T>(body: Record<string, unknown>, name: string, check: (v: unknown) => v is T, expected: string, route: string): T {
  const value = body[name];
  if (!check(value)) throw new RevueError("BAD_REQUEST", `${route}: "${name}" must be ${expected}, got ${value === undefined ? "nothing" : JSON.stringify(value)?.slice(0, 60)}.`);
  return value;
}

/** A session id, method or event name: a non-empty string of at most 256 characters. */
export const isId = (v: unknown): v is string => typeof v === "string" && v.length > 0 && v.length <= 256;
export const isSeq = (v: unknown): v is number => Number.isSafeInteger(v) && (v as number) > 0;
