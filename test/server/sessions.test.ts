import { existsSync, readdirSync, type Dirent } from "node:fs";
import { get, request } from "node:http";
import { dirname, join, relative } from "node:path";
import { EventSource } from "eventsource";
import { afterEach, describe, expect, it } from "vitest";
import { App, client, h, MemorySessionStore, server, type SessionRecord, type UploadedFile } from "revue";
import { treeHash } from "../../src/protocol.js";
import { Browser, serve, textOf, until, type Received } from "./harness.js";

/**
 * Issue 12, items 1 (one owner; the store decides), 6 (large pages reconnect)
 * and 9 (uploads bounded per session), over real HTTP and EventSource.
 */

/** Who heard a room's "shout", as `sid:text`. */
const heard: string[] = [];

class Desk extends App {
  count = 0;
  @server.realtime increment() { this.count++; }
  @server.rpc get() { return this.count; }
  @server.rpc enter(room: string) { this.join(room); }
  /** The temp paths of the files passed (a test's way to find the upload folder). */
  @server.rpc paths(...files: UploadedFile[]) { return files.map((f) => (f as unknown as { path: string }).path); }
  @server.on("shout") shout(data: { text: string }) { heard.push(`${this.sid}:${data.text}`); }
  @server.on("bump") bump() { this.count += 10; }
  override render() {
    return h("main", {}, h("h1", { id: "count" }, String(this.count)));
  }
}

/** A memory store that remembers which records it holds, so a test can see it empty. */
class WatchedStore extends MemorySessionStore {
  created = 0;
  readonly sids = new Set<string>();
  override async create(record: SessionRecord, ttlMs: number): Promise<void> {
    await super.create(record, ttlMs);
    this.created++;
    this.sids.add(record.sid);
  }
  override async delete(sid: string): Promise<void> {
    await super.delete(sid);
    this.sids.delete(sid);
  }
  /** Records still readable. */
  async live(): Promise<string[]> {
    const out: string[] = [];
    for (const sid of this.sids) if (await this.get(sid)) out.push(sid);
    return out;
  }
}

let srv: Awaited<ReturnType<typeof serve>> | undefined;
afterEach(async () => {
  await srv?.close();
  srv = undefined;
  heard.length = 0;
});

const hubOf = (s: NonNullable<typeof srv>) => s.handle.hubs.get("")!;
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** A page load (`GET /`): the browser gets the page's session id from its boot data. */
async function loadPage(s: NonNullable<typeof srv>): Promise<Browser> {
  const b = s.browser();
  const r = await b.request("/");
  expect(r.status).toBe(200);
  const boot = /<script type="application\/json" id="rv-boot">(.*?)<\/script>/.exec(r.body as string);
  b.sid = JSON.parse(boot![1]!).sid;
  return b;
}

/**
 * Opens the session's stream at `/api/sse/<sid><query>` with a real
 * EventSource, as the runtime does; `lastEventId` resumes as a reconnect would.
 */
function open(b: Browser, query = "", lastEventId?: number) {
  const got: Received[] = [];
  const cookie = b.cookie;
  const es = new EventSource(`${b.url}/api/sse/${b.sid}${query}`, {
    fetch: (input, init) => {
      const headers = new Headers(init?.headers as HeadersInit);
      headers.set("cookie", cookie);
      if (lastEventId !== undefined && !headers.has("last-event-id")) headers.set("last-event-id", String(lastEventId));
      return fetch(input, { ...init, headers } as RequestInit);
    },
  });
  for (const type of ["init", "patch", "call", "event", "error", "bye"]) {
    es.addEventListener(type, (e) => {
      const data = (e as MessageEvent).data;
      if (typeof data === "string") got.push({ id: Number((e as MessageEvent).lastEventId), type, data: JSON.parse(data) });
    });
  }
  b.streams.push(es);
  return {
    es,
    got,
    async waitFor(pred: (m: Received) => boolean, what: string, ms?: number): Promise<Received> {
      await until(() => got.some(pred), what, ms);
      return got.find(pred)!;
    },
  };
}

/** Uploads one file per size, in one request. */
function upload(b: Browser, ...sizes: number[]) {
  const form = new FormData();
  sizes.forEach((n, i) => form.append(`f${i}`, new Blob(["x".repeat(n)]), `f${i}.bin`));
  return b.request(`/api/upload?sid=${encodeURIComponent(b.sid)}`, { method: "POST", body: form });
}

