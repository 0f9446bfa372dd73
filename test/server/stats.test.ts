import { createServer as createHttpServer, get, type ClientRequest } from "node:http";
import type { AddressInfo } from "node:net";
import { Counter as PromCounter, Registry } from "prom-client";
import { afterEach, describe, expect, it } from "vitest";
import { App, createServer, h, MemoryPubSub, MemorySessionStore, RevueError, server } from "revue";
import type { Hub } from "revue/internals";
import { Metrics } from "../../src/server/metrics.js";
import { serve, until, type Browser } from "./harness.js";

/** Holds `slow` calls until released, so that calls can be seen waiting. */
let release: () => void = () => {};
let gate: Promise<void> = Promise.resolve();
const closeGate = () => (gate = new Promise<void>((r) => (release = r)));

class Lobby extends App {
  count = 0;
  @server.on("connect") enter() { this.join("lobby"); }
  @server.realtime increment() { this.count++; }
  @server.realtime async slow() { await gate; }
  @server.rpc double(n: number) { return n * 2; }
  @server.on("nudge") nudged() { this.count += 10; }
  // Not ASCII, so that bytes and characters differ.
  override render() { return h("main", {}, h("p", { id: "count" }, `café ✓ ${this.count}`)); }
}

class Chat extends App {
  @server.on("connect") enter() { this.join("general"); this.join("random"); }
  override render() { return h("main", {}, "chat"); }
}

let srv: Awaited<ReturnType<typeof serve>> | undefined;
const cleanup: (() => unknown)[] = [];
afterEach(async () => {
  await srv?.close();
  srv = undefined;
  for (const f of cleanup.splice(0)) await f();
  release();
});

/** Loads the page as a browser does (GET /, which starts a pending session) and takes its sid from the boot data. */
async function loadPage(b: Browser): Promise<void> {
  const r = await b.request("/");
  expect(r.status).toBe(200);
  b.sid = JSON.parse(/<script type="application\/json" id="rv-boot">(.*?)<\/script>/.exec(r.body as string)![1]!).sid;
}

/** The page's stream read as raw bytes (as the page opens it: `?lastEventId=0`), with its frames parsed. */
function rawStream(b: Browser) {
  const chunks: Buffer[] = [];
  const frames: { type: string; data: any }[] = [];
  let text = "";
  const req: ClientRequest = get(`${b.url}/api/sse/${b.sid}?lastEventId=0`, { headers: { cookie: b.cookie } }, (res) => {
    res.on("data", (chunk: Buffer) => {
      chunks.push(chunk);
      text += chunk.toString("utf8");
      let end: number;
      while ((end = text.indexOf("\n\n")) >= 0) {
        const block = text.slice(0, end);
        text = text.slice(end + 2);
        const type = /^event: (.*)$/m.exec(block)?.[1];
        const data = /^data: (.*)$/m.exec(block)?.[1];
        if (type && data) frames.push({ type, data: JSON.parse(data) });
      }
    });
  });
  req.on("error", () => {});
  cleanup.push(() => req.destroy());
  return {
    frames,
    bytes: () => chunks.reduce((n, c) => n + c.length, 0),
    close: () => req.destroy(),
  };
}

const shows = (frames: { type: string; data: any }[], text: string) => frames.some((f) => f.data.ops?.some((o: { text?: string }) => o.text === text));

