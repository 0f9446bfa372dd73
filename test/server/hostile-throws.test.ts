import { format } from "node:util";
import { afterEach, describe, expect, it } from "vitest";
import { App, h, server } from "revue";
import { serve } from "./harness.js";

/**
 * Values app code may throw that break a naive `String(err)` or a log line:
 * each of them once took the process down from a realtime handler (an
 * unhandled rejection), with one POST from any visitor.
 */
const HOSTILE: Record<string, (input: unknown) => unknown> = {
  // `throw { ...input, reason }`: the request's JSON chose `toString`.
  "an object spread from the request": (input) => ({ ...(input as object), reason: "invalid" }),
  "an object without a prototype": () => Object.create(null),
  "a Proxy whose traps throw": () => new Proxy({}, { get() { throw new Error("trap"); }, getPrototypeOf() { throw new Error("trap"); } }),
  "an Error whose stack getter throws": () => Object.defineProperty(new Error("m"), "stack", { get() { throw new Error("getter"); } }),
  "an Error whose cause cannot be read": () => new Error("outer", { cause: Object.defineProperty(new Error("inner"), "stack", { get() { throw new Error("getter"); } }) }),
};

class Form extends App {
  static thrown: (input: unknown) => unknown = () => undefined;
  failLoad = false;
  @server.realtime save(input: unknown) { throw Form.thrown(input); }
  @server.rpc check(input: unknown): void { throw Form.thrown(input); }
  @server.on("poke") static poked(data: unknown) { throw Form.thrown(data); } // a server's emit runs it
  @server.on("load") load() { if (this.params.id === "broken") throw Form.thrown({}); }
  override render() { return h("main", {}, "form"); }
}

let srv: Awaited<ReturnType<typeof serve>> | undefined;
afterEach(async () => {
  await srv?.close();
  srv = undefined;
});

describe("a handler that throws a value that cannot be read as text", () => {
  for (const [name, make] of Object.entries(HOSTILE)) {
    it(`${name}: the call fails, the server lives on and logs it`, async () => {
      Form.thrown = make;
      const lines: string[] = [];
      // Formats what it is given as console.error does (util.inspect), so a log line that would throw does here.
      const logger = { warn: (...a: unknown[]) => void lines.push(format(...a)), error: (...a: unknown[]) => void lines.push(format(...a)) };
      srv = await serve({ "/": Form, "/notes/:id": Form }, { logger, production: true });
      const b = await srv.browser().start();
      const s = b.stream();
      await s.waitFor((m) => m.type === "init", "init");
      expect((await b.event("save", [{ toString: 1, valueOf: 2 }])).status).toBe(202);
      const frame = await s.waitFor((m) => m.type === "error" && m.data.seq === 1, "the realtime call's error");
      expect(frame.data).toMatchObject({ code: "INTERNAL_ERROR", id: expect.any(String) });
      const rpc = await b.rpc("check", [{ toString: 1 }]);
      expect(rpc).toMatchObject({ status: 500, body: { error: { code: "RPC_ERROR", id: expect.any(String) } } });
      srv.handle.emit("poke", { toString: 1 });
      const page = await fetch(`${srv.url}/notes/broken`, { headers: { accept: "text/html" } });
      expect(page.status).toBe(500);
      expect(await page.text()).toContain("Something went wrong");
      // Still serving: the session answers, and the log holds each failure under the id the page was shown.
      expect((await b.event("save", [{}])).status).toBe(202);
      expect(lines.some((l) => l.includes(`(error ${frame.data.id})`))).toBe(true);
      expect(lines.some((l) => l.includes(`(error ${rpc.body.error.id})`))).toBe(true);
      await new Promise((r) => setTimeout(r, 50));
      expect(lines.some((l) => l.includes("static Form.poked threw"))).toBe(true);
    });
  }
});

class Values extends App {
  @server.rpc fn() { return () => 1; }
  @server.rpc sym() { return Symbol("s"); }
  override render() { return h("main", {}, "values"); }
}

describe("an rpc whose result has no JSON", () => {
  it("answers USAGE_ERROR naming the method, not a 200 without a result", async () => {
    srv = await serve(Values);
    const b = await srv.browser().start();
    for (const [name, kind] of [["fn", "function"], ["sym", "symbol"]]) {
      const r = await b.rpc(name!);
      expect(r.status).toBe(500);
      expect(r.body.error).toMatchObject({ code: "USAGE_ERROR", message: `Values.${name} returned a ${kind}, which is not JSON. Return plain data: objects, arrays, strings, numbers, booleans, null.` });
    }
  });
});
