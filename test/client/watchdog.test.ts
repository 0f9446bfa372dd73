// @vitest-environment jsdom
import { afterEach, beforeEach, expect, it, vi } from "vitest";
import { browserTransport, type StreamHandlers } from "../../client/transport.js";

/** An EventSource that only records what the transport does with it; the test plays the server. */
class FakeEventSource {
  static made: FakeEventSource[] = [];
  static readonly CLOSED = 2;
  readyState = 0;
  closed = false;
  onopen: (() => void) | null = null;
  onmessage: ((ev: { data: string }) => void) | null = null;
  private listeners = new Map<string, (ev: { data?: string; lastEventId?: string }) => void>();
  constructor(readonly url: string) {
    FakeEventSource.made.push(this);
  }
  addEventListener(type: string, fn: (ev: { data?: string; lastEventId?: string }) => void): void {
    this.listeners.set(type, fn);
  }
  close(): void {
    this.closed = true;
    this.readyState = 2;
  }
  /** The server's keep-alive (an unnamed frame carrying the interval). */
  keepAlive(ms: number): void {
    this.onmessage?.({ data: String(ms) });
  }
  send(type: string, data: string): void {
    this.listeners.get(type)?.({ data, lastEventId: "1" });
  }
}

const handlers = () => ({ open: vi.fn(), message: vi.fn(), drop: vi.fn(), fail: vi.fn() }) satisfies StreamHandlers;

beforeEach(() => {
  vi.useFakeTimers();
  FakeEventSource.made = [];
  vi.stubGlobal("EventSource", FakeEventSource);
});
afterEach(() => {
  vi.unstubAllGlobals();
  vi.useRealTimers();
});

it("drops a stream whose keep-alives stop after 2.5 intervals, and arms the next one from the start (a request may hang before any byte)", () => {
  const t = browserTransport();
  const first = handlers();
  t.stream("/api/sse/s", first);
  const es = FakeEventSource.made[0]!;
  vi.advanceTimersByTime(60_000);
  expect(first.fail).not.toHaveBeenCalled(); // no interval known yet: no watchdog
  es.keepAlive(1000);
  vi.advanceTimersByTime(2000);
  es.keepAlive(1000); // alive: the count starts again
  vi.advanceTimersByTime(2400);
  expect(first.fail).not.toHaveBeenCalled();
  vi.advanceTimersByTime(200);
  expect(first.fail).toHaveBeenCalledWith(0);
  expect(es.closed).toBe(true);

  // The reopened stream never answers: it is given up on too, after twice as long (5 intervals).
  const second = handlers();
  t.stream("/api/sse/s?lastEventId=1", second);
  vi.advanceTimersByTime(4900);
  expect(second.fail).not.toHaveBeenCalled();
  vi.advanceTimersByTime(200);
  expect(second.fail).toHaveBeenCalledWith(0);
});

it("gives a slow stream twice the patience each time, until a message arrives; then 2.5 intervals again", () => {
  const t = browserTransport();
  const one = handlers();
  t.stream("/a", one);
  FakeEventSource.made[0]!.keepAlive(1000);
  vi.advanceTimersByTime(2600);
  expect(one.fail).toHaveBeenCalledTimes(1);
  // A big frame over a slow link: the keep-alive comes first, then nothing for 4 s, then the frame.
  const two = handlers();
  t.stream("/a", two);
  const es = FakeEventSource.made[1]!;
  es.keepAlive(1000);
  vi.advanceTimersByTime(4000);
  es.send("patch", '{"rev":2,"ops":[]}');
  expect(two.fail).not.toHaveBeenCalled();
  expect(two.message).toHaveBeenCalledWith("patch", '{"rev":2,"ops":[]}', "1");
  vi.advanceTimersByTime(2600);
  expect(two.fail).toHaveBeenCalledTimes(1);
});

it("comes back to 2.5 intervals on an idle stream once a second keep-alive shows it flows (no message needed)", () => {
  const t = browserTransport();
  const one = handlers();
  t.stream("/a", one);
  FakeEventSource.made[0]!.keepAlive(1000);
  vi.advanceTimersByTime(2600);
  expect(one.fail).toHaveBeenCalledTimes(1); // patience now 5 intervals
  const two = handlers();
  t.stream("/a", two);
  const es = FakeEventSource.made[1]!;
  es.keepAlive(1000); // the one that comes as the stream opens
  vi.advanceTimersByTime(1000);
  es.keepAlive(1000); // the next: the stream flows
  vi.advanceTimersByTime(2400);
  expect(two.fail).not.toHaveBeenCalled();
  vi.advanceTimersByTime(200);
  expect(two.fail).toHaveBeenCalledTimes(1); // after 2.5 intervals, not 5
});

it("sends calls with keepalive only while the page goes away (a browser refuses such requests past 64 KB in all)", async () => {
  const seen: (boolean | undefined)[] = [];
  vi.stubGlobal("fetch", async (_url: string, init: RequestInit) => {
    seen.push(init.keepalive);
    return new Response("{}", { status: 202 });
  });
  const t = browserTransport();
  await t.post("/api/event", { big: "x".repeat(70_000) });
  let during: Promise<unknown> | undefined;
  addEventListener("pagehide", () => (during = t.post("/api/event", { last: "typed" })));
  dispatchEvent(new Event("pagehide"));
  await during;
  vi.advanceTimersByTime(1);
  await t.post("/api/event", { after: "restored from the back/forward cache" });
  expect(seen).toEqual([false, true, false]);
});

it("stops watching a stream it closed", () => {
  const t = browserTransport();
  const h = handlers();
  const handle = t.stream("/a", h);
  FakeEventSource.made[0]!.keepAlive(1000);
  handle.close();
  vi.advanceTimersByTime(10_000);
  expect(h.fail).not.toHaveBeenCalled();
});

it("takes a refused stream whose status request gets no answer in 5 s for a network failure (a proxy holding it), not a page waiting forever", async () => {
  let aborted = false, method = "";
  vi.stubGlobal("fetch", (_url: string, init: { method: string; signal: AbortSignal }) => ((method = init.method), new Promise((_, reject) => init.signal.addEventListener("abort", () => ((aborted = true), reject(new Error("aborted")))))));
  const t = browserTransport();
  const on = handlers();
  t.stream("/api/sse/s", on);
  const es = FakeEventSource.made[0]!;
  es.readyState = FakeEventSource.CLOSED; // refused: EventSource gives up and tells only "error"
  es.send("error", undefined as unknown as string);
  await vi.advanceTimersByTimeAsync(4_900);
  expect(on.fail).not.toHaveBeenCalled();
  await vi.advanceTimersByTimeAsync(200);
  expect(aborted).toBe(true);
  expect(on.fail).toHaveBeenCalledWith(0);
  expect(method).toBe("HEAD"); // the status without a stream: a GET would connect the session there, and drop it at once
});
