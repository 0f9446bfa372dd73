/**
 * Server benchmarks (issue #4): event → patch round trip against a Koa JSON
 * echo, broadcast fan-out against a raw `node:http` SSE server, and memory per
 * idle session with an open stream and per frame in its replay buffer. Client
 * and server share this process (and its one JS thread), so every figure
 * includes the client's own cost; the baselines are driven by the same client
 * code, which is why only the ratios mean anything. Run: `npm run bench server`.
 */
import { spawn } from "node:child_process";
import http, { type Server, type ServerResponse } from "node:http";
import type { AddressInfo } from "node:net";
import { fileURLToPath } from "node:url";
import Koa from "koa";
import { koaBody } from "koa-body";
import { App, createServer, h, server } from "../src/index.js";
import { Hub } from "../src/internals.js";
import type { Sink } from "../src/session/stream.js";
import { Audience, f1, fx, kb, median, openStream, percentile, postJson, revueClient, settle, table, within, type Broadcaster, type Client } from "./lib.js";

class Counter extends App {
  count = 0;
  @server.realtime increment() {
    this.count++;
  }
  override render() {
    return h("main", {}, h("h1", { id: "count" }, String(this.count)), h("button", { onClick: this.increment }, "+1"));
  }
}

const quiet = { warn() {}, error() {} };
const HOST = "127.0.0.1";

// ---------------------------------------------------------------- baselines

async function listen(srv: Server): Promise<URL> {
  await new Promise<void>((r) => srv.listen(0, HOST, r));
  return new URL(`http://${HOST}:${(srv.address() as AddressInfo).port}`);
}

async function closeHttp(srv: Server): Promise<void> {
  const closed = new Promise<void>((r) => srv.close(() => r()));
  srv.closeAllConnections();
  await closed;
}

/** Koa + koa-body with the options Revue's jsonBody() uses, echoing the parsed body. */
async function echoServer(): Promise<{ url: URL; close(): Promise<void> }> {
  const koa = new Koa();
  koa.use(koaBody({ json: true, urlencoded: false, text: false, multipart: false, jsonLimit: 64 * 1024, jsonStrict: true, patchKoa: true }));
  koa.use((ctx) => {
    ctx.body = ctx.request.body;
  });
  const srv = http.createServer(koa.callback());
  srv.keepAliveTimeout = 5_000; // as Revue's listen()
  const url = await listen(srv);
  return { url, close: () => closeHttp(srv) };
}

/** A raw SSE stream: the response and the id of the last frame written to it. */
interface RawStream {
  res: ServerResponse;
  id: number;
}

/** The least an SSE broadcast can do: the body stringified once, one id counter per stream, Revue's exact frame bytes. */
function rawBroadcast(streams: Iterable<RawStream>, event: string, data: unknown): void {
  const body = JSON.stringify({ event, data });
  for (const s of streams) s.res.write(`id: ${++s.id}\nevent: event\ndata: ${body}\n\n`);
}

/** A `node:http` server that holds its SSE responses and broadcasts with {@link rawBroadcast}. */
async function rawSseServer(): Promise<{ url: URL; broadcast(event: string, data: unknown): void; close(): Promise<void> }> {
  const streams = new Set<RawStream>();
  const srv = http.createServer((req, res) => {
    req.socket.setNoDelay(true);
    req.socket.setTimeout(0);
    res.writeHead(200, { "Content-Type": "text/event-stream; charset=utf-8", "Cache-Control": "no-cache, no-transform", Connection: "keep-alive", "X-Accel-Buffering": "no" });
    const s = { res, id: 1 };
    // The same first bytes as Revue: retry, then a (tiny) init the client waits for.
    res.write(`retry: 1000\n\nid: 1\nevent: init\ndata: {"rev":1}\n\n`);
    streams.add(s);
    res.on("close", () => streams.delete(s));
  });
  const url = await listen(srv);
  return {
    url,
    broadcast: (event, data) => rawBroadcast(streams, event, data),
    close: () => closeHttp(srv),
  };
}

// ---------------------------------------------------------------- 1. round trip

const LOOPS = 20;
/** Each target runs in slices, alternating with the other, so load from elsewhere on the machine hits both alike. */
const SLICES = 4;
const SLICE_MS = 1_000;
const WARMUP_MS = 300;

interface LoopResult {
  opsPerSec: number;
  p50: number;
  p99: number;
}

