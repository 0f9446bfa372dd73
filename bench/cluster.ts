/**
 * Several processes on one redis-server (issue 14): `npm run bench cluster`.
 * Nodes are child processes running bench/cluster-node.ts (a counter app in
 * cluster mode, default timing); this process plays every page. Each figure
 * is measured against its baseline in the same run:
 *
 * 1. fan-out: `emit("tick")` to 4,000 open streams held by two nodes, ÷ the
 *    same to 4,000 held by one node (rounds alternate; both through Redis);
 * 2. cross-node emit: from the emitting node's `srv.emit` to a page on that
 *    node, and to a page on the other node;
 * 3. failover: SIGKILL the node holding sessions, then each page's next rpc,
 *    through a round-robin balancer and retried as the runtime retries: the
 *    time until it answers with the session's state.
 *
 * The machine has few cores shared by every process, so wall-clock figures
 * swing; the ratios and the failover time (bounded by the heartbeat TTL) are
 * what to read.
 */
import { spawn } from "node:child_process";
import http from "node:http";
import { fileURLToPath } from "node:url";
import { startBalancer } from "../examples/cluster/balancer.js";
import { startRedis } from "../test/redis/server.js";
import { Audience, f1, fx, median, percentile, postJson, revueClient, settle, table, within, type Broadcaster, type Client } from "./lib.js";

const NODE_SCRIPT = fileURLToPath(new URL("./cluster-node.ts", import.meta.url));

const FANOUT_SESSIONS = 4_000;
const FANOUT_TICKS = 25;
const FANOUT_ROUNDS = 3;
const FANOUT_WINDOW = 2;
const LATENCY_TICKS = 300;
const FAILOVER_TRIALS = 5;
const FAILOVER_PAGES = 20;

/** A node process: its URL, and what the parent can make it do. */
interface NodeProc {
  name: string;
  base: URL;
  port: number;
  emit(n: number): void;
  /** The CPU time (user + system) the process has used, in µs. */
  cpu(): Promise<number>;
  /** SIGKILL, as a crash. */
  kill(): Promise<void>;
  stop(): Promise<void>;
}

/** Every node started, so that a run that fails stops them all. */
const started: NodeProc[] = [];

async function startNode(url: string, name: string, prefix: string): Promise<NodeProc> {
  const child = spawn(process.execPath, ["--import", "tsx", NODE_SCRIPT, url, name, prefix], { stdio: ["ignore", "inherit", "inherit", "ipc"] });
  started.push({ name, port: 0, base: new URL("http://127.0.0.1"), emit() {}, cpu: async () => 0, kill: async () => void child.kill("SIGKILL"), stop: async () => void child.kill("SIGKILL") });
  const exited = new Promise<void>((r) => child.once("exit", () => r()));
  const port = await within(
    new Promise<number>((resolve, reject) => {
      child.once("message", (m: { port: number }) => resolve(m.port));
      child.once("exit", (code) => reject(new Error(`bench node ${name} exited (${code}) before listening`)));
    }),
    30_000,
    () => `bench node ${name} did not start within 30 s`,
  );
  const running = () => child.exitCode === null && child.signalCode === null;
  return {
    name,
    port,
    base: new URL(`http://127.0.0.1:${port}`),
    emit: (n) => void child.send({ emit: n }),
    cpu: () =>
      new Promise((resolve) => {
        const on = (m: { cpuUs?: number }) => {
          if (m.cpuUs === undefined) return;
          child.off("message", on);
          resolve(m.cpuUs);
        };
        child.on("message", on);
        child.send({ cpu: true });
      }),
    async kill() {
      child.kill("SIGKILL");
      await exited;
    },
    async stop() {
      if (!running()) return;
      child.send({ stop: true });
      await within(exited, 10_000, () => `${name} did not stop`).catch(() => child.kill("SIGKILL"));
    },
  };
}

/** Pages spread over `nodes` in turn; `emit` is the first node's `srv.emit`. */
function spread(nodes: NodeProc[], agent: http.Agent): Broadcaster {
  let i = 0;
  return {
    open: async (onEvent) => (await revueClient(agent, nodes[i++ % nodes.length]!.base, (event) => event === "event" && onEvent())).stream,
    emit: (n) => nodes[0]!.emit(n),
    close: async () => {},
  };
}

// ---------------------------------------------------------------- 1. fan-out

interface FanoutRound {
  msgsPerSec: number;
  p50Ms: number;
  /** CPU of the busiest node per 1,000 messages delivered, in ms: the share of the work one process has to carry. */
  busiestCpuMs: number;
  /** The same, summed over the nodes. */
  totalCpuMs: number;
}

