import { existsSync } from "node:fs";
import { createServer as createHttpServer, get } from "node:http";
import type { AddressInfo } from "node:net";
import { afterEach, describe, expect, it } from "vitest";
import { App, createServer, h, MemoryPubSub, MemorySessionStore, RpcError, server, type UploadedFile } from "revue";
import { mount } from "revue/testing";
import { Browser, serve, textOf, until } from "./harness.js";

const seen: string[] = [];
class Life extends App {
  paths: string[] = [];
  @server.on("connect") hello() { seen.push(`connect ${this.sid.slice(0, 4)}`); }
  @server.on("disconnect") bye() { seen.push(`disconnect ${this.sid.slice(0, 4)}`); }
  @server.rpc keep(file: UploadedFile) { this.paths.push((file as unknown as { path: string }).path); return this.paths.length; }
  @server.rpc where() { return this.paths; }
  override render() { return h("main", {}, "life"); }
}

let srv: Awaited<ReturnType<typeof serve>> | undefined;
afterEach(async () => {
  await srv?.close();
  srv = undefined;
  seen.length = 0;
});

describe("session lifecycle over HTTP", () => {
  it("runs connect when the stream opens and disconnect when it closes", async () => {
    srv = await serve(Life);
    const b = await srv.browser().start();
    const s = b.stream();
    await s.waitFor((m) => m.type === "init", "init");
    await until(() => seen.includes(`connect ${b.sid.slice(0, 4)}`), "connect handler");
    s.es.close();
    await until(() => seen.includes(`disconnect ${b.sid.slice(0, 4)}`), "disconnect handler");
    expect(seen).toEqual([`connect ${b.sid.slice(0, 4)}`, `disconnect ${b.sid.slice(0, 4)}`]);
  });

  it("runs neither connect nor disconnect for a stream whose page left while its user was looked up", async () => {
    // An async authenticate (a database lookup): the page reloads meanwhile and its request is gone.
    srv = await serve(Life, { authenticate: async () => void (await new Promise((r) => setTimeout(r, 150))) });
    const b = await srv.browser().start();
    const req = get(new URL(`${srv.url}/api/sse/${b.sid}`), { headers: { cookie: b.cookie } });
    req.on("error", () => {});
    await new Promise((r) => setTimeout(r, 30));
    req.destroy();
    await new Promise((r) => setTimeout(r, 300));
    expect(seen).toEqual([]);
    expect(srv.handle.stats().total.streams).toBe(0);
    // The page's next stream connects and disconnects as usual.
    const s = b.stream();
    await s.waitFor((m) => m.type === "init", "init");
    await until(() => seen.length === 1, "connect handler");
    s.es.close();
    await until(() => seen.length === 2, "disconnect handler");
    expect(seen).toEqual([`connect ${b.sid.slice(0, 4)}`, `disconnect ${b.sid.slice(0, 4)}`]);
  });

  it("renders a session whose stream is closed only when it is back: its handlers run meanwhile, and one patch shows what they did", async () => {
    let renders = 0;
    class Ticker extends App {
      ticks = 0;
      @server.on("tick") tick() {
        this.ticks++;
      }
      override render() {
        renders++;
        return h("main", {}, h("p", { id: "ticks" }, String(this.ticks)));
      }
    }
    srv = await serve(Ticker);
    const hub = srv.handle.hubs.get("")!;
    const b = await srv.browser().start();
    const s = b.stream();
    await s.waitFor((m) => m.type === "init", "init");
    srv.handle.emit("tick");
    await s.waitFor((m) => m.type === "patch" && textOf(m) === "1", "the first tick's patch");
    // The page goes (a closed tab, a network blip): ten broadcasts later, nothing was rendered, nothing lost.
    s.es.close();
    await until(() => !hub.get(b.sid)!.connected, "the stream to close");
    const before = renders;
    for (let i = 0; i < 10; i++) srv.handle.emit("tick");
    await hub.settle();
    expect(renders).toBe(before);
    expect((hub.get(b.sid)!.instance as Ticker).ticks).toBe(11);
    const back = b.stream(s.got.at(-1)!.id);
    await back.waitFor((m) => m.type === "patch" && textOf(m) === "11", "one patch with every tick");
    expect(back.got.filter((m) => m.type === "init")).toEqual([]);
    expect(renders).toBe(before + 1);
  });

  it("sends open streams a keep-alive frame with the interval, at least once per interval", async () => {
    srv = await serve(Life, { heartbeatMs: 100 });
    const b = await srv.browser().start();
    const url = new URL(`${srv.url}/api/sse/${b.sid}`);
    const text = await new Promise<string>((resolve, reject) => {
      const req = get(url, { headers: { cookie: b.cookie } }, (res) => {
        let body = "";
        res.setEncoding("utf8");
        res.on("data", (chunk: string) => {
          body += chunk;
          // The attach's keep-alive, then one from the ticks.
          if (body.split("\ndata:100\n\n").length - 1 + (body.split("\n\ndata:100\n\n").length - 1) >= 2) {
            req.destroy();
            resolve(body);
          }
        });
      });
      req.on("error", reject);
    });
    expect(text.startsWith("retry: 1000\ndata:100\n\n")).toBe(true);
    expect(text).toContain("event: init");
    expect(text).toMatch(/\n\ndata:100\n\n/);
  });

  it("refuses a keep-alive interval a page could not keep to: below 100 ms, above 10 minutes, not a number", () => {
    for (const heartbeatMs of [40, 1e9, Infinity]) {
      expect(() => createServer(Life, { heartbeatMs })).toThrow(`createServer options: heartbeatMs must be from 100 (ms) to 600000 (10 minutes), got ${heartbeatMs}.`);
    }
    expect(() => createServer(Life, { heartbeatMs: "15s" as never })).toThrow("heartbeatMs must be a positive number");
  });


  it("removes a session's uploaded temp files when the session expires", async () => {
    // The store's clock is the test's: the session expires when the test says, not when a busy machine lets a short TTL lapse.
    let now = Date.now();
    srv = await serve(Life, { sessionTtlMs: 60_000, store: new MemorySessionStore(() => now) });
    const b = await srv.browser().start();
    const form = new FormData();
    form.append("file", new Blob(["temp"]), "t.txt");
    const up = await b.request(`/api/upload?sid=${b.sid}`, { method: "POST", body: form });
    await b.rpc("keep", [up.body.files[0]]);
    const [path] = (await b.rpc("where")).body.result as string[];
    expect(existsSync(path!)).toBe(true);
    now += 60_001;
    await srv.handle.hubs.get("")!.expire(); // the expiry check the maintenance timer runs
    expect(existsSync(path!)).toBe(false);
    expect((await b.rpc("where")).status).toBe(404);
  });

  it("answers 503 with a clear message when a page would pass maxSessions while every live page is open; pages never connected do not count", async () => {
    srv = await serve(Life, { maxSessions: 2 });
    const open: Browser[] = [];
    for (let i = 0; i < 2; i++) {
      const b = await srv.browser().start();
      await b.stream().waitFor((m) => m.type === "init", "init"); // live, its page open
      open.push(b);
    }
    const third = await srv.browser().start(); // a page served: pending, not counted
    const r = await third.rpc("where");
    expect(r.status).toBe(503);
    expect(r.body.error).toMatchObject({ code: "TOO_MANY_SESSIONS" });
    expect(r.body.error.message).toContain("limit of 2 sessions");
    const stream = await third.request(`/api/sse/${third.sid}`);
    expect(stream.status).toBe(503);
    // A page closes: its session, no longer open, makes room for the next one.
    open[0]!.close();
    let status = 0;
    for (const end = Date.now() + 5_000; status !== 200 && Date.now() < end; ) status = (await third.rpc("where")).status;
    expect(status).toBe(200);
    expect((await open[0]!.rpc("where")).body.error.code).toBe("SESSION_NOT_FOUND");
    expect((await open[1]!.rpc("where")).status).toBe(200);
  });

  it("at maxSessions, ends the least recently active session whose page is not open rather than refusing a new page", async () => {
    srv = await serve(Life, { maxSessions: 2 });
    // Two sessions made live by a call, streams never opened (a script's GET / and one POST each).
    const [a, b] = [await srv.browser().start(), await srv.browser().start()];
    expect((await a.rpc("where")).status).toBe(200);
    expect((await b.rpc("where")).status).toBe(200);
    await new Promise((r) => setTimeout(r, 5));
    expect((await b.rpc("where")).status).toBe(200); // b active since a
    const visitor = await srv.browser().start();
    expect((await visitor.rpc("where")).status).toBe(200);
    expect((await a.rpc("where")).body.error.code).toBe("SESSION_NOT_FOUND");
    expect((await b.rpc("where")).status).toBe(200);
  });

  it("leaves no temp folder behind when its options are refused, nor before the first upload", async () => {
    const { mkdtempSync, readdirSync, rmSync } = await import("node:fs");
    const { tmpdir } = await import("node:os");
    // A temp dir of this test's own (os.tmpdir() reads TMPDIR), so no other test's folders count.
    const own = mkdtempSync(`${tmpdir()}/revue-lifecycle-`);
    const saved = process.env.TMPDIR;
    process.env.TMPDIR = own;
    try {
      expect(() => createServer(Life, { sessionTtlMs: -1 })).toThrow("sessionTtlMs must be a positive number");
      const idle = createServer(Life, { logger: { warn() {}, error() {} } });
      await idle.listen(0, "127.0.0.1");
      expect(readdirSync(own)).toEqual([]);
      await idle.close();
    } finally {
      if (saved === undefined) delete process.env.TMPDIR;
      else process.env.TMPDIR = saved;
      rmSync(own, { recursive: true, force: true });
    }
  });

  it("removes at its first upload the upload folders processes that are gone left (a kill -9), not those of live ones nor of its own other servers", async () => {
    const { mkdirSync, mkdtempSync, readdirSync, rmSync, writeFileSync } = await import("node:fs");
    const { tmpdir } = await import("node:os");
    const own = mkdtempSync(`${tmpdir()}/revue-lifecycle-`);
    const saved = process.env.TMPDIR;
    process.env.TMPDIR = own;
    class Files extends App {
      override render() {
        return h("p", {}, "files");
      }
    }
    const servers: Array<Awaited<ReturnType<typeof serve>>> = [];
    try {
      // A pid no process has (past Linux's pid_max), pid 1 (always alive), and this pid from an earlier run.
      for (const name of ["revue-uploads-4194400-gone", "revue-uploads-1-alive", `revue-uploads-${process.pid}-earlier`, "other-folder"]) {
        mkdirSync(`${own}/${name}`);
        writeFileSync(`${own}/${name}/upload`, "x".repeat(1000));
      }
      const upload = async (srv: Awaited<ReturnType<typeof serve>>) => {
        const b = await srv.browser().start();
        const form = new FormData();
        form.append("file", new Blob(["hi"]), "a.txt");
        expect((await b.request(`/api/upload?sid=${b.sid}`, { method: "POST", body: form })).status).toBe(200);
      };
      servers.push(await serve(Files));
      await upload(servers[0]!);
      const first = readdirSync(own).filter((n) => n.startsWith(`revue-uploads-${process.pid}-`));
      expect(first).toHaveLength(1);
      expect(readdirSync(own).sort()).toEqual(["other-folder", "revue-uploads-1-alive", first[0]!].sort());
      servers.push(await serve(Files)); // a second server of this process keeps the first one's folder
      await upload(servers[1]!);
      expect(readdirSync(own).filter((n) => n.startsWith(`revue-uploads-${process.pid}-`))).toHaveLength(2);
    } finally {
      for (const srv of servers) await srv.close();
      if (saved === undefined) delete process.env.TMPDIR;
      else process.env.TMPDIR = saved;
      rmSync(own, { recursive: true, force: true });
    }
  });

  it("mounts into an existing Node server through callback()", async () => {
    const handle = createServer(Life, { logger: { warn() {}, error() {} } });
    const node = createHttpServer(handle.callback());
    await new Promise<void>((r) => node.listen(0, "127.0.0.1", r));
    const port = (node.address() as AddressInfo).port;
    const res = await fetch(`http://127.0.0.1:${port}/`);
    expect(res.status).toBe(200);
    expect(await res.text()).toContain("life");
    node.close();
    await handle.close();
  });
});

