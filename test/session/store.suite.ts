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
  });
}