describe("srv.stats()", () => {
  it("counts what happened: a page loaded is pending, its stream makes it live, calls are messages in, patches are messages out and bytes sent", async () => {
    srv = await serve(Lobby, { node: "web-1" });
    const stats = () => srv!.handle.stats().apps["/"]!;
    const first = srv.handle.stats();
    expect(first).toMatchObject({ node: "web-1", draining: false });
    expect(first.uptime).toBeGreaterThanOrEqual(0);
    expect(first.total).toEqual(stats());

    const b = srv.browser();
    await loadPage(b);
    expect(stats().sessions).toEqual({ live: 0, pending: 1, hibernated: 0 });
    expect(stats().streams).toBe(0);

    const stream = rawStream(b);
    await until(() => stats().streams === 1, "the stream to count as open");
    expect(stats().sessions).toEqual({ live: 1, pending: 0, hibernated: 0 });
    await until(() => stats().rooms.members === 1, "the connect handler to join the lobby");
    expect(stats().rooms).toEqual({ count: 1, members: 1 });

    expect((await b.event("increment")).status).toBe(202);
    expect((await b.event("increment")).status).toBe(202);
    expect((await b.rpc("double", [21])).body).toEqual({ result: 42 });
    expect((await b.rpc("double", [21], b.seq)).body).toEqual({ result: 42 }); // a retry: answered again, not counted again
    expect((await b.emit("nudge")).status).toBe(202);
    expect((await b.event("nope")).status).toBe(404); // refused: not counted
    expect(stats().messagesIn).toEqual({ realtime: 2, rpc: 1, emit: 1 });

    await until(() => shows(stream.frames, "café ✓ 12"), "the page to show 12");
    // Everything the server counts as sent is what the page received, to the byte (UTF-8, not characters).
    await until(() => stats().bytesSent === stream.bytes(), `bytes sent (${stats().bytesSent}) to equal the bytes received (${stream.bytes()})`);
    const patches = stream.frames.filter((f) => f.type === "patch").length;
    expect(patches).toBeGreaterThan(0);
    expect(stats().messagesOut).toEqual({ init: 0, patch: patches, call: 0, event: 0, error: 0, bye: 0 });

    // Calls waiting: one running (held), one queued behind it.
    closeGate();
    expect((await b.event("slow")).status).toBe(202);
    expect((await b.event("increment")).status).toBe(202);
    expect(stats().queuedCalls).toBe(2);
    release();
    await until(() => stats().queuedCalls === 0, "the calls to finish");

    // A second page: two members of one room; names only when asked for.
    const b2 = srv.browser();
    await loadPage(b2);
    rawStream(b2);
    await until(() => stats().rooms.members === 2, "the second page to join the lobby");
    expect(stats().rooms).toEqual({ count: 1, members: 2 });
    expect({ ...srv.handle.stats({ rooms: true }).apps["/"]!.rooms.names }).toEqual({ lobby: 2 });
    expect(stats().streams).toBe(2);

    stream.close();
    await until(() => stats().streams === 1, "the closed stream to be counted out");
    expect(stats().sessions).toEqual({ live: 2, pending: 0, hibernated: 0 });
  });

  it("counts a session hibernated past the memory budget as hibernated, and live again once used", async () => {
    srv = await serve(Lobby, { maxSessionBytes: 1 });
    const hub = srv.handle.hubs.get("")! as unknown as Hub<Lobby>;
    const b = srv.browser();
    await loadPage(b);
    rawStream(b);
    const session = hub.get(b.sid)!;
    await until(() => session.connected && session.calls.idle, "the page to be connected and idle");
    await hub.pool.sweep();
    expect(srv.handle.stats().total.sessions).toEqual({ live: 0, pending: 0, hibernated: 1 });
    expect((await b.event("increment")).status).toBe(202);
    expect(srv.handle.stats().total.sessions).toEqual({ live: 1, pending: 0, hibernated: 0 });
  });

  it("reports each mounted app by its path and the node as their sum", async () => {
    srv = await serve({ "/": Lobby, "/chat": Chat });
    const home = srv.browser();
    await loadPage(home);
    rawStream(home);
    const chat = srv.browser("/chat");
    await loadPage(chat);
    rawStream(chat);
    await until(() => srv!.handle.stats().total.rooms.members === 3, "both pages to join their rooms");
    const s = srv.handle.stats();
    expect(Object.keys(s.apps).sort()).toEqual(["/", "/chat"]);
    expect(s.apps["/"]!.rooms).toEqual({ count: 1, members: 1 });
    expect(s.apps["/chat"]!.rooms).toEqual({ count: 2, members: 2 });
    expect(s.total.rooms).toEqual({ count: 3, members: 3 });
    expect(s.total.streams).toBe(2);
    expect(s.total.bytesSent).toBe(s.apps["/"]!.bytesSent + s.apps["/chat"]!.bytesSent);
  });
});