/** An upload of one 30,000-byte file, half sent and held until `finish()`; `answered` is its status, `closed` its connection's end. */
async function halfUpload(b: Browser): Promise<{ answered: Promise<number>; closed: Promise<void>; finish(): void }> {
  const boundary = "----revue-test";
  const head = `--${boundary}\r\nContent-Disposition: form-data; name="f"; filename="slow.bin"\r\nContent-Type: application/octet-stream\r\n\r\n`;
  const tail = `\r\n--${boundary}--\r\n`;
  const req = request(`${b.url}/api/upload?sid=${b.sid}`, {
    method: "POST",
    headers: { cookie: b.cookie, "content-type": `multipart/form-data; boundary=${boundary}`, "content-length": String(head.length + 30_000 + tail.length) },
  });
  const answered = new Promise<number>((resolve, reject) => req.on("response", (res) => (res.resume(), resolve(res.statusCode!))).on("error", reject));
  const closed = new Promise<void>((resolve) => req.on("socket", (socket) => socket.on("close", () => resolve())));
  req.write(head + "x".repeat(15_000));
  await new Promise((r) => setTimeout(r, 100));
  return { answered, closed, finish: () => req.end("x".repeat(15_000) + tail) };
}

/** Every file under `dir`, as paths relative to it. */
function filesUnder(dir: string): string[] {
  return (readdirSync(dir, { recursive: true, withFileTypes: true }) as Dirent[])
    .filter((d) => d.isFile())
    .map((d) => relative(dir, join(d.parentPath, d.name)))
    .sort();
}

describe("one owner: ending a session is one call", () => {
  it("hub.end() says bye to its stream, removes its files, takes it out of its rooms and the store, and 404s its later requests", async () => {
    const store = new WatchedStore();
    srv = await serve(Desk, { store });
    const hub = hubOf(srv);
    const a = await srv.browser().start();
    const other = await srv.browser().start();
    await a.rpc("enter", ["lobby"]);
    await other.rpc("enter", ["lobby"]);
    const up = await upload(a, 10);
    expect(up.status).toBe(200);
    const [path] = (await a.rpc("paths", up.body.files)).body.result as string[];
    expect(existsSync(path!)).toBe(true);
    const s = a.stream();
    await s.waitFor((m) => m.type === "init", "init");

    await hub.end(hub.get(a.sid)!, "evicted");

    expect((await s.waitFor((m) => m.type === "bye", "bye")).data).toEqual({ reason: "evicted" });
    s.es.close();
    expect(existsSync(path!)).toBe(false);
    expect(existsSync(dirname(path!))).toBe(false);
    expect(await hub.store.get(a.sid)).toBeUndefined();
    expect(await store.live()).toEqual([other.sid]);
    srv.handle.to("lobby").emit("shout", { text: "after" });
    await until(() => heard.includes(`${other.sid}:after`), "the other member to hear the room");
    await hub.settle();
    expect(heard).not.toContain(`${a.sid}:after`);
    for (const r of [await a.rpc("get"), await a.event("increment"), await a.request(`/api/sse/${a.sid}`), await upload(a, 1)]) {
      expect(r.status).toBe(404);
      expect(r.body.error.code).toBe("SESSION_NOT_FOUND");
    }
    expect(hub.size).toBe(1);
    expect((await other.rpc("get")).status).toBe(200);
  });
});

describe("one owner: the store decides whether a session exists", () => {
  it("a record deleted from the store 404s the next request and ends the live session at once (bye: expired)", async () => {
    srv = await serve(Desk); // default TTLs: no expiry round runs during this test
    const hub = hubOf(srv);
    const a = await srv.browser().start();
    const s = a.stream();
    await s.waitFor((m) => m.type === "init", "init");
    expect((await a.event("increment")).status).toBe(202);

    await hub.store.delete(a.sid);

    const r = await a.rpc("get");
    expect(r.status).toBe(404);
    expect(r.body.error.code).toBe("SESSION_NOT_FOUND");
    expect((await s.waitFor((m) => m.type === "bye", "bye")).data).toEqual({ reason: "expired" });
    expect(hub.get(a.sid)).toBeUndefined();
    expect(hub.size).toBe(0);
  });

  it("refuses a session used with another browser's cookie (403) and leaves it working for its owner", async () => {
    srv = await serve(Desk);
    const a = await loadPage(srv);
    const thief = await loadPage(srv);
    expect(thief.cookie).not.toBe(a.cookie);
    thief.sid = a.sid;
    for (const r of [await thief.rpc("get"), await thief.event("increment"), await thief.request(`/api/sse/${a.sid}`), await upload(thief, 1)]) {
      expect(r.status).toBe(403);
      expect(r.body.error.code).toBe("FORBIDDEN");
    }
    expect((await a.rpc("get")).body.result).toBe(0);
  });

  it("expires a page whose stream never opened after pendingTtlMs; its late stream gets 404, while a page that connected stays", async () => {
    srv = await serve(Desk, { pendingTtlMs: 200 });
    const hub = hubOf(srv);
    const idle = await loadPage(srv);
    const used = await loadPage(srv);
    const s = open(used, "?lastEventId=0");
    await until(() => s.es.readyState === EventSource.OPEN, "the stream to open");
    await until(() => !hub.get(idle.sid), "the pending session to expire", 5_000);
    expect(await hub.store.get(idle.sid)).toBeUndefined();
    const late = await idle.request(`/api/sse/${idle.sid}`);
    expect(late.status).toBe(404);
    expect(late.body.error.code).toBe("SESSION_NOT_FOUND");
    await sleep(300); // past the pending TTL: the connected one lives on the (long) session TTL
    expect((await used.event("increment")).status).toBe(202);
    expect(textOf(await s.waitFor((m) => m.type === "patch" && m.data.ack === 1, "a patch"))).toBe("1");
  });
});

