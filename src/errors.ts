/**
 * One error base class with a stable `code`, in the spirit of tRPC's `TRPCError`.
 * Every message says what happened, where, and how to fix it; the code is what
 * programs (and the browser runtime) switch on, and {@link HTTP_STATUS} maps it
 * to the status a route answers with.
 */

/** Stable error codes. They travel over the wire as `{error: {code, message}}`. */
export type RevueErrorCode =
  | "REGISTRY_ERROR"
  | "BIND_ERROR"
  | "RENDER_ERROR"
  | "BAD_REQUEST"
  | "FORBIDDEN"
  | "SESSION_NOT_FOUND"
  | "METHOD_NOT_FOUND"
  | "NOT_FOUND"
  | "METHOD_NOT_ALLOWED"
  | "PAYLOAD_TOO_LARGE"
  | "UNSUPPORTED_MEDIA_TYPE"
  | "ROOM_LIMIT"
  | "TOO_MANY_SESSIONS"
  | "TOO_MANY_CALLS"
  | "SEQ_CONFLICT"
  | "SEQ_EXPIRED"
  | "SEQ_OUT_OF_RANGE"
  | "HANDLER_TIMEOUT"
  | "UPLOAD_QUOTA"
  | "SERVER_CLOSING"
  | "RPC_ERROR"
  | "SNAPSHOT_ERROR"
  | "INTERNAL_ERROR";

/** The HTTP status each code is answered with when it reaches a route. */
export const HTTP_STATUS: Readonly<Record<RevueErrorCode, number>> = Object.freeze({
  REGISTRY_ERROR: 500,
  BIND_ERROR: 500,
  RENDER_ERROR: 500,
  BAD_REQUEST: 400,
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
  SEQ_OUT_OF_RANGE: 400,
  HANDLER_TIMEOUT: 504,
  UPLOAD_QUOTA: 413,
  SERVER_CLOSING: 503,
  RPC_ERROR: 500,
  SNAPSHOT_ERROR: 500,
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
  /** How long the caller should wait before trying again (`Retry-After`), for `TOO_MANY_CALLS`. */
  readonly retryAfterMs: number | undefined;
  constructor(
    /** Stable, machine-readable code. */
    public readonly code: RevueErrorCode,
    message: string,
    options?: { cause?: unknown; retryAfterMs?: number },
  ) {
    super(message, options);
    this.retryAfterMs = options?.retryAfterMs;
  }

  /** The HTTP status this error is answered with. */
  get status(): number {
    return HTTP_STATUS[this.code];
  }

  /** The JSON body a route answers with: `{error: {code, message}}`. */
  toJSON(): { error: { code: RevueErrorCode; message: string } } {
    return { error: { code: this.code, message: this.message } };
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

/** The `{code, message}` a failure is reported with over the wire. */
export function errorBody(err: unknown): { code: RevueErrorCode; message: string } {
  if (err instanceof RevueError) return { code: err.code, message: err.message };
  return { code: "INTERNAL_ERROR", message: err instanceof Error ? err.message : String(err) };
}