/** A closed-loop target: `once(loop)` does one iteration of that loop and resolves to its latency in ms. */
interface LoopTarget {
  once(loop: number): Promise<number>;
  close(): Promise<void>;
}

/** Runs `LOOPS` closed loops of `target` for `ms`; returns each completed iteration's latency. */
async function closedLoops(target: LoopTarget, ms: number): Promise<number[]> {
  const lat: number[] = [];
  const to = performance.now() + ms;
  await Promise.all(
    Array.from({ length: LOOPS }, async (_, loop) => {
      while (performance.now() < to) lat.push(await target.once(loop));
    }),
  );
  return lat;
}

function summarize(lat: number[], ms: number): LoopResult {
  lat.sort((a, b) => a - b);
  return { opsPerSec: lat.length / (ms / 1000), p50: percentile(lat, 50), p99: percentile(lat, 99) };
}

async function echoTarget(): Promise<LoopTarget> {
  const echo = await echoServer();
  const agent = new http.Agent({ keepAlive: true, maxSockets: LOOPS });
  const seqs = new Array<number>(LOOPS).fill(0);
  return {
    async once(loop) {
      const t = performance.now();
      // The same body shape as a Revue event.
      const r = await postJson(agent, echo.url, "/echo", { sid: "x".repeat(24), seq: ++seqs[loop]!, method: "increment", args: [] });
      if (r.status !== 200) throw new Error(`echo answered ${r.status}`);
      return performance.now() - t;
    },
    async close() {
      agent.destroy();
      await echo.close();
    },
  };
}

/**
 * `LOOPS` counter sessions; one iteration POSTs event seq k, then waits for
 * both the 202 and the patch whose ack ≥ k. The latency is send → patch.
 */
async function revueTarget(): Promise<LoopTarget> {
  const srv = createServer(Counter, { logger: quiet, maxSessions: 100_000 });
  const base = new URL(await srv.listen(0, HOST));
  const agent = new http.Agent({ keepAlive: true, maxSockets: LOOPS });
  const clients: Client[] = [];
  const waiting: ({ seq: number; resolve: (t: number) => void } | undefined)[] = [];
  for (let i = 0; i < LOOPS; i++) {
    clients.push(
      await revueClient(agent, base, (event, data) => {
        const w = waiting[i];
        if (event !== "patch" || !w) return;
        const ack = (JSON.parse(data) as { ack?: number }).ack ?? 0;
        if (ack >= w.seq) {
          waiting[i] = undefined;
          w.resolve(performance.now());
        }
      }),
    );
  }
  const seqs = new Array<number>(LOOPS).fill(0);
  return {
    async once(loop) {
      const c = clients[loop]!;
      const seq = ++seqs[loop]!;
      const t = performance.now();
      const patched = new Promise<number>((resolve) => (waiting[loop] = { seq, resolve }));
      const [r, at] = await Promise.all([postJson(agent, base, "/api/event", { sid: c.sid, seq, method: "increment", args: [] }, c.cookie), patched]);
      if (r.status !== 202) throw new Error(`POST /api/event answered ${r.status}: ${r.text}`);
      return at - t;
    },
    async close() {
      for (const c of clients) c.stream.close();
      agent.destroy();
      await srv.close();
    },
  };
}

/** The echo and Revue in alternating slices (the order swapped every round, so neither always runs second). */
async function roundTrips(): Promise<{ echo: LoopResult; revue: LoopResult }> {
  const targets = { echo: await echoTarget(), revue: await revueTarget() };
  const lat = { echo: [] as number[], revue: [] as number[] };
  try {
    for (const target of Object.values(targets)) await closedLoops(target, WARMUP_MS);
    for (let r = 0; r < SLICES; r++) {
      for (const kind of r % 2 ? (["revue", "echo"] as const) : (["echo", "revue"] as const)) lat[kind].push(...(await closedLoops(targets[kind], SLICE_MS)));
    }
  } finally {
    for (const target of Object.values(targets)) await target.close();
  }
  return { echo: summarize(lat.echo, SLICES * SLICE_MS), revue: summarize(lat.revue, SLICES * SLICE_MS) };
}

/**
 * One session fires `n` events at once over 6 sockets (a browser's limit);
 * returns how many patches it took to reflect them all, i.e. how well renders coalesce.
 */
