import { randomBytes } from "node:crypto";
import type { ErrorCode } from "./protocol.js";

/**
 * One error base class with a stable `code`, in the spirit of tRPC's `TRPCError`.
 * Every message says what happened, where, and how to fix it; the code is what
 * programs (and the browser runtime) switch on, and {@link HTTP_STATUS} maps it
 * to the status a route answers with.
 */

/** Stable error codes. They travel over the wire as `{error: {code, message}}` (the union lives in protocol.ts, which the page shares). */
export type RevueErrorCode = ErrorCode;

/** The HTTP status each code is answered with when it reaches a route. */
export const HTTP_STATUS: Readonly<Record<RevueErrorCode, number>> = Object.freeze({
  REGISTRY_ERROR: 500,
  BIND_ERROR: 500,
  RENDER_ERROR: 500,
  BAD_REQUEST: 400,
  INVALID_ARGS: 400,
  UNAUTHORIZED: 401,
  FORBIDDEN: 403,
  SESSION_NOT_FOUND: 404,
  METHOD_NOT_FOUND: 404,
  NOT_FOUND: 404,
  METHOD_NOT_ALLOWED: 405,
  PAYLOAD_TOO_LARGE: 413,
  UNSUPPORTED_MEDIA_TYPE: 415,
  ROOM_LIMIT: 400,
  TOO_MANY_SESSIONS: 503,
  TOO_MANY_CALLS: 429,
  SEQ_CONFLICT: 409,
  SEQ_EXPIRED: 409,
  USER_CHANGED: 409,
  SEQ_OUT_OF_RANGE: 400,
  HANDLER_TIMEOUT: 504,
  UPLOAD_QUOTA: 413,
  UPLOADS_FULL: 503,
  SERVER_CLOSING: 503,
  UNAVAILABLE: 503,
  RPC_ERROR: 500,
  SNAPSHOT_ERROR: 500,
  USAGE_ERROR: 500,
  INTERNAL_ERROR: 500,
});

/**
 * Base class of every error Revue raises on purpose.
 *
 * @example
 * try { await this.server.save(doc); }
 * catch (e) { if (e instanceof RevueError && e.code === "SESSION_NOT_FOUND") location.reload(); }
 */
export class RevueError extends Error {
  override name = "RevueError";
  /** How long the caller should wait before trying again (`Retry-After`), for `TOO_MANY_CALLS` and `UNAVAILABLE`. */
  readonly retryAfterMs: number | undefined;
  /** For `INVALID_ARGS`: every issue with the call's arguments, its path starting at the argument's index. */
  readonly issues: ReadonlyArray<{ path: Array<string | number>; message: string }> | undefined;
  constructor(
    /** Stable, machine-readable code. */
    public readonly code: RevueErrorCode,
    message: string,
    options?: { cause?: unknown; retryAfterMs?: number; issues?: ReadonlyArray<{ path: Array<string | number>; message: string }> },
  ) {
    super(message, options);
    this.retryAfterMs = options?.retryAfterMs;
    this.issues = options?.issues;
  }

  /** The HTTP status this error is answered with. */
  get status(): number {
    // A code Revue does not know (JavaScript, or a cast) is answered as the bug it is.
    return HTTP_STATUS[this.code] ?? 500;
  }

  /** The JSON body a route answers with: `{error: {code, message, issues?}}`. */
  toJSON(): { error: { code: RevueErrorCode; message: string; issues?: RevueError["issues"] } } {
    return { error: { code: this.code, message: this.message, ...(this.issues ? { issues: this.issues } : {}) } };
  }
}

/**
 * A decorator was misused; raised while the class is being defined.
 *
 * @example
 * class Bad extends App { @server.on("start") boot() {} }
 * // RegistryError: Bad.boot: @server.on("start") needs a static method ...
 */
export class RegistryError extends RevueError {
  override name = "RegistryError";
  constructor(message: string) {
    super("REGISTRY_ERROR", message);
  }
}

/**
 * `render()` bound something that cannot be an event handler (an inline arrow,
 * an undecorated method, an rpc, another app's method).
 *
 * @example
 * h("button", { onClick: () => this.count++ }) // BindError during render
 */
export class BindError extends RevueError {
  override name = "BindError";
  constructor(message: string) {
    super("BIND_ERROR", message);
  }
}

/**
 * `render()` returned a tree that cannot be diffed (e.g. duplicate keys among siblings).
 *
 * @example
 * h("ul", {}, h("li", { key: 1 }), h("li", { key: 1 })) // RenderError: duplicate key "1"
 */
export class RenderError extends RevueError {
  override name = "RenderError";
  constructor(message: string) {
    super("RENDER_ERROR", message);
  }
}

/**
 * A remote call failed. On the server, throw it from an `@server.rpc` method to
 * answer with your own code and message; in the browser, a rejected
 * `this.server.name()` call carries the server's code.
 *
 * @example
 * @server.rpc async withdraw(amount: number) {
 *   if (amount > this.balance) throw new RpcError("BAD_REQUEST", "Insufficient funds: lower the amount.");
 * }
 */
