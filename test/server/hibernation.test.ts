import { afterEach, describe, expect, it } from "vitest";
import type { Hub, Node } from "revue/internals";
import { treeHash } from "../../src/protocol.js";
import { Counter } from "../../examples/counter/app.js";
import { App, h, server } from "revue";
import { form, formState } from "revue/ui";
import { serve, until, type Received } from "./harness.js";

let srv: Awaited<ReturnType<typeof serve>> | undefined;
afterEach(async () => {
  await srv?.close();
  srv = undefined;
});

/** The text of `#count` in a tree. */
function countIn(node: Node): string | undefined {
  if (!("tag" in node)) return undefined;
  if (node.attrs.id === "count") return node.text ?? node.children.map((c) => ("text" in c ? c.text : "")).join("");
  for (const child of node.children) {
    const found = countIn(child);
    if (found !== undefined) return found;
  }
  return undefined;
}

/** What a message shows as the count: an init's `#count`, or a patch's text op. */
const shown = (m: Received): string | undefined =>
  m.type === "init" ? countIn(m.data.tree) : m.data.ops?.find((o: { op: string }) => o.op === "text")?.text;

/**
 * A tiny memory budget (maxSessionBytes: 1) puts every session past it, so a
 * maintenance round hibernates them all. The rounds are forced with
 * `pool.sweep()`; the pool's own timer may run one too, which changes nothing
 * the tests look at (a hibernated session hibernated again is the same).
 */
