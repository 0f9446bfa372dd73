import { afterEach, describe, expect, it } from "vitest";
import { App, h, MemoryPubSub, MemorySessionStore, server, UnavailableError } from "revue";
import type { Hub } from "revue/internals";
import { Browser, serve, textOf, until } from "./harness.js";

/**
 * Several nodes in one process: two servers sharing one store (marked shared)
 * and one pubsub broker (two clients), as two processes sharing Redis would.
 */
/** Opened by a test: `hold()` waits for it. */
let gate: { promise: Promise<void>; open(): void };
const newGate = () => {
  let open!: () => void;
  gate = { promise: new Promise<void>((r) => (open = r)), open: () => open() };
};
newGate();

let charges = 0;

class Counter extends App {
  count = 0;
  @server.rpc async hold() { await gate.promise; }
  heard: string[] = [];
  @server.realtime increment() { this.count++; }
  @server.rpc add(n: number) { this.count += n; return this.count; }
  /** As `add`, with an effect outside the session (a payment, an email): counted here. */
  @server.rpc charge(n: number) { charges++; this.count += n; return this.count; }
  @server.rpc enter(room: string) { this.join(room); }
  @server.rpc shout(room: string, text: string) { this.to(room).emit("shout", text); }
  @server.on("shout") got(text: string) { this.heard.push(text); }
  @server.rpc whoami() { return this.user ?? null; }
  @server.rpc remember(value: string) { this.setCookie("remembered", value); }
  override render() {
    return h("main", {}, h("h1", { id: "count" }, String(this.count)), h("p", { id: "heard" }, this.heard.join(",")));
  }
}

const nodes: Array<Awaited<ReturnType<typeof serve>>> = [];
afterEach(async () => {
  for (const n of nodes.splice(0)) await n.close().catch(() => {});
});

async function cluster(count = 2, requestTimeoutMs?: number, maxQueuedCalls?: number) {
  const store = new MemorySessionStore(Date.now, 10_000, true);
  const broker = new MemoryPubSub();
  for (let i = 0; i < count; i++) nodes.push(await serve(Counter, { store, pubsub: i === 0 ? broker : broker.client(), keys: ["cluster-test-key"], node: `n${i}`, authenticate: (ctx) => (ctx.get("x-user") ? { name: ctx.get("x-user") } : undefined), cluster: { heartbeatMs: 50, nodeTtlMs: 200, requestTimeoutMs }, maxQueuedCalls }));
  return nodes;
}

/** A store whose saves can be slowed, as over a network, with the saves in flight counted. */
class SlowStore extends MemorySessionStore {
  delayMs = 0;
  inFlight = 0;
  override async save(sid: string, lease: Parameters<MemorySessionStore["save"]>[1], json: string): Promise<boolean> {
    this.inFlight++;
    await new Promise((r) => setTimeout(r, this.delayMs));
    this.inFlight--;
    return super.save(sid, lease, json);
  }
}

/** Two nodes sharing a {@link SlowStore}. */
async function slowPair() {
  const store = new SlowStore(Date.now, 10_000, true);
  const broker = new MemoryPubSub();
  const options = { store, keys: ["cluster-test-key"], cluster: { heartbeatMs: 50, nodeTtlMs: 200 } };
  const a = await serve(Counter, { ...options, pubsub: broker, node: "n0" });
  const b = await serve(Counter, { ...options, pubsub: broker.client(), node: "n1" });
  nodes.push(a, b);
  return { store, a, b };
}

/** A node's hub, typed. */
const hubOf = (node: Awaited<ReturnType<typeof serve>>) => node.handle.hubs.get("")! as unknown as Hub<Counter>;

/** The same browser (cookie, sid) talking to another node. */
function on(node: { url: string }, b: Browser): Browser {
  const other = new Browser(node.url);
  other.cookie = b.cookie;
  other.sid = b.sid;
  other.seq = b.seq;
  return other;
}

