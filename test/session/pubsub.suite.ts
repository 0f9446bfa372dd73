import { afterEach, beforeEach, describe, expect, it } from "vitest";
import type { PubSub } from "revue";
import { compareOffsets } from "revue/internals";

/**
 * The contract every PubSub implementation must meet (memory, Redis): call it
 * from a test file with a factory of two distinct clients of one backend (two
 * processes' connections to one broker), and a maximum log length the backend
 * was given (to test catch-up past it).
 */
export function pubsubSuite(name: string, connect: () => Promise<[PubSub, PubSub]> | [PubSub, PubSub], maxLen: number): void {
  describe(`PubSub contract: ${name}`, () => {
    let a: PubSub;
    let b: PubSub;
    beforeEach(async () => {
      [a, b] = await connect();
    });
    afterEach(async () => {
      await a.close().catch(() => {});
      await b.close().catch(() => {});
    });

    const collect = async (bus: PubSub, channel: string) => {
      const got: string[] = [];
      const offsets: string[] = [];
      const off = await bus.subscribe(channel, (m, o) => (got.push(m), offsets.push(o)));
      return { got, offsets, off };
    };
    const waitFor = async (cond: () => boolean, ms = 2_000) => {
      const end = Date.now() + ms;
      while (!cond() && Date.now() < end) await new Promise((r) => setTimeout(r, 5));
    };
    const unique = (prefix: string) => `${prefix}-${Math.random().toString(36).slice(2)}`;

    it("delivers each message once to every subscriber of every client, in publish order, with increasing offsets", async () => {
      const ch = unique("order");
      const one = await collect(a, ch);
      const two = await collect(b, ch);
      const published: string[] = [];
      for (let i = 0; i < 20; i++) published.push(await a.publish(ch, `m${i}`));
      await waitFor(() => one.got.length >= 20 && two.got.length >= 20);
      await new Promise((r) => setTimeout(r, 30)); // nothing more arrives
      expect(one.got).toEqual(Array.from({ length: 20 }, (_, i) => `m${i}`));
      expect(two.got).toEqual(one.got);
      expect(one.offsets).toEqual(published);
      for (let i = 1; i < published.length; i++) expect(compareOffsets(published[i]!, published[i - 1]!)).toBeGreaterThan(0);
    });

    it("keeps one publisher's order when two clients publish at once", async () => {
      const ch = unique("two");
      const seen = await collect(a, ch);
      await Promise.all([
        (async () => { for (let i = 0; i < 15; i++) await a.publish(ch, `a${i}`); })(),
        (async () => { for (let i = 0; i < 15; i++) await b.publish(ch, `b${i}`); })(),
      ]);
      await waitFor(() => seen.got.length >= 30);
      expect(seen.got.filter((m) => m.startsWith("a"))).toEqual(Array.from({ length: 15 }, (_, i) => `a${i}`));
      expect(seen.got.filter((m) => m.startsWith("b"))).toEqual(Array.from({ length: 15 }, (_, i) => `b${i}`));
    });

    it("keeps channels apart", async () => {
      const left = unique("left");
      const one = await collect(b, left);
      await a.publish(unique("right"), "x");
      await a.publish(left, "y");
      await waitFor(() => one.got.length > 0);
      await new Promise((r) => setTimeout(r, 30));
      expect(one.got).toEqual(["y"]);
    });

    it("delivers asynchronously, never inside publish", async () => {
      const ch = unique("async");
      const one = await collect(a, ch);
      const p = a.publish(ch, "x");
      expect(one.got).toEqual([]);
      await p;
      await waitFor(() => one.got.length > 0);
      expect(one.got).toEqual(["x"]);
    });

    it("stops delivering after unsubscribe, and closing one client leaves the other working", async () => {
      const ch = unique("off");
      const one = await collect(a, ch);
      const two = await collect(b, ch);
      await one.off();
      await a.close();
      await b.publish(ch, "x");
      await waitFor(() => two.got.length > 0);
      await new Promise((r) => setTimeout(r, 30));
      expect(one.got).toEqual([]);
      expect(two.got).toEqual(["x"]);
      await expect(a.publish(ch, "y")).rejects.toThrow(/closed/);
    });

    it("logs messages: since(offset) gives what came after it, head() the last offset", async () => {
      const ch = unique("log");
      expect(await b.head(ch)).toBe("0-0");
      expect(await b.since(ch, "0-0")).toEqual([]);
      const offsets: string[] = [];
      for (let i = 0; i < 5; i++) offsets.push(await a.publish(ch, `m${i}`));
      expect(await b.head(ch)).toBe(offsets[4]);
      expect(await b.since(ch, offsets[1]!)).toEqual(offsets.slice(2).map((offset, i) => ({ offset, message: `m${i + 2}` })));
      expect(await b.since(ch, offsets[4]!)).toEqual([]);
      expect((await b.since(ch, "0-0"))?.map((e) => e.message)).toEqual(["m0", "m1", "m2", "m3", "m4"]);
    });

    it(`says when the log no longer reaches back to an offset (past its ${maxLen} messages)`, async () => {
      const ch = unique("trim");
      const first = await a.publish(ch, "first");
      for (let i = 0; i < maxLen + 5; i++) await a.publish(ch, `m${i}`);
      expect(await b.since(ch, first)).toBeUndefined();
      const recent = await b.head(ch);
      expect(await b.since(ch, recent)).toEqual([]);
    });

    it("notifies current listeners of every client, without a log", async () => {
      const ch = unique("ping");
      const heard: string[] = [];
      const stop = await b.listen(ch, (m) => heard.push(m));
      await a.notify(ch, "hello");
      await waitFor(() => heard.length > 0);
      expect(heard).toEqual(["hello"]);
      expect(await a.since(ch, "0-0")).toEqual([]); // notifications are not logged
      await stop();
      await a.notify(ch, "again");
      await new Promise((r) => setTimeout(r, 30));
      expect(heard).toEqual(["hello"]);
    });
  });
}