describe("GET /api/status", () => {
  it("answers 200 with the node, its uptime and its sessions, to a request with no cookie, from anywhere, and to HEAD", async () => {
    srv = await serve({ "/": Lobby, "/chat": Chat }, { node: "web-2" });
    await loadPage(srv.browser());
    const res = await fetch(`${srv.url}/api/status`, { headers: { "sec-fetch-site": "cross-site", origin: "https://elsewhere.example" } });
    expect(res.status).toBe(200);
    expect(res.headers.get("set-cookie")).toBeNull();
    expect(res.headers.get("cache-control")).toBe("no-store");
    const body = await res.json();
    expect(body).toMatchObject({ status: "ok", node: "web-2", sessions: 1 });
    expect(Object.keys(body).sort()).toEqual(["node", "sessions", "status", "uptime"]);
    expect(typeof body.uptime).toBe("number");

    const head = await fetch(`${srv.url}/api/status`, { method: "HEAD" });
    expect(head.status).toBe(200);
    expect(await head.text()).toBe("");
    // At the server's root only: one health check per node, not per app.
    expect((await fetch(`${srv.url}/chat/api/status`)).status).toBe(404);
  });

  it("answers 503 draining while close() runs, and the port refuses new connections", async () => {
    let stopped: () => void = () => {};
    const stopping = new Promise<void>((r) => (stopped = r));
    class Slow extends App {
      @server.on("stop") static async stop() { await stopping; }
      override render() { return h("main", {}, "slow"); }
    }
    const srv2 = createServer(Slow, { logger: { warn() {}, error() {} } });
    // Mounted in a server of the app's own (srv.callback()), which close() does not shut.
    const outer = createHttpServer(srv2.callback());
    await new Promise<void>((r) => outer.listen(0, "127.0.0.1", r));
    cleanup.push(() => new Promise((r) => outer.close(r)));
    const outerUrl = `http://127.0.0.1:${(outer.address() as AddressInfo).port}`;
    const listened = await srv2.listen(0, "127.0.0.1");
    expect((await fetch(`${outerUrl}/api/status`)).status).toBe(200);
    expect((await fetch(`${listened}/api/status`)).status).toBe(200);

    const closing = srv2.close();
    cleanup.push(() => (stopped(), closing));
    await until(() => srv2.stats().draining, "close() to start");
    const res = await fetch(`${outerUrl}/api/status`, { headers: { connection: "close" } });
    expect(res.status).toBe(503);
    expect(await res.json()).toMatchObject({ status: "draining" });
    await expect(fetch(`${listened}/api/status`)).rejects.toThrow(); // a balancer sees the node down either way
    stopped();
    await closing;
  });

  it("answers 503 while the session store or the pubsub does not answer its ping, and 200 once it does again", async () => {
    class FlakyStore extends MemorySessionStore {
      down = false;
      override async ping() {
        if (this.down) throw new Error("connect ECONNREFUSED 127.0.0.1:6379");
      }
    }
    class FlakyPubSub extends MemoryPubSub {
      down = false;
      override async ping() {
        if (this.down) throw new Error("connect ECONNREFUSED 127.0.0.1:6379");
      }
    }
    const store = new FlakyStore();
    const pubsub = new FlakyPubSub();
    srv = await serve(Lobby, { store, pubsub });
    const status = async () => {
      const r = await fetch(`${srv!.url}/api/status`);
      return { code: r.status, body: await r.json() };
    };
    expect((await status()).code).toBe(200);

    store.down = true;
    expect(await status()).toMatchObject({ code: 503, body: { status: "unavailable", reason: "the session store does not answer" } });
    expect((await status()).code).toBe(503);
    // Logged once, with the error; the answer does not repeat it (it may name hosts).
    expect(srv.logs.filter((l) => l.includes("/api/status answers 503"))).toHaveLength(1);
    expect(JSON.stringify((await status()).body)).not.toContain("6379");

    store.down = false;
    expect((await status()).code).toBe(200);
    expect(srv.logs.some((l) => l.includes("answers 200 again"))).toBe(true);

    pubsub.down = true;
    expect(await status()).toMatchObject({ code: 503, body: { status: "unavailable", reason: "the pubsub does not answer" } });
    pubsub.down = false;
    expect((await status()).code).toBe(200);
    await srv.close();
    srv = undefined;
    await store.close();
    await pubsub.close();
  });

  it("takes the in-memory store and pubsub as reachable, and a closed MemoryPubSub client as not", async () => {
    const store = new MemorySessionStore();
    const pubsub = new MemoryPubSub();
    await expect(store.ping()).resolves.toBeUndefined();
    await expect(pubsub.ping()).resolves.toBeUndefined();
    await pubsub.close();
    await expect(pubsub.ping()).rejects.toThrow(/MemoryPubSub\.ping\(\): this client is closed/);
  });

  it("answers 503 when a ping hangs, within its 2 s timeout", async () => {
    class HungStore extends MemorySessionStore {
      override ping() {
        return new Promise<void>(() => {});
      }
    }
    srv = await serve(Lobby, { store: new HungStore() });
    const t0 = Date.now();
    const r = await fetch(`${srv.url}/api/status`);
    expect(r.status).toBe(503);
    expect(Date.now() - t0).toBeLessThan(4_000);
    expect(srv.logs.some((l) => l.includes("no answer within 2000 ms"))).toBe(true);
  });
});

