import { afterAll, beforeAll, expect, it } from "vitest";
import { RedisPubSub, RedisSessionStore, RedisUnavailableError, type PubSubGap } from "revue/redis";
import { compareOffsets } from "revue/internals";
import { startRedis, type TestRedis } from "./server.js";

/**
 * Redis killed (SIGKILL, no persistence: it comes back empty) and restarted
 * under load. What a caller sees, message by message: a publish that resolved
 * is delivered once, or lost with Redis's memory *and* reported to the
 * subscriber (onGap); a publish that rejected was never sent (never delivered)
 * or may have been (`maybeApplied`: delivered at most once). Nothing is
 * delivered twice or out of order, and everything published after Redis is back
 * is delivered.
 */

let server: TestRedis;
beforeAll(async () => {
  server = await startRedis();
});
afterAll(async () => {
  await server?.stop();
});

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
const waitFor = async (what: string, cond: () => boolean | Promise<boolean>, ms = 10_000) => {
  const end = Date.now() + ms;
  while (!(await cond())) {
    if (Date.now() > end) throw new Error(`${what}: not within ${ms} ms`);
    await sleep(10);
  }
};
const logger = () => {
  const lines: string[] = [];
  return { lines, warn: (m: string) => lines.push(`warn ${m}`), error: (m: string) => lines.push(`error ${m}`) };
};

interface Publish {
  n: number;
  /** Issued before the kill, while Redis was down, while it was starting again (either way), or after it answered again. */
  phase: "before" | "down" | "starting" | "after";
  state: "pending" | "ok" | "rejected";
  offset?: string;
  maybeApplied?: boolean;
}