async function fanoutRound(audience: Audience, nodes: NodeProc[]): Promise<FanoutRound> {
  const cpu0 = await Promise.all(nodes.map((n) => n.cpu()));
  const start = performance.now();
  const lat = await audience.broadcast(FANOUT_TICKS, FANOUT_WINDOW);
  const elapsed = performance.now() - start;
  await settle(100); // trailing work (acks, renewals) is the round's too
  const cpu = (await Promise.all(nodes.map((n) => n.cpu()))).map((c, i) => (c - cpu0[i]!) / 1000);
  const perK = (ms: number) => ms / ((FANOUT_TICKS * audience.size) / 1000);
  return { msgsPerSec: (FANOUT_TICKS * audience.size) / (elapsed / 1000), p50Ms: median(lat), busiestCpuMs: perK(Math.max(...cpu)), totalCpuMs: perK(cpu.reduce((a, b) => a + b, 0)) };
}

async function fanout(one: NodeProc, two: NodeProc[], agent: http.Agent) {
  const single = new Audience(spread([one], agent));
  const pair = new Audience(spread(two, agent));
  const rounds = { single: [] as FanoutRound[], pair: [] as FanoutRound[] };
  try {
    await single.open(FANOUT_SESSIONS, 100);
    await pair.open(FANOUT_SESSIONS, 100);
    await settle(500);
    await fanoutRound(single, [one]); // cold rounds, unrecorded
    await fanoutRound(pair, two);
    for (let r = 0; r < FANOUT_ROUNDS; r++) {
      rounds.single.push(await fanoutRound(single, [one]));
      rounds.pair.push(await fanoutRound(pair, two));
    }
  } finally {
    await single.close();
    await pair.close();
  }
  const med = (rs: FanoutRound[]) => ({
    msgsPerSec: median(rs.map((r) => r.msgsPerSec)),
    p50Ms: median(rs.map((r) => r.p50Ms)),
    busiestCpuMs: median(rs.map((r) => r.busiestCpuMs)),
    totalCpuMs: median(rs.map((r) => r.totalCpuMs)),
  });
  return { single: med(rounds.single), pair: med(rounds.pair), ratio: median(rounds.pair.map((r, i) => r.msgsPerSec / rounds.single[i]!.msgsPerSec)) };
}

// ---------------------------------------------------------------- 2. cross-node emit

/** One page on each node; ticks emitted on the first, one at a time. Latencies in ms, per tick. */
async function crossNode(two: NodeProc[], agent: http.Agent): Promise<{ same: number[]; other: number[]; extra: number[] }> {
  const got: number[][] = [[], []];
  let waiting: (() => void) | undefined;
  const counts = [0, 0];
  const pages: Client[] = [];
  for (const side of [0, 1]) {
    pages.push(
      await revueClient(agent, two[side]!.base, (event) => {
        if (event !== "event") return;
        got[side]![++counts[side]!] = performance.now();
        if (counts[0] === counts[1]) waiting?.();
      }),
    );
  }
  const sentAt: number[] = [];
  try {
    for (let k = 1; k <= LATENCY_TICKS; k++) {
      const both = new Promise<void>((r) => (waiting = r));
      sentAt[k] = performance.now();
      two[0]!.emit(k);
      await within(both, 5_000, () => `tick ${k} did not reach both pages (${counts.join(", ")})`);
      await settle(5);
    }
  } finally {
    for (const p of pages) p.stream.close();
  }
  const ticks = Array.from({ length: LATENCY_TICKS - 20 }, (_, i) => i + 21); // the first 20 warm up
  return {
    same: ticks.map((k) => got[0]![k]! - sentAt[k]!),
    other: ticks.map((k) => got[1]![k]! - sentAt[k]!),
    extra: ticks.map((k) => got[1]![k]! - got[0]![k]!),
  };
}

// ---------------------------------------------------------------- 3. failover

/**
 * A page's next rpc after its node died, retried as the runtime's call queue
 * retries (client/queue.ts): a network error or SERVER_CLOSING after 250 ms ×
 * 2^tries (5 tries), a 429 or 503 UNAVAILABLE after its Retry-After, under the
 * same seq. Resolves to the answer's result.
 */
async function callLikeThePage(agent: http.Agent, base: URL, page: { sid: string; cookie: string }, seq: number): Promise<unknown> {
  for (let tries = 1; ; ) {
    let reply: Awaited<ReturnType<typeof postJson>> | undefined;
    try {
      reply = await postJson(agent, base, "/api/rpc/bump", { sid: page.sid, seq, args: [] }, page.cookie);
    } catch {}
    const code = reply?.text.startsWith("{") && reply.status >= 400 ? (JSON.parse(reply.text) as { error?: { code?: string } }).error?.code : undefined;
    if (reply?.status === 200) return (JSON.parse(reply.text) as { result: unknown }).result;
    if (reply && (reply.status === 429 || code === "UNAVAILABLE")) await settle(reply.retryAfterMs ?? 1000);
    else if (!reply || code === "SERVER_CLOSING" || reply.status === 502) {
      if (tries >= 5) throw new Error(`rpc gave up after ${tries} tries`);
      await settle(250 * 2 ** (tries++ - 1));
    } else throw new Error(`rpc answered ${reply.status}: ${reply.text.slice(0, 200)}`);
  }
}