describe("GET /metrics", () => {
  it("is absent without the metrics option", async () => {
    srv = await serve(Lobby);
    const r = await fetch(`${srv.url}/metrics`);
    expect(r.status).toBe(404);
    expect((await r.json()).error.code).toBe("NOT_FOUND");
  });

  it("serves the stats in the Prometheus text format, labelled by app", async () => {
    srv = await serve({ "/": Lobby, "/chat": Chat }, { metrics: true, node: "web-3" });
    const b = srv.browser();
    await loadPage(b);
    rawStream(b);
    await until(() => srv!.handle.stats().total.streams === 1, "the stream to open");
    expect((await b.event("increment")).status).toBe(202);
    await srv.handle.hubs.get("")!.settle();

    const r = await fetch(`${srv.url}/metrics`);
    expect(r.status).toBe(200);
    expect(r.headers.get("content-type")).toMatch(/^text\/plain; version=0\.0\.4/);
    const text = await r.text();
    const lines = text.split("\n").filter((l) => l && !l.startsWith("#"));
    for (const line of lines) expect(line).toMatch(/^revue_[a-z_]+(\{[a-z]+="[^"]*"(,[a-z]+="[^"]*")*\})? \d+(\.\d+)?(e[+-]?\d+)?$/);
    expect(text).toContain("# TYPE revue_messages_in_total counter");
    expect(text).toContain("# TYPE revue_sessions gauge");
    expect(lines).toContain('revue_sessions{app="/",state="live"} 1');
    expect(lines).toContain('revue_sessions{app="/chat",state="live"} 0');
    expect(lines).toContain('revue_streams_open{app="/"} 1');
    expect(lines).toContain('revue_messages_in_total{app="/",kind="realtime"} 1');
    expect(lines).toContain('revue_room_members{app="/"} 1');
    const stats = srv.handle.stats();
    expect(lines).toContain(`revue_bytes_sent_total{app="/"} ${stats.apps["/"]!.bytesSent}`);
    expect(lines).toContain(`revue_messages_out_total{app="/",type="patch"} ${stats.apps["/"]!.messagesOut.patch}`);
    expect(lines).toContain("revue_draining 0");
    expect(lines.some((l) => /^revue_uptime_seconds\{node="web-3"\} \d/.test(l))).toBe(true);
  });

  it("adds Revue's metrics to an app's own registry, refuses a second server on it, and removes them on close()", async () => {
    const register = new Registry();
    const mine = new PromCounter({ name: "orders_total", help: "Orders placed.", registers: [register] });
    mine.inc(3);
    srv = await serve(Lobby, { metrics: register });
    const text = await (await fetch(`${srv.url}/metrics`)).text();
    expect(text).toContain("orders_total 3");
    expect(text).toContain('revue_streams_open{app="/"} 0');

    const second = () => createServer(Lobby, { metrics: register });
    expect(second).toThrow(RevueError);
    expect(second).toThrow(/already has a metric named "revue_sessions".*its own Registry/);
    await srv.close();
    srv = undefined;
    expect(register.getSingleMetric("revue_sessions")).toBeUndefined();
    expect(register.getSingleMetric("orders_total")).toBeDefined();
    srv = await serve(Lobby, { metrics: register }); // the name is free again
  });

  it("says how to install prom-client when it is missing, and refuses a metrics option that is not a registry", () => {
    const missing = (id: string) => {
      throw Object.assign(new Error(`Cannot find module '${id}'`), { code: "MODULE_NOT_FOUND" });
    };
    expect(() => new Metrics(true, () => ({}) as never, missing)).toThrow(/prom-client, which is not installed\. Install it \(npm install prom-client\)/);
    expect(() => createServer(Lobby, { metrics: "yes" as never })).toThrow(/metrics must be true, false or a prom-client Registry/);
    expect(() => createServer(Lobby, { metrics: {} as never })).toThrow(/an object that is not a Registry/);
  });
});