describe('@server.on("load"): data before the first render', () => {
  /** A store read that takes a turn of the event loop or more, as a database's. */
  const db = { boards: new Map([["1", ["milk", "eggs"]]]), reads: 0 };
  const read = async (id: string) => {
    db.reads++;
    await new Promise((r) => setTimeout(r, 20));
    return db.boards.get(id);
  };
  class Board extends App<Board, {}, "/boards/:id"> {
    tasks: string[] = [];
    loadedAs = "";
    @server.on("load") async fetchTasks() {
      const tasks = await read(this.params.id);
      if (!tasks) throw new RpcError("NOT_FOUND", `No board ${this.params.id}.`);
      this.tasks = [...tasks];
      this.loadedAs = String((this.user as { name?: string } | undefined)?.name ?? "nobody");
    }
    @server.rpc add(task: string) { this.tasks.push(task); }
    override render() {
      return h("main", {}, h("p", { id: "by" }, this.loadedAs), h("ul", {}, this.tasks.map((t) => h("li", {}, t))));
    }
  }

  it("runs, awaited, before the first page is written: its HTML has the data; an RpcError it throws is the page's answer", async () => {
    srv = await serve({ "/boards/:id": Board }, { authenticate: () => ({ name: "ann" }) });
    const b = srv.browser();
    const page = await b.request("/boards/1", { headers: { accept: "text/html" } });
    expect(page.status).toBe(200);
    expect(page.body).toMatch(/<li[^>]*>milk<\/li><li[^>]*>eggs<\/li>/);
    expect(page.body).toMatch(/id="by"[^>]*>ann<\/p>/);
    const missing = await b.request("/boards/9", { headers: { accept: "text/html" } });
    expect(missing.status).toBe(404);
    expect(missing.body).toContain("No board 9.");
    expect(srv.handle.stats().total.sessions.pending).toBe(1); // the refused page made none
  });

  it("answers a page load whose load redirects with a redirect, and sends the cookies it set with the page", async () => {
    class Gate extends App {
      @server.on("load") async check() {
        this.setCookie("visited", "yes");
        if (this.query.go) this.redirect("/elsewhere?from=gate");
      }
      override render() {
        return h("p", {}, "the gate");
      }
    }
    srv = await serve(Gate, { keys: ["lifecycle-test-key-0123"] });
    const page = await fetch(srv.url, { headers: { accept: "text/html" }, redirect: "manual" });
    expect(page.status).toBe(200);
    expect(await page.text()).toContain("the gate");
    expect(page.headers.getSetCookie().some((c) => c.startsWith("visited=yes;"))).toBe(true);
    const sent = await fetch(`${srv.url}/?go=1`, { headers: { accept: "text/html" }, redirect: "manual" });
    expect([sent.status, sent.headers.get("location")]).toEqual([302, "/elsewhere?from=gate"]);
    expect(sent.headers.getSetCookie().some((c) => c.startsWith("visited=yes;"))).toBe(true);
    await until(() => srv!.handle.stats().total.sessions.pending === 1, "the redirected page's session ended");
  });

  it("counts pages running their load as pending sessions: past maxPendingSessions loading at once, a new page gets a 503 to retry", async () => {
    let release!: () => void;
    const gate = new Promise<void>((r) => (release = r));
    let running = 0;
    class Slow extends App {
      @server.on("load") async wait() {
        running++;
        await gate;
      }
      override render() {
        return h("p", {}, "loaded");
      }
    }
    srv = await serve(Slow, { maxPendingSessions: 5 });
    let answered = 0;
    const pages = Array.from({ length: 30 }, () => fetch(srv!.url, { headers: { accept: "text/html" } }).then((r) => (answered++, r)));
    // The 25 beyond the limit are answered while five loads wait.
    await until(() => answered === 25, "the refusals");
    expect(running).toBe(5);
    release();
    const answers = await Promise.all(pages);
    expect(answers.filter((r) => r.status === 200)).toHaveLength(5);
    const refused = answers.filter((r) => r.status === 503);
    expect(refused).toHaveLength(25);
    expect(refused[0]!.headers.get("retry-after")).toBe("1");
    // A crowd is not a fault: nothing logged per refused page.
    expect(srv.logs).toEqual([]);
    expect((await fetch(srv.url)).status).toBe(200); // once they are done, a page loads
    expect(srv.handle.stats().total.sessions.pending).toBeLessThanOrEqual(5);
  });

  it("runs once per new session: not again for its calls, nor when the session comes back from a snapshot on another node", async () => {
    const store = new MemorySessionStore(Date.now, 10_000, true);
    const broker = new MemoryPubSub();
    srv = await serve({ "/boards/:id": Board }, { store, pubsub: broker, node: "a", keys: ["lifecycle-test-key-0123"] });
    const other = await serve({ "/boards/:id": Board }, { store, pubsub: broker.client(), node: "b", keys: ["lifecycle-test-key-0123"] });
    try {
      // A route's API is under its pattern (the page's boot `base`): /boards/:id/api/…
      const b = new Browser(`${srv.url}/boards/:id`);
      b.sid = /"sid":"([^"]+)"/.exec((await fetch(`${srv.url}/boards/1`).then(async (r) => ((b.cookie = r.headers.get("set-cookie")!.split(";")[0]!), r.text()))))![1]!;
      const before = db.reads;
      expect((await b.rpc("add", ["jam"])).status).toBe(200);
      const viaB = new Browser(`${other.url}/boards/:id`);
      Object.assign(viaB, { cookie: b.cookie, sid: b.sid, seq: b.seq });
      const init = await viaB.stream(0).waitFor((m) => m.type === "init", "the moved session's snapshot");
      expect(JSON.stringify(init.data.tree)).toContain("jam");
      expect(db.reads).toBe(before);
    } finally {
      await other.close();
    }
  });

  it("runs for a page that starts a session by live navigation or after a restart (POST /api/session), and in revue/testing's mount()", async () => {
    srv = await serve({ "/boards/:id": Board });
    const b = srv.browser();
    const started = await b.request("/boards/:id/api/session", { method: "POST", json: { url: "/boards/1" } });
    expect(started.status).toBe(201);
    expect(JSON.stringify(started.body.tree)).toContain("eggs");
    const t = await mount(Board, { route: "/boards/:id", url: "/boards/1" });
    try {
      expect(t.text("ul")).toBe("milkeggs");
    } finally {
      await t.unmount();
    }
  });
});

