import { afterEach, describe, expect, it, vi } from "vitest";
import { CallQueue, DEFAULT_CALL_LIMITS, type CallLimits } from "../../src/session/calls.js";
import { pageCall } from "../../src/session/hub.js";

const tick = (ms = 0) => new Promise((r) => setTimeout(r, ms));
const queue = (limits: Partial<CallLimits> = {}) => new CallQueue({ ...DEFAULT_CALL_LIMITS, ...limits }, "Test (session abc…)");
/** A call with seq `seq` whose fingerprint is `what` (same `what`: a retry of the same call). */
const call = (seq: number, what = `call ${seq}`, bytes = 10) => ({ seq, fingerprint: what, bytes });
const code = (fn: () => unknown) => {
  try {
    fn();
  } catch (e) {
    return (e as { code?: string }).code;
  }
  return "no error";
};

afterEach(() => void vi.useRealTimers());

/** A queue (with fake timers) that ran seq 1 and seq 3, seq 2 passed by after the 2 s gap. */
async function passedBy(): Promise<CallQueue> {
  vi.useFakeTimers();
  const q = queue({ gapMs: 2_000 });
  await q.submit(call(1), () => {}).outcome;
  const three = q.submit(call(3), () => {}).outcome;
  await vi.advanceTimersByTimeAsync(2_500);
  await three;
  return q;
}

describe("one session's calls: order", () => {
  it("runs calls one at a time even when a handler awaits", async () => {
    const q = queue();
    const log: string[] = [];
    const slow = q.submit(call(1), async () => { log.push("1 start"); await tick(10); log.push("1 end"); }).outcome;
    const fast = q.submit(call(2), () => { log.push("2"); }).outcome;
    await Promise.all([slow, fast]);
    expect(log).toEqual(["1 start", "1 end", "2"]);
  });

  it("runs calls in seq order when they arrive out of order, and acknowledges the highest", async () => {
    const q = queue();
    const log: number[] = [];
    const later = q.submit(call(3), () => void log.push(3)).outcome;
    const mid = q.submit(call(2), () => void log.push(2)).outcome;
    await tick();
    expect(log).toEqual([]);
    await Promise.all([q.submit(call(1), () => void log.push(1)).outcome, mid, later]);
    expect(log).toEqual([1, 2, 3]);
    expect(q.ackedSeq).toBe(3);
  });

  it("interleaves internal tasks behind the calls already released", async () => {
    const q = queue();
    const log: string[] = [];
    q.submit(call(1), async () => { await tick(5); log.push("call 1"); });
    const internal = q.enqueue(() => void log.push("broadcast"));
    q.submit(call(2), () => void log.push("call 2"));
    await internal;
    await q.whenIdle();
    expect(log).toEqual(["call 1", "broadcast", "call 2"]);
  });

  it("runs an internal task at once on an idle queue, and behind the work ahead on a busy one", async () => {
    const q = queue();
    const log: string[] = [];
    expect(q.runOrEnqueue(() => void log.push("now"))).toBeUndefined();
    expect(log).toEqual(["now"]);
    q.submit(call(1), async () => { await tick(5); log.push("call 1"); });
    const later = q.runOrEnqueue(() => void log.push("after call 1"));
    expect(later).toBeInstanceOf(Promise);
    await later;
    expect(log).toEqual(["now", "call 1", "after call 1"]);
  });

  it("keeps an internal task that returns a promise as the running one: later calls wait for it", async () => {
    const q = queue();
    const log: string[] = [];
    const slow = q.runOrEnqueue(async () => { await tick(5); log.push("slow task"); });
    const next = q.submit(call(1), () => void log.push("call 1")).outcome;
    expect(q.idle).toBe(false);
    await Promise.all([slow, next]);
    expect(log).toEqual(["slow task", "call 1"]);
    expect(q.idle).toBe(true);
  });
});