export class RpcError extends RevueError {
  override name = "RpcError";
  constructor(code: RevueErrorCode = "RPC_ERROR", message: string, options?: { cause?: unknown }) {
    super(code, message, options);
  }
}

/**
 * A session-level failure: an unknown or expired session, a room cap, too many sessions.
 *
 * @example
 * this.join("room-65") // SessionError ROOM_LIMIT once the session is in 64 rooms
 */
export class SessionError extends RevueError {
  override name = "SessionError";
  constructor(code: RevueErrorCode, message: string, options?: { cause?: unknown; retryAfterMs?: number }) {
    super(code, message, options);
  }
}

/**
 * A session's state cannot be saved as a snapshot (a field holds something that
 * is not data: a connection, a function, a cycle), or a stored snapshot cannot
 * be read back. The message names the class, the field, the path inside it and the fix.
 *
 * @example
 * class Counter extends App { db = new Pool(); }
 * captureState(counter, getSpec(Counter))
 * // SnapshotError: Counter.db (at .db): a Pool instance cannot be saved in a session snapshot. Mark the field @transient ...
 */
export class SnapshotError extends RevueError {
  override name = "SnapshotError";
  constructor(message: string, options?: { cause?: unknown }) {
    super("SNAPSHOT_ERROR", message, options);
  }
}

/**
 * The server's code used Revue's API the wrong way (a detached instance, a
 * reverse call to a method the page does not have, a lifecycle name in
 * `this.emit`…): a bug to fix, not a request to refuse. The page sees
 * `USAGE_ERROR` (500); in production only a generic message and an error id.
 *
 * @example
 * new Counter().emit("x") // UsageError: Counter.emit: this instance is not attached to a session …
 */
export class UsageError extends RevueError {
  override name = "UsageError";
  constructor(message: string, options?: { cause?: unknown }) {
    super("USAGE_ERROR", message, options);
  }
}

/**
 * Something the server depends on (its session store, its pubsub) cannot be
 * reached right now; nothing was done, and the same request can be sent
 * again. Answered with 503 and `Retry-After`; the page's runtime waits and
 * resends the call under the same sequence number, so nothing runs twice. A
 * custom {@link SessionStore} throws it (or a subclass) when its backend is down.
 *
 * @example
 * async load(sid) {
 *   try { return await this.db.get(sid); }
 *   catch (e) { throw new UnavailableError(`PgSessionStore.load: Postgres is unreachable (${e.message}); try again later.`, { cause: e }); }
 * }
 */
export class UnavailableError extends RevueError {
  override name = "UnavailableError";
  constructor(message: string, options?: { cause?: unknown; retryAfterMs?: number }) {
    super("UNAVAILABLE", message, { cause: options?.cause, retryAfterMs: options?.retryAfterMs ?? 1000 });
  }
}

/** Codes of failures that are bugs rather than answers, or outages: their messages may hold internals (a Redis address), so they are logged and production hides them. */
const BUGS: ReadonlySet<ErrorCode> = new Set<ErrorCode>(["UNAVAILABLE", "USAGE_ERROR", "INTERNAL_ERROR", "REGISTRY_ERROR", "BIND_ERROR", "RENDER_ERROR", "SNAPSHOT_ERROR", "HANDLER_TIMEOUT"]);

/** What a failure shows on the wire: status, code, message, and an id when the log holds more. */
export interface WireError {
  status: number;
  code: ErrorCode;
  message: string;
  /** The id the server logged the failure under (bugs and unexpected exceptions only). */
  id?: string;
  /** For `INVALID_ARGS`: what is wrong with each argument. */
  issues?: RevueError["issues"];
}

/** How {@link exposeError} words and logs a failure. */
export interface ExposeOptions {
  /** Hide what bugs and unexpected exceptions say (`NODE_ENV=production`, or createServer's `production`). */
  production: boolean;
  /** What was running, for the message of an unexpected exception: `Counter.save` gives "Counter.save failed: …". */
  what?: string;
  /** The code of an unexpected exception: `RPC_ERROR` for an rpc, else `INTERNAL_ERROR`. */
  code?: ErrorCode;
  /** Logs a bug or an unexpected exception with the id the page is shown. */
  log(id: string, err: unknown): void;
}

/**
 * What was thrown, as a value Revue can word and log: `err` itself, or, when
 * reading it throws, an Error saying what it was. App code may throw anything:
 * a Proxy, an object without a prototype, `{ ...input }` whose `toString` a
 * request's JSON replaced, an Error whose getters throw. Reporting it must not
 * throw in turn (on a realtime call that was an unhandled rejection, which ends
 * the process: one POST took every session down). Called where app code's
 * failures come in: its handlers, its static handlers, and the error middleware.
 *
 * @example
 * tameThrown({ toString: 1 }) // Error: threw an object that cannot be read as text …
 * tameThrown(new RpcError("NOT_FOUND", "no such note")) // the same RpcError
 */
