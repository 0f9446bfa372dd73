import { fork, type ChildProcess } from "node:child_process";
import http from "node:http";
import { fileURLToPath } from "node:url";
import { afterAll, describe, expect, it } from "vitest";
import { Browser } from "./harness.js";

const serverScript = fileURLToPath(new URL("./fixtures/load-server.ts", import.meta.url));
const PAGES = 10_000;
const IN_FLIGHT = 40;

let child: ChildProcess | undefined;
afterAll(() => void child?.kill("SIGKILL"));

/** The server's answer to the next message it sends. */
const next = <T>(p: ChildProcess) => new Promise<T>((resolve) => p.once("message", (m) => resolve(m as T)));

/** GETs `/` `count` times with `inFlight` requests at once, reading each page whole; returns the statuses seen. */
async function flood(url: string, count: number, inFlight: number): Promise<Map<number, number>> {
  const agent = new http.Agent({ keepAlive: true, maxSockets: inFlight });
  const statuses = new Map<number, number>();
  let sent = 0;
  const one = () =>
    new Promise<void>((resolve, reject) => {
      http
        .get(url + "/", { agent }, (res) => {
          res.on("data", () => {});
          res.on("end", () => {
            statuses.set(res.statusCode!, (statuses.get(res.statusCode!) ?? 0) + 1);
            resolve();
          });
        })
        .on("error", reject);
    });
  await Promise.all(Array.from({ length: inFlight }, async () => { while (sent++ < count) await one(); }));
  agent.destroy();
  return statuses;
}

describe("anonymous load", () => {
  it(`survives ${PAGES.toLocaleString("en")} page loads of the 1,000-row todo (${IN_FLIGHT} in flight) on a 2 GB heap, and serves a new browser right after`, async () => {
    child = fork(serverScript, [], { execArgv: ["--max-old-space-size=2048", "--expose-gc", "--import", "tsx"], stdio: ["ignore", "inherit", "inherit", "ipc"] });
    const { url } = await next<{ url: string }>(child);
    const started = Date.now();
    const statuses = await flood(url, PAGES, IN_FLIGHT);
    const seconds = (Date.now() - started) / 1000;
    child.send("stats");
    const stats = await next<{ heapUsed: number; live: number; pending: number; sessions: number; maxPending: number }>(child);
    console.log(`${PAGES} pages in ${seconds.toFixed(1)} s; statuses ${JSON.stringify([...statuses])}; heap ${(stats.heapUsed / 1e6).toFixed(0)} MB; ${stats.pending} pending, ${stats.live} live`);
    expect(child.exitCode).toBeNull(); // still up
    expect([...statuses]).toEqual([[200, PAGES]]); // nobody was turned away
    expect(stats.pending).toBeLessThanOrEqual(stats.maxPending);
    expect(stats.live).toBe(0); // page loads that never connect do not count as live sessions
    expect(stats.heapUsed).toBeLessThan(512 * 1024 * 1024); // a quarter of the 2 GB heap

    // A new browser right after the burst: its page, its stream, a click and the patch.
    const b = new Browser(url);
    const page = await b.request("/");
    expect(page.status).toBe(200);
    b.sid = JSON.parse(/<script type="application\/json" id="rv-boot">(.*?)<\/script>/.exec(page.body)![1]!).sid;
    const s = b.stream(0);
    await new Promise((r) => setTimeout(r, 100));
    expect((await b.event("reverse")).status).toBe(202);
    const patch = await s.waitFor((m) => m.type === "patch", "the reverse patch");
    expect(patch.data.ops.filter((o: { op: string }) => o.op === "move").length).toBeGreaterThan(900);
    expect(s.got.filter((m) => m.type === "init")).toEqual([]); // the page it was served needed no second copy
    b.close();
  }, 300_000);
});