it("resumes subscriptions after a Redis restart under load: each publish delivered once, or reported (rejected, or lost with Redis and told to onGap)", async () => {
  const pubLog = logger();
  const subLog = logger();
  const pub = new RedisPubSub({ url: server.url, logger: pubLog });
  const sub = new RedisPubSub({ url: server.url, logger: subLog });
  try {
    const delivered: Array<{ n: number; offset: string }> = [];
    const gaps: PubSubGap[] = [];
    /** How many messages had arrived when the gap was reported: those came from the Redis that died. */
    let deliveredBeforeGap = -1;
    await sub.subscribe("load", (m, offset) => delivered.push({ n: Number(m), offset }), { onGap: (g) => (gaps.push(g), (deliveredBeforeGap = delivered.length)) });
    const heard: string[] = [];
    await sub.listen("ping", (m) => heard.push(m));

    const publishes: Publish[] = [];
    let phase: Publish["phase"] = "before";
    let running = true;
    // One publisher, a publish every 3 ms, not waiting for the previous one (they pipeline on one connection).
    const publisher = (async () => {
      for (let n = 0; running; n++) {
        const p: Publish = { n, phase, state: "pending" };
        publishes.push(p);
        pub.publish("load", String(n)).then(
          (offset) => Object.assign(p, { state: "ok", offset }),
          (err) => {
            expect(err).toBeInstanceOf(RedisUnavailableError);
            Object.assign(p, { state: "rejected", maybeApplied: err.maybeApplied });
          },
        );
        await sleep(3);
      }
    })();

    await waitFor("deliveries before the kill", () => delivered.length > 30);
    phase = "down";
    await server.kill();
    await waitFor("the outage seen", () => subLog.lines.length > 0);
    await expect(sub.ping()).rejects.toBeInstanceOf(RedisUnavailableError); // GET /api/status: 503
    await sleep(300);
    phase = "starting";
    await server.start();
    phase = "after";
    const restartedAt = publishes.length;
    await waitFor("a delivery of a message published after the restart", () => delivered.some((d) => d.n >= restartedAt));
    await sleep(200);
    running = false;
    await publisher;
    await waitFor("every publish settled", () => publishes.every((p) => p.state !== "pending"), 5_000);
    const okAfter = publishes.filter((p) => p.phase === "after" && p.state === "ok");
    await waitFor("every publish after the restart delivered", () => okAfter.every((p) => delivered.some((d) => d.n === p.n)), 5_000);
    await sleep(50); // nothing more arrives
    await waitFor("ping answering again", () => sub.ping().then(() => true, () => false));

    // Notifications resume too: the SUBSCRIBE is re-issued on the new connection.
    await waitFor("a notification after the restart", async () => {
      await pub.notify("ping", "after");
      await sleep(20);
      return heard.includes("after");
    });

    const byN = new Map(publishes.map((p) => [p.n, p]));
    const counts = new Map<number, number>();
    for (const d of delivered) counts.set(d.n, (counts.get(d.n) ?? 0) + 1);

    // Never doubled, never out of order, never something that was not published.
    expect([...counts.values()].every((c) => c === 1)).toBe(true);
    expect(delivered.map((d) => d.n)).toEqual([...delivered.map((d) => d.n)].sort((a, b) => a - b));
    for (const d of delivered) {
      const p = byN.get(d.n)!;
      expect(p.state === "ok" || p.maybeApplied, `message ${d.n} was delivered though its publish said it was never sent`).toBe(true);
      if (p.state === "ok") expect(d.offset).toBe(p.offset);
    }

    // The restart is reported once, from the last offset the subscriber got; Redis lost the log.
    expect(gaps).toHaveLength(1);
    expect(gaps[0]).toMatchObject({ channel: "load", reason: "restart" });
    // (Not "the last one published before the restart": one issued while the client reconnected may reach the new Redis.)
    const lastBefore = delivered[deliveredBeforeGap - 1]!;
    expect(gaps[0]!.after).toBe(lastBefore.offset);

    // Each publish: delivered once, or reported.
    const lostWithRedis = publishes.filter((p) => p.state === "ok" && !counts.has(p.n));
    for (const p of lostWithRedis) {
      expect(p.phase, `message ${p.n} resolved after the restart but was not delivered`).not.toBe("after");
      expect(compareOffsets(p.offset!, gaps[0]!.after), `message ${p.n} was lost though the gap says everything up to ${gaps[0]!.after} arrived`).toBeGreaterThan(0);
    }
    expect(publishes.filter((p) => p.phase === "down" && p.state === "ok")).toEqual([]); // while Redis was down, publishes rejected
    expect(okAfter.length).toBeGreaterThan(10);

    // One line per outage, per pubsub, though each has several connections and the client retried several times.
    expect(pubLog.lines.filter((l) => l.startsWith("error"))).toHaveLength(1);
    expect(subLog.lines.filter((l) => l.startsWith("error"))).toHaveLength(1);
    expect(pubLog.lines.filter((l) => l.startsWith("warn"))).toEqual([expect.stringMatching(/RedisPubSub: Redis at redis:\/\/127\.0\.0\.1:\d+ is reachable again \(after \d+ ms\)/)]);
    expect(subLog.lines.filter((l) => l.startsWith("warn"))).toEqual([expect.stringMatching(/is reachable again/)]);

    // What happened to each publish, by when it was issued (printed, as the record of a run).
    const tally = (phase: Publish["phase"]) => {
      const of = publishes.filter((p) => p.phase === phase);
      const n = (f: (p: Publish) => boolean) => of.filter(f).length;
      return (
        `${phase}: ${of.length} published — ${n((p) => p.state === "ok" && counts.has(p.n))} resolved and delivered once, ` +
        `${n((p) => p.state === "ok" && !counts.has(p.n))} resolved and lost with Redis (reported by onGap), ` +
        `${n((p) => p.state === "rejected" && !p.maybeApplied)} rejected unsent (never delivered), ` +
        `${n((p) => p.state === "rejected" && !!p.maybeApplied)} rejected in flight (maybeApplied; ${n((p) => p.state === "rejected" && !!p.maybeApplied && counts.has(p.n))} delivered once)`
      );
    };
    console.log(`[restart] ${tally("before")}\n[restart] ${tally("down")}\n[restart] ${tally("starting")}\n[restart] ${tally("after")}`);
  } finally {
    await pub.close();
    await sub.close();
  }
});

