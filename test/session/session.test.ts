import { describe, expect, it, vi } from "vitest";
import { Session } from "revue";

const tick = (ms = 0) => new Promise((r) => setTimeout(r, ms));

describe("one session, one queue", () => {
  it("runs calls one at a time even when a handler awaits", async () => {
    const s = new Session("s");
    const log: string[] = [];
    const slow = s.submit(1, async () => { log.push("1 start"); await tick(10); log.push("1 end"); });
    const fast = s.submit(2, () => { log.push("2"); });
    await Promise.all([slow, fast]);
    expect(log).toEqual(["1 start", "1 end", "2"]);
  });

  it("runs calls in seq order when they arrive out of order", async () => {
    const s = new Session("s");
    const log: number[] = [];
    const later = s.submit(3, () => void log.push(3));
    const mid = s.submit(2, () => void log.push(2));
    await tick();
    expect(log).toEqual([]);
    await Promise.all([s.submit(1, () => void log.push(1)), mid, later]);
    expect(log).toEqual([1, 2, 3]);
    expect(s.ackedSeq).toBe(3);
  });

  it("runs a repeated seq once and answers it with the first outcome", async () => {
    const s = new Session("s");
    const run = vi.fn(async () => 42);
    const [a, b] = await Promise.all([s.submit(1, run), s.submit(1, run)]);
    expect([a, b, await s.submit(1, run)]).toEqual([42, 42, 42]);
    expect(run).toHaveBeenCalledTimes(1);
  });

  it("reports a failure to the caller and keeps the session going", async () => {
    const s = new Session("s");
    await expect(s.submit(1, () => { throw new Error("nope"); })).rejects.toThrow("nope");
    await expect(s.submit(2, () => "ok")).resolves.toBe("ok");
  });

  it("skips a seq that never arrives after a grace period", async () => {
    vi.useFakeTimers();
    try {
      const s = new Session("s");
      const ran = vi.fn();
      const p = s.submit(2, ran);
      await vi.advanceTimersByTimeAsync(1_000);
      expect(ran).not.toHaveBeenCalled();
      await vi.advanceTimersByTimeAsync(1_500);
      await p;
      expect(ran).toHaveBeenCalledTimes(1);
    } finally {
      vi.useRealTimers();
    }
  });
});
