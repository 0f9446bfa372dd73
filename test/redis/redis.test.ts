import { createClient } from "@redis/client";
import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest";
import { RedisPubSub, RedisSessionStore, RedisUnavailableError } from "revue/redis";
import { freePort, startRedis, type TestRedis } from "./server.js";

/** What RedisPubSub and RedisSessionStore do beyond the shared contracts: connections, keys, timing, errors. */

let server: TestRedis;
let admin: ReturnType<typeof createClient>;
let adminId = 0;
const closeLater: Array<{ close(): Promise<unknown> }> = [];
beforeAll(async () => {
  server = await startRedis();
  admin = createClient({ url: server.url });
  await admin.connect();
  adminId = await admin.clientId();
});
afterEach(async () => {
  for (const c of closeLater.splice(0)) await c.close().catch(() => {});
});
afterAll(async () => {
  await admin?.close();
  await server?.stop();
});

const logger = () => {
  const lines: string[] = [];
  return { lines, warn: (m: string) => lines.push(`warn ${m}`), error: (m: string) => lines.push(`error ${m}`) };
};
const pubsub = (options: ConstructorParameters<typeof RedisPubSub>[0] = {}) => {
  const bus = new RedisPubSub({ url: server.url, ...options });
  closeLater.push(bus);
  return bus;
};
const waitFor = async (cond: () => boolean | Promise<boolean>, ms = 3_000) => {
  const end = Date.now() + ms;
  while (!(await cond())) {
    if (Date.now() > end) throw new Error(`condition not met within ${ms} ms`);
    await new Promise((r) => setTimeout(r, 5));
  }
};
/** Connections the server has open, other than the admin's. */
const connections = async () => (await admin.clientList()).filter((c) => Number(c.id) !== adminId).length;