describe("one session's calls: the sequence rules never report work that did not run", () => {
  it("answers a retry of the same call with the first outcome and runs it once", async () => {
    const q = queue();
    const run = vi.fn(async () => 42);
    const first = q.submit(call(1, "inc"), run);
    const again = q.submit(call(1, "inc"), run);
    expect(first.retry).toBe(false);
    expect(again.retry).toBe(true);
    expect([await first.outcome, await again.outcome, await q.submit(call(1, "inc"), run).outcome]).toEqual([42, 42, 42]);
    expect(run).toHaveBeenCalledTimes(1);
  });

  it("refuses a seq reused by a different call with SEQ_CONFLICT", async () => {
    const q = queue();
    const first = vi.fn(() => "first");
    const other = vi.fn(() => "other");
    await q.submit(call(1, "get"), first).outcome;
    expect(code(() => q.submit(call(1, "reset"), other))).toBe("SEQ_CONFLICT");
    expect(other).not.toHaveBeenCalled();
  });

  it("refuses a seq older than the window of remembered outcomes with SEQ_EXPIRED", async () => {
    const q = queue({ window: 4 });
    for (let seq = 1; seq <= 10; seq++) await q.submit(call(seq), () => seq).outcome;
    const run = vi.fn();
    expect(code(() => q.submit(call(2), run))).toBe("SEQ_EXPIRED");
    expect(code(() => q.submit(call(2, "something else"), run))).toBe("SEQ_EXPIRED");
    expect(run).not.toHaveBeenCalled();
    expect(await q.submit(call(9), run).outcome).toBe(9); // still remembered
  });

  it("refuses a seq more than the window ahead with a 400, and changes nothing", async () => {
    const q = queue({ window: 8 });
    const run = vi.fn();
    expect(code(() => q.submit(call(9), run))).toBe("SEQ_OUT_OF_RANGE");
    expect(code(() => q.submit(call(Number.MAX_SAFE_INTEGER), run))).toBe("SEQ_OUT_OF_RANGE");
    expect(run).not.toHaveBeenCalled();
    // the session goes on from seq 1, and every call after it still runs
    for (let seq = 1; seq <= 9; seq++) expect(await q.submit(call(seq), () => seq).outcome).toBe(seq);
  });

  it("does not consume the seq of a call refused at the edge: later calls go on, and the seq still runs once", async () => {
    const q = queue();
    const log: string[] = [];
    q.refuse(1); // e.g. bad arguments
    await q.submit(call(2), () => void log.push("2")).outcome;
    expect(log).toEqual(["2"]); // did not wait for seq 1
    await q.submit(call(1, "fixed"), () => void log.push("1, fixed")).outcome;
    expect(log).toEqual(["2", "1, fixed"]);
    expect(code(() => q.submit(call(1, "another"), () => {}))).toBe("SEQ_CONFLICT");
  });

  it("runs a call held back by the network after its gap was skipped, once, late", async () => {
    vi.useFakeTimers();
    const q = queue({ gapMs: 2_000 });
    const log: number[] = [];
    const two = q.submit(call(2), () => void log.push(2)).outcome;
    await vi.advanceTimersByTimeAsync(1_000);
    expect(log).toEqual([]); // still waiting for seq 1
    await vi.advanceTimersByTimeAsync(1_500);
    await two;
    expect(log).toEqual([2]); // the gap was skipped
    const late = q.submit(call(1, "late"), () => (log.push(1), "ran"));
    expect(await late.outcome).toBe("ran");
    expect(log).toEqual([2, 1]);
    expect((await q.submit(call(1, "late"), () => log.push(99)).outcome)).toBe("ran"); // a retry of it
    expect(log).toEqual([2, 1]);
  });

  it("does not acknowledge a seq passed by, nor a late call before it finished, though higher seqs did (the page would count it as done)", async () => {
    const q = await passedBy();
    expect(q.ackedSeq).toBe(1); // seq 2 passed by: it may still come, and its page must still send it
    expect(q.window()).toMatchObject({ next: 4, acked: 1, missing: [2] });
    let finish!: () => void;
    const late = q.submit(call(2, "late"), () => new Promise<void>((r) => (finish = r))).outcome;
    await vi.advanceTimersByTimeAsync(0);
    expect(q.ackedSeq).toBe(1); // accepted, not run yet: a patch now must not cover it
    expect(q.window().acked).toBe(1); // nor a snapshot another node restores
    finish();
    await late;
    expect(q.ackedSeq).toBe(3);
    expect(q.window().missing).toBeUndefined();
  });

  it("counts as missing in a snapshot the calls not started, not the one running (its first half may be in the state)", async () => {
    const q = queue();
    let finish!: () => void;
    const one = q.submit(call(1), () => new Promise<void>((r) => (finish = r))).outcome;
    const two = q.submit(call(2), () => {}).outcome;
    await tick();
    expect(q.window()).toMatchObject({ next: 3, missing: [2] }); // seq 1 runs, seq 2 waits its turn
    finish();
    await Promise.all([one, two]);
    expect(q.window().missing).toBeUndefined();
  });

  it("lets the ack pass a seq that came late and was refused at the edge: its page heard why", async () => {
    const q = await passedBy();
    expect(q.ackedSeq).toBe(1);
    q.refuse(2); // seq 2 came, for a method that does not exist
    expect(q.ackedSeq).toBe(3);
  });

  it("after a restore, runs a call its old holder had not run (passed by, or accepted late), once; older seqs stay expired", async () => {
    const q = queue();
    q.resume({ next: 4, acked: 1, missing: [2], done: [[3, "call 3"]] });
    expect(q.ackedSeq).toBe(1);
    const log: number[] = [];
    expect(code(() => q.submit(call(1), () => log.push(1)))).toBe("SEQ_EXPIRED");
    expect(await q.submit(call(3), () => log.push(3)).outcome).toBeUndefined(); // ran where it was: not again
    await q.submit(call(2, "late"), () => void log.push(2)).outcome;
    expect(log).toEqual([2]);
    expect(q.ackedSeq).toBe(3);
    expect(code(() => q.submit(call(2, "another"), () => log.push(99)))).toBe("SEQ_CONFLICT");
  });

  it("caps unfinished calls by count and bytes with TOO_MANY_CALLS and a retry delay, then accepts again", async () => {
    const q = queue({ maxCalls: 3, maxBytes: 1_000 });
    let release!: () => void;
    const gate = new Promise<void>((r) => (release = r));
    const done = [1, 2, 3].map((seq) => q.submit(call(seq), () => gate).outcome);
    let refused: unknown;
    try {
      q.submit(call(4), () => {});
    } catch (e) {
      refused = e;
    }
    expect(refused).toMatchObject({ code: "TOO_MANY_CALLS", retryAfterMs: 1_000 });
    release();
    await Promise.all(done);
    expect(await q.submit(call(4), () => "accepted").outcome).toBe("accepted");
    let open!: () => void;
    const busy = q.submit(call(5, "busy", 10), () => new Promise<void>((r) => (open = r))).outcome;
    expect(code(() => q.submit(call(6, "big", 991), () => {}))).toBe("TOO_MANY_CALLS");
    const fits = q.submit(call(6, "small", 990), () => "fits").outcome;
    open();
    await busy;
    expect(await fits).toBe("fits");
    // alone, a call over maxBytes is taken: refused, its every retry would be refused too
    expect(await q.submit(call(7, "huge", 5_000), () => "alone").outcome).toBe("alone");
  });

  it("takes a call that held calls wait for past the cap, so calls that arrived out of order still run in seq order", async () => {
    const q = queue({ maxCalls: 3 });
    const log: number[] = [];
    let release!: () => void;
    const gate = new Promise<void>((r) => (release = r));
    const first = q.submit(call(1), () => gate.then(() => void log.push(1))).outcome;
    const later = [3, 4].map((seq) => q.submit(call(seq), () => void log.push(seq)).outcome);
    const two = q.submit(call(2), () => void log.push(2)).outcome; // over the cap: 3 and 4 wait for it
    expect(code(() => q.submit(call(5), () => {}))).toBe("TOO_MANY_CALLS"); // nothing waits for 5
    release();
    await Promise.all([first, two, ...later]);
    expect(log).toEqual([1, 2, 3, 4]);
  });
});

