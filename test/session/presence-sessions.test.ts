import { afterEach, describe, expect, it, vi } from "vitest";
import { App, h, MemoryPubSub, server, type Logger, type PresenceDiff, type PubSub } from "revue";
import { Hub, pageCall, RegistryError, UsageError, type ServerMessage, type Session, type Sink } from "revue/internals";

/**
 * `this.presence` in sessions: several hubs of one app sharing one broker are
 * several nodes; their sessions' presences merge, the `@server.on("presence")`
 * handlers of every session following a topic (tracking in it, or in its room)
 * hear its diffs (then re-render), their pages get the diff as an event, and a
 * session's presences leave when it ends.
 */

const FAST = { heartbeatMs: 40, downPeriodMs: 200, batchMs: 10 };

/** A pubsub client whose traffic a test can cut, to make a node silent without stopping it. */
class Link implements PubSub {
  cut = false;
  constructor(private readonly inner: PubSub) {}
  publish(c: string, m: string) { return this.inner.publish(c, m); }
  subscribe(c: string, h: (m: string, o: string) => void) { return this.inner.subscribe(c, h); }
  since(c: string, o: string) { return this.inner.since(c, o); }
  head(c: string) { return this.inner.head(c); }
  async notify(c: string, m: string) { if (!this.cut) return this.inner.notify(c, m); }
  listen(c: string, h: (m: string) => void) { return this.inner.listen(c, (m) => { if (!this.cut) h(m); }); }
  close() { return this.inner.close(); }
}

class Lobby extends App {
  name = "";
  online: string[] = [];
  heard: PresenceDiff[] = [];
  static diffsHeard = 0;

  @server.realtime enter(name: string) {
    this.name = name;
    this.presence.track("lobby", name, { since: 1 });
  }
  @server.realtime away() { this.presence.update("lobby", this.name, (m) => ({ ...m, away: true })); }
  @server.realtime exit() { this.presence.untrack("lobby", this.name); }
  /** Follows the lobby's diffs without being in it: the room of the topic's name. */
  @server.realtime watch() { this.join("lobby"); }
  @server.on("presence") changed(diff: PresenceDiff) {
    this.heard.push(diff);
    if (diff.topic === "lobby") this.online = Object.keys(this.presence.list("lobby")).sort();
  }
  @server.on("presence") static counted() { Lobby.diffsHeard++; }
  override render() {
    return h("ul", {}, this.online.map((n) => h("li", { key: n }, n)));
  }
}

interface TestNode {
  hub: Hub<Lobby>;
  link: Link;
  messages: Array<[string, ServerMessage]>;
  logger: { warn: ReturnType<typeof vi.fn<Logger["warn"]>>; error: ReturnType<typeof vi.fn<Logger["error"]>> };
}

let nodes: TestNode[] = [];
afterEach(async () => {
  for (const n of nodes.splice(0)) await n.hub.stop();
  Lobby.diffsHeard = 0;
});

async function startNode(bus: MemoryPubSub, limits = {}): Promise<TestNode> {
  const link = new Link(bus.client());
  const messages: Array<[string, ServerMessage]> = [];
  const logger = { warn: vi.fn<Logger["warn"]>(), error: vi.fn<Logger["error"]>() };
  const hub = new Hub(Lobby, { pubsub: link, logger, presence: FAST, limits, deliver: (s, m) => messages.push([s.sid, m]) });
  await hub.start();
  const n = { hub, link, messages, logger };
  nodes.push(n);
  return n;
}