async function burstPatches(n = 200): Promise<number> {
  const srv = createServer(Counter, { logger: quiet, maxSessions: 100_000 });
  const base = new URL(await srv.listen(0, HOST));
  const agent = new http.Agent({ keepAlive: true, maxSockets: 6 });
  let patches = 0;
  let resolveDone!: () => void;
  const done = new Promise<void>((r) => (resolveDone = r));
  const c = await revueClient(agent, base, (event, data) => {
    if (event !== "patch") return;
    patches++;
    if ((JSON.parse(data) as { ack?: number }).ack === n) resolveDone();
  });
  try {
    await Promise.all(Array.from({ length: n }, (_, i) => postJson(agent, base, "/api/event", { sid: c.sid, seq: i + 1, method: "increment", args: [] }, c.cookie)));
    await within(done, 5_000, () => "burst: the last patch never came");
    return patches;
  } finally {
    c.stream.close();
    agent.destroy();
    await srv.close();
  }
}

// ---------------------------------------------------------------- broadcasting to many streams

async function rawBroadcaster(): Promise<Broadcaster> {
  const raw = await rawSseServer();
  let i = 0;
  return {
    async open(onEvent) {
      const s = openStream(raw.url, `/sse/${i++}`, undefined, (event) => event === "event" && onEvent());
      await s.ready;
      return s;
    },
    emit: (n) => raw.broadcast("tick", { n }),
    close: raw.close,
  };
}

/** A counter server; `emit` is `srv.emit("tick")`, an event the counter has no handler for. */
async function revueBroadcaster(): Promise<Broadcaster> {
  const srv = createServer(Counter, { logger: quiet, maxSessions: 100_000 });
  const base = new URL(await srv.listen(0, HOST));
  const agent = new http.Agent({ keepAlive: true, maxSockets: 64 });
  return {
    open: async (onEvent) => (await revueClient(agent, base, (event) => event === "event" && onEvent())).stream,
    emit: (n) => srv.emit("tick", { n }),
    async close() {
      agent.destroy();
      await srv.close();
    },
  };
}

// ---------------------------------------------------------------- 2. fan-out

const FANOUT_STREAMS = 2_000;
const FANOUT_TICKS = 25;
/** Rounds of FANOUT_TICKS per target, alternating raw and Revue so load from elsewhere hits both; ratios are medians of adjacent pairs. */
const FANOUT_ROUNDS = 3;
const FANOUT_WINDOW = 2;

interface FanoutResult {
  msgsPerSec: number;
  /** Messages per second of this process's CPU time (user + system): what the machine's other load cannot distort much. */
  msgsPerCpuSec: number;
  /** Time from emit to the last of the deliveries of a tick, median. */
  p50Ms: number;
}

async function fanoutRound(audience: Audience): Promise<FanoutResult> {
  const start = performance.now();
  const cpu0 = process.cpuUsage();
  const lat = await audience.broadcast(FANOUT_TICKS, FANOUT_WINDOW);
  const elapsed = performance.now() - start;
  const cpu = process.cpuUsage(cpu0);
  await settle(50); // let trailing work finish outside the next round's clock
  const n = FANOUT_TICKS * audience.size;
  return { msgsPerSec: n / (elapsed / 1000), msgsPerCpuSec: n / ((cpu.user + cpu.system) / 1e6), p50Ms: median(lat) };
}

/** Rounds of raw and Revue, alternated on the same servers and streams; Revue's ratios are medians of each round against the raw round just before it. */
async function fanout(): Promise<{ raw: FanoutResult; revue: FanoutResult & { vsRaw: number; cpuVsRaw: number } }> {
  const raw = new Audience(await rawBroadcaster());
  const revue = new Audience(await revueBroadcaster());
  const rounds = { raw: [] as FanoutResult[], revue: [] as FanoutResult[] };
  try {
    await raw.open(FANOUT_STREAMS, 100);
    await revue.open(FANOUT_STREAMS, 100);
    await settle(200); // let connect handlers and first renders finish before the clock starts
    // One unrecorded round each: the first runs cold (JIT, socket buffers growing).
    await fanoutRound(raw);
    await fanoutRound(revue);
    for (let r = 0; r < FANOUT_ROUNDS; r++) {
      rounds.raw.push(await fanoutRound(raw));
      rounds.revue.push(await fanoutRound(revue));
    }
  } finally {
    await raw.close();
    await revue.close();
  }
  const med = (rs: FanoutResult[]): FanoutResult => ({ msgsPerSec: median(rs.map((r) => r.msgsPerSec)), msgsPerCpuSec: median(rs.map((r) => r.msgsPerCpuSec)), p50Ms: median(rs.map((r) => r.p50Ms)) });
  return {
    raw: med(rounds.raw),
    revue: {
      ...med(rounds.revue),
      vsRaw: median(rounds.revue.map((r, i) => r.msgsPerSec / rounds.raw[i]!.msgsPerSec)),
      cpuVsRaw: median(rounds.revue.map((r, i) => r.msgsPerCpuSec / rounds.raw[i]!.msgsPerCpuSec)),
    },
  };
}