describe("one session's calls: handlers that hang", () => {
  it("abandons a handler past the timeout: the caller gets HANDLER_TIMEOUT, its signal aborts, the queue moves on", async () => {
    const q = queue({ timeoutMs: 50 });
    let signal: AbortSignal | undefined;
    const hung = q.submit(call(1), () => {
      signal = q.signal();
      return new Promise(() => {});
    }).outcome;
    const next = q.submit(call(2), () => "next ran").outcome;
    await expect(hung).rejects.toMatchObject({ code: "HANDLER_TIMEOUT" });
    expect(signal?.aborted).toBe(true);
    expect(await next).toBe("next ran");
  });

  it("rejects every unfinished call when the session ends, and aborts the running one", async () => {
    const q = queue();
    let signal: AbortSignal | undefined;
    const running = q.submit(call(1), () => {
      signal = q.signal();
      return new Promise(() => {});
    }).outcome;
    const queued = q.submit(call(2), () => "never").outcome;
    const held = q.submit(call(5), () => "never").outcome;
    await tick();
    q.close(new Error("session ended"));
    await expect(queued).rejects.toThrow("session ended");
    await expect(held).rejects.toThrow("session ended");
    expect(signal?.aborted).toBe(true);
    void running;
    expect(() => q.submit(call(6), () => {})).toThrow("session ended");
  });
});

