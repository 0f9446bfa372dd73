import { afterEach, beforeEach, describe, expect, it } from "vitest";
import type { SessionRecord, SessionStore } from "revue";

/**
 * The contract every SessionStore implementation must meet (memory now, Redis
 * later). `advance(ms)` moves the store's clock, or waits, so TTLs can pass.
 */
export function sessionStoreSuite(name: string, make: () => Promise<SessionStore> | SessionStore, advance: (ms: number) => Promise<void>): void {
  describe(`SessionStore contract: ${name}`, () => {
    let store: SessionStore;
    const rec = (sid: string): SessionRecord => ({ sid, app: "", owner: `owner-${sid}`, createdAt: 1 });
    beforeEach(async () => {
      store = await make();
    });
    afterEach(async () => {
      await store.close();
    });

    it("returns what was created, and nothing for unknown ids", async () => {
      await store.create(rec("a"), 10_000);
      expect(await store.get("a")).toEqual(rec("a"));
      expect(await store.get("zzz")).toBeUndefined();
    });

    it("refuses to create the same id twice", async () => {
      await store.create(rec("a"), 10_000);
      await expect(store.create(rec("a"), 10_000)).rejects.toThrow(/already exists/);
    });

    it("expires a session after its TTL unless touched", async () => {
      await store.create(rec("old"), 100);
      await store.create(rec("kept"), 100);
      await advance(60);
      expect(await store.touch("kept", 100)).toBe(true);
      await advance(60);
      expect(await store.get("old")).toBeUndefined();
      expect(await store.get("kept")).toBeDefined();
    });

    it("deletes one session and leaves the others", async () => {
      await store.create(rec("a"), 10_000);
      await store.create(rec("b"), 10_000);
      await store.delete("a");
      expect(await store.get("a")).toBeUndefined();
      expect(await store.get("b")).toEqual(rec("b"));
    });

    it("lets an expired id be created again", async () => {
      await store.create(rec("a"), 50);
      await advance(80);
      await store.create({ ...rec("a"), owner: "new" }, 10_000);
      expect((await store.get("a"))?.owner).toBe("new");
    });

    it("does not resurrect an expired session on touch", async () => {
      await store.create(rec("a"), 50);
      await advance(80);
      expect(await store.touch("a", 10_000)).toBe(false);
      expect(await store.get("a")).toBeUndefined();
      expect(await store.touch("never-created", 10_000)).toBe(false);
    });

    it("grants a session to one node at a time, with a higher token each time", async () => {
      await store.create(rec("s"), 10_000);
      const a = await store.claim("s", "node-a", 100);
      expect(a).toMatchObject({ node: "node-a" });
      expect(await store.claim("s", "node-b", 100)).toBeUndefined(); // a holds it
      const again = await store.claim("s", "node-a", 100); // the holder may claim again
      expect(again!.token).toBeGreaterThan(a!.token);
      await advance(150); // a did not renew
      const b = await store.claim("s", "node-b", 100);
      expect(b!.token).toBeGreaterThan(again!.token);
      expect((await store.load("s"))?.holder).toMatchObject({ node: "node-b", token: b!.token });
      expect(await store.claim("unknown", "node-a", 100)).toBeUndefined();
    });

    it("fences: a node that lost its lease can neither renew nor save", async () => {
      await store.create(rec("s"), 10_000);
      const a = (await store.claim("s", "node-a", 100))!;
      expect(await store.save("s", a, '{"v":1,"n":1}')).toBe(true);
      expect(await store.renew("s", a, 100)).toBe(true);
      const b = (await store.claim("s", "node-b", 100, true))!; // a is known dead: stolen
      expect(await store.save("s", a, '{"v":1,"n":2}')).toBe(false);
      expect(await store.renew("s", a, 100)).toBe(false);
      expect((await store.load("s"))?.snapshot).toBe('{"v":1,"n":1}');
      expect(await store.save("s", b, '{"v":1,"n":3}')).toBe(true);
      expect((await store.load("s"))?.snapshot).toBe('{"v":1,"n":3}');
    });

    it("releases a lease, so that another node may claim at once", async () => {
      await store.create(rec("s"), 10_000);
      const a = (await store.claim("s", "node-a", 10_000))!;
      await store.release("s", a);
      expect((await store.load("s"))?.holder).toBeUndefined();
      expect(await store.claim("s", "node-b", 10_000)).toMatchObject({ node: "node-b" });
    });

    it("loads the record, the last snapshot and the holder; delete forgets all of it", async () => {
      await store.create(rec("s"), 10_000);
      expect(await store.load("s")).toEqual({ record: rec("s") });
      const a = (await store.claim("s", "node-a", 10_000))!;
      await store.save("s", a, "{}");
      expect(await store.load("s")).toMatchObject({ record: rec("s"), snapshot: "{}", holder: { node: "node-a", token: a.token } });
      await store.delete("s");
      expect(await store.load("s")).toBeUndefined();
      expect(await store.claim("s", "node-b", 100)).toBeUndefined();
    });

    it("knows which nodes are alive from their heartbeats", async () => {
      expect(await store.alive("node-a")).toBe(false);
      await store.beat("node-a", 100);
      expect(await store.alive("node-a")).toBe(true);
      await advance(150);
      expect(await store.alive("node-a")).toBe(false);
    });
  });
}
