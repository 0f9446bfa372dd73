import { describe, expect, it } from "vitest";
import { RevueError, RpcError, UnavailableError } from "revue";
import { BindError, exposeError, HTTP_STATUS, RegistryError, RenderError, SessionError, UsageError } from "revue/internals";

describe("errors", () => {
  it("share one base class with a stable code and an HTTP status", () => {
    const cases: Array<[RevueError, string, number]> = [
      [new RegistryError("r"), "REGISTRY_ERROR", 500],
      [new BindError("b"), "BIND_ERROR", 500],
      [new RenderError("x"), "RENDER_ERROR", 500],
      [new RpcError("BAD_REQUEST", "bad"), "BAD_REQUEST", 400],
      [new SessionError("SESSION_NOT_FOUND", "gone"), "SESSION_NOT_FOUND", 404],
      [new SessionError("TOO_MANY_SESSIONS", "full"), "TOO_MANY_SESSIONS", 503],
    ];
    for (const [err, code, status] of cases) {
      expect(err).toBeInstanceOf(RevueError);
      expect(err).toBeInstanceOf(Error);
      expect(err.code).toBe(code);
      expect(err.status).toBe(status);
      expect(HTTP_STATUS[err.code]).toBe(status);
    }
    expect(new BindError("b").name).toBe("BindError");
  });

  it("serialise to the wire shape {error: {code, message}}", () => {
    expect(JSON.parse(JSON.stringify(new RpcError("FORBIDDEN", "no")))).toEqual({ error: { code: "FORBIDDEN", message: "no" } });
  });
});

describe("what an error exposes (exposeError)", () => {
  const logged: Array<[string, unknown]> = [];
  const opts = (production: boolean) => ({ production, what: "Shop.pay", code: "RPC_ERROR" as const, log: (id: string, e: unknown) => void logged.push([id, e]) });
  const secret = new Error("connect ECONNREFUSED postgres://admin:hunter2@db:5432");

  it("keeps the code and message of an error raised on purpose, in production too, and logs nothing", () => {
    logged.length = 0;
    expect(exposeError(new RpcError("BAD_REQUEST", "Insufficient funds."), opts(true))).toEqual({ status: 400, code: "BAD_REQUEST", message: "Insufficient funds." });
    expect(exposeError(new SessionError("SESSION_NOT_FOUND", "gone"), opts(true))).toMatchObject({ status: 404, code: "SESSION_NOT_FOUND", message: "gone" });
    expect(logged).toEqual([]);
  });

  it("hides an unexpected exception's message in production, behind an id the log has with the stack", () => {
    logged.length = 0;
    const wire = exposeError(secret, opts(true));
    expect(wire).toMatchObject({ status: 500, code: "RPC_ERROR" });
    expect(wire.message).not.toContain("hunter2");
    expect(wire.message).toBe(`Something went wrong on the server (error ${wire.id}); the server's log has the details.`);
    expect(logged).toEqual([[wire.id, secret]]);
  });

  it("shows it in development, with what failed", () => {
    expect(exposeError(secret, opts(false))).toMatchObject({ code: "RPC_ERROR", message: "Shop.pay failed: connect ECONNREFUSED postgres://admin:hunter2@db:5432" });
  });

  it("answers an error thrown with a code Revue does not know as the bug it is, naming the code (not a bare 500)", () => {
    logged.length = 0;
    const odd = new RpcError("PAYMENT_REQUIRED" as never, "Pay first.");
    expect(odd.status).toBe(500);
    const wire = exposeError(odd, opts(false));
    expect(wire).toMatchObject({ status: 500, code: "USAGE_ERROR" });
    expect(wire.message).toMatch(/RpcError with code "PAYMENT_REQUIRED": not one of Revue's codes .*BAD_REQUEST.*Its message: Pay first\./);
    expect(logged).toHaveLength(1);
    expect(exposeError(odd, opts(true)).message).toMatch(/^Something went wrong on the server \(error [0-9a-f]{8}\)/);
  });

  it("treats a programmer error as a bug: USAGE_ERROR, hidden in production", () => {
    const bug = new UsageError("Shop.client.nope(): there is no @client.realtime method");
    expect(bug.status).toBe(500);
    expect(exposeError(bug, opts(false))).toMatchObject({ code: "USAGE_ERROR", message: bug.message });
    expect(exposeError(bug, opts(true)).message).toMatch(/^Something went wrong on the server \(error [0-9a-f]{8}\)/);
    expect(exposeError(new RenderError("duplicate key"), opts(true))).toMatchObject({ code: "RENDER_ERROR" });
  });

  it("answers an outage with 503 UNAVAILABLE and Retry-After, hides where the store lives in production, and logs one line", () => {
    logged.length = 0;
    const down = new UnavailableError("PgSessionStore.load: Postgres at postgres://admin:hunter2@db:5432 is unreachable; try again later.");
    expect(down).toMatchObject({ code: "UNAVAILABLE", status: 503, retryAfterMs: 1000 });
    const wire = exposeError(down, opts(true));
    expect(wire).toMatchObject({ status: 503, code: "UNAVAILABLE" });
    expect(wire.message).toBe(`The server cannot reach a service it depends on right now (error ${wire.id}); try again in a moment.`);
    expect(logged).toEqual([[wire.id, down.message]]);
    expect(exposeError(down, opts(false)).message).toBe(down.message);
  });
});
