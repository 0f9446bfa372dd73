import { afterEach, describe, expect, it } from "vitest";
import { App, h, MemoryPubSub, server, type PresenceDiff, type PubSub } from "revue";
import { serve, until, type Received } from "../server/harness.js";

/**
 * Presence over real HTTP: two servers in this process sharing one broker are
 * two nodes; pages (a cookie jar and a real EventSource each) on either see
 * each other join and leave, as `presence` events on their stream (what
 * `rv.on("presence")` gets) and in the page they render.
 */

const FAST = { heartbeatMs: 40, downPeriodMs: 200, batchMs: 10 };

class Here extends App {
  name = "";
  online: string[] = [];
  @server.realtime hello(name: string) {
    this.name = name;
    this.presence.track("room", name, { page: true });
  }
  @server.on("connect") back() {
    // Follows the room from the page's first connect, as the README's presence example does: a session that only
    // followed once it tracked would miss a join its node sent out before (ann's, when bob's hello ran > 20 ms later).
    this.join("room");
    if (this.name) this.presence.track("room", this.name, { page: true });
  }
  @server.on("disconnect") gone() { if (this.name) this.presence.untrack("room", this.name); }
  @server.on("presence") changed() { this.online = Object.keys(this.presence.list("room")).sort(); }
  override render() {
    return h("p", {}, `online: ${this.online.join(",")}`);
  }
}

/** A pubsub client whose traffic a test can cut: a node that goes silent (killed, partitioned). */
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

let closing: Array<() => Promise<void>> = [];
afterEach(async () => {
  for (const close of closing.splice(0)) await close();
});

async function twoNodes() {
  const bus = new MemoryPubSub();
  const links = [new Link(bus.client()), new Link(bus.client())];
  const [one, two] = await Promise.all(links.map((pubsub) => serve(Here, { pubsub, presence: FAST })));
  closing.push(() => one!.close(), () => two!.close());
  return { one: one!, two: two!, links };
}

const presenceDiffs = (got: Received[]) => got.filter((m) => m.type === "event" && m.data.event === "presence").map((m) => m.data.data as PresenceDiff);
const shown = (got: Received[]) => {
  const texts = got.flatMap((m) => (m.type === "patch" ? m.data.ops.filter((o: { op: string }) => o.op === "text").map((o: { text: string }) => o.text) : []));
  return texts.at(-1);
};

describe("presence over HTTP, two nodes", () => {
  it("pages on two nodes see each other join and leave, as presence events and in their page", async () => {
    const { one, two } = await twoNodes();
    const ann = await one.browser().start();
    const bob = await two.browser().start();
    const annStream = ann.stream();
    const bobStream = bob.stream();
    await annStream.waitFor((m) => m.type === "init", "ann's init");
    await bobStream.waitFor((m) => m.type === "init", "bob's init");
    expect((await ann.event("hello", ["ann"])).status).toBe(202);
    expect((await bob.event("hello", ["bob"])).status).toBe(202);

    // Each page hears the other's join, whichever node it is on.
    const joined = (got: Received[], name: string) => presenceDiffs(got).some((d) => d.topic === "room" && name in d.joins);
    await until(() => joined(annStream.got, "bob") && joined(bobStream.got, "ann"), "each page to get the other's join");
    const bobJoin = presenceDiffs(annStream.got).find((d) => "bob" in d.joins)!;
    expect(bobJoin).toEqual({ topic: "room", joins: { bob: { metas: [{ page: true, ref: expect.any(String) }] } }, leaves: {} });
    await until(() => shown(annStream.got) === "online: ann,bob" && shown(bobStream.got) === "online: ann,bob", "both pages to show ann and bob");

    // Bob's page goes away (its stream closes): he leaves ann's page.
    bob.close();
    await until(() => presenceDiffs(annStream.got).some((d) => "bob" in d.leaves), "ann's page to get bob's leave");
    await until(() => shown(annStream.got) === "online: ann", "ann's page to show only ann");
    // Bob comes back on the same session: he joins again.
    const again = bob.stream();
    await again.waitFor((m) => m.type === "init" || m.type === "patch", "bob's stream again");
    await until(() => shown(annStream.got) === "online: ann,bob", "ann's page to show bob again");
  });

  it("the pages of a node that goes silent leave the other node's pages after the down period", async () => {
    const { one, two, links } = await twoNodes();
    const ann = await one.browser().start();
    const bob = await two.browser().start();
    const annStream = ann.stream();
    bob.stream();
    await annStream.waitFor((m) => m.type === "init", "ann's init");
    await ann.event("hello", ["ann"]);
    await bob.event("hello", ["bob"]);
    await until(() => shown(annStream.got) === "online: ann,bob", "ann's page to show ann and bob");
    links[1]!.cut = true; // node two stops talking (its process hangs, the network splits)
    const at = Date.now();
    await until(() => shown(annStream.got) === "online: ann", "bob to leave ann's page", 3_000);
    // The down period runs from when the node was last heard, which can be up to a heartbeat before the cut.
    expect(Date.now() - at).toBeGreaterThanOrEqual(FAST.downPeriodMs - FAST.heartbeatMs);
    expect(one.logs.some((l) => l.includes("presence: node") && l.includes("was not heard from"))).toBe(true);
    links[1]!.cut = false;
    await until(() => shown(annStream.got) === "online: ann,bob", "bob to come back with his node");
  });

  it("refuses a page's emit of \"presence\" (400): a page cannot forge a diff", async () => {
    const { one } = await twoNodes();
    const ann = await one.browser().start();
    const r = await ann.emit("presence", { topic: "room", joins: { mallory: { metas: [] } }, leaves: {} });
    expect(r.status).toBe(400);
    expect(r.body.error.message).toMatch(/"presence" carries Revue's presence diffs/);
  });

  it("refuses bad presence options when the server is created", async () => {
    await expect(serve(Here, { presence: { heartbeatMs: 1_000, downPeriodMs: 1_000 } })).rejects.toThrow(/Here: presence options: downPeriodMs \(1000\) must be at least twice heartbeatMs/);
  });
});
