import fc from "fast-check";
import { afterEach, describe, expect, it, vi } from "vitest";
import { MemoryPubSub, type Logger, type PresenceDiff, type PresenceList, type PubSub } from "revue";
import { Presence, RevueError, UsageError } from "revue/internals";

/**
 * Several presence nodes in one process: each is a `Presence` on its own
 * client of one in-process broker (as each process has its own Redis
 * connection), behind a link that a test can cut and heal to make a node
 * silent without stopping it.
 */

/** A pubsub client whose node-to-node traffic can be cut (both ways), or lose its next message. */
class Link implements PubSub {
  cut = false;
  /** Drops this many of the next outgoing messages (a lost delta). */
  lose = 0;
  constructor(private readonly inner: PubSub) {}
  publish(channel: string, message: string) { return this.inner.publish(channel, message); }
  subscribe(channel: string, handler: (message: string, offset: string) => void) { return this.inner.subscribe(channel, handler); }
  since(channel: string, offset: string) { return this.inner.since(channel, offset); }
  head(channel: string) { return this.inner.head(channel); }
  async notify(channel: string, message: string) {
    if (this.cut) return;
    if (this.lose > 0) return void this.lose--;
    return this.inner.notify(channel, message);
  }
  listen(channel: string, handler: (message: string) => void) { return this.inner.listen(channel, (m) => { if (!this.cut) handler(m); }); }
  close() { return this.inner.close(); }
}

interface Node {
  presence: Presence;
  link: Link;
  diffs: PresenceDiff[];
  logger: { warn: ReturnType<typeof vi.fn<Logger["warn"]>>; error: ReturnType<typeof vi.fn<Logger["error"]>> };
}

const broker = () => new MemoryPubSub();
let running: Node[] = [];

afterEach(async () => {
  for (const n of running.splice(0)) await n.presence.stop();
});

/** Timing for these tests: fast heartbeats, a short down period. */
const FAST = { heartbeatMs: 40, downPeriodMs: 200, batchMs: 10 };

async function node(bus: MemoryPubSub, options: { heartbeatMs?: number; downPeriodMs?: number; batchMs?: number; node?: string; maxPerTopic?: number } = FAST): Promise<Node> {
  const link = new Link(bus.client());
  const diffs: PresenceDiff[] = [];
  const logger = { warn: vi.fn<Logger["warn"]>(), error: vi.fn<Logger["error"]>() };
  const presence = new Presence(link, { ...options, channel: "revue:Test:presence", app: "Test", logger, onDiff: (d) => diffs.push(d) });
  await presence.start();
  const n = { presence, link, diffs, logger };
  running.push(n);
  return n;
}