describe("pending pages have their own cap", () => {
  it("evicts the oldest of four pending pages past maxPendingSessions 3; the other three connect, and pending pages never count toward maxSessions", async () => {
    srv = await serve(Desk, { maxPendingSessions: 3, maxSessions: 3 });
    const hub = hubOf(srv);
    const pages: Browser[] = [];
    for (let i = 0; i < 4; i++) pages.push(await loadPage(srv));
    expect(hub.pool.pending.size).toBe(3);
    const [oldest, ...rest] = pages;
    const gone = await oldest!.request(`/api/sse/${oldest!.sid}`);
    expect(gone.status).toBe(404); // the runtime re-bootstraps on this
    expect(gone.body.error.code).toBe("SESSION_NOT_FOUND");

    const streams = rest.map((b) => open(b, "?lastEventId=0"));
    await until(() => streams.every((s) => s.es.readyState === EventSource.OPEN), "three streams to open");
    for (const b of rest) expect((await b.event("increment")).status).toBe(202);
    for (const s of streams) await s.waitFor((m) => m.type === "patch" && m.data.ack === 1, "a patch on each stream");
    expect(hub.pool.live).toBe(3);

    // three live sessions, the limit: a new page is still served (pending), only its connection is refused
    const fifth = await loadPage(srv);
    expect(hub.pool.pending.size).toBe(1);
    const refused = await fifth.request(`/api/sse/${fifth.sid}`);
    expect(refused.status).toBe(503);
    expect(refused.body.error.code).toBe("TOO_MANY_SESSIONS");
    expect(refused.headers.get("retry-after")).toBe("5"); // a balancer or a client knows when to come back
    // The operator hears of it: one warning (not one per refusal), and the status says `full` while it lasts (still 200).
    expect((await fifth.request(`/api/sse/${fifth.sid}`)).status).toBe(503);
    expect(srv.logs.filter((l) => l.startsWith("warn") && l.includes("maxSessions"))).toEqual([expect.stringMatching(/^warn \[revue\] 1 new session\(s\) refused since the last warning: this process holds 3 live sessions/)]);
    const status = await fetch(`${srv.url}/api/status`);
    expect(status.status).toBe(200);
    expect(await status.json()).toMatchObject({ status: "ok", full: true });
  });
});

