import { describe, expect, it } from "vitest";
import { BindError, errorBody, HTTP_STATUS, RegistryError, RenderError, RevueError, RpcError, SessionError } from "revue";

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
    expect(errorBody(new Error("plain"))).toEqual({ code: "INTERNAL_ERROR", message: "plain" });
  });
});