/** Ticks per no-socket run. */
const CPU_TICKS = 20;

/**
 * The fan-out again with every socket replaced by a no-op writer: the
 * framework's own CPU per delivered message, free of the syscalls that
 * dominate the end-to-end figure and swing with the machine's other load.
 * Returns µs of CPU per message for the raw broadcast and for Revue.
 *
 * Each session's stream is attached to a sink that counts writes, through
 * `hub.connect` as `Mount` does, since `createServer` offers no way in
 * without sockets.
 */
async function fanoutCpu(): Promise<{ raw: number; revue: number }> {
  let writes = 0;
  const sink = (): Sink => ({ write: () => ++writes > 0, writableLength: 0, destroyed: false, writableEnded: false, end() {}, destroy() {}, once() {} });
  const hub = new Hub(Counter, { logger: quiet });
  await hub.start();
  for (let i = 0; i < FANOUT_STREAMS; i++) hub.connect(await hub.createSession(), sink());
  await hub.settle();
  const raw: RawStream[] = Array.from({ length: FANOUT_STREAMS }, () => ({ res: sink() as unknown as ServerResponse, id: 1 }));
  const run = async (emit: (n: number) => void) => {
    const w0 = writes;
    const c0 = process.cpuUsage();
    for (let k = 0; k < CPU_TICKS; k++) {
      emit(k);
      // Session queues run their tasks in microtasks: done by the next macrotask. Then a pause,
      // as between the ticks of the socket fan-out (≈ 30 ms), so GC timing is alike.
      await new Promise((r) => setImmediate(r));
      await settle(20);
    }
    const c = process.cpuUsage(c0);
    if (writes - w0 !== CPU_TICKS * FANOUT_STREAMS) throw new Error(`fan-out without sockets: ${writes - w0} writes, expected ${CPU_TICKS * FANOUT_STREAMS}`);
    return (c.user + c.system) / (CPU_TICKS * FANOUT_STREAMS);
  };
  const out = { raw: [] as number[], revue: [] as number[] };
  try {
    for (let r = 0; r < 4; r++) {
      const rawUs = await run((n) => rawBroadcast(raw, "tick", { n }));
      const revueUs = await run((n) => hub.emit("tick", { n }));
      // The first round warms up and is dropped.
      if (r === 0) continue;
      out.raw.push(rawUs);
      out.revue.push(revueUs);
    }
  } finally {
    await hub.stop();
  }
  return { raw: median(out.raw), revue: median(out.revue) };
}

// ---------------------------------------------------------------- 3. memory

const MEM_SESSIONS = 5_000;
/** Opened before the first reading, so one-time costs (code, JIT, lazy init) are not counted per session. */
const MEM_WARMUP = 100;
/** Broadcasts sent after the idle reading: what each kept frame costs. */
const MEM_TICKS = 10;
/** Sessions whose replay buffers are filled; few, as filling takes thousands of broadcasts. */
const FULL_SESSIONS = 200;
/**
 * Broadcasts to fill a 64 KB replay buffer: twice what it holds if a frame
 * counted only its wire bytes (≈ 65 B), so that, however the cap counts, it
 * is full by half-way, and the second half shows whether it stays bounded.
 */
const FULL_TICKS = 2_400;

function memoryAfterGc(): NodeJS.MemoryUsage {
  const gc = (globalThis as { gc?: () => void }).gc!;
  for (let i = 0; i < 4; i++) gc();
  return process.memoryUsage();
}

interface IdleMemory {
  heapPerConn: number;
  rssPerConn: number;
  /** Heap kept per connection per broadcast, after MEM_TICKS broadcasts. */
  heapPerConnPerTick: number;
}