describe("one session's calls: memory", () => {
  it("forgets remembered outcomes while idle: older seqs then get SEQ_EXPIRED", async () => {
    const q = queue();
    await q.submit(call(1), () => "one").outcome;
    q.compact();
    expect(code(() => q.submit(call(1), () => {}))).toBe("SEQ_EXPIRED");
    expect(await q.submit(call(2), () => "two").outcome).toBe("two");
  });

  it("forgets large rpc answers past 1 MB, oldest first; a retry of one is refused, not run again", async () => {
    const q = queue();
    const big = "x".repeat(400_000);
    for (let seq = 1; seq <= 4; seq++) await q.submit(call(seq), () => big).outcome;
    await tick();
    const run = vi.fn();
    expect(code(() => q.submit(call(1), run))).toBe("SEQ_EXPIRED");
    expect(await q.submit(call(4), run).outcome).toBe(big);
    expect(run).not.toHaveBeenCalled();
  });
});

describe("one session's calls: fingerprints saved in snapshots", () => {
  it("recognises a retry of a call finished before a restore, by the fingerprint the snapshot kept", async () => {
    // Fingerprints as snapshots saved before SHA-256 hold them (digest53: base 36 of a 53-bit hash): still recognised.
    const saved = { next: 3, acked: 2, done: [[1, "2diko4tsv68", "first"], [2, "1vfbg86bhr8", "second"]] as Array<[number, string, string]> };
    const q = queue();
    q.resume(saved);
    const run = vi.fn();
    expect(await q.submit(pageCall("realtime", "increment", 1), run).outcome).toBe("first");
    expect(await q.submit(pageCall("rpc", "save", 2, [{ title: "été ✓", n: 42 }]), run).outcome).toBe("second");
    expect(run).not.toHaveBeenCalled();
    expect(code(() => q.submit(pageCall("realtime", "decrement", 1), run))).toBe("SEQ_CONFLICT");
  });
});
