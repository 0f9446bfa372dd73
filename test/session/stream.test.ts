import { PassThrough, Writable } from "node:stream";
import { describe, expect, it, vi } from "vitest";
import { SessionStream } from "../../src/session/stream.js";

/** A ServerResponse stand-in that records what is written and can stop reading. */
function fakeResponse() {
  const out = new PassThrough({ highWaterMark: 1024 });
  const chunks: string[] = [];
  let reading = true;
  out.on("data", (c: Buffer) => void chunks.push(c.toString()));
  return {
    res: out as unknown as import("node:http").ServerResponse,
    text: () => chunks.join(""),
    stopReading() {
      reading = false;
      out.pause();
    },
    get reading() {
      return reading;
    },
  };
}

const limits = { replayBytes: 10_000, maxPendingBytes: 4_096, retryMs: 500, heartbeatMs: 15_000 };

describe("SessionStream", () => {
  it("writes a keep-alive frame announcing the interval on every other tick of an idle stream, and one per interval to a stream frames keep busy", async () => {
    const s = new SessionStream(limits);
    const f = fakeResponse();
    s.attach(f.res); // the retry line, with the first keep-alive: written since the last tick
    const beats = () => f.text().split("data:15000\n\n").length - 1;
    const ticks = async (n: number, between?: () => void) => {
      for (let i = 0; i < n; i++) {
        between?.();
        s.heartbeat();
      }
      await new Promise((r) => setImmediate(r));
      return beats();
    };
    expect(f.text()).toBe("retry: 500\ndata:15000\n\n");
    expect(await ticks(1)).toBe(1); // the attach wrote one since the last tick
    expect(await ticks(4)).toBe(3); // idle: a keep-alive, then a tick it counts for, twice
    // A frame before every tick: a keep-alive every other tick all the same (the page's watchdog counts only these).
    expect(await ticks(6, () => s.send({ type: "event", event: "x", data: 1 }))).toBe(6);
    // Silent again: at most two ticks (one interval) pass without one.
    expect(await ticks(2)).toBe(7);
  });

  it("numbers every message by exactly one, whatever its kind, after a retry line", async () => {
    const s = new SessionStream(limits);
    const f = fakeResponse();
    s.attach(f.res);
    s.send({ type: "patch", rev: 2, ops: [] });
    s.send({ type: "event", event: "x", data: 1 });
    s.send({ type: "call", method: "toast", args: [] });
    await new Promise((r) => setImmediate(r));
    expect(f.text()).toBe(
      "retry: 500\ndata:15000\n\n" +
        'id: 1\nevent: patch\ndata: {"rev":2,"ops":[]}\n\n' +
        'id: 2\nevent: event\ndata: {"event":"x","data":1}\n\n' +
        'id: 3\nevent: call\ndata: {"method":"toast","args":[]}\n\n',
    );
  });

  it("replays only what follows Last-Event-ID, and knows when the buffer no longer covers a gap", async () => {
    const s = new SessionStream({ ...limits, replayBytes: 400 }); // ≈ 2 frames with their overhead
    for (let i = 0; i < 10; i++) s.send({ type: "event", event: "e", data: i });
    expect(s.canReplayFrom(10)).toBe(true);
    expect(s.canReplayFrom(8)).toBe(true);
    expect(s.canReplayFrom(1)).toBe(false);
    expect(s.canReplayFrom(11)).toBe(false);
    expect(s.canReplayFrom(Number.NaN)).toBe(false);
    const f = fakeResponse();
    s.attach(f.res, 8);
    await new Promise((r) => setImmediate(r));
    expect(f.text().match(/^id: \d+/gm)).toEqual(["id: 9", "id: 10"]);
  });

  it("replays every frame after Last-Event-ID in order after its buffer was filled and emptied many times over", async () => {
    const s = new SessionStream({ ...limits, replayBytes: 3_000 });
    // Frames of two kinds and varied sizes, so the number kept changes as the oldest are dropped.
    for (let i = 1; i <= 500; i++) {
      if (i % 3) s.send({ type: "event", event: "e", data: "x".repeat((i * 37) % 200) });
      else s.send({ type: "patch", rev: i, ops: [] });
    }
    const oldest = Array.from({ length: 501 }, (_, i) => i).find((i) => s.canReplayFrom(i))!;
    expect(oldest).toBeGreaterThan(450);
    for (const from of [oldest, oldest + 7, 499, 500]) {
      const f = fakeResponse();
      s.attach(f.res, from);
      await new Promise((r) => setImmediate(r));
      const frames = f.text().split("\n\n").filter((t) => t.startsWith("id: "));
      expect(frames.map((t) => Number(/^id: (\d+)/.exec(t)![1]))).toEqual(Array.from({ length: 500 - from }, (_, k) => from + 1 + k));
      for (const t of frames) {
        const id = Number(/^id: (\d+)/.exec(t)![1]);
        expect(t).toContain(id % 3 ? `"data":"${"x".repeat((id * 37) % 200)}"` : `"rev":${id}`);
      }
    }
  });

  it("closes a stream whose reader stopped once unsent bytes pass the cap, keeping memory bounded", () => {
    const slow: string[] = [];
    const s = new SessionStream(limits, (why) => slow.push(why));
    const f = fakeResponse();
    s.attach(f.res);
    f.stopReading();
    for (let i = 0; i < 100 && s.open; i++) s.send({ type: "event", event: "big", data: "x".repeat(500) });
    expect(s.open).toBe(false);
    expect(slow[0]).toMatch(/bytes unsent \(limit 4096\)/);
    // it keeps buffering for replay within its byte cap
    for (let i = 0; i < 100; i++) s.send({ type: "event", event: "big", data: "x".repeat(500) });
    expect(s.canReplayFrom(1)).toBe(false);
  });

  it("tells a replaced stream goodbye", async () => {
    const s = new SessionStream(limits);
    const a = fakeResponse();
    const b = fakeResponse();
    s.attach(a.res);
    s.attach(b.res);
    await new Promise((r) => setImmediate(r));
    expect(a.text()).toContain('event: bye\ndata: {"reason":"replaced"}');
    expect(s.detach(a.res)).toBe(false);
    expect(s.detach(b.res)).toBe(true);
  });

  it("does not keep a frame larger than the whole replay buffer, and still replays what follows it", async () => {
    const s = new SessionStream({ ...limits, replayBytes: 1_000 });
    s.send({ type: "event", event: "small", data: 1 });
    s.send({ type: "event", event: "huge", data: "x".repeat(5_000) });
    expect(s.bytes).toBe(0); // the big frame went out (if a stream was open) but is not held
    expect(s.canReplayFrom(2)).toBe(true);
    expect(s.canReplayFrom(1)).toBe(false); // a page that missed it gets a snapshot
    s.send({ type: "event", event: "after", data: 3 });
    const f = fakeResponse();
    s.attach(f.res, 2);
    await new Promise((r) => setImmediate(r));
    expect(f.text().match(/^id: \d+/gm)).toEqual(["id: 3"]);
  });
  it("writes the frames sent while corked in one write, ids and replay unchanged, and before a bye", () => {
    const writes: string[] = [];
    let ended = "";
    const sink = { write: (t: string) => writes.push(t), end: (t = "") => void (ended = t), destroy() {}, writableLength: 0, writableEnded: false, destroyed: false, once() {} };
    const s = new SessionStream(limits);
    s.attach(sink);
    writes.length = 0;
    s.cork();
    s.send({ type: "event", event: "tick", data: 1 });
    s.send({ type: "patch", rev: 2, ops: [], ack: 0 });
    expect(writes).toEqual([]);
    s.uncork();
    expect(writes).toEqual(['id: 1\nevent: event\ndata: {"event":"tick","data":1}\n\nid: 2\nevent: patch\ndata: {"rev":2,"ops":[],"ack":0}\n\n']);
    expect(s.canReplayFrom(0)).toBe(true);
    s.cork();
    s.send({ type: "event", event: "tick", data: 2 });
    s.end({ type: "bye", reason: "expired" });
    expect(writes[1]).toMatch(/^id: 3\nevent: event/);
    expect(ended).toContain("event: bye");
  });
});

describe("SessionStream.offlineFor (what a full presence topic evicts by)", () => {
  it("counts from the moment the stream went, however it went: closed, cut for a slow reader, or found dead at a write", () => {
    const limits = { replayBytes: 1 << 16, maxPendingBytes: 1000, retryMs: 1000, heartbeatMs: 15000 };
    vi.useFakeTimers({ toFake: ["Date"] });
    try {
      for (const how of ["slow", "dead", "closed"] as const) {
        const s = new SessionStream(limits, () => {});
        const sink = new Writable({ highWaterMark: 1, write() {} }); // never drains: a slow reader
        s.attach(sink as never);
        vi.setSystemTime(Date.now() + 3_600_000); // connected for an hour
        expect(s.offlineFor(Date.now())).toBe(0);
        if (how === "slow") for (let i = 0; i < 5; i++) s.send({ type: "event", event: "x", data: "y".repeat(600) } as never);
        else if (how === "dead") sink.destroy(), s.send({ type: "event", event: "x", data: "y" } as never);
        else s.detach(sink as never);
        expect(s.open).toBe(false);
        expect(s.offlineFor(Date.now() + 1_000), how).toBe(1_000); // since it went, not since it was made
      }
    } finally {
      vi.useRealTimers();
    }
  });
});