describe("hibernation over HTTP", () => {
  it("an open page whose session was hibernated is told to start it afresh at its next call, and gets it back with its state: no count lost, nothing replaced under its visitor", async () => {
    srv = await serve(Counter, { maxSessionBytes: 1 });
    const hub = srv.handle.hubs.get("")! as unknown as Hub<Counter>;
    const b = await srv.browser().start();
    const stream = b.stream(0);
    for (let i = 0; i < 3; i++) expect((await b.event("increment")).status).toBe(202);
    await stream.waitFor((m) => shown(m) === "3", "count 3");
    const session = hub.get(b.sid)!;
    await until(() => session.calls.idle && session.connected, "the session to be idle with its stream open");

    await hub.pool.sweep();
    expect(session.state).toBe("hibernated");
    expect(session.view.cold).toBe(true); // the tree is gone; the app state stays
    expect(session.instance.count).toBe(3);
    expect(srv.logs.some((l) => l.includes("passed their memory budget"))).toBe(true);

    // The call runs; an init would replace the page (and what its visitor typed): the page is told to start afresh.
    const before = stream.got.length;
    expect((await b.event("increment")).status).toBe(202);
    await until(() => stream.got.length > before, "a message after the call");
    expect(stream.got.slice(before).map((m) => m.type)).toEqual(["bye"]);
    expect(stream.got[before]!.data).toEqual({ reason: "expired" });
    expect(session.connected).toBe(false);
    expect(session.instance.count).toBe(4);

    // It asks for its session by id (client/stream.ts renew): the same one, its state as a first tree.
    const renewed = await b.request("/api/session", { method: "POST", json: { sid: b.sid } });
    expect(renewed.body.sid).toBe(b.sid);
    expect(countIn(renewed.body.tree)).toBe("4");
    expect(renewed.body.hash).toBe(treeHash(JSON.stringify(renewed.body.tree)));
    expect(session.state).toBe("live");

    // And it goes on as before: patches again, the rpc sees the count.
    const fresh = b.stream(0);
    expect((await b.event("increment")).status).toBe(202);
    await fresh.waitFor((m) => m.type === "patch" && shown(m) === "5", "a patch to 5");
    expect(fresh.got.filter((m) => m.type === "init")).toEqual([]);
    expect((await b.rpc("reset", [7])).body).toEqual({ result: 7 });
    await fresh.waitFor((m) => shown(m) === "7", "count 7");
  });

  it("a session whose app fails to come back once (its constructor threw) keeps its state for the next call", async () => {
    let failNext = false;
    const flag = () => {
      if (failNext) (failNext = false), (() => { throw new Error("flag service unavailable"); })();
      return true;
    };
    class Cart extends App {
      ready = flag();
      items: string[] = [];
      @server.rpc add(item: string) { this.items.push(item); return this.items.length; }
      override render() { return h("ul", {}, ...this.items.map((i) => h("li", {}, i))); }
    }
    srv = await serve(Cart, { maxSessionBytes: 1 });
    const hub = srv.handle.hubs.get("")! as unknown as Hub<Cart>;
    const b = await srv.browser().start();
    b.stream(0); // an open page: its session is hibernated, not ended
    for (const item of ["a", "b", "c"]) await b.rpc("add", [item]);
    const session = hub.get(b.sid)!;
    await until(() => session.calls.idle && session.connected, "the session to be idle with its stream open");
    await hub.pool.sweep();
    expect(session.state).toBe("hibernated");
    failNext = true;
    expect((await b.rpc("add", ["d"])).status).toBe(500); // it did not run
    expect((await b.rpc("add", ["d"])).body).toEqual({ result: 4 }); // the cart is still there
    expect(session.instance.items).toEqual(["a", "b", "c", "d"]);
  });

  it("pages that went away come back to their own hibernated state: told to start it afresh, they get it back by id with its state", async () => {
    // Room for three hibernated sessions (≈ 5 KB of their own each), not for their trees and buffers:
    // hibernating is enough, and none is evicted.
    srv = await serve(Counter, { maxSessionBytes: 3 * 5 * 1024 + 2048 });
    const hub = srv.handle.hubs.get("")! as unknown as Hub<Counter>;
    const pages = [];
    for (let n = 1; n <= 3; n++) {
      const b = await srv.browser().start();
      const stream = b.stream(0);
      for (let i = 0; i < n; i++) await b.event("increment");
      await stream.waitFor((m) => shown(m) === String(n), `count ${n}`);
      pages.push({ b, n, lastId: stream.got.at(-1)!.id });
      b.close();
    }
    const sessions = pages.map((p) => hub.get(p.b.sid)!);
    await until(() => sessions.every((s) => !s.connected && s.calls.idle), "every stream to close");

    await hub.pool.sweep();
    expect(sessions.map((s) => s.state)).toEqual(["hibernated", "hibernated", "hibernated"]);
    expect(hub.size).toBe(3); // hibernated, not evicted

    for (const { b, n, lastId } of pages) {
      // The page reconnects where it left off; the tree it shows is gone with the session's hibernation. An init
      // would replace the page (and what was typed in it): the page is told to start its session afresh.
      const again = b.stream(lastId);
      const bye = await again.waitFor(() => true, `page ${n}'s first message`);
      expect(bye).toMatchObject({ type: "bye", data: { reason: "expired" } });
      again.es.close();
      // As the runtime does then: POST /api/session naming its session, which comes back with its state and a first tree.
      const renewed = await b.request("/api/session", { method: "POST", json: { sid: b.sid } });
      expect(renewed.status).toBe(201);
      expect(renewed.body.sid).toBe(b.sid);
      expect(renewed.body.rev).toBe(1);
      expect(countIn(renewed.body.tree)).toBe(String(n));
      expect(renewed.body.hash).toBe(treeHash(JSON.stringify(renewed.body.tree)));
      // The page's stream starts from that tree; its calls go on with their numbers.
      const fresh = b.stream(0);
      await b.event("increment");
      await fresh.waitFor((m) => m.type === "patch" && shown(m) === String(n + 1), `page ${n} counting on`);
      expect(fresh.got.filter((m) => m.type === "init")).toEqual([]);
    }
    expect(sessions.map((s) => s.instance.count)).toEqual([2, 3, 4]);
    // A sid that is not this browser's, or unknown, gets a new session as before.
    const stranger = await srv.browser().request("/api/session", { method: "POST", json: { sid: pages[0]!.b.sid } });
    expect(stranger.status).toBe(201);
    expect(stranger.body.sid).not.toBe(pages[0]!.b.sid);
  });

  it("a form typed and not sent comes back into the same session, its state kept, when the page starts it afresh", async () => {
    class Settings extends App {
      profile = formState({ email: "", name: "" });
      clicks = 0;
      @server.realtime click() {
        this.clicks++;
      }
      @server.rpc async save(_v: { email: string; name: string }) {}
      override render() {
        return h("main", {}, h("p", { id: "clicks" }, String(this.clicks)), form(this, "profile", this.save, (f) => [f.text("email"), f.text("name")]));
      }
    }
    srv = await serve(Settings, { maxSessionBytes: 8 * 1024 }); // room for it hibernated, not with its tree
    const hub = srv.handle.hubs.get("")! as unknown as Hub<Settings>;
    const b = await srv.browser().start();
    const stream = b.stream(0);
    await b.event("click");
    await stream.waitFor((m) => m.type === "patch" && m.data.ack === b.seq, "the click's patch");
    b.close(); // the connection drops (a restart, a network blip) while the visitor types into the form
    const session = hub.get(b.sid)!;
    await until(() => !session.connected && session.calls.idle, "the stream to close");
    await hub.pool.sweep();
    expect(session.state).toBe("hibernated");
    expect(session.view.cold).toBe(true);

    const again = b.stream(stream.got.at(-1)!.id);
    expect(await again.waitFor(() => true, "the first message")).toMatchObject({ type: "bye", data: { reason: "expired" } });
    again.es.close();
    // Asked twice (the first answer lost on the way): the same session both times.
    expect((await b.request("/api/session", { method: "POST", json: { sid: b.sid } })).body.sid).toBe(b.sid);
    const renewed = await b.request("/api/session", { method: "POST", json: { sid: b.sid } });
    expect(renewed.body.sid).toBe(b.sid);
    // What the runtime sends first after that: the page's named fields, by form.
    expect((await b.event("rv.recover", [{ "rv-profile": { email: "ada@example.com", name: "Ada" } }])).status).toBe(202);
    const fresh = b.stream(0);
    const values = await fresh.waitFor((m) => m.type === "patch" && JSON.stringify(m.data.ops).includes("ada@example.com"), "the typed values, back in the form");
    expect(JSON.stringify(values.data.ops)).toContain('"Ada"');
    expect(session.instance.profile.values).toEqual({ email: "ada@example.com", name: "Ada" });
    expect(session.instance.clicks).toBe(1);
  });

  it("counts a session's app state in the budget once it rests: sessions a script filled and left are hibernated as snapshots", async () => {
    class Hoard extends App {
      items: Array<{ id: number; text: string }> = [];
      @server.realtime load() {
        this.items = Array.from({ length: 2_000 }, (_, i) => ({ id: i, text: "x".repeat(50) }));
      }
      override render() {
        return h("p", {}, String(this.items.length)); // a small page: the state is what weighs
      }
    }
    // Room for four small sessions, or for hibernated ones (≈ 140 KB of snapshot each), not for four instances holding 2,000 items (≈ 420 KB).
    srv = await serve(Hoard, { maxSessionBytes: 1_000_000, restAfterMs: 1 });
    const hub = srv.handle.hubs.get("")! as unknown as Hub<Hoard>;
    const pages = [];
    for (let i = 0; i < 4; i++) {
      const b = await srv.browser().start(); // one call each, no stream: what a script does
      expect((await b.event("load")).status).toBe(202);
      pages.push(b);
    }
    await until(() => [...hub.sessions()].every((s) => s.calls.idle), "the calls to finish");
    await new Promise((r) => setTimeout(r, 10));
    await hub.pool.sweep();
    const sessions = pages.map((b) => hub.get(b.sid)!);
    // The least recently used first, until 90 % of the budget is used.
    expect(sessions.map((s) => s.state)).toEqual(["hibernated", "hibernated", "hibernated", "live"]);
    expect(srv.logs.some((l) => l.includes("passed their memory budget"))).toBe(true);
    // Nothing lost: a page back gets its state.
    expect((await pages[0]!.event("load")).status).toBe(202);
    await until(() => sessions[0]!.state === "live" && sessions[0]!.calls.idle, "the first session to wake");
    expect(sessions[0]!.instance.items).toHaveLength(2_000);
  });

  it("counts the app state of sessions kept in use too: a script calling its sessions before they rest does not keep their state out of the budget", async () => {
    class Hoard extends App {
      items: string[] = [];
      @server.realtime stash(text: string) {
        this.items.push(text);
      }
      override render() {
        return h("p", {}, String(this.items.length));
      }
    }
    // No session rests in this test: what it holds is weighed while it is in use.
    srv = await serve(Hoard, { maxSessionBytes: 1_000_000, restAfterMs: 60_000 });
    const hub = srv.handle.hubs.get("")! as unknown as Hub<Hoard>;
    const pages = [];
    for (let i = 0; i < 4; i++) {
      const b = await srv.browser().start();
      expect((await b.event("stash", [String(i).repeat(100_000)])).status).toBe(202); // ≈ 300 KB in the heap, 100 KB hibernated
      pages.push(b);
    }
    await until(() => [...hub.sessions()].every((s) => s.calls.idle), "the calls to finish");
    await hub.pool.sweep();
    // The least recently used first, until 90 % of the budget is used.
    expect(pages.map((b) => hub.get(b.sid)!.state)).toEqual(["hibernated", "hibernated", "live", "live"]);
    expect(srv.logs.some((l) => l.includes("passed their memory budget"))).toBe(true);
  });

  it("counts pages that never connected in the budget: past it, they are ended first, the oldest first, and no page in use loses its tree", async () => {
    class Big extends App {
      items = Array.from({ length: 2_000 }, (_, i) => ({ id: i, text: "x".repeat(50) })); // built for every page load
      override render() {
        return h("p", {}, String(this.items.length));
      }
    }
    srv = await serve(Big, { maxSessionBytes: 2_000_000 });
    const hub = srv.handle.hubs.get("")! as unknown as Hub<Big>;
    // Swept by hand only: on a loaded machine the loads take over a second, and the timer's sweep would find the
    // budget passed by loads still in their grace period, and rightly hibernate the page in use, the one left to give.
    clearInterval((hub.pool as unknown as { timer: ReturnType<typeof setInterval> }).timer);
    const user = await srv.browser().start();
    await user.stream().waitFor((m) => m.type === "init", "the page in use to connect");
    const loads: string[] = [];
    for (let i = 0; i < 30; i++) loads.push(/"sid":"([^"]+)"/.exec((await srv.browser().request("/")).body)![1]!); // a script's page loads, never connected
    expect(hub.pool.pending.size).toBe(30);
    await hub.pool.sweep(Date.now() + 3_000); // as if they had waited 3 s
    const kept = loads.filter((sid) => hub.get(sid) !== undefined);
    expect(kept.length).toBeGreaterThan(0);
    expect(kept.length).toBeLessThan(30);
    expect(kept).toEqual(loads.slice(30 - kept.length)); // the oldest went first
    expect(hub.get(user.sid)!.state).toBe("live"); // the page in use kept its tree
    expect(srv.logs.some((l) => /passed their memory budget .*hibernated 0 and ended \d+ without an open page/.test(l))).toBe(true);
    // A page still loading (under 2 s) is spared: ending it would only make it start again.
    const fresh: string[] = [];
    for (let i = 0; i < 30; i++) fresh.push(/"sid":"([^"]+)"/.exec((await srv.browser().request("/")).body)![1]!);
    await hub.pool.sweep(Date.now() + 500);
    expect(fresh.filter((sid) => hub.get(sid) === undefined)).toEqual([]);
  });

  it("a session whose state throws when read (a getter of its own) does not stop the budget for the others", async () => {
    class Tricky extends App {
      items: Array<{ id: number; text: string }> = [];
      stats: { items: unknown[] | null; readonly total: number } = { items: [], get total() { return this.items!.length; } };
      @server.realtime load() {
        this.items = Array.from({ length: 2_000 }, (_, i) => ({ id: i, text: "x".repeat(50) }));
      }
      @server.realtime trap() {
        this.stats = { items: null, get total() { return this.items!.length; } };
      }
      override render() {
        return h("p", {}, String(this.items.length));
      }
    }
    srv = await serve(Tricky, { maxSessionBytes: 1_000_000, restAfterMs: 1 });
    const hub = srv.handle.hubs.get("")! as unknown as Hub<Tricky>;
    const trap = await srv.browser().start();
    expect((await trap.event("trap")).status).toBe(202);
    const pages = [];
    for (let i = 0; i < 4; i++) {
      const b = await srv.browser().start();
      expect((await b.event("load")).status).toBe(202);
      pages.push(b);
    }
    await until(() => [...hub.sessions()].every((s) => s.calls.idle), "the calls to finish");
    await new Promise((r) => setTimeout(r, 10));
    await hub.pool.sweep();
    await hub.pool.sweep(); // the trap's session is the least recently used: it is reached first, every round
    expect(srv.logs.filter((l) => l.includes("session maintenance failed"))).toEqual([]);
    expect(pages.map((b) => hub.get(b.sid)!.state)).toContain("hibernated");
    expect(hub.get(trap.sid)!.asleep).toBe(false); // its instance kept, not a snapshot
    expect(srv.logs.filter((l) => l.includes("reading its state threw"))).toHaveLength(1); // said once
  });

  it("past the budget even when every tree is gone, evicts the least recently used sessions without a stream, never an open page", async () => {
    srv = await serve(Counter, { maxSessionBytes: 1 });
    const hub = srv.handle.hubs.get("")! as unknown as Hub<Counter>;
    const open = await srv.browser().start();
    const stream = open.stream(0);
    await open.event("increment");
    await stream.waitFor((m) => shown(m) === "1", "count 1");
    const gone = [];
    for (let i = 0; i < 3; i++) {
      const b = await srv.browser().start();
      await b.event("increment");
      gone.push(b);
    }
    await until(() => [...hub.sessions()].every((s) => s.calls.idle), "calls to finish");
    await hub.pool.sweep();
    expect(hub.size).toBe(1);
    expect(hub.get(open.sid)?.state).toBe("hibernated");
    for (const b of gone) expect((await b.event("increment")).body.error.code).toBe("SESSION_NOT_FOUND"); // their pages start new sessions
    expect(srv.logs.some((l) => /hibernated \d+ and ended 3 without an open page, the least recently used first/.test(l))).toBe(true);
    // Nothing left to do (the one session left has its page open): said once, not at every sweep.
    for (let i = 0; i < 5; i++) await hub.pool.sweep();
    expect(srv.logs.filter((l) => l.includes("passed their memory budget"))).toHaveLength(2);
    expect(srv.logs.at(-1)).toMatch(/hibernated 0 and ended 0 .*\(the sessions left all have an open page\)/);
    // The open page's session is kept: its next call runs there, and the page is told to take it back afresh.
    await open.event("increment");
    await stream.waitFor((m) => m.type === "bye" && m.data.reason === "expired", "the open page, told to start its session afresh");
    expect(hub.get(open.sid)!.instance.count).toBe(2);
  });
});

