import { afterEach, describe, expect, it } from "vitest";
import type { Hub, Node } from "revue/internals";
import { treeHash } from "../../src/protocol.js";
import { Counter } from "../../examples/counter/app.js";
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

/** Checks an init the way the runtime does: its hash is the hash of its tree's JSON. */
function expectIntact(m: Received) {
  expect(m.type).toBe("init");
  expect(m.data.hash).toBe(treeHash(JSON.stringify(m.data.tree)));
}

/**
 * A tiny memory budget (maxSessionBytes: 1) puts every session past it, so a
 * maintenance round hibernates them all. The rounds are forced with
 * `pool.sweep()`; the pool's own timer may run one too, which changes nothing
 * the tests look at (a hibernated session hibernated again is the same).
 */
describe("hibernation over HTTP", () => {
  it("an open page whose session was hibernated gets an init with its state after its next call, and no count is lost", async () => {
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

    const before = stream.got.length;
    const lastId = stream.got.at(-1)!.id;
    expect((await b.event("increment")).status).toBe(202);
    await until(() => stream.got.length > before, "a message after the call");
    const next = stream.got[before]!;
    expectIntact(next);
    expect(countIn(next.data.tree)).toBe("4");
    expect(next.id).toBe(lastId + 1); // no frame skipped: the page sees one gap-free stream
    expect(next.data.ack).toBe(b.seq);
    expect(session.state).toBe("live");

    // And it goes on as before: patches again, the rpc sees the count.
    expect((await b.event("increment")).status).toBe(202);
    await stream.waitFor((m) => m.type === "patch" && shown(m) === "5", "a patch to 5");
    expect((await b.rpc("reset", [7])).body).toEqual({ result: 7 });
    await stream.waitFor((m) => shown(m) === "7", "count 7");
  });

  it("pages that went away come back to their own hibernated state with an init on reconnect", async () => {
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
      // The page reconnects where it left off; its replay buffer went with the tree, so it gets an init.
      const again = b.stream(lastId);
      const first = await again.waitFor(() => true, `page ${n}'s first message`);
      expectIntact(first);
      expect(countIn(first.data.tree)).toBe(String(n));
      expect(first.id).toBe(lastId + 1);
      await b.event("increment");
      await again.waitFor((m) => m.type === "patch" && shown(m) === String(n + 1), `page ${n} counting on`);
    }
    expect(sessions.map((s) => s.instance.count)).toEqual([2, 3, 4]);
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
    expect(srv.logs.some((l) => /hibernated \d+ and evicted 3 of the least recently used/.test(l))).toBe(true);
    await open.event("increment");
    await stream.waitFor((m) => m.type === "init" && shown(m) === "2", "the open page, back from hibernation");
  });
});
