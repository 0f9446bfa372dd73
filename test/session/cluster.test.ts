import { describe, expect, it } from "vitest";
import { Cluster } from "../../src/session/cluster.js";
import { MemoryPubSub } from "../../src/session/pubsub.js";
import { MemorySessionStore } from "../../src/session/store.js";

/** A store whose heartbeat fails while `down` (Redis gone). */
class FlakyStore extends MemorySessionStore {
  down = false;
  override beat(node: string, ttlMs: number): Promise<void> {
    return this.down ? Promise.reject(new Error("connect ECONNREFUSED 127.0.0.1:6379")) : super.beat(node, ttlMs);
  }
}

describe("a node's heartbeat during a store outage", () => {
  it("warns once when beats start failing and once when they go through again, not at every beat", async () => {
    const store = new FlakyStore();
    const lines: string[] = [];
    const cluster = new Cluster(store, new MemoryPubSub(), { warn: (m: string) => void lines.push(m), error: (m: string) => void lines.push(m) }, { node: "web-a", heartbeatMs: 10 });
    await cluster.start();
    try {
      store.down = true;
      await new Promise((r) => setTimeout(r, 120)); // ~12 beats
      expect(lines).toHaveLength(1);
      expect(lines[0]).toMatch(/node web-a: its heartbeat failed \(the store is unreachable\?\)/);
      store.down = false;
      await new Promise((r) => setTimeout(r, 60));
      expect(lines).toEqual([lines[0], "[revue] node web-a: its heartbeat goes through again."]);
    } finally {
      await cluster.stop();
    }
  });
});