async function until(cond: () => boolean, what: string, ms = 3_000): Promise<void> {
  const end = Date.now() + ms;
  while (!cond()) {
    if (Date.now() > end) throw new Error(`timed out after ${ms} ms waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 5));
  }
}

let seq = new WeakMap<Session, number>();
const call = (hub: Hub<Lobby>, s: Session<Lobby>, name: string, ...args: unknown[]) => {
  const next = (seq.get(s) ?? 0) + 1;
  seq.set(s, next);
  return hub.call(s, pageCall("realtime", name, next, args));
};
const events = (n: TestNode, s: Session) => n.messages.filter(([sid, m]) => sid === s.sid && m.type === "event").map(([, m]) => (m as { data: PresenceDiff }).data);

/** The README's example (section "Presence"), as written there. */
class Room extends App {
  name = "";
  online: string[] = [];
  @server.realtime enter(name: string) { this.name = name; this.presence.track("lobby", name, { since: Date.now() }); }
  @server.on("connect") back() {
    this.join("lobby"); // follows the lobby's diffs before entering it
    this.online = Object.keys(this.presence.list("lobby")); // starting from who is there
    if (this.name) this.presence.track("lobby", this.name, { since: Date.now() });
  }
  @server.on("disconnect") gone() { if (this.name) this.presence.untrack("lobby", this.name); }
  @server.on("presence") changed(diff: PresenceDiff) {
    if (diff.topic === "lobby") this.online = Object.keys(this.presence.list("lobby"));
  }
  override render() { return h("ul", {}, this.online.map((name) => h("li", { key: name }, name))); }
}

describe("this.presence across hubs (nodes) sharing a broker", () => {
  it("the README's example: two nodes, each page online while connected", async () => {
    const bus = new MemoryPubSub();
    const logger = { warn: vi.fn<Logger["warn"]>(), error: vi.fn<Logger["error"]>() };
    const [one, two] = [new Hub(Room, { pubsub: bus.client(), logger, presence: FAST }), new Hub(Room, { pubsub: bus.client(), logger, presence: FAST })];
    await one.start();
    await two.start();
    try {
      const ann = await one.createSession();
      const bob = await two.createSession();
      await one.call(ann, pageCall("realtime", "enter", 1, ["ann"]));
      await two.call(bob, pageCall("realtime", "enter", 1, ["bob"]));
      await until(() => ann.instance.online.sort().join() === "ann,bob" && bob.instance.online.sort().join() === "ann,bob", "ann and bob to see each other");
      const sink: Sink = { write: () => true, end() {}, destroy() {}, writableLength: 0, writableEnded: false, destroyed: false, once() {} };
      // A page that has not entered sees who is there as it connects, and follows the lobby from then on.
      const watcher = await one.createSession();
      one.connect(watcher, { ...sink });
      await until(() => watcher.instance.online.sort().join() === "ann,bob", "the watcher to see ann and bob");
      two.connect(bob, sink);
      two.disconnect(bob, sink); // bob's page went away
      await until(() => ann.instance.online.join() === "ann" && watcher.instance.online.join() === "ann", "bob to leave when his page went away");
      expect(logger.error).not.toHaveBeenCalled();
    } finally {
      await one.stop();
      await two.stop();
    }
  });

  it("every session following the topic on every node hears each diff in @server.on(\"presence\") and re-renders; pages get it as an event; the others hear nothing", async () => {
    const bus = new MemoryPubSub();
    const [a, b] = [await startNode(bus), await startNode(bus)];
    const ann = await a.hub.createSession();
    const watcher = await a.hub.createSession();
    const bystander = await a.hub.createSession();
    const bob = await b.hub.createSession();
    await call(a.hub, watcher, "watch");
    await call(a.hub, ann, "enter", "ann");
    await call(b.hub, bob, "enter", "bob");
    for (const [n, s] of [[a, ann], [a, watcher], [b, bob]] as const) {
      await until(() => s.instance.online.join() === "ann,bob", `${s.instance.name || "the watcher"} to see ann and bob`);
    }
    await Promise.all([a.hub.settle(), b.hub.settle()]);
    // The handler ran, then the session re-rendered: its page was patched with the names.
    const patched = (n: TestNode, s: Session) => n.messages.filter(([sid, m]) => sid === s.sid && m.type === "patch").length;
    expect(patched(a, watcher)).toBeGreaterThan(0);
    expect((watcher.view.current() as { children: Array<{ text?: string }> }).children.map((li) => li.text)).toEqual(["ann", "bob"]);
    // What rv.on("presence") gets: the same diffs, as events.
    expect(events(a, watcher).flatMap((d) => Object.keys(d.joins)).sort()).toEqual(["ann", "bob"]);
    expect(events(b, bob)[0]).toEqual({ topic: "lobby", joins: expect.any(Object), leaves: {} });
    // A session that neither tracks in the lobby nor is in its room hears nothing of who is there, nor does its page.
    expect(bystander.instance.heard).toEqual([]);
    expect(events(a, bystander)).toEqual([]);
    // Static handlers run once per diff on each node, not once per session.
    expect(Lobby.diffsHeard).toBe(a.messages.filter(([sid, m]) => sid === watcher.sid && m.type === "event").length + events(b, bob).length);

    // An update: a leave and a join of ann, with the new meta.
    await call(a.hub, ann, "away");
    await until(() => bob.instance.heard.some((d) => d.joins.ann?.metas[0]?.away === true), "bob to hear ann's update");
    const update = bob.instance.heard.find((d) => d.joins.ann?.metas[0]?.away === true)!;
    expect(update.leaves.ann!.metas).toEqual([{ since: 1, ref: expect.any(String) }]);
    expect(update.joins.ann!.metas).toEqual([{ since: 1, away: true, ref: expect.any(String) }]);

    await call(b.hub, bob, "exit");
    await until(() => ann.instance.online.join() === "ann" && watcher.instance.online.join() === "ann", "bob to leave a's sessions' lists");
  });

  it("a session's presences leave when it ends: expiry, eviction, shutdown of its node", async () => {
    const bus = new MemoryPubSub();
    const [a, b] = [await startNode(bus), await startNode(bus)];
    const watcher = await a.hub.createSession();
    await call(a.hub, watcher, "watch");
    const [x, y] = [await b.hub.createSession(), await b.hub.createSession()];
    const z = await a.hub.createSession();
    await call(b.hub, x, "enter", "x");
    await call(b.hub, y, "enter", "y");
    await call(a.hub, z, "enter", "z");
    await until(() => watcher.instance.online.join() === "x,y,z", "the watcher to see x, y and z");

    // Expiry: its record went from the store (a sign-out everywhere), the next round ends it.
    await b.hub.store.delete(x.sid);
    await b.hub.expire();
    await until(() => watcher.instance.online.join() === "y,z", "x to leave when its session expired");
    // Eviction (the pool's, to make room).
    await a.hub.evict(z);
    await until(() => watcher.instance.online.join() === "y", "z to leave when its session was evicted");
    // Shutdown: node b stops; its sessions end and it says goodbye.
    const stopped = Date.now();
    await b.hub.stop();
    nodes = nodes.filter((n) => n !== b);
    await until(() => watcher.instance.online.join() === "", "y to leave when its node shut down", 1_000);
    expect(Date.now() - stopped).toBeLessThan(FAST.downPeriodMs);
  });

  it("a dead node's presences leave after the down period; a hibernated session keeps its own", async () => {
    const bus = new MemoryPubSub();
    const [a, b] = [await startNode(bus), await startNode(bus)];
    const watcher = await a.hub.createSession();
    await call(a.hub, watcher, "watch");
    const sleeper = await a.hub.createSession();
    const bob = await b.hub.createSession();
    await call(b.hub, bob, "enter", "bob");
    await call(a.hub, sleeper, "enter", "sleeper");
    await until(() => watcher.instance.online.join() === "bob,sleeper", "the watcher to see bob and the sleeper");
    await a.hub.settle();
    a.hub.hibernate(sleeper);
    expect(sleeper.asleep).toBe(true);
    b.link.cut = true; // b is gone without a word (SIGKILL, a partition)
    await until(() => watcher.instance.online.join() === "sleeper", "bob to leave after the down period", 2_000);
    expect(a.logger.warn).toHaveBeenCalledWith(expect.stringContaining("was not heard from for 200 ms"));
    // The hibernated session heard the diff too: it was revived to run its handler.
    expect(sleeper.instance.online).toEqual(["sleeper"]);
  });

  it("\"presence\" is Revue's: neither server code nor a page may emit it", async () => {
    const bus = new MemoryPubSub();
    const a = await startNode(bus);
    const s = await a.hub.createSession();
    expect(() => a.hub.emit("presence", {})).toThrow(UsageError);
    expect(() => s.instance.emit("presence", {})).toThrow(/only Revue may emit it. Use this.presence.track/);
    await expect((async () => a.hub.call(s, pageCall("emit", "presence", 1, [], { topic: "lobby", joins: { fake: { metas: [] } }, leaves: {} })))()).rejects.toMatchObject({
      code: "BAD_REQUEST",
    });
    expect(s.instance.heard).toEqual([]);
  });

  it("this.presence explains itself on an instance made with new, and cannot be shadowed by a decorated method", () => {
    expect(() => new Lobby().presence.list("lobby")).toThrow(/Lobby\.presence\.list: this instance is not attached to a session/);
    expect(() => {
      class Bad extends App {
        // @ts-expect-error -- the point: TypeScript refuses it too
        @server.rpc presence() {}
      }
      return Bad;
    }).toThrow(RegistryError);
  });

  it("tracking in a session that is then refused leaves nothing behind", async () => {
    const bus = new MemoryPubSub();
    const a = await startNode(bus);
    class Eager extends App {
      constructor() {
        super();
        this.presence.track("lobby", "eager");
        throw new Error("boom");
      }
    }
    const hub = new Hub(Eager, { pubsub: bus.client(), logger: a.logger, presence: FAST });
    await hub.start();
    await expect(hub.createSession()).rejects.toThrow("boom");
    expect(hub.presence.list("lobby")).toEqual({});
    await hub.stop();
  });
});