export function tameThrown(err: unknown, depth = 0): unknown {
  try {
    if (err instanceof Error) {
      // What a log line reads of an Error (util.inspect: its stack, name, message and cause).
      void `${err.stack}${err.name}${err.message}`;
      const cause = (err as { cause?: unknown }).cause;
      if (cause === undefined || depth > 4 || tameThrown(cause, depth + 1) === cause) return err;
      const bare = new Error(err.message);
      bare.stack = err.stack;
      return bare; // the cause could not be read: left out
    }
    void String(err);
    return err;
  } catch {
    const what = typeof err === "function" ? "a function" : typeof err === "object" && err !== null ? "an object" : `a ${typeof err}`;
    return new Error(`threw ${what} that cannot be read as text (a Proxy, an object without a prototype, or one whose toString or getters are not usable). Throw an Error: throw new RpcError("BAD_REQUEST", "…").`);
  }
}

/** The message of a thrown value (see {@link tameThrown}), for showing it. */
export function thrownMessage(err: unknown): string {
  const e = tameThrown(err);
  return e instanceof Error ? e.message : String(e);
}

/** Ids given to failures before they were exposed ({@link errorIdOf}). */
const ids = new WeakMap<object, string>();

/**
 * The id a failure is logged and shown under: the same for one error object
 * wherever it is shown (a revue/ui form's message names it before the call
 * that failed is answered with it), a fresh one for anything else.
 *
 * @example
 * const id = errorIdOf(err); // "3f9a1c2e", then in the log and the page's error
 */
export function errorIdOf(err: unknown): string {
  if (typeof err !== "object" || err === null) return randomBytes(4).toString("hex");
  let id = ids.get(err);
  if (id === undefined) ids.set(err, (id = randomBytes(4).toString("hex")));
  return id;
}

/**
 * The one place that decides what a failure exposes to the page. An error
 * raised on purpose (`RpcError`, any `RevueError` that is an answer: a bad
 * request, a missing session, a limit) keeps its code and message. A bug
 * (`USAGE_ERROR`, a render or bind error…) or an unexpected exception
 * (`connect ECONNREFUSED postgres://admin:…`) is logged with its stack under a
 * fresh id; in development the page sees its message, in production only a
 * generic one with that id.
 *
 * @example
 * exposeError(new Error("db down"), { production: true, code: "RPC_ERROR", log: (id, e) => console.error(id, e) })
 * // { status: 500, code: "RPC_ERROR", message: "Something went wrong on the server (error 3f9a1c2e) …", id: "3f9a1c2e" }
 */
export function exposeError(err: unknown, options: ExposeOptions): WireError {
  err = tameThrown(err);
  if (err instanceof Exposed) return err.wire;
  if (isRefusal(err)) return { status: err.status, code: err.code, message: err.message, ...(err.issues ? { issues: err.issues } : {}) };
  // Thrown with a code Revue has no status for (JavaScript, or a cast): a bug of the app's, which the message names.
  if (err instanceof RevueError && !Object.hasOwn(HTTP_STATUS, err.code)) {
    err = new UsageError(`${err.name} with code ${JSON.stringify(err.code)}: not one of Revue's codes (the type RevueErrorCode lists them), so it has no HTTP status. Throw one such as BAD_REQUEST, NOT_FOUND, FORBIDDEN or UNAVAILABLE: new RpcError("BAD_REQUEST", "…"). Its message: ${err.message}`, { cause: err });
  }
  const id = errorIdOf(err);
  const code = err instanceof RevueError ? err.code : (options.code ?? "INTERNAL_ERROR");
  // An outage fails every request until it ends, and its cause is logged once by the store: one line each, not a stack each.
  options.log(id, code === "UNAVAILABLE" ? (err as Error).message : err);
  const text = thrownMessage(err);
  const message = options.production
    ? code === "UNAVAILABLE"
      ? `The server cannot reach a service it depends on right now (error ${id}); try again in a moment.`
      : `Something went wrong on the server (error ${id}); the server's log has the details.`
    : err instanceof RevueError || !options.what
      ? text
      : `${options.what} failed: ${text}`;
  return { status: HTTP_STATUS[code], code, message, id };
}

/** A failure {@link exposeError} passes on as it is, unlogged: a RevueError with a code Revue has a status for, not a bug's. */
function isRefusal(err: unknown): err is RevueError {
  return err instanceof RevueError && !BUGS.has(err.code) && Object.hasOwn(HTTP_STATUS, err.code);
}

/** Whether {@link exposeError} logs `err`, or logged it where it was worded (an {@link Exposed}): a bug's, not a refusal's. */
export function loggedWhenExposed(err: unknown): boolean {
  return err instanceof Exposed || !isRefusal(err);
}

/**
 * A failure {@link exposeError} has already worded (and logged): thrown on
 * from where it was decided (an rpc's run) to the route that answers, which
 * sends it as it is.
 */
export class Exposed extends RevueError {
  override name = "RevueError";
  constructor(readonly wire: WireError, cause: unknown) {
    super(wire.code, wire.message, { cause });
  }

  override toJSON(): { error: { code: RevueErrorCode; message: string } } {
    return { error: { code: this.wire.code, message: this.wire.message, ...(this.wire.id ? { id: this.wire.id } : {}) } };
  }
}