describe("HEAD and a first render that throws leave nothing behind", () => {
  it("answers HEAD / with the page's headers and creates no session", async () => {
    const store = new WatchedStore();
    srv = await serve(Desk, { store });
    const hub = hubOf(srv);
    const page = await fetch(`${srv.url}/`);
    await page.text();
    expect(hub.size).toBe(1);
    expect(store.created).toBe(1);
    const head = await fetch(`${srv.url}/`, { method: "HEAD" });
    expect(head.status).toBe(200);
    expect(head.headers.get("content-type")).toBe(page.headers.get("content-type"));
    expect(head.headers.get("content-security-policy")).toMatch(/script-src 'nonce-/);
    expect(head.headers.get("cache-control")).toBe("no-store");
    expect(await head.text()).toBe("");
    expect(hub.size).toBe(1);
    expect(hub.pool.pending.size).toBe(1);
    expect(store.created).toBe(1);
  });

  it("answers an error, not a page, when render() throws on the first page, and keeps no session, pending entry or record", async () => {
    class Fragile extends App {
      static broken = true;
      override render() {
        if (Fragile.broken) throw new Error("template on fire");
        return h("main", {}, "fine");
      }
    }
    const store = new WatchedStore();
    srv = await serve(Fragile, { store });
    const hub = hubOf(srv);
    const b = srv.browser();
    const page = await b.request("/");
    expect(page.status).toBe(500);
    expect(page.body.error.code).toBe("INTERNAL_ERROR");
    const session = await b.request("/api/session", { method: "POST", json: {} });
    expect(session.status).toBe(500);
    expect(hub.size).toBe(0);
    expect(hub.pool.pending.size).toBe(0);
    expect(hub.pool.live).toBe(0);
    expect(store.created).toBe(0);
    expect(await store.live()).toEqual([]);

    Fragile.broken = false; // the server is unharmed: the next page is served
    const ok = await loadPage(srv);
    expect(hub.get(ok.sid)).toBeDefined();
    expect(hub.size).toBe(1);
  });
});

describe("the first stream of a served page", () => {
  it("sends no init to a page that says ?lastEventId=0: it has the tree, and gets only what happened since", async () => {
    srv = await serve(Desk);
    const b = await loadPage(srv);
    const s = open(b, "?lastEventId=0");
    await until(() => s.es.readyState === EventSource.OPEN, "the stream to open");
    await b.event("increment");
    const patch = await s.waitFor((m) => m.type === "patch" && m.data.ack === 1, "the patch");
    expect(textOf(patch)).toBe("1");
    expect(s.got.map((m) => m.type)).toEqual(["patch"]);
    expect(patch.id).toBe(1);
    expect(patch.data.rev).toBe(2); // the page is revision 1
    expect(srv.handle.stats().apps["/"]!.messagesOut.init).toBe(0);
  });

  it("sends no init when handlers ran before the page connected but left the page as it was served", async () => {
    srv = await serve(Desk);
    const hub = hubOf(srv);
    const b = await loadPage(srv);
    srv.handle.emit("shout", { text: "hi" }); // Desk.shout runs on the pending session and changes nothing it shows
    await hub.settle();
    const s = open(b, "?lastEventId=0");
    await s.waitFor((m) => m.type === "event", "the shout");
    await b.event("increment");
    expect(textOf(await s.waitFor((m) => m.type === "patch", "a patch"))).toBe("1");
    expect(s.got.map((m) => `${m.id} ${m.type}`)).toEqual(["1 event", "2 patch"]);
  });

  it("sends an init with the new state when a handler changed the page before it connected, then patches from there", async () => {
    srv = await serve(Desk);
    const hub = hubOf(srv);
    const b = await loadPage(srv);
    srv.handle.emit("bump"); // runs Desk.bump on the pending session: count 0 → 10
    await hub.settle();
    const s = open(b, "?lastEventId=0");
    // The server kept only the served page's hash: the page shows 0, which no tree it can build from the state now says.
    const init = await s.waitFor((m) => m.type === "init", "the snapshot");
    expect(JSON.stringify(init.data.tree)).toContain('"text":"10"');
    expect(init.data.rev).toBe(2);
    await b.event("increment");
    const patch = await s.waitFor((m) => m.type === "patch" && m.data.ack === 1, "a patch");
    expect(textOf(patch)).toBe("11");
    expect(patch.data.rev).toBe(3);
    expect(s.got.filter((m) => m.type === "init")).toHaveLength(1);
  });

  it("sends a patch, not an init, when a connect handler changes what the page shows", async () => {
    class Greeter extends App {
      online = false;
      @server.on("connect") hello() { this.online = true; }
      override render() {
        return h("main", {}, h("p", { id: "state" }, this.online ? "online" : "offline"));
      }
    }
    srv = await serve(Greeter);
    const b = await loadPage(srv);
    const s = open(b, "?lastEventId=0");
    const patch = await s.waitFor((m) => m.type === "patch", "the patch");
    expect(textOf(patch)).toBe("online");
    expect(patch.data.rev).toBe(2);
    expect(s.got.map((m) => m.type)).toEqual(["patch"]);
    expect(srv.handle.stats().apps["/"]!.messagesOut.init).toBe(0);
  });

  it("sends an init when render() gives another page than the one served (it reads something other than the state)", async () => {
    let renders = 0;
    class Clock extends App {
      @server.realtime tick() {}
      override render() {
        return h("main", {}, h("p", { id: "n" }, `render ${++renders}`));
      }
    }
    srv = await serve(Clock);
    const b = await loadPage(srv);
    const s = open(b, "?lastEventId=0");
    const init = await s.waitFor((m) => m.type === "init", "the snapshot");
    expect(JSON.stringify(init.data.tree)).toContain("render 3"); // 1: served, 2: rendered again on connect, 3: the snapshot
    await b.event("tick");
    expect(textOf(await s.waitFor((m) => m.type === "patch", "a patch"))).toBe("render 4");
  });
});

// --------------------------------------------------------------- item 6

const ROWS = 15_000;
class Big extends App {
  mark = "start";
  visits = 0;
  @server.realtime touch(mark: string) { this.mark = mark; }
  /**
   * Every (re)connection sends a reverse call at once, while the init may still
   * be draining, and changes the page (a patch follows).
   */
  @server.on("connect") visit() {
    this.visits++;
    this.client.welcome(this.visits);
  }
  @client.realtime welcome(_visit: number) {}
  @server.rpc ping() { return "pong"; }
  override render() {
    const rows: ReturnType<typeof h>[] = [];
    for (let i = 0; i < ROWS; i++) rows.push(h("li", { key: String(i) }, `row ${i}`));
    return h("main", {}, h("h1", { id: "mark" }, this.mark), h("ul", {}, ...rows), h("p", { id: "visits" }, String(this.visits)));
  }
}

/** Checks an init of the big page arrived whole: parsed, every row there, the hash right. */
function expectWholeInit(m: Received, mark: string): void {
  expect(m.type).toBe("init");
  const json = JSON.stringify(m.data.tree);
  expect(json.length).toBeGreaterThan(800_000);
  expect(treeHash(json)).toBe(m.data.hash);
  const [title, list, visits] = m.data.tree.children;
  expect(visits.tag).toBe("p");
  expect(title.text).toBe(mark);
  expect(list.children).toHaveLength(ROWS);
  expect(list.children.at(-1).text).toBe(`row ${ROWS - 1}`);
}

describe("a 15,000-element page (~830 KB init) reconnects", () => {
  for (const [label, maxPendingBytes] of [["the default maxPendingBytes (1 MB)", undefined], ["maxPendingBytes 256 KB", 256 * 1024]] as const) {
    it(`with ${label}: the init arrives whole, a dropped stream reconnects and works, and a too-old Last-Event-ID gets a snapshot`, async () => {
      srv = await serve(Big, { maxPendingBytes, replayBufferBytes: 1024, retryMs: 50 });
      const hub = hubOf(srv);
      const b = await srv.browser().start();
      const visits = (n: number) => (m: Received) => m.type === "patch" && textOf(m) === String(n);
      const welcome = (n: number) => (m: Received) => m.type === "call" && m.data.args[0] === n;
      const s = open(b);
      expectWholeInit(await s.waitFor((m) => m.type === "init", "the init", 10_000), "start");
      await s.waitFor(welcome(1), "the connect handler's call, right behind the init");
      await s.waitFor(visits(1), "the connect handler's patch");

      // the connection drops: EventSource comes back with Last-Event-ID, misses nothing, and the stream works again
      expect(srv.handle.dropStreams()).toBe(1);
      await s.waitFor(visits(2), "the patch of the reconnect", 10_000);
      expect(s.got.some(welcome(2))).toBe(true);
      expect((await b.event("touch", ["after the drop"])).status).toBe(202);
      const patch = await s.waitFor((m) => m.type === "patch" && m.data.ack === b.seq, "a patch after the reconnect");
      expect(textOf(patch)).toBe("after the drop");
      expect(s.got.filter((m) => m.type === "init")).toHaveLength(1);
      expect(s.got.map((m) => m.id)).toEqual(Array.from({ length: s.got.length }, (_, i) => i + 1));

      // away while 20 events change the page: nothing is rendered until the stream is back, then a patch
      // carries what changed on top of what the page saw last (which the replay buffer still covers)
      s.es.close();
      await until(() => !hub.get(b.sid)!.connected, "the stream to close");
      const lastSeen = s.got.at(-1)!.id;
      for (let i = 0; i < 20; i++) expect((await b.event("touch", [`away ${i}`])).status).toBe(202);
      await hub.settle();
      const again = open(b, "", lastSeen);
      const shows = (text: string) => (m: Received) => m.type === "patch" && m.data.ops.some((o: { op: string; text?: string }) => o.op === "text" && o.text === text);
      await again.waitFor(shows("away 19"), "a patch with the last change made while away", 10_000);
      await again.waitFor(welcome(3), "the connect handler's call");
      await again.waitFor(shows("3"), "the connect handler's patch");
      expect(again.got.filter((m) => m.type === "init")).toEqual([]);

      // a Last-Event-ID older than the replay buffer covers (20 patches went by since): the reconnect gets the big snapshot, whole
      const seen = again.got.at(-1)!.id;
      for (let i = 0; i < 20; i++) {
        expect((await b.event("touch", [`later ${i}`])).status).toBe(202);
        await again.waitFor(shows(`later ${i}`), `the patch of event ${i}`);
      }
      again.es.close();
      await until(() => !hub.get(b.sid)!.connected, "the stream to close");
      const late = open(b, "", seen);
      expectWholeInit(await late.waitFor((m) => m.type === "init", "a snapshot", 10_000), "later 19");
      await late.waitFor(welcome(4), "the connect handler's call behind the snapshot");
      await late.waitFor(visits(4), "the connect handler's patch behind the snapshot");
      expect(srv.logs.filter((l) => l.includes("too slow"))).toEqual([]);
    });
  }

  it("still cuts off a reader that stops reading the big page, within the cap plus the snapshot it was draining", async () => {
    const cap = 256 * 1024;
    srv = await serve(Big, { maxPendingBytes: cap, replayBufferBytes: 16 * 1024 });
    const b = srv.browser();
    const started = await b.request("/api/session", { method: "POST", json: {} });
    b.sid = started.body.sid;
    const initBytes = JSON.stringify(started.body.tree).length;
    expect(initBytes).toBeGreaterThan(800_000);
    // A reader that takes the headers and then never reads.
    const req = get(`${srv.url}/api/sse/${b.sid}`, { headers: { cookie: b.cookie } }, (res) => res.pause());
    req.on("error", () => {});
    await until(() => hubOf(srv!).get(b.sid)?.connected === true, "the stream to open");
    const payload = "x".repeat(50_000);
    for (let i = 0; i < 600 && !srv.logs.some((l) => l.includes("too slow")); i++) {
      srv.handle.emit("spam", { i, payload });
      await new Promise((r) => setImmediate(r));
    }
    req.destroy();
    const line = srv.logs.find((l) => l.includes("too slow"));
    expect(line).toMatch(/stream closed: \d+ bytes unsent \(limit 262144\)/);
    const unsent = Number(/(\d+) bytes unsent/.exec(line!)![1]);
    expect(unsent).toBeLessThanOrEqual(cap + initBytes + 64 * 1024);
    // the session lives on, and its next stream gets the whole page
    expect((await b.rpc("ping")).body.result).toBe("pong");
    const s = open(b);
    expectWholeInit(await s.waitFor((m) => m.type === "init", "the init after the cut", 10_000), "start");
  });
});

// --------------------------------------------------------------- item 9

describe("uploads are bounded per session", () => {
  /** The server's upload folder, found from a file it accepted (`<uploadDir>/<request folder>/<file>`). */
  async function uploadDirOf(b: Browser, handle: unknown): Promise<string> {
    const [path] = (await b.rpc("paths", [handle])).body.result as string[];
    return dirname(dirname(path!));
  }

  it("accepts uploads within the byte quota and refuses the one past it with 413 UPLOAD_QUOTA, leaving no temp file", async () => {
    srv = await serve(Desk, { limits: { sessionUploadBytes: 1_000, sessionUploadFiles: 10, upload: 4_096 } });
    const b = await srv.browser().start();
    const first = await upload(b, 400);
    expect(first.status).toBe(200);
    const dir = await uploadDirOf(b, first.body.files[0]);
    expect((await upload(b, 500)).status).toBe(200); // 900 of 1,000 bytes
    const before = filesUnder(dir);
    expect(before).toHaveLength(2);

    for (const sizes of [[200], [50, 60]]) {
      const over = await upload(b, ...sizes);
      expect(over.status).toBe(413);
      expect(over.body.error.code).toBe("UPLOAD_QUOTA");
      expect(over.body.error.message).toContain("sessionUploadBytes");
      expect(filesUnder(dir)).toEqual(before);
    }
    // a refusal takes nothing from the quota: the last 100 bytes still fit
    const last = await upload(b, 100);
    expect(last.status).toBe(200);
    expect(filesUnder(dir)).toHaveLength(3);
  });

  it("sets an upload's room aside while it is received: uploads at once cannot write past the quota together", async () => {
    srv = await serve(Desk, { limits: { sessionUploadBytes: 50_000, sessionUploadFiles: 50, upload: 40_000 } });
    const b = await srv.browser().start();
    // One upload of 30,000 bytes, half sent and held.
    const { answered, finish } = await halfUpload(b);
    // Meanwhile another of 30,000: only 20,000 are left beside the one being received.
    const second = await upload(b, 30_000);
    expect(second.status).toBe(413);
    expect(second.body.error.code).toBe("UPLOAD_QUOTA");
    finish();
    expect(await answered).toBe(200);
    expect((await upload(b, 19_000)).status).toBe(200); // the room left
    // Uploads at once that fill the room exactly all fit (the forms' own bytes are not counted).
    const c = await srv.browser().start();
    expect((await Promise.all([1, 2, 3, 4].map(() => upload(c, 12_500)))).map((r) => r.status)).toEqual([200, 200, 200, 200]);
  });

  it("bounds what all sessions keep uploaded (limits.serverUploadBytes) with 503 and Retry-After, until sessions end", async () => {
    srv = await serve(Desk, { limits: { serverUploadBytes: 25_000, upload: 20_000 } });
    const one = await srv.browser().start();
    const two = await srv.browser().start();
    expect((await upload(one, 15_000)).status).toBe(200);
    const full = await upload(two, 15_000);
    expect(full.status).toBe(503);
    expect(full.body.error.code).toBe("UPLOADS_FULL");
    expect(srv.logs.filter((l) => l.includes("/api/upload"))).toEqual([]); // a full server is no bug to log
    expect(full.body.error.message).toContain("limits.serverUploadBytes");
    expect(full.headers.get("retry-after")).toBe("30");
    expect((await upload(two, 5_000)).status).toBe(200); // what fits still goes
    await srv.handle.hubs.get("")!.end(srv.handle.hubs.get("")!.get(one.sid)!, "expired");
    expect((await upload(two, 15_000)).status).toBe(200); // the first session's files went with it
  });

  it("counts in the server's tally what an upload has sent, not what it declares: uploads trickled in leave room for others", async () => {
    srv = await serve(Desk, { limits: { serverUploadBytes: 100_000, upload: 40_000 } });
    // Three sessions each start an upload declaring 30,000 bytes and send 15,000 of them: 45,000 sent, 90,000 declared.
    const slow = await Promise.all([1, 2, 3].map(async () => halfUpload(await srv!.browser().start())));
    const other = await srv.browser().start();
    const answer = await upload(other, 20_000);
    expect(answer.status, JSON.stringify(answer.body)).toBe(200);
    // The tally still bounds them all: of the three, the one whose rest would pass 100,000 is refused.
    for (const s of slow) s.finish();
    expect((await Promise.all(slow.map((s) => s.answered))).sort()).toEqual([200, 200, 503]);
  });

  it("refuses a body with no declared length past limits.upload, text fields included (they would be held in memory)", async () => {
    srv = await serve(Desk, { limits: { upload: 40_000 } });
    const b = await srv.browser().start();
    const boundary = "----revue-test";
    const chunked = (field: string) =>
      new Promise<{ status: number; body: string }>((resolve, reject) => {
        // No Content-Length: Node sends the body chunked.
        const req = request(`${b.url}/api/upload?sid=${b.sid}`, { method: "POST", headers: { cookie: b.cookie, "content-type": `multipart/form-data; boundary=${boundary}` } });
        req.on("response", (res) => {
          let body = "";
          res.on("data", (c) => (body += c)).on("end", () => resolve({ status: res.statusCode!, body }));
        });
        req.on("error", reject);
        req.write(`--${boundary}\r\nContent-Disposition: form-data; name="note"\r\n\r\n${field}\r\n`);
        req.end(`--${boundary}\r\nContent-Disposition: form-data; name="f"; filename="a.bin"\r\nContent-Type: application/octet-stream\r\n\r\nabc\r\n--${boundary}--\r\n`);
      });
    const big = await chunked("x".repeat(100_000));
    expect(big.status).toBe(413);
    expect(JSON.parse(big.body).error.code).toBe("PAYLOAD_TOO_LARGE");
    const fields = await chunked("x".repeat(20_000)); // within the request's limit, but no page sends 20 KB of fields
    expect(fields.status).toBe(413);
    expect((await chunked("a note")).status).toBe(200);
  });

  it("answers 400 and closes the connection of an upload whose body stops coming (limits.bodyMs), freeing what it held", async () => {
    srv = await serve(Desk, { limits: { serverUploadBytes: 40_000, upload: 40_000, bodyMs: 300 } });
    const b = await srv.browser().start();
    const started = Date.now();
    const { answered, closed } = await halfUpload(b);
    expect(await answered).toBe(400);
    await closed;
    expect(Date.now() - started).toBeLessThan(5_000);
    expect(srv.logs.filter((l) => l.includes("/api/upload"))).toEqual([]);
    expect((await upload(b, 30_000)).status).toBe(200); // nothing of it is held
  });

  it("stops an upload whose session ended while it was received, at once, keeping nothing of it (the server's tally included)", async () => {
    srv = await serve(Desk, { limits: { serverUploadBytes: 40_000, upload: 40_000 } });
    const b = await srv.browser().start();
    const { answered, closed } = await halfUpload(b);
    const hub = hubOf(srv);
    await hub.end(hub.get(b.sid)!, "expired");
    // Answered without the rest of its body (a pending session's upload held its room as long as its body came).
    expect(await answered).toBe(404);
    await closed;
    // What it held is free again: another session may take nearly all of it.
    const other = await srv.browser().start();
    expect((await upload(other, 30_000)).status).toBe(200);
  });

  it("refuses the file past the file quota with 413 UPLOAD_QUOTA, one request or several, leaving no temp file", async () => {
    srv = await serve(Desk, { limits: { sessionUploadBytes: 100_000, sessionUploadFiles: 3, files: 5 } });
    const b = await srv.browser().start();
    const two = await upload(b, 1, 1);
    expect(two.status).toBe(200);
    const dir = await uploadDirOf(b, two.body.files[0]);
    const before = filesUnder(dir);
    expect(before).toHaveLength(2);

    const both = await upload(b, 1, 1); // one would fit; the request as a whole does not
    expect(both.status).toBe(413);
    expect(both.body.error.code).toBe("UPLOAD_QUOTA");
    expect(filesUnder(dir)).toEqual(before);

    expect((await upload(b, 1)).status).toBe(200); // the third file
    const after = filesUnder(dir);
    const fourth = await upload(b, 1);
    expect(fourth.status).toBe(413);
    expect(fourth.body.error.code).toBe("UPLOAD_QUOTA");
    expect(fourth.body.error.message).toContain("sessionUploadFiles");
    expect(filesUnder(dir)).toEqual(after);
  });

  it("refuses a file over limits.upload with 413 PAYLOAD_TOO_LARGE, leaving no temp file", async () => {
    srv = await serve(Desk, { limits: { upload: 2_048 } });
    const b = await srv.browser().start();
    const ok = await upload(b, 100);
    expect(ok.status).toBe(200);
    const dir = await uploadDirOf(b, ok.body.files[0]);
    const before = filesUnder(dir);
    // just over the limit (the body is read and cut), and far over it (refused from its Content-Length)
    for (const size of [3_000, 200_000]) {
      const big = await upload(b, size);
      expect(big.status).toBe(413);
      expect(big.body.error.code).toBe("PAYLOAD_TOO_LARGE");
      expect(filesUnder(dir)).toEqual(before);
      expect(readdirSync(dir)).toHaveLength(1);
    }
  });

  it("leaves no temp file behind an upload whose connection breaks midway", async () => {
    srv = await serve(Desk);
    const b = await srv.browser().start();
    const ok = await upload(b, 10);
    const dir = await uploadDirOf(b, ok.body.files[0]);
    const before = filesUnder(dir);
    const boundary = "----revue-test";
    const head = `--${boundary}\r\nContent-Disposition: form-data; name="f"; filename="big.bin"\r\nContent-Type: application/octet-stream\r\n\r\n`;
    const req = request(`${srv.url}/api/upload?sid=${b.sid}`, {
      method: "POST",
      headers: { cookie: b.cookie, "content-type": `multipart/form-data; boundary=${boundary}`, "content-length": String(head.length + 1_000_000) },
    });
    req.on("error", () => {});
    req.write(head);
    req.write("x".repeat(300_000));
    await until(() => filesUnder(dir).length > before.length, "the upload to start writing its temp file");
    req.destroy();
    await until(() => filesUnder(dir).length === before.length, "the partial temp file to be removed");
    expect(filesUnder(dir)).toEqual(before);
    // The request's own folder goes right after its file.
    await until(() => readdirSync(dir).length === 1, "the partial upload's folder to be removed");
    expect((await upload(b, 10)).status).toBe(200); // the session is unharmed
  });

  it("removes a session's files and folders when it ends, and keeps other sessions' files", async () => {
    srv = await serve(Desk);
    const hub = hubOf(srv);
    const a = await srv.browser().start();
    const other = await srv.browser().start();
    const mine = [(await upload(a, 10)).body.files[0], (await upload(a, 20, 30)).body.files[1]];
    const theirs = (await upload(other, 40)).body.files[0];
    const paths = (await a.rpc("paths", mine)).body.result as string[];
    const [kept] = (await other.rpc("paths", [theirs])).body.result as string[];
    const dir = dirname(dirname(kept!));
    expect(readdirSync(dir)).toHaveLength(3);

    await hub.end(hub.get(a.sid)!, "expired");

    for (const p of paths) {
      expect(existsSync(p)).toBe(false);
      expect(existsSync(dirname(p))).toBe(false);
    }
    expect(readdirSync(dir)).toEqual([dirname(kept!).slice(dir.length + 1)]);
    expect(existsSync(kept!)).toBe(true);
    expect((await other.rpc("paths", [theirs])).body.result).toEqual([kept]);
  });
});
