// @vitest-environment jsdom
import { afterEach, describe, expect, it, vi } from "vitest";
import { createQueue, RevueError, type QueueHost } from "../../client/queue.js";
import type { Reply } from "../../client/transport.js";
import { page, settle } from "./fake-transport.js";

function host(reply: (path: string, body: any) => Reply | Promise<Reply> = () => ({ status: 202, body: { ok: true } })) {
  const sent: { path: string; body: any }[] = [];
  let sid = "s1";
  const h: QueueHost & { sent: typeof sent; setSid(s: string): void } = {
    sent,
    setSid: (s) => void (sid = s),
    post: async (path, body) => (sent.push({ path, body }), reply(path, body)),
    sid: () => sid,
    gone: vi.fn(),
    failed: vi.fn(),
    unheard: vi.fn(),
  };
  return h;
}

afterEach(() => void vi.useRealTimers());

describe("the outgoing call queue", () => {
  it("holds calls while disconnected and flushes them in order, numbered from 1, on connect", async () => {
    const h = host();
    const q = createQueue(h);
    void q.push("/api/emit", { event: "a", data: 1 });
    void q.push("/api/event", { method: "inc", args: [] });
    expect(h.sent).toEqual([]);
    q.connect();
    await settle();
    expect(h.sent).toEqual([
      { path: "/api/emit", body: { sid: "s1", seq: 1, event: "a", data: 1 } },
      { path: "/api/event", body: { sid: "s1", seq: 2, method: "inc", args: [] } },
    ]);
  });

  it("resolves a click once its ack has come, whether its 202 came before or not yet (the two sockets race)", async () => {
    let answer!: (r: Reply) => void;
    const h = host(() => new Promise<Reply>((r) => (answer = r)));
    const q = createQueue(h);
    q.connect();
    let done = 0;
    void q.push("/api/event", { method: "inc", args: [] }).then(() => done++);
    answer({ status: 202, body: { ok: true } });
    await settle();
    expect(done).toBe(0); // accepted, its patch not seen yet
    q.acked(1);
    await settle();
    expect(done).toBe(1);
    // The patch that acknowledges the next click comes before its 202: done then, not at the 202.
    void q.push("/api/event", { method: "inc", args: [] }).then(() => done++);
    await settle();
    q.acked(2);
    await settle();
    expect(done).toBe(2);
    answer({ status: 202, body: { ok: true } });
    await settle();
    expect(done).toBe(2);
  });

  it("reopens the stream when a call the server answered has no ack within 4 s (the stream may be dead while it looks open), and not when its ack came", async () => {
    vi.useFakeTimers();
    const h = host((path) => (path.includes("rpc") ? { status: 200, body: { result: 1 } } : { status: 202, body: { ok: true } }));
    const q = createQueue(h);
    q.connect();
    void q.push("/api/event", { method: "inc", args: [] });
    await vi.advanceTimersByTimeAsync(100);
    q.acked(1);
    await vi.advanceTimersByTimeAsync(5_000);
    expect(h.unheard).not.toHaveBeenCalled();
    void q.push("/api/event", { method: "inc", args: [] });
    const got = q.push("/api/rpc/get", { args: [] }, true);
    await vi.advanceTimersByTimeAsync(3_900);
    expect(h.unheard).not.toHaveBeenCalled();
    await vi.advanceTimersByTimeAsync(200);
    expect(h.unheard).toHaveBeenCalledTimes(2); // once for each call answered and not acknowledged
    await expect(got).resolves.toBe(1); // answered without its patch, once the stream is taken for dead
  });

  it("resolves an answered rpc once an ack covers it: its caller sees the page the rpc changed", async () => {
    const h = host(() => ({ status: 200, body: { result: 7 } }));
    const q = createQueue(h);
    q.connect();
    let result: unknown;
    void q.push("/api/rpc/add", { args: [] }, true).then((r) => (result = r));
    await settle();
    expect(h.sent).toHaveLength(1);
    expect(result).toBeUndefined(); // answered, its patch not here yet
    q.acked(1);
    await settle();
    expect(result).toBe(7);
  });

  it("resolves an rpc with its result and rejects a failed one with a RevueError carrying the server's code", async () => {
    const h = host((path) => (path.endsWith("ok") ? { status: 200, body: { result: 42 } } : { status: 500, body: { error: { code: "RPC_ERROR", message: "nope" } } }));
    const q = createQueue(h);
    q.connect();
    const ok = q.push("/api/rpc/ok", { args: [] }, true);
    await settle();
    q.acked(1); // its patch
    await expect(ok).resolves.toBe(42);
    const err = await q.push("/api/rpc/bad", { args: [] }, true).catch((e) => e);
    expect(err).toBeInstanceOf(RevueError);
    expect(err).toMatchObject({ name: "RevueError", code: "RPC_ERROR", message: "nope" });
  });

  it("reports the failure of a call nobody awaits instead of rejecting it", async () => {
    const h = host(() => ({ status: 400, body: { error: { code: "BAD_REQUEST", message: "bad" } } }));
    const q = createQueue(h);
    q.connect();
    void q.push("/api/emit", { event: "x" });
    await settle();
    expect(h.failed).toHaveBeenCalledWith(expect.objectContaining({ code: "BAD_REQUEST" }));
  });

  it("retries a call that hit a network error under the same seq", async () => {
    vi.useFakeTimers();
    let fail = 2;
    const h = host(() => {
      if (fail-- > 0) throw new TypeError("Failed to fetch");
      return { status: 202, body: { ok: true } };
    });
    const q = createQueue(h, 10);
    q.connect();
    void q.push("/api/event", { method: "inc", args: [] });
    await vi.advanceTimersByTimeAsync(100);
    expect(h.sent.map((s) => s.body.seq)).toEqual([1, 1, 1]);
  });

  it("tries a click (nobody awaits it) until it arrives, at most 8 s apart, however long the network is down", async () => {
    vi.useFakeTimers();
    let down = true;
    const h = host(() => {
      if (down) throw new TypeError("Failed to fetch");
      return { status: 202, body: { ok: true } };
    });
    const q = createQueue(h);
    q.connect();
    void q.push("/api/event", { method: "move", args: [70] });
    await vi.advanceTimersByTimeAsync(60_000);
    const tries = h.sent.length;
    expect(tries).toBeGreaterThan(8); // 250 ms doubling to 8 s: about 11 in a minute, not 5 then nothing
    expect(tries).toBeLessThan(16);
    expect(h.failed).not.toHaveBeenCalled();
    down = false;
    await vi.advanceTimersByTimeAsync(8_000);
    expect(h.sent.map((s) => s.body.seq)).toEqual(Array(tries + 1).fill(1)); // the same call, one seq
    expect(h.failed).not.toHaveBeenCalled();
  });

  it("gives up on an rpc after five network errors: its caller hears it", async () => {
    vi.useFakeTimers();
    const h = host(() => {
      throw new TypeError("Failed to fetch");
    });
    const q = createQueue(h, 1);
    q.connect();
    const done = q.push("/api/rpc/x", { args: [] }, true).catch((e) => e);
    await vi.advanceTimersByTimeAsync(1000);
    expect(await done).toMatchObject({ code: "NETWORK_ERROR" });
    expect(h.sent).toHaveLength(5);
  });

  it("on SESSION_NOT_FOUND stops sending, reports the session gone, and re-sends the call as seq 1 of the next session", async () => {
    let known = "s2";
    const h = host((_, body) => (body.sid === known ? { status: 202, body: { ok: true } } : { status: 404, body: { error: { code: "SESSION_NOT_FOUND", message: "gone" } } }));
    const q = createQueue(h);
    q.connect();
    void q.push("/api/emit", { event: "a" }); // seq 1, refused
    await settle();
    expect(h.gone).toHaveBeenCalledTimes(1);
    void q.push("/api/emit", { event: "b" }); // buffered: the queue went offline
    await settle();
    expect(h.sent).toHaveLength(1);
    h.setSid(known);
    q.reset();
    q.connect();
    await settle();
    expect(h.sent.slice(1).map((s) => [s.body.sid, s.body.seq, s.body.event])).toEqual([
      ["s2", 1, "a"],
      ["s2", 2, "b"],
    ]);
    known = "";
  });

  it("numbers emits, realtime calls and rpcs of one page in one sequence", async () => {
    const { rv, t } = page();
    t.reply = (url) => (url.startsWith("/api/rpc/") ? { status: 200, body: { result: "ok" } } : { status: 202, body: { ok: true } });
    rv.emit("a");
    const result = rv.rpc("save", 1);
    t.last.on.open();
    document.querySelector("button")!.click();
    expect(await result).toBe("ok");
    await settle();
    expect(t.posts.map((p) => [p.url, p.body.seq])).toEqual([
      ["/api/emit", 1],
      ["/api/rpc/save", 2],
      ["/api/event", 3],
    ]);
    rv.close();
  });

  it("never resolves an rpc with a made-up result: an answer without one rejects", async () => {
    const h = host(() => ({ status: 200, body: {} }));
    const q = createQueue(h);
    q.connect();
    await expect(q.push("/api/rpc/x", { args: [] }, true)).rejects.toMatchObject({ code: "PROTOCOL_ERROR" });
    const nulls = createQueue(host(() => ({ status: 200, body: { result: null } })));
    nulls.connect();
    await expect(nulls.push("/api/rpc/x", { args: [] }, true)).resolves.toBeNull(); // a real null is fine
  });

  it("on 429 waits the server's Retry-After, then sends the call again under its seq, ahead of later ones", async () => {
    vi.useFakeTimers();
    let full = true;
    const h = host((_, body) => (full && body.seq === 2 ? { status: 429, body: { error: { code: "TOO_MANY_CALLS", message: "wait" } }, retryAfterMs: 1000 } : { status: 202, body: { ok: true } }));
    const q = createQueue(h);
    q.connect();
    void q.push("/api/event", { method: "a" });
    void q.push("/api/event", { method: "b" });
    await vi.advanceTimersByTimeAsync(0);
    void q.push("/api/event", { method: "c" }); // made while paused: waits
    await vi.advanceTimersByTimeAsync(500);
    expect(h.sent.map((s) => [s.body.seq, s.body.method])).toEqual([[1, "a"], [2, "b"]]);
    full = false;
    await vi.advanceTimersByTimeAsync(600);
    expect(h.sent.map((s) => [s.body.seq, s.body.method])).toEqual([[1, "a"], [2, "b"], [2, "b"], [3, "c"]]);
    expect(h.failed).not.toHaveBeenCalled();
  });

  it("on 503 UNAVAILABLE (the server's store is down) keeps an rpc under its seq through any number of answers until the store is back", async () => {
    vi.useFakeTimers();
    let down = 12; // more answers than the network-error retry budget
    const h = host(() => (down-- > 0 ? { status: 503, body: { error: { code: "UNAVAILABLE", message: "redis down" } }, retryAfterMs: 1000 } : { status: 200, body: { result: "saved" } }));
    const q = createQueue(h);
    q.connect();
    const rpc = q.push("/api/rpc/save", { args: [] }, true);
    await vi.advanceTimersByTimeAsync(500);
    expect(h.sent).toHaveLength(1); // waits the Retry-After, not the 250 ms network backoff
    await vi.advanceTimersByTimeAsync(13_000);
    q.acked(1); // its patch
    await expect(rpc).resolves.toBe("saved");
    expect(new Set(h.sent.map((s) => s.body.seq))).toEqual(new Set([1]));
    expect(h.failed).not.toHaveBeenCalled();
  });

  it("keeps at most 32 calls in flight, sending the rest as answers come back, in order", async () => {
    const answers: (() => void)[] = [];
    const h = host(() => new Promise((resolve) => answers.push(() => resolve({ status: 202, body: { ok: true } }))));
    const q = createQueue(h);
    for (let i = 0; i < 40; i++) void q.push("/api/event", { method: "m", args: [i] });
    q.connect();
    await settle();
    expect(h.sent).toHaveLength(32);
    answers.splice(0, 8).forEach((a) => a());
    await settle();
    expect(h.sent.map((s) => s.body.seq)).toEqual(Array.from({ length: 40 }, (_, i) => i + 1));
  });

  it("treats SERVER_CLOSING like a lost connection: the same call again, later", async () => {
    vi.useFakeTimers();
    let closing = true;
    const h = host(() => (closing ? { status: 503, body: { error: { code: "SERVER_CLOSING", message: "bye" } } } : { status: 200, body: { result: "ok" } }));
    const q = createQueue(h, 10);
    q.connect();
    const done = q.push("/api/rpc/x", { args: [] }, true);
    await vi.advanceTimersByTimeAsync(5);
    closing = false;
    await vi.advanceTimersByTimeAsync(100);
    q.acked(1); // its patch
    expect(await done).toBe("ok");
    expect(h.sent.map((s) => s.body.seq)).toEqual([1, 1]);
  });

  it("sends a call again under its seq after a proxy's gateway error (502, 503, 504 with no answer of Revue's); a 500 of Revue's is final", async () => {
    vi.useFakeTimers();
    for (const status of [502, 503, 504]) {
      let failing = true;
      // A proxy's page while a node fails over: no JSON, or JSON that is not Revue's.
      const h = host(() => (failing ? { status, body: status === 503 ? { message: "upstream down" } : undefined } : { status: 202, body: { ok: true } }));
      const q = createQueue(h, 10);
      q.connect();
      void q.push("/api/event", { method: "bid", args: [1] });
      await vi.advanceTimersByTimeAsync(5);
      failing = false;
      await vi.advanceTimersByTimeAsync(100);
      expect(h.sent.map((s) => s.body.seq)).toEqual([1, 1]);
    }
    const h = host(() => ({ status: 500, body: { error: { code: "INTERNAL_ERROR", message: "bug" } } }));
    const q = createQueue(h, 10);
    q.connect();
    void q.push("/api/event", { method: "bid", args: [1] });
    await vi.advanceTimersByTimeAsync(100);
    expect(h.sent).toHaveLength(1);
    expect(h.failed).toHaveBeenCalledTimes(1);
  });

  it("keeps accepted fire-and-forget calls until an ack covers them, and sends the rest again after an init, under their seq", async () => {
    const h = host();
    const q = createQueue(h);
    q.connect();
    for (const m of ["a", "b", "c"]) void q.push("/api/event", { method: m, args: [] });
    await settle();
    q.acked(1); // a patch acknowledged seq 1
    q.acked(1, true); // an init (say, from the server the session moved to) that has only seq 1
    await settle();
    expect(h.sent.map((s) => [s.body.seq, s.body.method])).toEqual([[1, "a"], [2, "b"], [3, "c"], [2, "b"], [3, "c"]]);
    q.acked(3, true); // everything is covered now: nothing more goes
    await settle();
    expect(h.sent).toHaveLength(5);
    expect(h.failed).not.toHaveBeenCalled();
  });

  it("says nothing when a call sent again is older than the server remembers (it ran before)", async () => {
    let expire = false;
    const h = host(() => (expire ? { status: 409, body: { error: { code: "SEQ_EXPIRED", message: "old" } } } : { status: 202, body: { ok: true } }));
    const q = createQueue(h);
    q.connect();
    void q.push("/api/event", { method: "a", args: [] });
    await settle();
    expire = true;
    q.acked(0, true);
    await settle();
    expect(h.sent).toHaveLength(2);
    expect(h.failed).not.toHaveBeenCalled();
  });
});