/** Idle connections of the raw server or Revue sessions, with their streams open; then MEM_TICKS broadcasts. */
async function measureIdle(kind: "raw" | "revue"): Promise<IdleMemory> {
  const audience = new Audience(kind === "raw" ? await rawBroadcaster() : await revueBroadcaster());
  await audience.open(MEM_WARMUP, 50);
  await settle(300);
  const before = memoryAfterGc();
  await audience.open(MEM_SESSIONS, 100);
  await settle(500); // connect handlers, first renders
  const idle = memoryAfterGc();
  await audience.broadcast(MEM_TICKS, 1);
  await settle(100);
  const traffic = memoryAfterGc();
  await audience.close();
  return {
    heapPerConn: (idle.heapUsed - before.heapUsed) / MEM_SESSIONS,
    rssPerConn: (idle.rss - before.rss) / MEM_SESSIONS,
    heapPerConnPerTick: (traffic.heapUsed - idle.heapUsed) / audience.size / MEM_TICKS,
  };
}

interface FullBufferMemory {
  /** Heap kept per session after FULL_TICKS / 2 and after FULL_TICKS broadcasts (equal within noise if the buffer is bounded). */
  half: number;
  full: number;
}

/** Revue sessions whose replay buffers fill up: the heap they keep, directly measured rather than extrapolated from the cap. */
async function measureFullBuffer(): Promise<FullBufferMemory> {
  // Warm up on a server of its own, so that code compiled for broadcasting is not counted.
  const warm = new Audience(await revueBroadcaster());
  await warm.open(20, 20);
  await warm.broadcast(200, 4);
  await warm.close();
  const audience = new Audience(await revueBroadcaster());
  await audience.open(FULL_SESSIONS, 50);
  await settle(300);
  const idle = memoryAfterGc().heapUsed;
  const kept = async () => {
    await audience.broadcast(FULL_TICKS / 2, 4);
    return (memoryAfterGc().heapUsed - idle) / FULL_SESSIONS;
  };
  const half = await kept();
  const full = await kept();
  await audience.close();
  return { half, full };
}

const MEMORY = { raw: () => measureIdle("raw"), revue: () => measureIdle("revue"), full: measureFullBuffer };
type MemoryKind = keyof typeof MEMORY;

/**
 * Each measurement runs in a fresh `node --expose-gc` child: a fresh process
 * so that RSS freed by the other measurement (which the allocator keeps) does
 * not hide this one's growth; and `gc` needs the flag, which bench/run.ts cannot pass.
 */
function memoryInChild<K extends MemoryKind>(kind: K): Promise<Awaited<ReturnType<(typeof MEMORY)[K]>>> {
  const child = spawn(process.execPath, ["--expose-gc", "--import", "tsx", fileURLToPath(import.meta.url), "--memory-child", kind], { stdio: ["ignore", "pipe", "inherit"] });
  let out = "";
  child.stdout.setEncoding("utf8");
  child.stdout.on("data", (c: string) => (out += c));
  return new Promise((resolve, reject) => {
    child.on("error", reject);
    child.on("exit", (code) => {
      const line = out.trim().split("\n").pop() ?? "";
      if (code === 0 && line.startsWith("{")) resolve(JSON.parse(line));
      else reject(new Error(`memory child (${kind}) exited with ${code}: ${out}`));
    });
  });
}

if (process.argv[2] === "--memory-child") {
  console.log(JSON.stringify(await MEMORY[process.argv[3] as MemoryKind]()));
  process.exit(0);
}

// ---------------------------------------------------------------- main

/**
 * Runs the three server measurements of issue #4 against their baselines and
 * prints the tables and the targets: event → patch throughput ≥ 0.5× a Koa
 * JSON echo, broadcast fan-out ≥ 0.8× a raw `node:http` SSE server, and
 * < 20 KB per idle session beyond a raw SSE connection. Takes about a minute.
 */
