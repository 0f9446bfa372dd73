import { afterEach, expect, it, vi } from "vitest";
import { UnavailableError } from "../../src/errors.js";
import { Outbox } from "../../src/session/outbox.js";
import type { PubSub } from "../../src/session/pubsub.js";

/** A pubsub whose publish fails as told: "down" refuses (nothing sent), "broken" throws another error. */
function flaky() {
  const got: string[] = [];
  let mode: "up" | "down" | "broken" | "lost" = "up";
  const pubsub = {
    async publish(_channel: string, message: string) {
      await Promise.resolve();
      if (mode === "down") throw new UnavailableError("down", { retryAfterMs: 1000 });
      if (mode === "lost") throw Object.assign(new UnavailableError("sent, no answer"), { maybeApplied: true });
      if (mode === "broken") throw new TypeError("bad message");
      got.push(message);
      return `0-${got.length}`;
    },
  } as unknown as PubSub;
  const lines: string[] = [];
  const logger = { warn: (m: string) => lines.push(`warn ${m}`), error: (m: string) => lines.push(`error ${m}`) };
  return { pubsub, got, lines, logger, set: (m: typeof mode) => (mode = m) };
}

afterEach(() => vi.useRealTimers());

it("holds broadcasts the pubsub refused while down and publishes them in order once it is back, later ones behind them", async () => {
  vi.useFakeTimers();
  const f = flaky();
  const box = new Outbox(f.pubsub, f.logger, "Chat");
  box.publish("c", "1", "e");
  await vi.advanceTimersByTimeAsync(0);
  f.set("down");
  box.publish("c", "2", "e");
  box.publish("c", "3", "e");
  await vi.advanceTimersByTimeAsync(1000);
  expect(box.pending).toBe(2);
  f.set("up");
  box.publish("c", "4", "e"); // behind the held ones, though the pubsub would take it now
  await vi.advanceTimersByTimeAsync(300);
  expect(f.got).toEqual(["1", "2", "3", "4"]);
  expect(box.pending).toBe(0);
  expect(f.lines).toEqual([]);
});

it("does not retry a failure that is not an outage, or one whose message may have been sent: it logs it", async () => {
  vi.useFakeTimers();
  const f = flaky();
  const box = new Outbox(f.pubsub, f.logger, "Chat");
  f.set("broken");
  box.publish("c", "1", "said");
  f.set("lost");
  box.publish("c", "2", "said");
  await vi.advanceTimersByTimeAsync(0);
  f.set("up");
  await vi.advanceTimersByTimeAsync(1000);
  expect(f.got).toEqual([]);
  expect(box.pending).toBe(0);
  expect(f.lines).toEqual(['error [revue] Chat: publishing "said" failed:', 'error [revue] Chat: publishing "said" failed:']);
});

it("holds at most max broadcasts, and says how many it dropped once the pubsub is back", async () => {
  vi.useFakeTimers();
  const f = flaky();
  const box = new Outbox(f.pubsub, f.logger, "Chat", 3);
  f.set("down");
  for (let i = 1; i <= 5; i++) box.publish("c", String(i), "e");
  await vi.advanceTimersByTimeAsync(10);
  expect(box.pending).toBe(3);
  expect(f.lines).toEqual(["error [revue] Chat: 3 broadcasts (3 bytes) are waiting for the pubsub; newer ones are dropped until it takes them."]);
  f.set("up");
  await vi.advanceTimersByTimeAsync(300);
  expect(f.got).toEqual(["1", "2", "3"]);
  expect(f.lines[1]).toBe("error [revue] Chat: 2 broadcast(s) were dropped while the pubsub was unreachable or behind (more than 3 broadcasts or 67108864 bytes waited).");
});

it("sends large broadcasts at the pace the pubsub answers them: past 8 MB unanswered, later ones wait, in order, and none is dropped", async () => {
  const sent: string[] = [];
  const answers: Array<() => void> = [];
  const pubsub = {
    publish(_channel: string, message: string) {
      sent.push(message.slice(0, 2));
      return new Promise<string>((r) => answers.push(() => r(`0-${sent.length}`)));
    },
  } as unknown as PubSub;
  const lines: string[] = [];
  const box = new Outbox(pubsub, { warn: (m) => lines.push(m), error: (m) => lines.push(m) }, "Chat");
  const big = (n: number) => String(n).padStart(2, "0") + "x".repeat(3 << 20); // 3 MB each
  for (let i = 1; i <= 6; i++) box.publish("c", big(i), "e");
  expect(sent).toEqual(["01", "02"]); // 6 MB in flight; a third would pass 8 MB
  expect(box.pending).toBe(4);
  for (let k = 0; k < 20 && answers.length; k++) {
    answers.shift()!();
    await new Promise((r) => setTimeout(r, 0));
  }
  expect(sent).toEqual(["01", "02", "03", "04", "05", "06"]);
  expect(box.pending).toBe(0);
  expect(lines).toEqual([]);
});

it("on close, gives what is held one last chance, then logs what never went out and stops retrying", async () => {
  vi.useFakeTimers();
  const f = flaky();
  const box = new Outbox(f.pubsub, f.logger, "Chat");
  f.set("down");
  box.publish("c", "1", "e");
  box.publish("c", "2", "e");
  await vi.advanceTimersByTimeAsync(10);
  await box.drain();
  box.close();
  expect(f.lines).toEqual(["error [revue] Chat: 2 broadcast(s) were never published: the pubsub was still unreachable when the server stopped."]);
  f.set("up");
  await vi.advanceTimersByTimeAsync(1000);
  expect(f.got).toEqual([]);
});

it("has room for a page's call while less than 16 MB waits; past it, a call waits until the pubsub took enough, or until its time is up", async () => {
  const answers: Array<() => void> = [];
  const pubsub = {
    publish: () => new Promise<string>((r) => answers.push(() => r("0-1"))),
  } as unknown as PubSub;
  const box = new Outbox(pubsub, { warn() {}, error() {} }, "Chat");
  const mb = "x".repeat(1 << 20);
  box.publish("c", mb, "e");
  expect(box.room(1_000)).toBeUndefined();
  for (let i = 0; i < 20; i++) box.publish("c", mb, "e"); // 21 MB: 8 in flight, 13 held
  let roomy = false;
  void box.room(10_000)!.then(() => (roomy = true));
  for (let k = 0; k < 4; k++) {
    answers.shift()!();
    await new Promise((r) => setTimeout(r, 0));
  }
  expect(roomy).toBe(false); // 17 MB still wait
  for (let k = 0; k < 2; k++) {
    answers.shift()!();
    await new Promise((r) => setTimeout(r, 0));
  }
  expect(roomy).toBe(true);
  // A pubsub that takes nothing: the call is answered when its time is up, its broadcasts still held.
  const stuck = new Outbox({ publish: () => new Promise<string>(() => {}) } as unknown as PubSub, { warn() {}, error() {} }, "Chat");
  for (let i = 0; i < 20; i++) stuck.publish("c", mb, "e");
  const t0 = Date.now();
  await stuck.room(50);
  expect(Date.now() - t0).toBeGreaterThanOrEqual(40);
  expect(stuck.pending).toBe(12);
});