describe("several nodes sharing a store and a pubsub", () => {
  it("a forwarded call runs as the user who made it; a cookie set on one node is traded on another", async () => {
    const [a, b] = await cluster();
    const pageOnA = await a!.browser().start();
    const viaB = on(b!, pageOnA);
    const asAnn = await viaB.request("/api/rpc/whoami", { method: "POST", json: { sid: pageOnA.sid, seq: ++pageOnA.seq, args: [] }, headers: { "x-user": "ann" } });
    expect(asAnn.body.result).toEqual({ name: "ann" }); // resolved on b, the call ran on a
    expect(hubOf(b!).get(pageOnA.sid)).toBeUndefined();
    const s = pageOnA.stream(0);
    await pageOnA.rpc("remember", ["yes"]);
    const ticket = (await s.waitFor((m) => m.data.x?.c !== undefined, "the cookie ticket")).data.x.c;
    s.es.close();
    // The page's next request lands on b: the session (its untraded cookies with it) moves there.
    const traded = await fetch(`${b!.url}/api/cookie`, { method: "POST", headers: { cookie: pageOnA.cookie, "content-type": "application/json" }, body: JSON.stringify({ sid: pageOnA.sid, ticket }) });
    expect(traded.status).toBe(204);
    expect(traded.headers.getSetCookie().some((c) => c.startsWith("remembered=yes"))).toBe(true);
  });

  it("forwards a call to the node that holds the session, and its answer comes back", async () => {
    const [a, b] = await cluster();
    const pageOnA = await a!.browser().start();
    expect((await pageOnA.rpc("add", [5])).body.result).toBe(5);
    const viaB = on(b!, pageOnA);
    const r = await viaB.rpc("add", [2], ++pageOnA.seq);
    expect(r).toMatchObject({ status: 200, body: { result: 7 } });
    expect(hubOf(a!).get(pageOnA.sid)?.instance).toMatchObject({ count: 7 }); // it ran on a
    expect(hubOf(b!).get(pageOnA.sid)).toBeUndefined();
    // a retry through either node is the same call: its first answer, not a second run
    expect((await viaB.rpc("add", [2], pageOnA.seq)).body.result).toBe(7);
    expect((await pageOnA.rpc("add", [2], pageOnA.seq)).body.result).toBe(7);
  });

  it("moves the session to the node its stream reaches, with its state, and the page gets it whole", async () => {
    const [a, b] = await cluster();
    const pageOnA = await a!.browser().start();
    await pageOnA.rpc("add", [3]);
    const viaB = on(b!, pageOnA);
    const s = viaB.stream(0);
    const init = await s.waitFor((m) => m.type === "init", "the moved session's snapshot");
    expect(JSON.stringify(init.data.tree)).toContain('"3"');
    expect(hubOf(a!).get(pageOnA.sid)).toBeUndefined(); // handed over
    expect(hubOf(b!).get(pageOnA.sid)?.instance.count).toBe(3);
    // calls through a are now forwarded to b, and the page sees their patches
    await pageOnA.event("increment", [], ++pageOnA.seq);
    const patch = await s.waitFor((m) => m.type === "patch", "a patch after a forwarded event");
    expect(textOf(patch)).toBe("4");
  });

  it("a stream request refused for want of a user does not bring the session to the node it reached: the open stream elsewhere goes on", async () => {
    class Members extends Counter {
      static override auth = true;
    }
    const store = new MemorySessionStore(Date.now, 10_000, true);
    const broker = new MemoryPubSub();
    const options = { store, keys: ["cluster-test-key"], cluster: { heartbeatMs: 50, nodeTtlMs: 200 } };
    // Ann is signed in as a sees her; b's requests come without her sign-in (signed out since, a stale tab).
    const a = await serve(Members, { ...options, pubsub: broker, node: "n0", authenticate: () => ({ name: "ann" }) });
    const b = await serve(Members, { ...options, pubsub: broker.client(), node: "n1", authenticate: () => undefined });
    // A node that knows her, with a small upload limit.
    const b2 = await serve(Members, { ...options, pubsub: broker.client(), node: "n2", authenticate: () => ({ name: "ann" }), limits: { upload: 1024 } });
    nodes.push(a, b, b2);
    const ann = await a.browser().start();
    const onA = ann.stream(0);
    for (let i = 0; i < 100 && !hubOf(a).get(ann.sid)?.connected; i++) await new Promise((r) => setTimeout(r, 20));
    const viaB = on(b, ann);
    for (const method of ["GET", "HEAD"]) expect((await viaB.request(`/api/sse/${ann.sid}`, { method })).status).toBe(401);
    expect(hubOf(b).get(ann.sid)).toBeUndefined();
    // Nor does an upload b refuses for its size (her own page retrying a file too large).
    const big = new FormData();
    big.append("file", new Blob(["x".repeat(200_000)]), "big.bin");
    const up = await on(b2, ann).request(`/api/upload?sid=${ann.sid}`, { method: "POST", body: big });
    expect(up.status).toBe(413);
    expect(hubOf(b2).get(ann.sid)).toBeUndefined();
    expect(hubOf(a).get(ann.sid)).toBeDefined();
    expect((await ann.event("increment")).status).toBe(202);
    expect(textOf(await onA.waitFor((m) => m.type === "patch", "a patch on a's stream"))).toBe("1");
    expect(onA.got.some((m) => m.type === "bye")).toBe(false);
  });

  it("saves a session once at a time through a burst of broadcasts (what changes meanwhile goes in the next save), and its page gets every change", async () => {
    /** A store whose saves take a while, as over a network, counted. */
    class SlowStore extends MemorySessionStore {
      saves = 0;
      override async save(sid: string, lease: Parameters<MemorySessionStore["save"]>[1], json: string): Promise<boolean> {
        this.saves++;
        await new Promise((r) => setTimeout(r, 15));
        return super.save(sid, lease, json);
      }
    }
    const store = new SlowStore(Date.now, 10_000, true);
    const node = await serve(Counter, { store, pubsub: new MemoryPubSub(), keys: ["cluster-test-key"], node: "n0" });
    nodes.push(node);
    const pages = await Promise.all(Array.from({ length: 20 }, () => node.browser().start()));
    const streams = pages.map((p) => p.stream(0));
    for (const p of pages) expect((await p.rpc("enter", ["all"])).status).toBe(200);
    for (const s of streams) await s.waitFor((m) => m.type === "patch" || m.type === "init", "the stream");
    const before = store.saves;
    for (let i = 0; i < 30; i++) node.handle.to("all").emit("shout", `m${i}`);
    const all = Array.from({ length: 30 }, (_, i) => `m${i}`).join(",");
    for (const s of streams) await s.waitFor((m) => JSON.stringify(m.data).includes(`m29`), "the last broadcast's patch");
    // Every session's last save has all 30 (a node taking it over gets them), in far fewer saves than one per render.
    for (const p of pages) expect(JSON.parse((await store.load(p.sid))!.snapshot!).state.heard).toEqual(all.split(","));
    const saves = store.saves - before;
    expect(saves).toBeLessThan(20 * 30 / 3);
    // The page saw the changes in order, ending with all of them.
    for (const s of streams) {
      const shown = s.got.filter((m) => m.type === "patch").map((m) => JSON.stringify(m.data)).join("");
      expect(shown.lastIndexOf("m29")).toBeGreaterThan(shown.lastIndexOf("m28"));
    }
  });

  it("runs a call sent while its session is being handed to another node once: refused before it runs, or answered from the snapshot it left with", async () => {
    const { store, a, b } = await slowPair();
    for (let round = 0; round < 3; round++) {
      const page = await a.browser().start();
      expect((await page.rpc("add", [1])).body.result).toBe(1);
      store.delayMs = 60;
      const viaB = on(b, page);
      viaB.stream(0); // the stream reaches b: a saves the session and lets it go
      for (let i = 0; i < 200 && store.inFlight === 0; i++) await new Promise((r) => setTimeout(r, 2));
      const seq = ++page.seq;
      const before = charges;
      // To a, while it saves; then again under the same seq while it answers 503, by turns to b and a, as the page does behind a balancer.
      let answer = await page.rpc("charge", [10], seq);
      store.delayMs = 0;
      for (let i = 0; answer.status === 503 && i < 50; i++) {
        expect(answer.body.error.code).toBe("SERVER_CLOSING");
        await new Promise((r) => setTimeout(r, 20));
        answer = await (i % 2 ? page : viaB).rpc("charge", [10], seq);
      }
      expect(answer).toMatchObject({ status: 200, body: { result: 11 } });
      expect(charges - before).toBe(1);
      await until(() => hubOf(b).get(page.sid) !== undefined, "the session on b");
      expect(hubOf(b).get(page.sid)!.instance.count).toBe(11);
      expect((await viaB.rpc("add", [0], ++page.seq)).body.result).toBe(11);
      viaB.close();
    }
  });

  it("a click refused while its node shuts down or saves its session for a move runs on the next node (its seq left unused, not passed by)", async () => {
    for (const how of ["close", "handoff"] as const) {
      newGate();
      const { store, a, b } = await slowPair();
      const page = await a.browser().start();
      await page.event("increment");
      let closing: Promise<void> | undefined;
      if (how === "close") {
        const held = page.rpc("hold"); // a running handler the closing node waits for
        await until(() => hubOf(a).get(page.sid)?.calls.idle === false, "the held call to run");
        closing = a.handle.close();
        setTimeout(() => gate.open(), 100);
        void held;
      } else {
        store.delayMs = 100;
        on(b, page).stream(0); // b asks a for the session: a saves it (slowly), refusing new calls meanwhile
        await until(() => hubOf(a).get(page.sid)?.handover === "saving", "the save for the move");
      }
      const seq = ++page.seq;
      // Sent to a (a closing node takes no new connection: through b, which forwards it to a, the holder).
      const refused = await (how === "close" ? on(b, page) : page).event("increment", [], seq);
      expect(refused).toMatchObject({ status: 503, body: { error: { code: "SERVER_CLOSING" } } });
      store.delayMs = 0;
      await closing;
      await until(() => hubOf(a).get(page.sid) === undefined, "a to let the session go");
      const viaB = on(b, page);
      expect((await viaB.event("increment", [], seq)).status).toBe(202); // the page sends it again: the next node runs it
      await until(() => hubOf(b).get(page.sid)?.instance.count === 2, `the click to run on b (${how})`);
      viaB.close();
      for (const n of nodes.splice(0)) await n.close().catch(() => {});
    }
  });

  it("takes calls while a handler runs on a node asked for its session, and moves the session once they are done", async () => {
    newGate();
    const [a, b] = await cluster();
    const page = await a!.browser().start();
    const held = page.rpc("hold"); // a slow handler: the move waits for it
    await until(() => hubOf(a!).get(page.sid)?.calls.idle === false, "the held call to run");
    const viaB = on(b!, page);
    viaB.stream(0);
    await new Promise((r) => setTimeout(r, 50));
    // Refused all along, an rpc here gave up after its five tries while the handler ran.
    const accepted = page.rpc("add", [5]);
    await new Promise((r) => setTimeout(r, 50));
    gate.open();
    expect((await held).status).toBe(200);
    expect(await accepted).toMatchObject({ status: 200, body: { result: 5 } });
    await until(() => hubOf(b!).get(page.sid)?.instance.count === 5, "the session on b, with the call");
    viaB.close();
  });

  it("sends no second copy of a page served by one node whose stream reaches another: that node checks its render against the page served", async () => {
    const [a, b] = await cluster();
    const pageOnA = a!.browser();
    const served = await pageOnA.request("/");
    pageOnA.sid = JSON.parse(/id="rv-boot">(.*?)<\/script>/.exec(served.body as string)![1]!).sid;
    const viaB = on(b!, pageOnA);
    const s = viaB.stream(0);
    await viaB.event("increment", [], 1);
    const patch = await s.waitFor((m) => m.type === "patch", "the patch of the first call");
    expect(textOf(patch)).toBe("1");
    expect(patch.data.rev).toBe(2); // the page served is revision 1
    expect(s.got.map((m) => m.type)).toEqual(["patch"]);
    expect(hubOf(b!).get(pageOnA.sid)?.instance.count).toBe(1); // moved to b
  });

  it("delivers a room's broadcast to its members on every node, once each", async () => {
    const [a, b] = await cluster();
    const one = await a!.browser().start();
    const two = await b!.browser().start();
    await one.rpc("enter", ["lobby"]);
    await two.rpc("enter", ["lobby"]);
    const outside = await b!.browser().start();
    await outside.rpc("add", [1]);
    await one.rpc("shout", ["lobby", "hi"]);
    const hubA = hubOf(a!), hubB = hubOf(b!);
    for (let i = 0; i < 100 && !(hubA.get(one.sid)?.instance.heard.length && hubB.get(two.sid)?.instance.heard.length); i++) await new Promise((r) => setTimeout(r, 10));
    await new Promise((r) => setTimeout(r, 50));
    expect(hubA.get(one.sid)!.instance.heard).toEqual(["hi"]);
    expect(hubB.get(two.sid)!.instance.heard).toEqual(["hi"]);
    expect(hubB.get(outside.sid)!.instance.heard).toEqual([]);
  });

  it("takes over a session whose node went silent, from its last snapshot, catches up on what it missed, and fences the old copy", async () => {
    const [a, b] = await cluster();
    const pageOnA = await a!.browser().start();
    await pageOnA.rpc("enter", ["lobby"]);
    await pageOnA.rpc("add", [10]);
    const listener = await b!.browser().start();
    await listener.rpc("enter", ["lobby"]);
    // a freezes as a crashed or cut-off node would: no heartbeat, no answers to other nodes, no goodbye
    const hubA = hubOf(a!);
    const stale = hubA.get(pageOnA.sid)!;
    await (hubA as unknown as { cluster: { stop(): Promise<void> } }).cluster.stop();
    // meanwhile the room goes on, from b
    await listener.rpc("shout", ["lobby", "while you were away"]);
    await new Promise((r) => setTimeout(r, 300)); // past a's heartbeat ttl (200 ms)
    const viaB = on(b!, pageOnA);
    const r = await viaB.rpc("add", [1], ++pageOnA.seq);
    expect(r).toMatchObject({ status: 200, body: { result: 11 } }); // the 10 was saved before a's answer
    const taken = hubOf(b!).get(pageOnA.sid)!;
    expect(taken.instance.heard).toEqual(["while you were away"]); // caught up from the log
    // the old copy on a cannot write any more: its next save is refused and it ends itself
    const { pageCall } = await import("revue/internals");
    await expect(hubA.call(stale, pageCall("rpc", "add", 99, [100]))).rejects.toMatchObject({ code: "SERVER_CLOSING" }); // not a success: it was not kept
    for (let i = 0; i < 50 && stale.state !== "ended"; i++) await new Promise((r) => setTimeout(r, 10));
    expect(stale.state).toBe("ended");
    expect(taken.instance.count).toBe(11);
  });

  it("runs a forwarded call itself when the holder dies while the call waits, as soon as its heartbeat expires, not at the request timeout", async () => {
    const [a, b] = await cluster(2, 5_000);
    const pageOnA = await a!.browser().start();
    await pageOnA.rpc("add", [10]);
    // a dies right now: still counted alive (its last beat is fresh), so b forwards the call to it, and no answer ever comes
    await (hubOf(a!) as unknown as { cluster: { stop(): Promise<void> } }).cluster.stop();
    const started = Date.now();
    const r = await on(b!, pageOnA).rpc("add", [1], ++pageOnA.seq);
    expect(r).toMatchObject({ status: 200, body: { result: 11 } });
    expect(Date.now() - started).toBeLessThan(2_500); // the heartbeat ttl (200 ms) decided, not the 5 s timeout
    expect(hubOf(b!).get(pageOnA.sid)?.instance.count).toBe(11);
  });

  it("runs every call that arrives at once for a session whose holder died: one copy takes it over, however many calls ask", async () => {
    const [a, b] = await cluster(2, 5_000);
    const pageOnA = await a!.browser().start();
    await pageOnA.rpc("add", [10]);
    // The store answers after a round trip, as Redis does: calls that arrive together are all waiting on it.
    const store = hubOf(b!).store;
    const claim = store.claim.bind(store);
    store.claim = async (...args) => (await new Promise((r) => setTimeout(r, 20)), claim(...args));
    // a dies right now: still counted alive, b forwards the calls to it, and each takes the session over when its beat expires
    await (hubOf(a!) as unknown as { cluster: { stop(): Promise<void> } }).cluster.stop();
    const viaB = on(b!, pageOnA);
    // Five clicks in flight together, as a page sends them: each was answered 202, so each must run.
    const answers = await Promise.all([1, 2, 3, 4, 5].map(() => viaB.event("increment")));
    expect(answers.map((r) => r.status)).toEqual([202, 202, 202, 202, 202]);
    const session = hubOf(b!).get(pageOnA.sid)!;
    await expect.poll(() => session.instance.count, { timeout: 3_000 }).toBe(15);
    expect(session.state).not.toBe("ended");
    expect((await viaB.rpc("add", [0])).body.result).toBe(15);
  });

  it("waits for the page to send again a click its dead node accepted and never saved, and tells it what ran (the browser's way back)", async () => {
    const [a, b] = await cluster();
    const pageOnA = await a!.browser().start();
    const onA = pageOnA.stream(0);
    await pageOnA.rpc("add", [10]); // seq 1, saved
    const lastId = (await onA.waitFor((m) => m.type === "patch", "a patch")).id;
    onA.es.close();
    // a answers 202 to seq 2 and dies before saving it: only the page still has that click.
    await (hubOf(a!) as unknown as { cluster: { stop(): Promise<void> } }).cluster.stop();
    await new Promise((r) => setTimeout(r, 300));
    const viaB = on(b!, pageOnA);
    expect((await viaB.event("increment", [], 3)).status).toBe(202); // b takes the session over from seq 1's snapshot
    const session = hubOf(b!).get(pageOnA.sid)!;
    await new Promise((r) => setTimeout(r, 2_500));
    expect(session.instance.count).toBe(10); // seq 3 waits for seq 2: the gap (2 s) is not enough here
    // As Chromium comes back: its EventSource reconnects with Last-Event-ID; the restored session has no tree for it
    // (bye: expired); the page takes the session back by POST /api/session, then opens a stream from 0.
    const again = viaB.stream(lastId);
    expect((await again.waitFor((m) => m.type === "bye", "bye")).data.reason).toBe("expired");
    again.es.close();
    expect((await viaB.request("/api/session", { method: "POST", json: { sid: pageOnA.sid } })).status).toBe(201);
    const s = viaB.stream(0);
    // An init, although the page has the tree: its ack says seq 1 ran, and the page sends seq 2 again.
    const init = await s.waitFor((m) => m.type === "init", "the init");
    expect(init.data.ack).toBe(1);
    expect((await viaB.event("increment", [], 2)).status).toBe(202);
    await expect.poll(() => session.instance.count).toBe(12);
    s.es.close();
  });

  it("keeps a click its node passed by (held back by the network past the gap) for the node that takes over: not acknowledged, so the page sends it there, and it runs once", async () => {
    const [a, b] = await cluster();
    const pageOnA = await a!.browser().start();
    await pageOnA.rpc("add", [10]); // seq 1
    expect((await pageOnA.event("increment", [], 3)).status).toBe(202); // seq 2 is still on its way
    const held = hubOf(a!).get(pageOnA.sid)!;
    await expect.poll(() => held.instance.count, { timeout: 5_000 }).toBe(11); // the gap passed seq 2 by; seq 3 ran
    expect(held.calls.ackedSeq).toBe(1); // seq 2 not covered
    const store = hubOf(a!).store;
    await expect.poll(async () => (JSON.parse((await store.load(pageOnA.sid))!.snapshot!) as { seq: { missing?: number[] } }).seq.missing).toEqual([2]);
    // a dies before seq 2 arrives; b takes the session over from that snapshot
    await (hubOf(a!) as unknown as { cluster: { stop(): Promise<void> } }).cluster.stop();
    await new Promise((r) => setTimeout(r, 300));
    const viaB = on(b!, pageOnA);
    expect((await viaB.request("/api/session", { method: "POST", json: { sid: pageOnA.sid } })).status).toBe(201);
    const s = viaB.stream(0);
    expect((await s.waitFor((m) => m.type === "init", "the init")).data.ack).toBe(1); // the page sends seq 2 again…
    expect((await viaB.event("increment", [], 2)).status).toBe(202); // …and it runs here
    const session = hubOf(b!).get(pageOnA.sid)!;
    await expect.poll(() => session.instance.count).toBe(12);
    expect((await viaB.event("increment", [], 3)).status).toBe(202); // seq 3 ran on a: not again
    await new Promise((r) => setTimeout(r, 200));
    expect(session.instance.count).toBe(12);
    s.es.close();
  });

  it("saves a snapshot the store refused during an outage once the store is back, so a node dying later loses nothing it answered", async () => {
    const [a, b] = await cluster();
    const store = hubOf(a!).store;
    const page = await a!.browser().start();
    await page.rpc("add", [10]);
    const save = store.save.bind(store);
    store.save = () => Promise.reject(new UnavailableError("the store is down (test)"));
    expect((await page.rpc("add", [5])).body.result).toBe(15); // answered: an outage must not hang the page
    store.save = save; // the store is back
    const savedCount = async () => (JSON.parse((await store.load(page.sid))!.snapshot!) as { state: { count: number } }).state.count;
    await expect.poll(savedCount, { timeout: 3_000 }).toBe(15);
    await (hubOf(a!) as unknown as { cluster: { stop(): Promise<void> } }).cluster.stop(); // a dies after that
    await new Promise((r) => setTimeout(r, 300));
    expect((await on(b!, page).rpc("add", [1], ++page.seq)).body.result).toBe(16);
  });

  it("answers a retried rpc, as its first try, only once a snapshot holding its effect is saved", async () => {
    newGate();
    const [a] = await cluster();
    const store = hubOf(a!).store;
    const page = await a!.browser().start();
    const savedCount = async () => (JSON.parse((await store.load(page.sid))!.snapshot!) as { state: { count: number } }).state.count;
    const seq = ++page.seq;
    const first = page.rpc("add", [5], seq);
    const held = page.rpc("hold"); // the save that holds the 5 waits behind this call
    await expect.poll(() => hubOf(a!).get(page.sid)?.instance.count).toBe(5);
    const retry = page.rpc("add", [5], seq); // the page sends it again (a network error, a proxy's 502)
    const early = await Promise.race([retry.then(() => "answered"), new Promise((r) => setTimeout(() => r("waiting"), 300))]);
    expect(early).toBe("waiting");
    gate.open();
    expect((await retry).body.result).toBe(5);
    expect(await savedCount()).toBe(5);
    expect((await first).body.result).toBe(5);
    await held;
  });

  it("passes the holder's 429 and its Retry-After back through the node that forwarded the call", async () => {
    newGate();
    const [a, b] = await cluster(2, undefined, 1);
    const page = await a!.browser().start();
    const held = page.rpc("hold", [], ++page.seq);
    await new Promise((r) => setTimeout(r, 50));
    const full = await on(b!, page).event("increment", [], ++page.seq);
    expect(full.status).toBe(429);
    expect(full.body.error.code).toBe("TOO_MANY_CALLS");
    expect(Number(full.headers.get("retry-after"))).toBeGreaterThanOrEqual(1);
    gate.open();
    expect((await held).status).toBe(200);
  });

  it("logs a state it cannot save once, however many sessions and events meet it", async () => {
    class Cart {
      items: string[] = [];
    }
    class Shop extends App {
      cart = new Cart();
      count = 0;
      @server.rpc add() {
        return ++this.count;
      }
      override render() {
        return h("p", {}, String(this.count));
      }
    }
    const store = new MemorySessionStore(Date.now, 10_000, true);
    const node = await serve(Shop, { store, pubsub: new MemoryPubSub(), keys: ["cluster-test-key"], node: "n0", cluster: { heartbeatMs: 50, nodeTtlMs: 200 } });
    nodes.push(node);
    for (let i = 0; i < 2; i++) {
      const page = await node.browser().start();
      for (let n = 1; n <= 3; n++) expect((await page.rpc("add")).body.result).toBe(n); // works on its node
    }
    const said = node.logs.filter((l) => l.includes("cannot be saved"));
    expect(said).toHaveLength(1);
    expect(said[0]).toMatch(/Shop: session .* cannot be saved, so it cannot move to another server if this one dies/);
  });
});