/** Kill → each page working again, in ms; the killed node is replaced by a fresh one for the next trial. */
async function failover(url: string, two: NodeProc[], agent: http.Agent): Promise<{ times: number[]; wrong: number }> {
  const times: number[] = [];
  let wrong = 0;
  for (let t = 0; t < FAILOVER_TRIALS; t++) {
    const [holder, survivor] = two as [NodeProc, NodeProc];
    const pages: Array<{ sid: string; cookie: string }> = [];
    for (let i = 0; i < FAILOVER_PAGES; i++) {
      const r = await postJson(agent, holder.base, "/api/session", {});
      const page = { sid: (JSON.parse(r.text) as { sid: string }).sid, cookie: r.cookie! };
      if ((await callLikeThePage(agent, holder.base, page, 1)) !== 1) throw new Error("the first bump did not answer 1");
      pages.push(page);
    }
    const balancer = await startBalancer([holder.port, survivor.port]);
    const lb = new URL(balancer.url);
    await settle(300 + Math.random() * 500); // anywhere between two heartbeats
    const killedAt = performance.now();
    const killed = holder.kill();
    await Promise.all(
      pages.map(async (page) => {
        const result = await callLikeThePage(agent, lb, page, 2);
        times.push(performance.now() - killedAt);
        if (result !== 2) wrong++; // the count the page had, plus this call: its state came along, the call ran once
      }),
    );
    await killed;
    await balancer.close();
    two.splice(0, 2, survivor, await startNode(url, `n${t + 2}`, "pair:"));
  }
  return { times, wrong };
}

// ---------------------------------------------------------------- main

export async function runClusterBench(): Promise<void> {
  console.log(
    `\nCluster: nodes are child processes on one redis-server, this process every page. Fan-out ${FANOUT_ROUNDS} rounds × ${FANOUT_TICKS} ticks to ${FANOUT_SESSIONS} streams; cross-node ${LATENCY_TICKS} ticks; failover ${FAILOVER_TRIALS} kills × ${FAILOVER_PAGES} pages\n`,
  );
  const redis = await startRedis();
  const agent = new http.Agent({ keepAlive: true, maxSockets: 64 });
  try {
    const [one, a, b] = await Promise.all([startNode(redis.url, "solo", "solo:"), startNode(redis.url, "n0", "pair:"), startNode(redis.url, "n1", "pair:")]);
    const two = [a, b];

    const lat = await crossNode(two, agent);
    const fan = await fanout(one, two, agent);
    await one.stop();
    const fo = await failover(redis.url, two, agent);
    await Promise.all(two.map((n) => n.stop()));

    const sorted = (xs: number[]) => [...xs].sort((x, y) => x - y);
    console.log(`Broadcast fan-out to ${FANOUT_SESSIONS} open streams, median of ${FANOUT_ROUNDS} alternated rounds`);
    table(
      ["held by", "msgs/s", "vs 1 node", "tick p50 ms", "busiest node CPU ms / 1k msgs", "all nodes CPU ms / 1k msgs"],
      [
        ["1 node", f1(fan.single.msgsPerSec), "1.00×", f1(fan.single.p50Ms), f1(fan.single.busiestCpuMs), f1(fan.single.totalCpuMs)],
        ["2 nodes (2,000 each)", f1(fan.pair.msgsPerSec), fx(fan.ratio), f1(fan.pair.p50Ms), f1(fan.pair.busiestCpuMs), f1(fan.pair.totalCpuMs)],
      ],
    );
    console.log(`(the busiest node carries ${fx(fan.pair.busiestCpuMs / fan.single.busiestCpuMs)} of one node's CPU per message; wall-clock throughput is bounded by this machine's cores, which the nodes share with this process)`);
    const [same, other, extra] = [sorted(lat.same), sorted(lat.other), sorted(lat.extra)];
    console.log(`\nEmit → page, ${same.length} ticks one at a time (ms; from the parent's IPC message to the frame read)`);
    table(
      ["page on", "p50", "p99"],
      [
        ["the emitting node", f1(percentile(same, 50)), f1(percentile(same, 99))],
        ["the other node", f1(percentile(other, 50)), f1(percentile(other, 99))],
        ["extra for the other node", f1(percentile(extra, 50)), f1(percentile(extra, 99))],
      ],
    );
    const times = sorted(fo.times);
    console.log(`\nFailover: SIGKILL → the page's next rpc answers with its state (${times.length} pages over ${FAILOVER_TRIALS} kills; heartbeat 500 ms, node TTL 2,000 ms)`);
    table(
      ["", "p50 ms", "p99 ms", "max ms", "state wrong"],
      [["kill → working", f1(percentile(times, 50)), f1(percentile(times, 99)), f1(times.at(-1)!), String(fo.wrong)]],
    );
    console.log("raw:", JSON.stringify({ fan, lat: { same: percentile(same, 50), other: percentile(other, 50) }, failover: times }));
  } finally {
    agent.destroy();
    for (const n of started.splice(0)) await n.kill(); // whatever is still running after a failure
    await redis.stop();
  }
}
