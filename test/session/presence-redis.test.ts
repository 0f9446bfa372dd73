import { fork, type ChildProcess } from "node:child_process";
import { fileURLToPath } from "node:url";
import { afterEach, describe, expect, it } from "vitest";
import type { PresenceDiff } from "revue";
import { startRedis, type TestRedis } from "../redis/server.js";
import { Browser, until, type Received } from "../server/harness.js";

/**
 * Presence across two real processes: two Node processes run the chat
 * example on a `RedisPubSub`, against a real `redis-server` this test starts
 * on a free port. Pages on either process see each other join and leave;
 * when one process is SIGKILLed, its pages leave the other's after the down
 * period. Every child and the Redis server are killed by pid; every wait is bounded.
 */

const nodeScript = fileURLToPath(new URL("./presence-node.ts", import.meta.url));
const DOWN_PERIOD_MS = 1_000;

let children: ChildProcess[] = [];
let redis: TestRedis | undefined;
let browsers: Browser[] = [];

afterEach(async () => {
  for (const b of browsers.splice(0)) b.close();
  for (const c of children.splice(0)) if (c.exitCode === null && c.signalCode === null) c.kill("SIGKILL");
  await redis?.stop();
  redis = undefined;
});

/** Starts one node process; resolves with its URL (within 20 s: it compiles TypeScript as it loads). */
function startNode(name: string, url: string, downPeriodMs = DOWN_PERIOD_MS): Promise<{ child: ChildProcess; url: string }> {
  const env = { ...process.env, REDIS_URL: url, NODE_NAME: name, DOWN_PERIOD_MS: String(downPeriodMs) };
  const child = fork(nodeScript, [], { execArgv: ["--import", "tsx"], env, stdio: ["ignore", "inherit", "inherit", "ipc"] });
  children.push(child);
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`node ${name} did not start within 20 s`)), 20_000);
    child.once("exit", (code) => reject(new Error(`node ${name} exited (${code}) before listening`)));
    child.once("message", (m) => {
      clearTimeout(timer);
      resolve({ child, url: (m as { url: string }).url });
    });
  });
}

/** A page on `url`: its session, its stream, and its entry into `room` as `name`. */
async function page(url: string, name: string, room: string) {
  const b = new Browser(url);
  browsers.push(b);
  await b.start();
  const stream = b.stream();
  await stream.waitFor((m) => m.type === "init", `${name}'s first snapshot`);
  expect((await b.event("enter", [{ type: "submit", form: { name, room } }])).status).toBe(202);
  return { b, got: stream.got };
}

const diffs = (got: Received[]) => got.filter((m) => m.type === "event" && m.data.event === "presence").map((m) => m.data.data as PresenceDiff);
const joined = (got: Received[], name: string) => diffs(got).some((d) => name in d.joins);
const left = (got: Received[], name: string) => diffs(got).some((d) => name in d.leaves);
/**
 * Whether `name` is in the page's list of people: joined by a diff, or already
 * there when the page entered (a node hears the others' presences when it
 * starts, so a page made later gets them in its first render, not as a join).
 */
const listed = (got: Received[], name: string) =>
  joined(got, name) || got.some((m) => (m.type === "patch" || m.type === "init") && JSON.stringify(m.data).includes(`"${name}"`));

describe("presence across two processes on Redis", () => {
  it("pages on two processes see each other join and leave; a SIGKILLed process's pages leave after the down period", async () => {
    redis = await startRedis();
    const [a, b] = await Promise.all([startNode("node-a", redis.url), startNode("node-b", redis.url)]);

    const ann = await page(a.url, "ann", "lobby");
    const bob = await page(b.url, "bob", "lobby");
    // ann was there first: node b may have heard of her before bob's page, which then lists her from its first render.
    await until(() => joined(ann.got, "bob") && listed(bob.got, "ann"), "ann (on a) to see bob join, and bob (on b) to list ann", 10_000);
    expect(diffs(ann.got).find((d) => "bob" in d.joins)).toEqual({ topic: "lobby", joins: { bob: { metas: [{ ref: expect.any(String) }] } }, leaves: {} });

    // A page that closes on b leaves ann's list on a.
    const cy = await page(b.url, "cy", "lobby");
    await until(() => joined(ann.got, "cy"), "ann to see cy join", 10_000);
    cy.b.close();
    await until(() => left(ann.got, "cy"), "ann to see cy leave when cy's page closed", 10_000);
    expect(left(ann.got, "bob")).toBe(false);

    // Process b dies without a word: bob leaves ann's list after the down period, not at once.
    const killedAt = Date.now();
    b.child.kill("SIGKILL");
    await until(() => left(ann.got, "bob"), "bob to leave after b was killed", 10_000);
    const took = Date.now() - killedAt;
    expect(took).toBeGreaterThanOrEqual(DOWN_PERIOD_MS - 50);
    console.log(`presence: a SIGKILLed node's presences left the other node ${took} ms after the kill (down period ${DOWN_PERIOD_MS} ms)`);

    // b comes back under the same name: its new pages join at once.
    const b2 = await startNode("node-b", redis.url);
    const dee = await page(b2.url, "dee", "lobby");
    await until(() => joined(ann.got, "dee") && listed(dee.got, "ann"), "ann and dee (on the restarted b) to see each other", 20_000);
  }, 60_000);

  it("a process restarted under the same node name replaces its old presences at once, long before the down period", async () => {
    redis = await startRedis();
    const long = 60_000;
    const [a, b] = await Promise.all([startNode("node-a", redis.url, long), startNode("node-b", redis.url, long)]);
    const ann = await page(a.url, "ann", "lobby");
    await page(b.url, "bob", "lobby");
    await until(() => joined(ann.got, "bob"), "ann to see bob join", 10_000);
    b.child.kill("SIGKILL");
    const killedAt = Date.now();
    await startNode("node-b", redis.url, long); // a deploy: the same name, a new process
    await until(() => left(ann.got, "bob"), "bob's old presence to leave when node-b came back", 15_000);
    expect(Date.now() - killedAt).toBeLessThan(long / 2);
  }, 60_000);
});