it("reports to onGap a message that was published (and resolved) but lost with Redis before the subscriber read it", async () => {
  const pub = new RedisPubSub({ url: server.url, logger: logger() });
  const sub = new RedisPubSub({ url: server.url, logger: logger() });
  const { createClient } = await import("@redis/client");
  const admin = await createClient({ url: server.url }).connect();
  try {
    const got: string[] = [];
    const gaps: PubSubGap[] = [];
    await sub.subscribe("lost", (m) => got.push(m), { onGap: (g) => gaps.push(g) });
    const first = await pub.publish("lost", "read");
    await waitFor("the first message", () => got.length === 1);
    // Cut the subscriber's reading connection: it reconnects after at least 50 ms (reconnectStrategy), and meanwhile…
    const reader = (await admin.clientList()).find((c) => c.cmd === "xread")!;
    await admin.clientKill({ filter: "ID", id: Number(reader.id) });
    const second = await pub.publish("lost", "never read"); // …a publish resolves, and Redis dies before anyone read it.
    await admin.close().catch(() => {});
    await server.restart();
    await waitFor("the gap reported", () => gaps.length > 0);
    expect(gaps).toEqual([{ channel: "lost", after: first, reason: "restart" }]);
    expect(compareOffsets(second, first)).toBeGreaterThan(0);
    const third = await waitForPublish(pub, "lost", "after");
    await waitFor("the message published after the restart", () => got.includes("after"));
    expect(got).toEqual(["read", "after"]);
    expect(compareOffsets(third, second)).toBeGreaterThan(0); // offsets go on growing after the restart (Redis's clock)
  } finally {
    if (admin.isOpen) await admin.close().catch(() => {});
    await pub.close();
    await sub.close();
  }
});

/** Publishes once the publisher has reconnected (publishes reject until then). */
async function waitForPublish(bus: RedisPubSub, channel: string, message: string): Promise<string> {
  let offset = "";
  await waitFor("a publish after the restart", async () => {
    offset = await bus.publish(channel, message).catch(() => "");
    return offset !== "";
  });
  return offset;
}

it("forgets every session when an unpersisted Redis restarts: lookups reject while it is down, then find nothing; tokens still grow", async () => {
  const log = logger();
  const store = new RedisSessionStore({ url: server.url, logger: log });
  try {
    const rec = { sid: "s1", app: "", owner: "o", createdAt: 1 };
    await store.create(rec, 60_000);
    const before = (await store.claim("s1", "node-a", 60_000))!;
    expect(await store.save("s1", before, '{"n":1}')).toBe(true);

    await server.kill();
    // Once the client has seen the connection drop (the one log line), commands are not even sent.
    await waitFor("the outage logged", () => log.lines.some((l) => l.startsWith("error")));
    const down = await store.get("s1").catch((e) => e);
    expect(down).toBeInstanceOf(RedisUnavailableError);
    expect(down.maybeApplied).toBe(false);
    expect(down.message).toMatch(/RedisSessionStore.get: Redis at redis:\/\/127\.0\.0\.1:\d+ is unreachable.*; nothing was sent. The client reconnects by itself: try again later./);
    await expect(store.ping()).rejects.toBeInstanceOf(RedisUnavailableError);

    await server.start();
    let found: unknown = "not asked";
    await waitFor("the store answering again", async () => {
      try {
        found = await store.get("s1");
        return true;
      } catch {
        return false;
      }
    });
    await store.ping();
    // The session is gone with Redis's memory: its page will start a new one (a re-bootstrap).
    expect(found).toBeUndefined();
    expect(await store.load("s1")).toBeUndefined();
    expect(await store.save("s1", before, '{"n":2}')).toBe(false);
    expect(await store.claim("s1", "node-a", 60_000)).toBeUndefined();

    // The token counter was lost too, but restarts from Redis's clock: a grant after the restart still beats one before it.
    await store.create(rec, 60_000);
    const after = (await store.claim("s1", "node-b", 60_000))!;
    expect(after.token).toBeGreaterThan(before.token);

    expect(log.lines.filter((l) => l.startsWith("error"))).toHaveLength(1);
    expect(log.lines.filter((l) => l.startsWith("warn"))).toHaveLength(1);
  } finally {
    await store.close();
  }
});