describe("rest", () => {
  it("a session used again soon after each rest (a feed's broadcasts) waits longer before the next one, up to 8×; after a rest that lasted, restAfterMs again", async () => {
    class Feed extends App {
      tick = 0;
      @server.on("tick") onTick(n: number) { this.tick = n; }
      override render() { return h("main", {}, h("p", { id: "count" }, String(this.tick)), h("ul", {}, ...Array.from({ length: 50 }, (_, i) => h("li", {}, `row ${i}`)))); }
    }
    srv = await serve(Feed, { restAfterMs: 100 });
    const hub = srv.handle.hubs.get("")! as unknown as Hub<Feed>;
    const b = await srv.browser().start();
    const stream = b.stream(0);
    await until(() => !!hub.get(b.sid)?.connected, "the stream to open");
    const session = hub.get(b.sid)!;
    const tick = async (n: number) => {
      srv!.handle.emit("tick", n);
      await stream.waitFor((m) => shown(m) === String(n), `tick ${n}`);
    };
    /** Waits for the next rest, and returns how long the session had been idle by then. */
    const rested = async () => {
      await until(() => session.view.resting, "a rest");
      return Date.now() - session.lastActive;
    };
    expect(session.restScale).toBe(1);
    expect(await rested()).toBeGreaterThanOrEqual(100);
    await tick(1); // at once after the rest: it was too short
    expect([session.restScale, session.view.resting]).toEqual([2, false]);
    const idle = await rested();
    expect(idle).toBeGreaterThanOrEqual(200);
    // Asleep for more than twice the idle time its rest followed: it rests after restAfterMs again.
    await new Promise((r) => setTimeout(r, 2 * idle + 300));
    await tick(2);
    expect(session.restScale).toBe(1);
    const scales = [];
    for (let n = 3; n <= 6; n++) {
      expect(await rested()).toBeGreaterThanOrEqual(100 * session.restScale);
      await tick(n);
      scales.push(session.restScale);
    }
    expect(scales).toEqual([2, 4, 8, 8]);
  });
});