describe("a slow client", () => {
  it("is cut off once its unsent bytes pass maxPendingBytes, and resyncs on reconnect", async () => {
    class Loud extends App {
      @server.rpc ping() { return "pong"; }
      override render() { return h("main", {}, "loud"); }
    }
    srv = await serve(Loud, { maxPendingBytes: 256 * 1024, replayBufferBytes: 64 * 1024 });
    const b = await srv.browser().start();
    // A reader that never reads: the kernel buffers fill, then Node's writable buffer grows.
    const req = get(`${srv.url}/api/sse/${b.sid}`, { headers: { cookie: b.cookie } }, (res) => res.pause());
    req.on("error", () => {});
    await new Promise((r) => setTimeout(r, 100));
    const payload = "x".repeat(50_000);
    for (let i = 0; i < 400 && !srv.logs.some((l) => l.includes("too slow")); i++) {
      srv.handle.emit("spam", { i, payload });
      await new Promise((r) => setImmediate(r));
    }
    req.destroy();
    expect(srv.logs.find((l) => l.includes("too slow"))).toMatch(/is too slow; stream closed: \d+ bytes unsent \(limit 262144\)/);
    // the session survives and a fresh stream gets an init
    expect((await b.rpc("ping")).body.result).toBe("pong");
    const s = b.stream();
    await s.waitFor((m) => m.type === "init", "init after the cut");
  });
});