export async function runServerBench(): Promise<void> {
  console.log(`\nServer: ${LOOPS} closed loops, ${SLICES} × ${SLICE_MS / 1000} s slices per target; fan-out ${FANOUT_ROUNDS} rounds × ${FANOUT_TICKS} ticks to ${FANOUT_STREAMS} streams (window ${FANOUT_WINDOW}); memory at ${MEM_SESSIONS} sessions\n`);
  const phase: Record<string, number> = {};
  let since = performance.now();
  const lap = (name: string) => {
    phase[name] = Math.round((performance.now() - since) / 100) / 10;
    since = performance.now();
  };

  const { echo, revue } = await roundTrips();
  const burst = await burstPatches();
  lap("round trip s");
  console.log("Event → patch round trip (counter)");
  table(
    ["", "ops/s", "p50 ms", "p99 ms", "vs echo ops/s", "p50 ×echo", "p99 ×echo", "patches / 200-event burst"],
    [
      ["Koa + koa-body JSON echo", f1(echo.opsPerSec), f1(echo.p50), f1(echo.p99), "1.00×", "1.00×", "1.00×", "—"],
      ["Revue", f1(revue.opsPerSec), f1(revue.p50), f1(revue.p99), fx(revue.opsPerSec / echo.opsPerSec), fx(revue.p50 / echo.p50), fx(revue.p99 / echo.p99), String(burst)],
    ],
  );

  const fan = await fanout();
  lap("fan-out s");
  const cpu = await fanoutCpu();
  lap("fan-out, no sockets s");
  console.log(`\nBroadcast fan-out: ${FANOUT_ROUNDS} rounds of ${FANOUT_TICKS} × emit("tick") to ${FANOUT_STREAMS} open streams, median round`);
  table(
    ["", "delivered msgs/s", "vs raw", "msgs / CPU-s", "vs raw (CPU)", "p50 ms / broadcast", "µs CPU / msg, no sockets"],
    [
      ["raw node:http SSE, same bytes", f1(fan.raw.msgsPerSec), "1.00×", f1(fan.raw.msgsPerCpuSec), "1.00×", f1(fan.raw.p50Ms), f1(cpu.raw)],
      ["Revue", f1(fan.revue.msgsPerSec), fx(fan.revue.vsRaw), f1(fan.revue.msgsPerCpuSec), fx(fan.revue.cpuVsRaw), f1(fan.revue.p50Ms), f1(cpu.revue)],
    ],
  );

  const rawM = await memoryInChild("raw");
  const revM = await memoryInChild("revue");
  const full = await memoryInChild("full");
  lap("memory s");
  const heap = revM.heapPerConn - rawM.heapPerConn;
  const rss = revM.rssPerConn - rawM.rssPerConn;
  const fullKept = Math.max(full.half, full.full);
  console.log(`\nMemory per session with an open stream, ${MEM_SESSIONS} of them, after GC (client sockets live in the same process)`);
  table(
    ["", "heap / conn", "RSS / conn", "heap kept / broadcast", `heap kept by a full replay buffer (after ${FULL_TICKS / 2} / ${FULL_TICKS} broadcasts)`],
    [
      ["raw node:http SSE connection (client + server)", kb(rawM.heapPerConn), kb(rawM.rssPerConn), `${f1(rawM.heapPerConnPerTick)} B`, "—"],
      ["Revue counter session (client + server)", kb(revM.heapPerConn), kb(revM.rssPerConn), `${f1(revM.heapPerConnPerTick)} B`, `${kb(full.half)} / ${kb(full.full)}`],
      ["Revue's own cost per idle session (difference)", kb(heap), kb(rss), `${f1(revM.heapPerConnPerTick - rawM.heapPerConnPerTick)} B`, `${kb(heap + fullKept)} with the buffer full`],
    ],
  );

  const tput = revue.opsPerSec / echo.opsPerSec;
  console.log("\nTargets");
  table(
    ["", "measured", "target", "met"],
    [
      ["event throughput vs echo", fx(tput), "≥ 0.50×", tput >= 0.5 ? "yes" : "no"],
      // Wall time swings with the machine's other load; when it and the CPU-normalised ratio disagree, say so.
      ["fan-out vs raw SSE, wall (CPU)", `${fx(fan.revue.vsRaw)} (${fx(fan.revue.cpuVsRaw)})`, "≥ 0.80×", fan.revue.vsRaw >= 0.8 && fan.revue.cpuVsRaw >= 0.8 ? "yes" : fan.revue.vsRaw < 0.8 && fan.revue.cpuVsRaw < 0.8 ? "no" : "borderline"],
      ["memory per idle session (heap / RSS)", `${kb(heap)} / ${kb(rss)}`, "< 20 KB", Math.max(heap, rss) < 20 * 1024 ? "yes" : "no"],
    ],
  );
  console.log("\nphases:", JSON.stringify(phase));
  console.log("raw:", JSON.stringify({ echo, revue, burst, fan, cpu, rawM, revM, full }));
}