describe("the memory budget and state sessions share", () => {
  it("counts an object several sessions hold once, and hibernates a session whose state is mostly shared without copying it", async () => {
    const { mount } = await import("revue/testing");
    const shared = { text: "x".repeat(200_000) }; // a message every session of a room keeps
    class Room extends App {
      messages: Array<{ text: string }> = [];
      own = "";
      @server.rpc receive() {
        this.messages.push(shared);
      }
      @server.rpc write(n: number) {
        this.own = "y".repeat(n);
      }
      override render() {
        return h("p", {}, String(this.messages.length));
      }
    }
    const t = await mount(Room);
    const pages = [t, await t.another(), await t.another()];
    for (const p of pages.slice(0, 2)) await p.rpc("receive");
    await pages[2]!.rpc("write", 50_000); // the third holds only its own
    const hub = t.hub as unknown as Hub<Room>;
    const sessions = pages.map((p) => hub.get(p.sid)!);
    for (const s of sessions) hub.weigh(s);
    const [first, second, third] = sessions.map((s) => s.stateBytes);
    expect(first).toBeGreaterThan(3 * 200_000); // the first weighed counts the message
    expect(second).toBeLessThan(1_000); // the others do not count it again
    expect(third).toBeGreaterThan(3 * 50_000);
    expect(third).toBeLessThan(3 * 60_000); // their own state they do

    // Hibernated, a session whose state is mostly shared keeps its instance: its JSON would be a second copy of the message.
    hub.hibernate(sessions[1]!);
    expect(sessions[1]!.state).toBe("hibernated");
    expect(sessions[1]!.asleep).toBe(false);
    expect(sessions[1]!.instance.messages[0]).toBe(shared);
    // One whose state is its own is kept as its snapshot's JSON, smaller than its objects.
    hub.hibernate(sessions[2]!);
    expect(sessions[2]!.asleep).toBe(true);
    expect(await pages[1]!.rpc("write", 10)).toBeNull(); // and both work on
    expect(await pages[2]!.rpc("write", 10)).toBeNull();
    expect(hub.get(pages[2]!.sid)!.instance.own).toBe("y".repeat(10));
    // The first ends: the next weighed with the message counts it.
    await hub.end(sessions[0]!, "expired");
    hub.weigh(sessions[1]!);
    expect(sessions[1]!.stateBytes).toBeGreaterThan(3 * 200_000);
    await t.unmount();
  });
});
