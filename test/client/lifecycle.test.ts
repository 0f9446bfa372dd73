// @vitest-environment jsdom
import { describe, expect, it, vi } from "vitest";
import { page, settle } from "./fake-transport.js";

/** Records lifecycle events in order. */
function track(rv: { on(e: string, fn: () => void): unknown }) {
  const log: string[] = [];
  for (const e of ["ready", "connect", "disconnect"]) rv.on(e, () => log.push(e));
  return log;
}

describe("lifecycle order", () => {
  it("fires ready then connect when the stream opens before the client module loads", async () => {
    const { rv, t } = page();
    const log = track(rv);
    t.last.on.open();
    await settle();
    expect(log).toEqual([]);
    t.loadModule();
    await rv.ready;
    expect(log).toEqual(["ready", "connect"]);
    rv.close();
  });

  it("fires ready then connect when the client module loads before the stream opens", async () => {
    const { rv, t } = page();
    const log = track(rv);
    t.loadModule();
    await rv.ready;
    expect(log).toEqual(["ready"]);
    t.last.on.open();
    expect(log).toEqual(["ready", "connect"]);
    rv.close();
  });

  it("fires ready exactly once, and connect/disconnect each time the stream opens and drops", async () => {
    const { rv, t } = page();
    const log = track(rv);
    t.loadModule();
    await rv.ready;
    t.last.on.open();
    t.last.on.drop();
    t.last.on.drop();
    t.last.on.open();
    expect(log).toEqual(["ready", "connect", "disconnect", "connect"]);
    expect(rv.connected).toBe(true);
    rv.close();
  });

  it("does not fire disconnect for a stream that dropped before connect was announced", async () => {
    const { rv, t } = page();
    const log = track(rv);
    t.last.on.open();
    t.last.on.drop();
    t.loadModule();
    await rv.ready;
    expect(log).toEqual(["ready"]);
    rv.close();
  });

  it("runs @client.on('ready') handlers with the client context as this", async () => {
    const { rv, t } = page();
    const seen: unknown[] = [];
    t.loadModule({
      methods: {
        ready(this: any) {
          seen.push(typeof this.server, typeof this.helper);
        },
        helper() {},
      },
      on: { ready: ["ready"] },
    });
    await rv.ready;
    expect(seen).toEqual(["object", "function"]);
    rv.close();
  });

  it("holds reverse calls that arrive before ready and runs them right after it", async () => {
    const { rv, t } = page();
    const log: string[] = [];
    rv.on("ready", () => log.push("ready"));
    t.last.on.open();
    t.send({ type: "call", method: "toast", args: ["hi"] });
    expect(log).toEqual([]);
    t.loadModule({ methods: { toast: (m: string) => void log.push(`toast ${m}`) }, calls: { toast: "toast" } });
    await rv.ready;
    expect(log).toEqual(["ready", "toast hi"]);
    rv.close();
  });

  it("runs a renamed @client.realtime method whether the server names it by public or method name", async () => {
    const { rv, t } = page();
    const log: string[] = [];
    t.loadModule({ methods: { toast: (m: string) => void log.push(m) }, kinds: { toast: "client-realtime" }, calls: { notify: "toast" } });
    await rv.ready;
    t.send({ type: "call", method: "notify", args: ["a"] });
    t.send({ type: "call", method: "toast", args: ["b"] });
    expect(log).toEqual(["a", "b"]);
    rv.close();
  });

  it("still fires ready, and reports the error, when the client module fails to load", async () => {
    const { rv, t } = page();
    const err = vi.spyOn(console, "error").mockImplementation(() => {});
    const ready = vi.fn();
    rv.on("ready", ready);
    const failure = new Error("Failed to fetch dynamically imported module: /rv/app.x.js");
    t.failModule(failure);
    await rv.ready;
    expect(ready).toHaveBeenCalledTimes(1);
    expect(err.mock.calls[0]).toEqual(["[revue]", failure]);
    // A page listening for errors hears it instead of the console.
    err.mockClear();
    const again = page();
    const heard: unknown[] = [];
    again.rv.on("error", (e) => heard.push(e));
    again.t.failModule(failure);
    await again.rv.ready;
    expect(heard).toEqual([failure]);
    expect(err).not.toHaveBeenCalled();
    // The visitor is told to reload (the browser keeps the failed module: no @client method will run), and stays told when the stream opens.
    const flag = document.getElementById("rv-rc")!;
    expect([flag.hidden, flag.textContent]).toEqual([false, "Disconnected. Reload the page."]);
    again.t.last.on.open();
    expect(flag.hidden).toBe(false);
    err.mockRestore();
    again.rv.close();
    rv.close();
  });

  it("tells the visitor of a server bug (an error with an id) in the server's words until the stream drops or reopens; not of a refusal", async () => {
    const { rv, t } = page();
    const err = vi.spyOn(console, "error").mockImplementation(() => {});
    t.last.on.open();
    const flag = document.getElementById("rv-rc")!;
    t.send({ type: "error", code: "FORBIDDEN", message: "Members only.", seq: 1 });
    expect(flag.hidden).toBe(true);
    const words = "Something went wrong on the server (error a1b2c3); the server's log has the details.";
    t.send({ type: "error", code: "INTERNAL_ERROR", message: words, id: "a1b2c3" });
    expect([flag.hidden, flag.textContent]).toEqual([false, words]);
    expect(err).toHaveBeenCalledTimes(2);
    t.last.on.drop();
    expect([flag.hidden, flag.textContent]).toEqual([false, "reconnecting…"]);
    t.last.on.open();
    expect(flag.hidden).toBe(true);
    err.mockRestore();
    rv.close();
  });

  it("shows a styleable reconnecting indicator while the stream is down", async () => {
    const { rv, t } = page();
    t.last.on.open();
    const flag = document.querySelector<HTMLElement>(".rv-reconnecting")!;
    expect(flag.hidden).toBe(true);
    // Hidden, it does not hold the give-up words (a stylesheet showing it, or a reader of hidden text, would say so while all is well).
    expect(flag.textContent).not.toContain("Reload");
    t.last.on.drop();
    expect(flag.hidden).toBe(false);
    expect(flag.textContent).toMatch(/reconnecting/);
    expect(flag.getAttribute("role")).toBe("status");
    t.last.on.open();
    expect(flag.hidden).toBe(true);
    rv.close();
  });
});

describe("the state event", () => {
  it("carries only the @synced fields whose value differs (an init after a failover repeats them all)", async () => {
    const { rv, t } = page(undefined, { s: { count: 1, name: "ada", tags: ["a"] } });
    const heard: unknown[] = [];
    rv.on("state", (s) => heard.push(s));
    t.loadModule();
    await rv.ready;
    t.last.on.open();
    t.last.on.message("patch", JSON.stringify({ rev: 2, ops: [], ack: 0, s: { count: 2 } }), "1");
    t.last.on.message("patch", JSON.stringify({ rev: 3, ops: [], ack: 0, s: { count: 2, name: "ada", tags: ["a"] } }), "2");
    t.last.on.message("patch", JSON.stringify({ rev: 4, ops: [], ack: 0, s: { count: 2, name: "bob", tags: ["a"] } }), "3");
    expect(heard).toEqual([{ count: 2 }, { name: "bob" }]);
    expect(rv.state).toEqual({ count: 2, name: "bob", tags: ["a"] });
    rv.close();
  });
});