/** Polls until `cond` holds (bounded). */
async function until(cond: () => boolean, what: string, ms = 3_000): Promise<void> {
  const end = Date.now() + ms;
  while (!cond()) {
    if (Date.now() > end) throw new Error(`timed out after ${ms} ms waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 5));
  }
}

/** A list without refs, metas sorted: what two nodes must agree on. */
function shape(list: PresenceList): Record<string, string[]> {
  return Object.fromEntries(Object.keys(list).sort().map((key) => [key, list[key]!.metas.map(({ ref, ...meta }) => JSON.stringify(meta)).sort()]));
}

const sameEverywhere = (nodes: Node[], topic: string) => nodes.every((n) => JSON.stringify(n.presence.list(topic)) !== undefined && JSON.stringify(shape(n.presence.list(topic))) === JSON.stringify(shape(nodes[0]!.presence.list(topic))));

describe("presence across nodes (one process, one broker)", () => {
  it("merges what every node tracks into one list; one key has a meta per tab", async () => {
    const bus = broker();
    const [a, b, c] = [await node(bus), await node(bus), await node(bus)];
    a.presence.track("s1", "lobby", "ann", { tab: 1 });
    b.presence.track("s2", "lobby", "bob", { tab: 1 });
    c.presence.track("s3", "lobby", "ann", { tab: 2 });
    const want = { ann: ['{"tab":1}', '{"tab":2}'], bob: ['{"tab":1}'] };
    for (const n of [a, b, c]) await until(() => JSON.stringify(shape(n.presence.list("lobby"))) === JSON.stringify(want), "every node to list ann twice and bob");
    // Each meta carries its own ref; refs are unique across nodes.
    const refs = Object.values(a.presence.list("lobby")).flatMap((p) => p.metas.map((m) => m.ref));
    expect(new Set(refs).size).toBe(3);
    // Other topics are separate.
    expect(a.presence.list("elsewhere")).toEqual({});
    // a heard of bob and of ann's second tab as joins (the list changes at once, diffs come a batch later).
    const joined = () => a.diffs.flatMap((d) => Object.entries(d.joins).flatMap(([k, p]) => p.metas.map((m) => `${k}:${m.tab}`))).sort().join();
    await until(() => joined() === "ann:1,ann:2,bob:1", "a's diffs to report the three joins");
  });

  it("takes any key a visitor chooses, those every object inherits included: listed and diffed as keys, on every node", async () => {
    const bus = broker();
    const [a, b] = [await node(bus), await node(bus)];
    const names = ["toString", "__proto__", "constructor", "hasOwnProperty"];
    names.forEach((name, i) => a.presence.track(`s${i}`, "lobby", name, { i }));
    const want = JSON.stringify(Object.fromEntries(names.map((n, i) => [n, [`{"i":${i}}`]]).sort()));
    for (const n of [a, b]) await until(() => JSON.stringify(shape(n.presence.list("lobby"))) === want, "both nodes to list the four keys");
    const joined = (n: Node) => n.diffs.flatMap((d) => Object.keys(d.joins)).sort();
    for (const n of [a, b]) await until(() => joined(n).length === 4, "the joins as diffs");
    expect(joined(b)).toEqual([...names].sort());
    expect(Object.getPrototypeOf(a.presence.list("lobby"))).toBeNull(); // `__proto__` is a key, not the list's prototype
    a.presence.untrack("s0", "lobby", "toString");
    await until(() => b.diffs.some((d) => Object.keys(d.leaves).includes("toString")), "the leave as a diff");
    expect(Object.keys(b.presence.list("lobby")).sort()).toEqual(["__proto__", "constructor", "hasOwnProperty"]);
    expect(a.logger.error).not.toHaveBeenCalled();
  });

  it("a node that starts late gets everyone's presences, and they get its", async () => {
    const bus = broker();
    const a = await node(bus);
    a.presence.track("s1", "lobby", "ann");
    a.presence.flush();
    const late = await node(bus);
    late.presence.track("s2", "lobby", "zed");
    await until(() => Object.keys(late.presence.list("lobby")).sort().join() === "ann,zed", "the late node to list ann and zed");
    await until(() => Object.keys(a.presence.list("lobby")).sort().join() === "ann,zed", "the first node to list zed");
  });

  it("untracking on one node reaches the others; a node cannot remove another node's presences", async () => {
    const bus = broker();
    const [a, b] = [await node(bus), await node(bus)];
    a.presence.track("s1", "lobby", "ann");
    b.presence.track("s2", "lobby", "bob");
    await until(() => Object.keys(a.presence.list("lobby")).length === 2 && Object.keys(b.presence.list("lobby")).length === 2, "both to see both");
    // a does not own s2's presence: nothing happens, here or there.
    a.presence.untrack("s2", "lobby", "bob");
    a.presence.untrackAll("s2");
    a.presence.flush();
    await new Promise((r) => setTimeout(r, 50));
    expect(Object.keys(b.presence.list("lobby")).sort()).toEqual(["ann", "bob"]);
    expect(Object.keys(a.presence.list("lobby")).sort()).toEqual(["ann", "bob"]);
    // Its owner can.
    b.presence.untrack("s2", "lobby", "bob");
    await until(() => Object.keys(a.presence.list("lobby")).join() === "ann", "bob to leave a's list");
    await until(() => Object.keys(a.diffs.at(-1)!.leaves).length > 0, "a's diff");
    expect(a.diffs.at(-1)).toEqual({ topic: "lobby", joins: {}, leaves: { bob: { metas: [{ ref: expect.any(String) }] } } });
  });

  it("says a silent node went down once per process, and only when it held presences", async () => {
    const bus = broker();
    // Two apps of one server (two Presence instances in this process) watch the same two far nodes.
    const [a1, a2] = [await node(bus), await node(bus)];
    const [holding, empty] = [await node(bus, { ...FAST, node: "far-holding" }), await node(bus, { ...FAST, node: "far-empty" })];
    holding.presence.track("s9", "lobby", "zed");
    await until(() => "zed" in a1.presence.list("lobby") && "zed" in a2.presence.list("lobby"), "both to see zed");
    holding.link.cut = true;
    empty.link.cut = true;
    await until(() => !("zed" in a1.presence.list("lobby")) && !("zed" in a2.presence.list("lobby")), "zed to leave", 2_000);
    await new Promise((r) => setTimeout(r, FAST.heartbeatMs * 2));
    const said = [...a1.logger.warn.mock.calls, ...a2.logger.warn.mock.calls].map((c) => String(c[0]));
    expect(said.filter((m) => m.includes("not heard from"))).toEqual([
      `[revue] presence: node "far-holding" was not heard from for 200 ms (presence.downPeriodMs); its 1 presence left. They come back if it does.`,
    ]);
  });

  it("a silent node's presences leave after the down period, not before, and come back with it", async () => {
    const bus = broker();
    const [a, b] = [await node(bus), await node(bus)];
    b.presence.track("s2", "lobby", "bob", { status: "online" });
    await until(() => "bob" in a.presence.list("lobby"), "a to see bob");
    const silentAt = Date.now();
    b.link.cut = true;
    // Half the down period later, bob is still there (a late heartbeat is not a death).
    await new Promise((r) => setTimeout(r, FAST.downPeriodMs / 2));
    expect("bob" in a.presence.list("lobby")).toBe(true);
    await until(() => !("bob" in a.presence.list("lobby")), "bob to leave after the down period", 2_000);
    // The period runs from b's last heartbeat a heard, up to one heartbeat before the cut.
    expect(Date.now() - silentAt).toBeGreaterThanOrEqual(FAST.downPeriodMs - FAST.heartbeatMs);
    await until(() => Object.keys(a.diffs.at(-1)!.leaves).length > 0, "a's diff");
    expect(a.diffs.at(-1)).toEqual({ topic: "lobby", joins: {}, leaves: { bob: { metas: [{ status: "online", ref: expect.any(String) }] } } });
    expect(a.logger.warn).toHaveBeenCalledWith(expect.stringContaining("was not heard from for 200 ms"));
    // b changed while it was cut off; when it is heard again, a asks for its state.
    b.presence.update("s2", "lobby", "bob", { status: "back" });
    b.presence.track("s3", "lobby", "cy");
    b.link.cut = false;
    await until(() => JSON.stringify(shape(a.presence.list("lobby"))) === JSON.stringify({ bob: ['{"status":"back"}'], cy: ["{}"] }), "bob (updated) and cy to join a's list");
    // b saw a go silent too (cut off is cut off, both ways), and knows it again once it hears it.
    await until(() => b.presence.stats().nodes === 2, "b to know a again");
    expect(b.presence.stats()).toEqual({ nodes: 2, presences: 2, local: 2 });
  });

  it("a node down and back within one batch makes no diff (its presences never left for the handlers)", async () => {
    const bus = broker();
    const a = await node(bus, { ...FAST, batchMs: 2_000 });
    const b = await node(bus);
    b.presence.track("s2", "lobby", "bob");
    await until(() => "bob" in a.presence.list("lobby"), "a to see bob");
    a.presence.flush();
    const before = a.diffs.length;
    b.link.cut = true;
    await until(() => !("bob" in a.presence.list("lobby")), "a to drop bob", 2_000);
    b.link.cut = false;
    await until(() => "bob" in a.presence.list("lobby"), "bob to come back");
    a.presence.flush();
    expect(a.diffs.slice(before)).toEqual([]);
  });

  it("a lost delta is repaired by the next heartbeat (the receiver asks for the whole state)", async () => {
    const bus = broker();
    const [a, b] = [await node(bus), await node(bus)];
    b.presence.track("s2", "lobby", "bob");
    await until(() => "bob" in a.presence.list("lobby"), "a to see bob");
    b.link.lose = 1;
    b.presence.track("s3", "lobby", "cy");
    b.presence.flush(); // this delta is lost
    b.presence.track("s4", "lobby", "dee");
    b.presence.flush(); // this one arrives with a gap in seq: not applied on its own
    await until(() => Object.keys(a.presence.list("lobby")).sort().join() === "bob,cy,dee", "a to get cy and dee after the gap");
  });

  it("a restarted node under the same name replaces its old presences at once, without waiting for the down period", async () => {
    const bus = broker();
    const slow = { heartbeatMs: 1_000, downPeriodMs: 60_000, batchMs: 10 };
    const a = await node(bus, slow);
    const old = await node(bus, { ...slow, node: "web-1" });
    old.presence.track("s1", "lobby", "ghost");
    await until(() => "ghost" in a.presence.list("lobby"), "a to see the old process's presence");
    old.link.cut = true; // killed: no goodbye
    await new Promise((r) => setTimeout(r, 2)); // a later incarnation
    const fresh = await node(bus, { ...slow, node: "web-1" });
    fresh.presence.track("s9", "lobby", "ann");
    await until(() => Object.keys(a.presence.list("lobby")).join() === "ann", "the ghost to leave and ann to join", 1_000);
    // A late message of the old incarnation changes nothing.
    old.link.cut = false;
    old.presence.track("s1b", "lobby", "ghost-2");
    old.presence.flush();
    await new Promise((r) => setTimeout(r, 30));
    expect(Object.keys(a.presence.list("lobby"))).toEqual(["ann"]);
    // The old process learns that a newer one took its name.
    await until(() => old.logger.warn.mock.calls.some(([m]) => String(m).includes("a newer process uses this node's presence name")), "the old process to warn");
  });

  it("a clean stop says goodbye: its presences leave at once", async () => {
    const bus = broker();
    const a = await node(bus, { heartbeatMs: 1_000, downPeriodMs: 60_000, batchMs: 10 });
    const b = await node(bus, { heartbeatMs: 1_000, downPeriodMs: 60_000, batchMs: 10 });
    b.presence.track("s2", "lobby", "bob");
    await until(() => "bob" in a.presence.list("lobby"), "a to see bob");
    await b.presence.stop();
    await until(() => !("bob" in a.presence.list("lobby")), "bob to leave at once", 500);
  });

  it("concurrent updates of one key from two tabs on two nodes converge: each tab's last meta, everywhere", async () => {
    const bus = broker();
    const [a, b, c] = [await node(bus), await node(bus), await node(bus)];
    a.presence.track("tab-1", "doc", "ann", { cursor: 0 });
    b.presence.track("tab-2", "doc", "ann", { cursor: 0 });
    for (let i = 1; i <= 30; i++) {
      a.presence.update("tab-1", "doc", "ann", { cursor: i });
      b.presence.update("tab-2", "doc", "ann", (meta) => ({ ...meta, cursor: 100 + i }));
      if (i % 7 === 0) await new Promise((r) => setTimeout(r, 3));
    }
    const want = { ann: ['{"cursor":130}', '{"cursor":30}'] };
    for (const n of [a, b, c]) await until(() => JSON.stringify(shape(n.presence.list("doc"))) === JSON.stringify(want), "every node to show both tabs' last cursor");
  });

  it("delivers a burst of joins as one diff per topic, on the node that tracked them and on the others", async () => {
    const bus = broker();
    const [a, b] = [await node(bus, { ...FAST, batchMs: 50 }), await node(bus, { ...FAST, batchMs: 50 })];
    for (let i = 0; i < 25; i++) a.presence.track(`s${i}`, "lobby", `user-${i}`);
    a.presence.track("s-x", "other", "x");
    await until(() => Object.keys(b.presence.list("lobby")).length === 25, "b to list all 25");
    await until(() => b.diffs.length >= 2, "b's diffs");
    for (const n of [a, b]) {
      const lobby = n.diffs.filter((d) => d.topic === "lobby");
      expect(lobby).toHaveLength(1);
      expect(Object.keys(lobby[0]!.joins)).toHaveLength(25);
      expect(n.diffs.filter((d) => d.topic === "other")).toHaveLength(1);
    }
  });

  it("reports an update as a leave and a join under the same key with a new ref, and a join and leave within a batch as nothing", async () => {
    const bus = broker();
    const a = await node(bus, { ...FAST, batchMs: 1_000 });
    const first = a.presence.track("s1", "lobby", "ann", { status: "online" });
    a.presence.flush();
    const second = a.presence.update("s1", "lobby", "ann", { status: "away" });
    expect(second).not.toBe(first);
    a.presence.track("s2", "lobby", "flicker");
    a.presence.untrack("s2", "lobby", "flicker");
    a.presence.flush();
    expect(a.diffs).toEqual([
      { topic: "lobby", joins: { ann: { metas: [{ status: "online", ref: first }] } }, leaves: {} },
      { topic: "lobby", joins: { ann: { metas: [{ status: "away", ref: second }] } }, leaves: { ann: { metas: [{ status: "online", ref: first }] } } },
    ]);
    // Tracking again with the same meta changes nothing; with another meta it is an update.
    expect(a.presence.track("s1", "lobby", "ann", { status: "away" })).toBe(second);
    a.presence.flush();
    expect(a.diffs).toHaveLength(2);
    expect(a.presence.track("s1", "lobby", "ann", { status: "busy" })).not.toBe(second);
  });

  it("lists copies: changing what list() or a diff returned, or the meta given to track, changes nothing", async () => {
    const a = await node(broker());
    const meta = { status: "online" };
    a.presence.track("s1", "lobby", "ann", meta);
    meta.status = "hacked";
    const list = a.presence.list("lobby");
    list.ann!.metas[0]!.status = "hacked";
    expect(a.presence.list("lobby").ann!.metas[0]!.status).toBe("online");
  });

  it("every node converges to the union of what each node's sessions hold, whatever the operations and their interleaving", async () => {
    const ops = fc.array(
      fc.record({
        node: fc.integer({ min: 0, max: 2 }),
        session: fc.integer({ min: 0, max: 3 }),
        op: fc.constantFrom("track", "update", "untrack", "end", "flush", "tick"),
        key: fc.constantFrom("ann", "bob", "cy"),
        topic: fc.constantFrom("t1", "t2"),
        value: fc.integer({ min: 0, max: 9 }),
      }),
      { maxLength: 60 },
    );
    await fc.assert(
      fc.asyncProperty(ops, async (steps) => {
        const bus = broker();
        const slow = { heartbeatMs: 10_000, downPeriodMs: 60_000, batchMs: 10_000 };
        const nodes = [await node(bus, slow), await node(bus, slow), await node(bus, slow)];
        /** What each node's sessions hold: the truth the merged view must show. */
        const truth = new Map<string, { topic: string; key: string; value: number }>();
        for (const s of steps) {
          const p = nodes[s.node]!.presence;
          const sid = `n${s.node}-s${s.session}`;
          const slot = `${sid}|${s.topic}|${s.key}`;
          if (s.op === "track") {
            p.track(sid, s.topic, s.key, { v: s.value });
            truth.set(slot, { topic: s.topic, key: s.key, value: s.value });
          } else if (s.op === "update" && truth.has(slot)) {
            p.update(sid, s.topic, s.key, { v: s.value });
            truth.set(slot, { topic: s.topic, key: s.key, value: s.value });
          } else if (s.op === "untrack") {
            p.untrack(sid, s.topic, s.key);
            truth.delete(slot);
          } else if (s.op === "end") {
            p.untrackAll(sid);
            for (const k of [...truth.keys()]) if (k.startsWith(`${sid}|`)) truth.delete(k);
          } else if (s.op === "flush") p.flush();
          else await new Promise((r) => setImmediate(r));
        }
        // Publish what each node has left, let it arrive, then deliver what arrived.
        for (const n of nodes) n.presence.flush();
        await new Promise((r) => setImmediate(r));
        for (const n of nodes) n.presence.flush();
        for (const topic of ["t1", "t2"]) {
          const want: Record<string, string[]> = {};
          for (const t of [...truth.values()].filter((t) => t.topic === topic).sort((x, y) => x.key.localeCompare(y.key))) (want[t.key] ??= []).push(JSON.stringify({ v: t.value }));
          for (const k of Object.keys(want)) want[k]!.sort();
          for (const n of nodes) expect(shape(n.presence.list(topic))).toEqual(want);
          // Every diff a node delivered, replayed from nothing, gives its list (nothing missed, nothing doubled).
          for (const n of nodes) {
            const replay = new Map<string, string>();
            for (const d of n.diffs.filter((d) => d.topic === topic)) {
              for (const p of Object.values(d.leaves)) for (const m of p.metas) expect(replay.delete(m.ref)).toBe(true);
              for (const [key, p] of Object.entries(d.joins)) for (const m of p.metas) {
                expect(replay.has(m.ref)).toBe(false);
                replay.set(m.ref, key);
              }
            }
            expect([...replay.keys()].sort()).toEqual(Object.values(n.presence.list(topic)).flatMap((p) => p.metas.map((m) => m.ref)).sort());
          }
        }
        for (const n of running.splice(0)) await n.presence.stop();
      }),
      { numRuns: 60 },
    );
  });
});

describe("presence misuse", () => {
  it("refuses what cannot be a presence, saying what and how to fix it", async () => {
    const a = await node(broker());
    const p = a.presence;
    expect(() => p.track("s", "", "ann")).toThrow(UsageError);
    expect(() => p.track("s", "lobby", 42 as unknown as string)).toThrow(/the key must be a non-empty string.*String\(id\)/);
    expect(() => p.track("s", "lobby", "ann", [] as unknown as Record<string, unknown>)).toThrow(/meta must be a plain object.*got an array/);
    expect(() => p.track("s", "lobby", "ann", { ref: "mine" })).toThrow(/"ref" is Revue's own field/);
    expect(() => p.track("s", "lobby", "ann", { blob: "x".repeat(3000) })).toThrow(/over the 2048 a presence may carry/);
    expect(() => p.track("s", "lobby", "ann", { n: 1n } as unknown as Record<string, unknown>)).toThrow(/meta must be JSON/);
    expect(() => p.update("s", "lobby", "nobody", {})).toThrow(/does not track "nobody" in "lobby". Call this.presence.track/);
    for (let i = 0; i < 64; i++) p.track("s", "lobby", `k${i}`);
    expect(() => p.track("s", "lobby", "one-too-many")).toThrow(/already holds 64 presences, the limit/);
    p.untrack("s", "lobby", "not-tracked"); // nothing to do, no error
  });

  it("bounds a topic's presences on every node together (maxPerTopic), each page getting each change of it", async () => {
    const bus = broker();
    const a = await node(bus, { ...FAST, maxPerTopic: 5 });
    const b = await node(bus, { ...FAST, maxPerTopic: 5 });
    for (let i = 0; i < 3; i++) a.presence.track(`a${i}`, "lobby", `a${i}`);
    await until(() => Object.keys(b.presence.list("lobby")).length === 3, "b to see a's three");
    b.presence.track("b0", "lobby", "b0");
    b.presence.track("b1", "lobby", "b1");
    expect(() => b.presence.track("b2", "lobby", "b2")).toThrow(/the topic already holds 5 presences, the limit.*presence\.maxPerTopic/);
    b.presence.track("b2", "other", "b2"); // another topic has its own room
    b.presence.untrack("b1", "lobby", "b1");
    b.presence.track("b2", "lobby", "b2"); // room again
    // A session restored here from a dead node's snapshot gets its presences back, though that node's still count (down period).
    b.presence.restore("a0", [{ topic: "lobby", key: "a0", meta: {} }]);
    expect(b.presence.entriesOf("a0")).toEqual([{ topic: "lobby", key: "a0", meta: {} }]);
    expect(() => new Presence(new MemoryPubSub(), { channel: "c", app: "Chat", maxPerTopic: 0.5, onDiff() {} })).toThrow(/maxPerTopic must be a positive whole number/);
  });

  it("makes room in a full topic from the presences of pages offline 10 s or more, longest first; else refuses with ROOM_LIMIT", async () => {
    const offline = new Map<string, number>([["on", 0], ["brief", 5_000], ["gone", 60_000], ["gone2", 20_000]]);
    const p = new Presence(new MemoryPubSub(), { channel: "c", app: "Chat", maxPerTopic: 4, onDiff() {}, offlineFor: (sid) => offline.get(sid) ?? 0 });
    for (const sid of ["on", "brief", "gone", "gone2"]) p.track(sid, "lobby", sid);
    p.track("gone", "other", "gone"); // another topic: not touched
    p.track("new", "lobby", "new");
    expect(Object.keys(p.list("lobby")).sort()).toEqual(["brief", "gone2", "new", "on"]);
    expect(p.entriesOf("gone")).toEqual([{ topic: "other", key: "gone", meta: {} }]);
    p.track("new2", "lobby", "new2");
    expect(Object.keys(p.list("lobby")).sort()).toEqual(["brief", "new", "new2", "on"]);
    let err: unknown;
    try {
      p.track("new3", "lobby", "new3");
    } catch (e) {
      err = e;
    }
    expect(err).toMatchObject({ code: "ROOM_LIMIT", message: expect.stringMatching(/already holds 4 presences, the limit.*none of a page offline for 10 s or more.*Catch it/) });
    expect(Object.keys(p.list("lobby")).sort()).toEqual(["brief", "new", "new2", "on"]);
    await p.stop();
  });

  it("refuses a down period shorter than two heartbeats", () => {
    const make = () => new Presence(new MemoryPubSub(), { channel: "c", app: "Chat", heartbeatMs: 1_000, downPeriodMs: 1_500, onDiff() {} });
    expect(make).toThrow(RevueError);
    expect(make).toThrow(/Chat: presence options: downPeriodMs \(1500\) must be at least twice heartbeatMs \(1000\)/);
    expect(() => new Presence(new MemoryPubSub(), { channel: "c", app: "Chat", heartbeatMs: -1, onDiff() {} })).toThrow(/heartbeatMs must be a positive number/);
  });

  it("ignores malformed messages on its channel, with one warning", async () => {
    const bus = broker();
    const [a, b] = [await node(bus), await node(bus)];
    const rogue = bus.client();
    await rogue.notify("revue:Test:presence", "{not json");
    await rogue.notify("revue:Test:presence", JSON.stringify({ type: "delta", node: "x" }));
    b.presence.track("s2", "lobby", "bob");
    await until(() => "bob" in a.presence.list("lobby"), "a to still work");
    expect(a.logger.warn).toHaveBeenCalledTimes(1);
    expect(a.logger.warn).toHaveBeenCalledWith(expect.stringContaining("ignored a malformed presence message on revue:Test:presence"));
  });
});
