import { afterEach, describe, expect, it } from "vitest";
import { App, h, RpcError, server } from "revue";
import { serve, textOf } from "./harness.js";

class Shop extends App {
  count = 0;
  broken = false;
  @server.rpc pay() { throw new Error("connect ECONNREFUSED postgres://admin:hunter2@db:5432"); }
  @server.rpc refuse() { throw new RpcError("BAD_REQUEST", "Pick a smaller number."); }
  @server.realtime boom() { throw new Error("token sk_live_42 rejected"); }
  @server.rpc detached() { new Shop().emit("x"); }
  @server.rpc wrongCall() { (this.client as unknown as Record<string, () => void>).nope!(); }
  @server.realtime breakRender() { this.broken = true; }
  @server.realtime increment() { this.count++; }
  @server.rpc get() { return this.count; }
  override render() {
    if (this.broken) throw new Error("template read /etc/secrets");
    return h("main", {}, h("h1", {}, String(this.count)));
  }
}

let srv: Awaited<ReturnType<typeof serve>> | undefined;
afterEach(async () => {
  await srv?.close();
  srv = undefined;
});

const generic = /^Something went wrong on the server \(error ([0-9a-f]{8})\); the server's log has the details\.$/;

describe("production mode", () => {
  it("never sends an unexpected exception's message to the page: a generic message and an id the log has with the stack", async () => {
    srv = await serve(Shop, { production: true });
    const b = await srv.browser().start();
    const r = await b.rpc("pay");
    expect(r.status).toBe(500);
    expect(r.body.error.code).toBe("RPC_ERROR");
    expect(r.body.error.message).toMatch(generic);
    expect(JSON.stringify(r.body)).not.toContain("hunter2");
    const id = r.body.error.id;
    expect(r.body.error.message).toContain(id);
    expect(srv.logs.find((l) => l.includes(`(error ${id})`))).toContain("Shop.pay failed");
  });

  it("words a handler that ran past handlerTimeoutMs for the visitor, not with the operator's advice: 504, a generic message and an id the log has", async () => {
    class Slow extends App {
      @server.rpc async hang() { await new Promise((r) => setTimeout(r, 1_000)); }
      override render() { return h("p", {}, "slow"); }
    }
    srv = await serve(Slow, { production: true, handlerTimeoutMs: 100 });
    const b = await srv.browser().start();
    const r = await b.rpc("hang");
    expect(r.status).toBe(504);
    expect(r.body.error.code).toBe("HANDLER_TIMEOUT");
    expect(r.body.error.message).toMatch(generic);
    expect(r.body.error.message).not.toContain("handlerTimeoutMs");
    expect(srv.logs.some((l) => l.includes(`(error ${r.body.error.id})`))).toBe(true);
  });

  it("keeps the message of an error thrown on purpose", async () => {
    srv = await serve(Shop, { production: true });
    const b = await srv.browser().start();
    expect(await b.rpc("refuse")).toMatchObject({ status: 400, body: { error: { code: "BAD_REQUEST", message: "Pick a smaller number." } } });
  });

  it("hides a realtime handler's and a render's exception in their error frames", async () => {
    srv = await serve(Shop, { production: true });
    const b = await srv.browser().start();
    const s = b.stream();
    await s.waitFor((m) => m.type === "init", "init");
    await b.event("boom");
    const realtime = await s.waitFor((m) => m.type === "error" && m.data.seq === 1, "the realtime error");
    expect(realtime.data).toMatchObject({ code: "INTERNAL_ERROR", message: expect.stringMatching(generic), id: expect.any(String) });
    await b.event("breakRender");
    const render = await s.waitFor((m) => m.type === "error" && m.data.seq === undefined, "the render error");
    expect(render.data.message).toMatch(generic);
    // The call ran though its render failed: acknowledged (the page keeps its tree; an rpc it awaits resolves).
    const acked = await s.waitFor((m) => m.type === "patch" && m.data.ack === 2, "the call's ack");
    expect(acked.data.ops).toEqual([]);
    expect(JSON.stringify(s.got)).not.toMatch(/sk_live_42|\/etc\/secrets/);
    expect(srv.logs.some((l) => l.includes(`(error ${render.data.id})`))).toBe(true);
  });

  it("answers a programmer's misuse of the API with USAGE_ERROR (hidden in production), and the session goes on", async () => {
    srv = await serve(Shop, { production: true });
    const b = await srv.browser().start();
    const detached = await b.rpc("detached");
    expect(detached).toMatchObject({ status: 500, body: { error: { code: "USAGE_ERROR", message: expect.stringMatching(generic) } } });
    expect((await b.rpc("wrongCall")).body.error.code).toBe("USAGE_ERROR");
    // not SESSION_NOT_FOUND: the page keeps its session instead of starting over
    await b.event("increment");
    expect((await b.rpc("get")).body.result).toBe(1);
  });

  it("does not list the app's methods to a call of an unknown one, nor its routes to an unknown path (development does)", async () => {
    for (const production of [true, false]) {
      srv = await serve(Shop, { production });
      const b = await srv.browser().start();
      const r = await b.rpc("nope");
      expect(r).toMatchObject({ status: 404, body: { error: { code: "METHOD_NOT_FOUND" } } });
      expect(r.body.error.message).toBe(`Shop has no @server.rpc method "nope".${production ? "" : " Known: pay, refuse, detached, wrongCall, get."}`);
      // Nor the server's routes to a request for a page that does not exist.
      const lost = await b.request("/secret-admin", { headers: { accept: "application/json" } });
      expect(lost.status).toBe(404);
      expect(lost.body.error.message).toBe(`GET /secret-admin: no such page or route.${production ? "" : ' This server serves pages at "/" and their API under <path>/api/ (docs/protocol.md);'} check the URL.`);
      await srv.close();
      srv = undefined;
    }
  });
});

describe("development mode (the default outside NODE_ENV=production)", () => {
  it("shows what failed, and the misuse explained", async () => {
    srv = await serve(Shop);
    const b = await srv.browser().start();
    expect((await b.rpc("pay")).body.error.message).toBe("Shop.pay failed: connect ECONNREFUSED postgres://admin:hunter2@db:5432");
    expect((await b.rpc("detached")).body.error).toMatchObject({
      code: "USAGE_ERROR",
      message: expect.stringContaining('Shop.emit: this instance is not attached to a session (it was created with "new")'),
    });
    const s = b.stream();
    await b.event("increment");
    expect(textOf(await s.waitFor((m) => m.type === "patch", "a patch"))).toBe("1");
  });
});
