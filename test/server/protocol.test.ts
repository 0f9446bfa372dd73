import { afterEach, describe, expect, it } from "vitest";
import { App, client, h, RpcError, server } from "revue";
import { Browser, serve, textOf, until } from "./harness.js";

class Counter extends App {
  count = 0;
  static connects = 0;
  static disconnects = 0;
  @server.realtime increment() { this.count++; }
  @server.rpc get() { return this.count; }
  @server.rpc reset(to: number) { this.count = to; return this.count; }
  @server.rpc fail() { throw new Error("database on fire"); }
  @server.rpc refuse() { throw new RpcError("BAD_REQUEST", "Pick a smaller number."); }
  @server.realtime boom() { throw new Error("realtime kaput"); }
  @server.realtime greet(name: string) { this.client.toast(`hello ${name}`); }
  @server.rpc enter(room: string) { this.join(room); }
  @server.rpc shout(room: string, text: string) { this.to(room).emit("shout", { text }); }
  @server.on("connect") hi() { Counter.connects++; }
  @server.on("disconnect") bye() { Counter.disconnects++; }
  @client.realtime toast(_msg: string) {}
  override render() {
    return h("main", {}, h("h1", { id: "count" }, String(this.count)), h("button", { onClick: this.increment }, "+1"));
  }
}

let srv: Awaited<ReturnType<typeof serve>> | undefined;
afterEach(async () => {
  await srv?.close();
  srv = undefined;
});