describe("RedisPubSub", () => {
  it("keeps its keys under the prefix: a stream per logged channel, nothing for notifications", async () => {
    const bus = pubsub({ prefix: "layout:" });
    await bus.publish("chat", "hi");
    await bus.notify("ping", "x");
    expect(await admin.keys("layout:*")).toEqual(["layout:log:chat"]);
    expect(await admin.type("layout:log:chat")).toBe("stream");
    expect((await admin.xRange("layout:log:chat", "-", "+"))?.map((e) => e.message)).toEqual([{ m: "hi" }]);
  });

  it("trims each log to about maxLen messages (MAXLEN ~: whole stream nodes of 100)", async () => {
    const bus = pubsub({ prefix: "trim:", maxLen: 150 });
    for (let i = 0; i < 600; i++) await bus.publish("c", `m${i}`);
    const length = await admin.xLen("trim:log:c");
    expect(length).toBeGreaterThanOrEqual(150);
    expect(length).toBeLessThanOrEqual(250);
    expect((await bus.since("c", await bus.head("c")))!.length).toBe(0);
  });

  it("delivers to a subscriber what was published after subscribe resolved and nothing before, while another client publishes all along", async () => {
    const pub = pubsub({ prefix: "start:" });
    const sub = pubsub({ prefix: "start:" });
    let publishing = true;
    let issued = 0; // messages are their number; each publish is issued right after the previous one resolved
    const flood = (async () => {
      while (publishing) await pub.publish("c", String(issued++));
    })();
    await waitFor(() => issued > 20);
    const resolvedBefore = issued - 1; // 0 … resolvedBefore-1 were published before subscribe was called
    const got: number[] = [];
    await sub.subscribe("c", (m) => got.push(Number(m)));
    const issuedAfter = issued + 1; // from this one on, every publish was issued after subscribe resolved
    await waitFor(() => issued > issuedAfter + 20);
    publishing = false;
    await flood;
    await waitFor(() => got.at(-1) === issued - 1);
    expect(got[0]).toBeGreaterThanOrEqual(resolvedBefore);
    expect(got[0]).toBeLessThanOrEqual(issuedAfter);
    expect(got).toEqual(Array.from({ length: issued - got[0]! }, (_, i) => got[0]! + i)); // each once, in order, none missing
  });

  it("starts delivering a second channel at once, though the reader is blocked on the first (CLIENT UNBLOCK, not the 5 s XREAD timeout)", async () => {
    const pub = pubsub({ prefix: "unblock:" });
    const sub = pubsub({ prefix: "unblock:" });
    await sub.subscribe("a", () => {});
    await new Promise((r) => setTimeout(r, 100)); // the reader now waits in XREAD BLOCK on "a" only
    const got: string[] = [];
    await sub.subscribe("b", (m) => got.push(m));
    const sent = Date.now();
    await pub.publish("b", "x");
    await waitFor(() => got.length > 0, 1_000);
    expect(Date.now() - sent).toBeLessThan(1_000);
  });

  it("gives each subscription of one client its own start, and one copy of each message", async () => {
    const pub = pubsub({ prefix: "two-subs:" });
    const sub = pubsub({ prefix: "two-subs:" });
    const early: string[] = [];
    const late: string[] = [];
    await sub.subscribe("c", (m) => early.push(m));
    await pub.publish("c", "1");
    await waitFor(() => early.length === 1);
    await sub.subscribe("c", (m) => late.push(m));
    await pub.publish("c", "2");
    await waitFor(() => early.length === 2 && late.length === 1);
    await new Promise((r) => setTimeout(r, 30));
    expect(early).toEqual(["1", "2"]);
    expect(late).toEqual(["2"]);
  });

  it("keeps delivering when a subscriber throws, and logs it", async () => {
    const log = logger();
    const pub = pubsub({ prefix: "throws:" });
    const sub = pubsub({ prefix: "throws:", logger: log });
    const got: string[] = [];
    await sub.subscribe("c", () => {
      throw new Error("boom");
    });
    await sub.subscribe("c", (m) => got.push(m));
    await pub.publish("c", "1");
    await pub.publish("c", "2");
    await waitFor(() => got.length === 2);
    expect(log.lines.filter((l) => l.includes("a subscriber threw"))).toHaveLength(2);
  });

  it("tells onGap when the log was trimmed past what a subscriber had read while its connection was down, then reads on", async () => {
    const pub = pubsub({ prefix: "trimmed:", maxLen: 10 });
    const sub = pubsub({ prefix: "trimmed:", maxLen: 10, logger: logger() });
    const got: string[] = [];
    const gaps: unknown[] = [];
    await sub.subscribe("c", (m) => got.push(m), { onGap: (g) => gaps.push(g) });
    const seen = await pub.publish("c", "seen");
    await waitFor(() => got.length === 1);
    // Cut the reader's connection (it reconnects after at least 50 ms), and meanwhile publish far past maxLen.
    const reader = (await admin.clientList()).find((c) => c.cmd === "xread")!;
    await admin.clientKill({ filter: "ID", id: Number(reader.id) });
    await Promise.all(Array.from({ length: 300 }, (_, i) => pub.publish("c", `m${i}`)));
    await waitFor(() => got.at(-1) === "m299");
    expect(gaps).toEqual([{ channel: "c", after: seen, reason: "trimmed" }]); // once, though both the resume check and the first (full) batch saw it
    expect(got.length).toBeLessThan(300); // the trimmed ones are gone; the rest arrive in order
    expect(got.slice(1)).toEqual(got.slice(1).map((_, i) => `m${300 - got.length + 1 + i}`));
  });

  it("owns the connections it creates from a url and closes all of them", async () => {
    const before = await connections();
    const bus = new RedisPubSub({ url: server.url });
    await bus.subscribe("c", () => {});
    await bus.listen("n", () => {});
    expect(await connections()).toBe(before + 3); // commands, the blocking reader, the subscriber
    await bus.close();
    await waitFor(async () => (await connections()) === before);
    await expect(bus.publish("c", "x")).rejects.toThrow(/RedisPubSub.publish\("c"\): this client is closed/);
  });

  it("uses a client passed in without closing it, and closes only the duplicates it made", async () => {
    const client = createClient({ url: server.url });
    await client.connect();
    const before = await connections();
    const bus = new RedisPubSub({ client, prefix: "mine:" });
    const got: string[] = [];
    await bus.subscribe("c", (m) => got.push(m));
    await bus.publish("c", "x");
    await waitFor(() => got.length === 1);
    expect(await connections()).toBe(before + 1); // the reader; publishing used the client itself
    await bus.close();
    await waitFor(async () => (await connections()) === before);
    expect(client.isReady).toBe(true);
    expect(await client.ping()).toBe("PONG");
    await client.close();
  });

  it("refuses a client that is not connected, and both a client and a url", () => {
    const client = createClient({ url: server.url });
    expect(() => new RedisPubSub({ client })).toThrow(/the client is not connected; call await client.connect\(\) first/);
    expect(() => new RedisSessionStore({ client, url: server.url })).toThrow(/pass either \{ client \} or \{ url, clientOptions \}, not both/);
  });

  it("rejects a non-string message, and an offset that is not one", async () => {
    const bus = pubsub();
    await expect(bus.publish("c", { text: "hi" } as any)).rejects.toThrow(/RedisPubSub.publish\("c"\): message must be a string \(JSON\), got object/);
    await expect(bus.since("c", "yesterday")).rejects.toThrow(/an offset is "<ms>-<n>"/);
  });

  it("says since() → undefined for an offset from a stream that is gone (deleted, or lost by a restart)", async () => {
    const bus = pubsub({ prefix: "gone:" });
    const offset = await bus.publish("c", "x");
    expect(await bus.since("c", "0-0")).toEqual([{ offset, message: "x" }]);
    await admin.del("gone:log:c");
    expect(await bus.since("c", offset)).toBeUndefined();
    expect(await bus.since("c", "0-0")).toEqual([]);
    const again = await bus.publish("c", "y"); // a new stream: the old offset predates its first entry
    expect(await bus.since("c", offset)).toBeUndefined();
    expect(await bus.since("c", again)).toEqual([]);
  });
});

