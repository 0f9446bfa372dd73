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
  expect(f.lines).toEqual(["error [revue] Chat: 3 broadcasts are waiting for the pubsub to come back; newer ones are dropped until it does."]);
  f.set("up");
  await vi.advanceTimersByTimeAsync(300);
  expect(f.got).toEqual(["1", "2", "3"]);
  expect(f.lines[1]).toBe("error [revue] Chat: 2 broadcast(s) were dropped while the pubsub was unreachable (more than 3 waited).");
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