describe("server protocol over real HTTP and EventSource", () => {
  it("runs the counter loop: event → patch on the stream, acknowledging the seq", async () => {
    srv = await serve(Counter);
    const b = await srv.browser().start();
    const s = b.stream();
    const init = await s.waitFor((m) => m.type === "init", "init");
    expect(init.id).toBe(1);
    expect(JSON.stringify(init.data.tree)).toContain('"0"');
    const r = await b.event("increment");
    expect(r.status).toBe(202);
    const patch = await s.waitFor((m) => m.type === "patch", "patch");
    expect(textOf(patch)).toBe("1");
    expect(patch.data.ack).toBe(1);
    expect(patch.id).toBe(2);
    expect(Counter.connects).toBeGreaterThan(0);
  });

  it("answers an rpc with its result, and errors with a code and a status", async () => {
    srv = await serve(Counter);
    const b = await srv.browser().start();
    expect(await b.rpc("reset", [5])).toMatchObject({ status: 200, body: { result: 5 } });
    const failed = await b.rpc("fail");
    expect(failed.status).toBe(500);
    expect(failed.body.error).toEqual({ code: "RPC_ERROR", message: "Counter.fail failed: database on fire", id: expect.stringMatching(/^[0-9a-f]{8}$/) });
    expect(srv.logs.some((l) => l.includes(`Counter.fail failed while handling an rpc (seq 2) (error ${failed.body.error.id})`))).toBe(true);
    expect(await b.rpc("refuse")).toMatchObject({ status: 400, body: { error: { code: "BAD_REQUEST", message: "Pick a smaller number." } } });
    expect((await b.rpc("get")).body.result).toBe(5); // the session survived
  });

  it("sends a realtime handler's exception to the stream as an error event", async () => {
    srv = await serve(Counter);
    const b = await srv.browser().start();
    const s = b.stream();
    await s.waitFor((m) => m.type === "init", "init");
    await b.event("boom");
    const err = await s.waitFor((m) => m.type === "error", "error");
    expect(err.data).toMatchObject({ code: "INTERNAL_ERROR", message: "Counter.boom failed: realtime kaput", seq: 1 });
    await b.event("increment");
    await s.waitFor((m) => m.type === "patch" && textOf(m) === "1", "patch after the error");
  });

  it("delivers reverse calls to the page", async () => {
    srv = await serve(Counter);
    const b = await srv.browser().start();
    const s = b.stream();
    await b.event("greet", ["ada"]);
    const call = await s.waitFor((m) => m.type === "call", "call");
    expect(call.data).toEqual({ method: "toast", args: ["hello ada"] });
  });

  it("emits to a room of three sessions while a fourth outside it hears nothing", async () => {
    srv = await serve(Counter);
    const browsers = await Promise.all([0, 1, 2, 3].map(() => srv!.browser().start()));
    const streams = browsers.map((b) => b.stream());
    await Promise.all(streams.map((s) => s.waitFor((m) => m.type === "init", "init")));
    for (const b of browsers.slice(0, 3)) await b.rpc("enter", ["lobby"]);
    await browsers[0]!.rpc("shout", ["lobby", "hi all"]);
    for (const s of streams.slice(0, 3)) expect((await s.waitFor((m) => m.type === "event", "room event")).data).toEqual({ event: "shout", data: { text: "hi all" } });
    await new Promise((r) => setTimeout(r, 100));
    expect(streams[3]!.got.filter((m) => m.type === "event")).toEqual([]);
  });

  it("replays exactly the missed messages when a stream drops mid-burst and reconnects with Last-Event-ID", async () => {
    srv = await serve(Counter);
    const b = await srv.browser().start();
    const first = b.stream();
    await first.waitFor((m) => m.type === "init", "init");
    for (let i = 0; i < 10; i++) await b.event("increment");
    await first.waitFor((m) => m.data.ack === 10, "ack 10");
    first.es.close();
    const lastSeen = first.got.at(-1)!.id;
    for (let i = 0; i < 10; i++) await b.event("increment");
    await b.event("greet", ["again"]);
    const second = b.stream(lastSeen);
    await second.waitFor((m) => m.type === "call", "the reverse call after the burst");
    await second.waitFor((m) => m.type === "patch" && m.data.ack === b.seq, "the last acknowledgement");
    const ids = [...first.got, ...second.got].map((m) => m.id);
    expect(ids).toEqual(Array.from({ length: ids.length }, (_, i) => i + 1)); // no gap, no duplicate
    expect(second.got.filter((m) => m.type === "init")).toEqual([]); // replayed, not re-snapshotted
    const texts = [...first.got, ...second.got].map(textOf).filter((t) => t !== undefined);
    expect(texts.at(-1)).toBe("20");
  });

  it("recovers from a stream cut by the server: EventSource reconnects and replays what it missed", async () => {
    srv = await serve(Counter);
    const b = await srv.browser().start();
    const s = b.stream();
    await s.waitFor((m) => m.type === "init", "init");
    await b.event("increment");
    await s.waitFor((m) => m.data.ack === 1, "ack 1");
    expect(srv.handle.dropStreams()).toBe(1);
    await b.event("increment");
    await b.event("greet", ["back"]);
    await s.waitFor((m) => m.type === "call", "the call sent while cut off");
    await s.waitFor((m) => m.data.ack === 3, "ack 3");
    const ids = s.got.map((m) => m.id);
    expect(ids).toEqual(Array.from({ length: ids.length }, (_, i) => i + 1));
    expect(s.got.filter((m) => m.type === "init")).toHaveLength(1);
  });

  it("sends an init snapshot when the gap is older than the replay buffer", async () => {
    srv = await serve(Counter, { replayBufferBytes: 100 });
    const b = await srv.browser().start();
    const first = b.stream();
    await first.waitFor((m) => m.type === "init", "init");
    first.es.close();
    for (let i = 0; i < 15; i++) {
      await b.event("increment");
      await new Promise((r) => setTimeout(r, 2));
    }
    expect((await b.rpc("get")).body.result).toBe(15);
    const second = b.stream(1);
    await second.waitFor((m) => m.type === "init", "a fresh init");
    expect(second.got[0]!.type).toBe("init");
    // the snapshot is the last render; a render still pending follows it as a patch
    await second.waitFor((m) => JSON.stringify(m.data.tree ?? m.data.ops).includes('"15"'), "the state after the gap");
  });

  it("runs a repeated seq once", async () => {
    srv = await serve(Counter);
    const b = await srv.browser().start();
    expect((await b.event("increment", [], 1)).status).toBe(202);
    expect((await b.event("increment", [], 1)).status).toBe(202);
    expect((await b.rpc("get", [], 2)).body.result).toBe(1);
    expect((await b.rpc("get", [], 2)).body.result).toBe(1);
  });

  it("coalesces the renders of a burst of 100 events", async () => {
    srv = await serve(Counter);
    const b = await srv.browser().start();
    const s = b.stream();
    await s.waitFor((m) => m.type === "init", "init");
    // Warm 100 keep-alive sockets first, so the burst itself arrives at once.
    await Promise.all(Array.from({ length: 100 }, () => b.rpc("get")));
    const before = s.got.filter((m) => m.type === "patch").length;
    await Promise.all(Array.from({ length: 100 }, () => b.event("increment")));
    await s.waitFor((m) => m.data.ack === 200, "ack 200");
    const patches = s.got.filter((m) => m.type === "patch").slice(before);
    expect(patches.map(textOf).filter(Boolean).at(-1)).toBe("100");
    expect(patches.length).toBeLessThan(20); // 2 on an idle machine
  });

  it("replaces the first stream when a second opens for the same session", async () => {
    srv = await serve(Counter);
    const b = await srv.browser().start();
    const one = b.stream();
    await one.waitFor((m) => m.type === "init", "init");
    const two = b.stream();
    await two.waitFor((m) => m.type === "init", "second init");
    await one.waitFor((m) => m.type === "bye", "bye");
    expect(one.got.find((m) => m.type === "bye")!.data).toEqual({ reason: "replaced" });
    one.es.close();
    await b.event("increment");
    await two.waitFor((m) => m.type === "patch", "patch on the new stream");
  });

  it("expires an idle session with no stream, and forgets sessions across a restart", async () => {
    srv = await serve(Counter, { sessionTtlMs: 100 });
    const b = await srv.browser().start();
    expect((await b.event("increment")).status).toBe(202);
    await new Promise((r) => setTimeout(r, 400));
    const gone = await b.event("increment");
    expect(gone.status).toBe(404);
    expect(gone.body.error.code).toBe("SESSION_NOT_FOUND");

    const b2 = await srv.browser().start();
    await srv.close();
    srv = await serve(Counter);
    const restarted = new Browser(srv.url);
    restarted.cookie = b2.cookie;
    restarted.sid = b2.sid;
    const r = await restarted.event("increment");
    expect(r.status).toBe(404);
    expect(r.body.error.code).toBe("SESSION_NOT_FOUND");
  });

  it("keeps a session alive while its stream is open, past the TTL", async () => {
    srv = await serve(Counter, { sessionTtlMs: 100 });
    const b = await srv.browser().start();
    const s = b.stream();
    await s.waitFor((m) => m.type === "init", "init");
    await new Promise((r) => setTimeout(r, 400));
    expect((await b.event("increment")).status).toBe(202);
  });

  it("ends streams with a final bye and runs stop handlers on close", async () => {
    const stopped: string[] = [];
    class Stoppable extends Counter {
      @server.on("stop") static done() { stopped.push("stop"); }
    }
    srv = await serve(Stoppable);
    const b = await srv.browser().start();
    const s = b.stream();
    await s.waitFor((m) => m.type === "init", "init");
    await srv.handle.close();
    await until(() => s.got.some((m) => m.type === "bye"), "bye");
    expect(s.got.find((m) => m.type === "bye")!.data).toEqual({ reason: "shutdown" });
    expect(stopped).toEqual(["stop"]);
    b.close();
    srv = undefined;
  });

  it("mounts several apps under their own prefixes", async () => {
    class Other extends App {
      @server.rpc whoami() { return "other"; }
    }
    srv = await serve({ "/": Counter, "/other": Other });
    const root = await srv.browser().start();
    const other = await srv.browser("/other").start();
    expect((await other.rpc("whoami")).body.result).toBe("other");
    expect((await root.rpc("whoami")).status).toBe(404);
    expect((await root.rpc("get")).body.result).toBe(0);
  });
});
