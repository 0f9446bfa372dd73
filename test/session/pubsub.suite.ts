import { afterEach, beforeEach, describe, expect, it } from "vitest";
import type { PubSub } from "revue";

/**
 * The contract every PubSub implementation must meet (memory now, Redis later):
 * call it from a test file with a factory.
 */
export function pubsubSuite(name: string, make: () => Promise<PubSub> | PubSub): void {
  describe(`PubSub contract: ${name}`, () => {
    let a: PubSub;
    let b: PubSub;
    beforeEach(async () => {
      a = await make();
      b = a; // implementations sharing a backend may return distinct clients; the suite treats them alike
    });
    afterEach(async () => {
      await a.close();
    });

    const collect = async (bus: PubSub, channel: string) => {
      const got: string[] = [];
      const off = await bus.subscribe(channel, (m) => got.push(m));
      return { got, off };
    };
    const waitFor = async (cond: () => boolean) => {
      for (let i = 0; i < 200 && !cond(); i++) await new Promise((r) => setTimeout(r, 5));
    };

    it("delivers messages to every subscriber of a channel, in publish order", async () => {
      const one = await collect(a, "c1");
      const two = await collect(b, "c1");
      for (let i = 0; i < 20; i++) await a.publish("c1", `m${i}`);
      await waitFor(() => one.got.length === 20 && two.got.length === 20);
      expect(one.got).toEqual(Array.from({ length: 20 }, (_, i) => `m${i}`));
      expect(two.got).toEqual(one.got);
    });

    it("keeps channels apart", async () => {
      const one = await collect(a, "left");
      await a.publish("right", "x");
      await a.publish("left", "y");
      await waitFor(() => one.got.length > 0);
      expect(one.got).toEqual(["y"]);
    });

    it("delivers asynchronously, never inside publish", async () => {
      const one = await collect(a, "async");
      const p = a.publish("async", "x");
      expect(one.got).toEqual([]);
      await p;
      await waitFor(() => one.got.length > 0);
      expect(one.got).toEqual(["x"]);
    });

    it("stops delivering after unsubscribe", async () => {
      const one = await collect(a, "off");
      await one.off();
      await a.publish("off", "x");
      await new Promise((r) => setTimeout(r, 30));
      expect(one.got).toEqual([]);
    });

    it("refuses to publish after close", async () => {
      const other = await make();
      await other.close();
      await expect(other.publish("c", "x")).rejects.toThrow(/closed/);
    });
  });
}