describe("RedisSessionStore", () => {
  const rec = (sid: string) => ({ sid, app: "/chat", owner: "o", createdAt: 5 });

  it("keeps one hash per session with the idle TTL, a token counter, and heartbeat keys with their own TTL", async () => {
    const store = new RedisSessionStore({ url: server.url, prefix: "keys:" });
    closeLater.push(store);
    await store.create(rec("s1"), 60_000);
    const lease = (await store.claim("s1", "node-a", 5_000))!;
    await store.save("s1", lease, '{"v":1}');
    await store.beat("node-a", 3_000);
    expect((await admin.keys("keys:*")).sort()).toEqual(["keys:lease-token", "keys:node:node-a", "keys:session:s1"]);
    const hash = await admin.hGetAll("keys:session:s1");
    expect(hash).toMatchObject({ record: JSON.stringify(rec("s1")), snapshot: '{"v":1}', node: "node-a", token: String(lease.token) });
    expect(Number(hash.until)).toBeGreaterThan(Date.now() + 4_000);
    expect(await admin.pTTL("keys:session:s1")).toBeGreaterThan(59_000);
    expect(await admin.pTTL("keys:node:node-a")).toBeGreaterThan(2_000);
    expect(await admin.pTTL("keys:node:node-a")).toBeLessThanOrEqual(3_000);
  });

  it("grants tokens from one counter, higher than any before, across stores on separate connections", async () => {
    const a = new RedisSessionStore({ url: server.url, prefix: "tokens:" });
    const b = new RedisSessionStore({ url: server.url, prefix: "tokens:" });
    closeLater.push(a, b);
    for (let i = 0; i < 10; i++) await a.create(rec(`s${i}`), 60_000);
    const tokens = await Promise.all(Array.from({ length: 10 }, (_, i) => (i % 2 ? a : b).claim(`s${i}`, i % 2 ? "node-a" : "node-b", 5_000)));
    const values = tokens.map((t) => t!.token);
    expect(new Set(values).size).toBe(10);
    expect(values.every((t) => Number.isSafeInteger(t) && t > Date.now())).toBe(true); // seeded from Redis's clock × 1000
  });

  it("rejects a duration that is not a positive number of ms", async () => {
    const store = new RedisSessionStore({ url: server.url });
    closeLater.push(store);
    await expect(store.create(rec("x"), 0)).rejects.toThrow(/RedisSessionStore.create: ttlMs must be a positive number of milliseconds, got 0/);
  });

  it("rejects at once, naming the server, when Redis cannot be reached at first, and logs it once", async () => {
    const port = await freePort();
    const log = logger();
    const store = new RedisSessionStore({ url: `redis://:secret@127.0.0.1:${port}`, connectTimeoutMs: 300, logger: log });
    const started = Date.now();
    const err = await store.get("s").catch((e) => e);
    expect(err).toBeInstanceOf(RedisUnavailableError);
    expect(err.maybeApplied).toBe(false);
    expect(err.message).toMatch(new RegExp(`RedisSessionStore.get: could not connect to Redis at redis://127.0.0.1:${port} within 300 ms \\(.*ECONNREFUSED.*\\); nothing was sent`));
    expect(err.message).not.toContain("secret");
    expect(Date.now() - started).toBeLessThan(2_000);
    await new Promise((r) => setTimeout(r, 400)); // a few reconnection attempts
    expect(log.lines.filter((l) => l.startsWith("error"))).toHaveLength(1);
    expect(log.lines[0]).toMatch(/RedisSessionStore: Redis at .* is unreachable .*ECONNREFUSED.*; reconnecting. Session lookups, leases and saves reject until it is back./);
    await store.close();
  });
});
