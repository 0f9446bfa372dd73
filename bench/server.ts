/**
 * Server benchmarks (issue #15, items 3 and 4): event → patch round trip
 * against a Koa JSON echo at 1, 20 and 200 sessions; broadcast fan-out to
 * 2,000 and 5,000 streams against a raw `node:http` SSE server sending the
 * same bytes, both for a broadcast no session handles (one frame each) and
 * for one every session handles and re-renders (an `event` and a `patch`);
 * the framework's own CPU per delivered message without sockets; and memory
 * per idle session. The servers of the round trip and the fan-out run in a
 * child process (bench/server-node.ts), so their CPU time is measured apart
 * from the client's; baselines and Revue alternate, round by round, on the
 * same client code, and only the ratios mean anything. Run: `npm run bench server`
 * (`npm run bench server trip`: the round trip alone; `npm run bench server fanout`:
 * the fan-out through sockets alone; `npm run bench server rest`:
 * a broadcast to sessions at rest against one to sessions in use;
 * `npm run bench server rows`: the round trip on a 500-row page; `npm run bench server
 * rooms`: a message to chat rooms whose pages re-render their logs, see bench/rooms.ts).
 */
import { spawn, type ChildProcess } from "node:child_process";
import http, { type Server, type ServerResponse } from "node:http";
import type { AddressInfo } from "node:net";
import { fileURLToPath } from "node:url";
import { App, createServer, h, memo, server } from "../src/index.js";
import { Hub } from "../src/internals.js";
import type { Sink } from "../src/session/stream.js";
import { Audience, compiled, f1, fx, kb, median, openStream, percentile, postJson, revueClient, settle, table, within, type Broadcaster, type Client } from "./lib.js";
import { runRoomsBench } from "./rooms.js";
import { rawBroadcast, rawSseServer as rawSseServerNode, type RawStream } from "./server-node.js";

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

/** The raw SSE server of bench/server-node.ts, here in the bench's process (the memory measure reads its heap). */
async function rawSseServer(): Promise<{ url: URL; broadcast(event: string, data: unknown): void; close(): Promise<void> }> {
  const { srv, streams } = rawSseServerNode();
  const url = await listen(srv);
  return {
    url,
    broadcast: (event, data) => rawBroadcast(streams, event, data),
    close: () => closeHttp(srv),
  };
}

// ---------------------------------------------------------------- the servers' process

type Kind = "raw" | "rawPatch" | "unhandled" | "handled" | "echo" | "counter" | "rows";

/** bench/server-node.ts in a child process: starts and closes servers there, broadcasts, and reads its CPU time. */
class ServerProcess {
  private constructor(private readonly child: ChildProcess) {}

  static async start(): Promise<ServerProcess> {
    // Compiled as the package ships (see `compiled`).
    const built = await compiled(["bench/server-node.ts"]);
    // BENCH_NODE_ARGS: node options for the servers alone (e.g. "--cpu-prof --cpu-prof-dir=/tmp/p", which NODE_OPTIONS refuses).
    const child = spawn(process.execPath, [...(process.env.BENCH_NODE_ARGS?.split(" ") ?? []), built.entry("bench/server-node.ts")], { stdio: ["ignore", "inherit", "inherit", "ipc"] });
    child.once("exit", built.remove);
    const sp = new ServerProcess(child);
    await sp.answer((m) => m.ready);
    return sp;
  }

  /** A fresh server of this kind; its base URL. */
  async make(kind: Kind): Promise<URL> {
    this.child.send({ make: kind });
    return new URL(`http://${HOST}:${await this.answer((m) => m.port as number | undefined)}`);
  }

  async drop(kind: Kind): Promise<void> {
    this.child.send({ drop: kind });
    await this.answer((m) => m.dropped);
  }

  emit(kind: Kind, n: number): void {
    this.child.send({ emit: n, to: kind });
  }

  /** CPU time (user + system) the servers' process has used so far, in µs. */
  async cpuUs(): Promise<number> {
    this.child.send({ cpu: true });
    return this.answer((m) => m.cpuUs as number | undefined);
  }

  async stop(): Promise<void> {
    const exited = new Promise((r) => this.child.once("exit", r));
    this.child.send({ stop: true });
    await within(exited, 20_000, () => "the servers' process did not exit").catch(() => this.child.kill());
  }

  private answer<T>(pick: (m: Record<string, unknown>) => T | undefined): Promise<T> {
    return new Promise((resolve) => {
      const on = (m: Record<string, unknown>) => {
        const v = pick(m);
        if (v === undefined) return;
        this.child.off("message", on);
        resolve(v);
      };
      this.child.on("message", on);
    });
  }
}

// ---------------------------------------------------------------- 1. round trip

/** Closed loops (one per session) of the round trip: a page clicking as fast as its patches come back. */
const ROUND_TRIP_SESSIONS = [1, 20, 200];
/** Each target runs in slices, alternating with the other, so load from elsewhere on the machine hits both alike. */
const SLICES = 4;
const SLICE_MS = 1_000;
const WARMUP_MS = 300;

interface LoopResult {
  opsPerSec: number;
  p50: number;
  p99: number;
  /** µs of the servers' process CPU per completed iteration. */
  cpuUs: number;
}

/** A closed-loop target: `once(loop)` does one iteration of that loop and resolves to its latency in ms. */
interface LoopTarget {
  once(loop: number): Promise<number>;
  close(): void;
}

/** Runs `loops` closed loops of `target` for `ms`; returns each completed iteration's latency. */
async function closedLoops(target: LoopTarget, loops: number, ms: number): Promise<number[]> {
  const lat: number[] = [];
  const to = performance.now() + ms;
  await Promise.all(
    Array.from({ length: loops }, async (_, loop) => {
      while (performance.now() < to) lat.push(await target.once(loop));
    }),
  );
  return lat;
}

function echoTarget(base: URL, loops: number): LoopTarget {
  const agent = new http.Agent({ keepAlive: true, maxSockets: loops });
  const seqs = new Array<number>(loops).fill(0);
  return {
    async once(loop) {
      const t = performance.now();
      // The same body shape as a Revue event.
      const r = await postJson(agent, base, "/echo", { sid: "x".repeat(24), seq: ++seqs[loop]!, method: "increment", args: [] });
      if (r.status !== 200) throw new Error(`echo answered ${r.status}`);
      return performance.now() - t;
    },
    close: () => agent.destroy(),
  };
}

/** Counter sessions, each with its stream open; `patched(i, ack)` is fed by their streams. */
class CounterPages {
  readonly clients: Client[] = [];
  private readonly waiting: ({ seq: number; resolve: (t: number) => void } | undefined)[] = [];

  constructor(private readonly base: URL) {}

  async open(n: number): Promise<void> {
    const agent = new http.Agent({ keepAlive: true, maxSockets: 20 });
    for (let i = this.clients.length; i < n; i++) {
      this.clients.push(
        await revueClient(agent, this.base, (event, data) => {
          const w = this.waiting[i];
          if (event !== "patch" || !w) return;
          if (((JSON.parse(data) as { ack?: number }).ack ?? 0) < w.seq) return;
          this.waiting[i] = undefined;
          w.resolve(performance.now());
        }),
      );
    }
    agent.destroy();
  }

  /** Resolves at the first patch of session `i` that acknowledges `seq`. */
  patched(i: number, seq: number): Promise<number> {
    return new Promise((resolve) => (this.waiting[i] = { seq, resolve }));
  }

  close(): void {
    for (const c of this.clients) c.stream.close();
  }
}

/** What a page of each app clicks: the counter's `increment`, or `vote` on a random row of `rows` (bench/server-node.ts). */
const CLICKS = {
  counter: () => ({ method: "increment", args: [] as unknown[] }),
  rows: () => ({ method: "vote", args: [Math.floor(Math.random() * 500)] as unknown[] }),
};
type TripApp = keyof typeof CLICKS;

/** The first `loops` sessions of `app`; one iteration POSTs event seq k, then waits for both the 202 and the patch whose ack ≥ k. */
function revueTarget(pages: CounterPages, base: URL, loops: number, app: TripApp): LoopTarget {
  const agent = new http.Agent({ keepAlive: true, maxSockets: loops });
  return {
    async once(loop) {
      const c = pages.clients[loop]!;
      const seq = ((c as Client & { seq?: number }).seq = ((c as Client & { seq?: number }).seq ?? 0) + 1);
      const t = performance.now();
      const [r, at] = await Promise.all([postJson(agent, base, "/api/event", { sid: c.sid, seq, ...CLICKS[app]() }, c.cookie), pages.patched(loop, seq)]);
      if (r.status !== 202) throw new Error(`POST /api/event answered ${r.status}: ${r.text}`);
      return at - t;
    },
    close: () => agent.destroy(),
  };
}

/** One slice of `target`: its latencies and the servers' CPU it cost. */
async function slice(servers: ServerProcess, target: LoopTarget, loops: number, ms: number): Promise<{ lat: number[]; cpuUs: number }> {
  const c0 = await servers.cpuUs();
  const lat = await closedLoops(target, loops, ms);
  return { lat, cpuUs: (await servers.cpuUs()) - c0 };
}

/** The echo and Revue at each session count, in alternating slices (the order swapped every round, so neither always runs second). */
async function roundTrips(servers: ServerProcess, app: TripApp = "counter", sessions = ROUND_TRIP_SESSIONS): Promise<Array<{ sessions: number; echo: LoopResult; revue: LoopResult; vsEcho: number }>> {
  const echoUrl = await servers.make("echo");
  const counterUrl = await servers.make(app);
  const pages = new CounterPages(counterUrl);
  const out = [];
  try {
    await pages.open(Math.max(...sessions));
    for (const loops of sessions) {
      const targets = { echo: echoTarget(echoUrl, loops), revue: revueTarget(pages, counterUrl, loops, app) };
      const runs = { echo: [] as Array<{ lat: number[]; cpuUs: number }>, revue: [] as Array<{ lat: number[]; cpuUs: number }> };
      for (const target of Object.values(targets)) await closedLoops(target, loops, WARMUP_MS);
      for (let r = 0; r < SLICES; r++) {
        for (const kind of r % 2 ? (["revue", "echo"] as const) : (["echo", "revue"] as const)) runs[kind].push(await slice(servers, targets[kind], loops, SLICE_MS));
      }
      for (const target of Object.values(targets)) target.close();
      const summarize = (rs: Array<{ lat: number[]; cpuUs: number }>): LoopResult => {
        const lat = rs.flatMap((x) => x.lat).sort((a, b) => a - b);
        return { opsPerSec: lat.length / ((SLICES * SLICE_MS) / 1000), p50: percentile(lat, 50), p99: percentile(lat, 99), cpuUs: rs.reduce((a, x) => a + x.cpuUs, 0) / lat.length };
      };
      const echo = summarize(runs.echo);
      const revue = summarize(runs.revue);
      // The ratio of each pair of adjacent slices, median: what load from elsewhere does to one slice it does to its neighbour.
      const vsEcho = median(runs.revue.map((x, i) => x.lat.length / runs.echo[i]!.lat.length));
      out.push({ sessions: loops, echo, revue, vsEcho });
    }
  } finally {
    pages.close();
    await servers.drop("echo");
    await servers.drop(app);
  }
  return out;
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

const FANOUT_SIZES = [2_000, 5_000];
const FANOUT_TICKS = 25;
/** Rounds of FANOUT_TICKS per target, alternating the baseline and Revue so load from elsewhere hits both; ratios are medians of adjacent pairs. */
const FANOUT_ROUNDS = 3;

/**
 * What is compared: a broadcast no session handles (one `event` frame each,
 * two ticks in flight) and one every session handles and re-renders (an
 * `event` and a `patch` each, against the raw server sending the same two
 * frames). The handled one keeps one tick in flight: with two, a session may
 * render two ticks in one patch (coalescing, as it should), and the frames
 * counted would no longer be the raw server's.
 */
const FANOUT_CASES = [
  { name: "no handler", raw: "raw", revue: "unhandled", frame: "event", window: 2 },
  { name: "handled + re-render", raw: "rawPatch", revue: "handled", frame: "patch", window: 1 },
] as const;

interface FanoutRound {
  msgsPerSec: number;
  /** µs of the servers' CPU (user + system) per delivered message (for the handled case, per pair of frames). */
  cpuUs: number;
}

/** Streams on one of the child's servers, counting the frames of type `frame`. */
function childBroadcaster(servers: ServerProcess, kind: Kind, base: URL, frame: string): Broadcaster {
  const agent = new http.Agent({ keepAlive: true, maxSockets: 64 });
  let i = 0;
  return {
    async open(onEvent) {
      if (kind === "raw" || kind === "rawPatch") {
        const s = openStream(base, `/sse/${i++}`, undefined, (event) => event === frame && onEvent());
        await s.ready;
        return s;
      }
      return (await revueClient(agent, base, (event) => event === frame && onEvent())).stream;
    },
    emit: (n) => servers.emit(kind, n),
    close: async () => agent.destroy(),
  };
}

/** How long a round of FANOUT_TICKS may take: at 5,000 streams on this machine, with other benchmarks running, a round has taken over 20 s. */
const FANOUT_ROUND_TIMEOUT_MS = 120_000;

async function fanoutRound(servers: ServerProcess, audience: Audience, window: number): Promise<FanoutRound> {
  const cpu0 = await servers.cpuUs();
  const start = performance.now();
  await audience.broadcast(FANOUT_TICKS, window, FANOUT_ROUND_TIMEOUT_MS);
  const elapsed = performance.now() - start;
  await settle(50); // trailing work (the last ticks' writes) counts as CPU, outside the wall clock
  const cpu = (await servers.cpuUs()) - cpu0;
  const n = FANOUT_TICKS * audience.size;
  return { msgsPerSec: n / (elapsed / 1000), cpuUs: cpu / n };
}

interface FanoutResult {
  streams: number;
  name: string;
  raw: FanoutRound;
  revue: FanoutRound;
  /** Revue's msgs/s ÷ raw's, and its CPU per message ÷ raw's: medians of adjacent rounds. */
  vsRaw: number;
  cpuVsRaw: number;
}

/** Every case at every size, on fresh servers each time (sessions of a previous size would still get the broadcasts). */
async function fanout(servers: ServerProcess): Promise<FanoutResult[]> {
  const out: FanoutResult[] = [];
  for (const streams of FANOUT_SIZES) {
    for (const c of FANOUT_CASES) {
      const raw = new Audience(childBroadcaster(servers, c.raw, await servers.make(c.raw), c.frame));
      const revue = new Audience(childBroadcaster(servers, c.revue, await servers.make(c.revue), c.frame));
      const rounds = { raw: [] as FanoutRound[], revue: [] as FanoutRound[] };
      try {
        await raw.open(streams, 100);
        await revue.open(streams, 100);
        await settle(300); // connect handlers and first renders finish before the clock starts
        // One unrecorded round each: the first runs cold (JIT, socket buffers growing).
        await fanoutRound(servers, raw, c.window);
        await fanoutRound(servers, revue, c.window);
        for (let r = 0; r < FANOUT_ROUNDS; r++) {
          for (const kind of r % 2 ? (["revue", "raw"] as const) : (["raw", "revue"] as const)) rounds[kind].push(await fanoutRound(servers, kind === "raw" ? raw : revue, c.window));
        }
      } finally {
        await raw.close();
        await revue.close();
        await servers.drop(c.raw);
        await servers.drop(c.revue);
      }
      const med = (rs: FanoutRound[]): FanoutRound => ({ msgsPerSec: median(rs.map((r) => r.msgsPerSec)), cpuUs: median(rs.map((r) => r.cpuUs)) });
      out.push({
        streams,
        name: c.name,
        raw: med(rounds.raw),
        revue: med(rounds.revue),
        vsRaw: median(rounds.revue.map((r, i) => r.msgsPerSec / rounds.raw[i]!.msgsPerSec)),
        cpuVsRaw: median(rounds.revue.map((r, i) => r.cpuUs / rounds.raw[i]!.cpuUs)),
      });
    }
  }
  return out;
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
  for (let i = 0; i < FANOUT_SIZES[0]!; i++) hub.connect(await hub.createSession(), sink());
  await hub.settle();
  const raw: RawStream[] = Array.from({ length: FANOUT_SIZES[0]! }, () => ({ res: sink() as unknown as ServerResponse, id: 1, rev: 1 }));
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
    if (writes - w0 !== CPU_TICKS * FANOUT_SIZES[0]!) throw new Error(`fan-out without sockets: ${writes - w0} writes, expected ${CPU_TICKS * FANOUT_SIZES[0]!}`);
    return (c.user + c.system) / (CPU_TICKS * FANOUT_SIZES[0]!);
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

/** `npm run bench server trip`: the round trip against the echo alone (a minute), for working on it. */
async function runRoundTripsOnly(): Promise<void> {
  const servers = await ServerProcess.start();
  try {
    const trips = await roundTrips(servers);
    console.log("Event → patch round trip (counter), one closed loop per session; ratio: median of adjacent slices");
    printTrips(trips);
  } finally {
    await servers.stop();
  }
}

/** Sessions of the 500-row page in `npm run bench server rows`. */
const ROWS_SESSIONS = [1, 20, 100];

/**
 * `npm run bench server rows`: the round trip on a 500-row page (2,000
 * elements) at 1, 20 and 100 sessions, against the echo: whether an event's
 * cost follows the change or grows with the number of sessions holding such pages.
 */
async function runRowsOnly(): Promise<void> {
  const servers = await ServerProcess.start();
  try {
    const trips = await roundTrips(servers, "rows", ROWS_SESSIONS);
    console.log("Event → patch round trip on a 500-row page (2,000 elements; one row changes), one closed loop per session; ratio: median of adjacent slices");
    printTrips(trips);
    const one = trips[0]!.revue.cpuUs;
    console.log(`Server CPU per event ÷ at 1 session: ${trips.map((t) => `${t.sessions}: ${fx(t.revue.cpuUs / one)}`).join(", ")}`);
  } finally {
    await servers.stop();
  }
}

async function runFanoutOnly(): Promise<void> {
  const servers = await ServerProcess.start();
  try {
    printFanout(await fanout(servers));
  } finally {
    await servers.stop();
  }
}

function printFanout(fan: FanoutResult[]): void {
  console.log(`\nBroadcast fan-out through sockets: ${FANOUT_ROUNDS} rounds of ${FANOUT_TICKS} broadcasts, median round; a message is one broadcast reaching one page (handled: its two frames)`);
  table(
    ["streams", "broadcast", "raw msgs/s", "Revue msgs/s", "vs raw", "raw µs CPU/msg", "Revue µs CPU/msg", "CPU vs raw"],
    fan.map((f) => [String(f.streams), f.name, f1(f.raw.msgsPerSec), f1(f.revue.msgsPerSec), fx(f.vsRaw), f1(f.raw.cpuUs), f1(f.revue.cpuUs), fx(f.cpuVsRaw)]),
  );
}

function printTrips(trips: Awaited<ReturnType<typeof roundTrips>>): void {
  table(
    ["sessions", "echo ops/s", "Revue ops/s", "vs echo", "echo p50 ms", "Revue p50 ms", "echo p99 ms", "Revue p99 ms", "server µs CPU/op echo", "Revue", "×"],
    trips.map((t) => [String(t.sessions), f1(t.echo.opsPerSec), f1(t.revue.opsPerSec), fx(t.vsEcho), f1(t.echo.p50), f1(t.revue.p50), f1(t.echo.p99), f1(t.revue.p99), f1(t.echo.cpuUs), f1(t.revue.cpuUs), fx(t.revue.cpuUs / t.echo.cpuUs)]),
  );
}

/**
 * Runs the server measurements of issue #15 against their baselines and
 * prints the tables and the targets: event → patch throughput ≥ 0.7× a Koa
 * JSON echo at 1, 20 and 200 sessions; broadcast fan-out to 2,000 and 5,000
 * streams ≥ 0.8× a raw `node:http` SSE server's msgs/s at ≤ 1.5× its CPU per
 * message, and a handled broadcast ≤ 1.5× the raw cost of its two frames;
 * < 20 KB per idle session beyond a raw SSE connection. Takes a few minutes.
 */
// ---------------------------------------------------------------- 3. broadcasts to sessions at rest

const REST_SESSIONS = 1_000;
/** The default `restAfterMs`. */
const REST_AFTER_MS = 5_000;
/** Idle time before each measured broadcast (a feed's period): past `restAfterMs`, so the first one finds every session packed. */
const REST_GAP_MS = 7_000;
const REST_ROUNDS = 4;

const feedRows = (p: { rows: number }) =>
  h("table", {}, h("tbody", {}, ...Array.from({ length: p.rows }, (_, i) => h("tr", { key: i }, h("td", {}, String(i)), h("td", {}, `item ${i}`), h("td", {}, `${(i * 7) % 100}.99`), h("td", {}, String(i % 5)), h("td", {}, String(i * 3))))));
/** The same 100 rows of five cells in one `memo` table, as the README advises for long lists. */
const MemoRows = memo(feedRows);

/** A feed: every broadcast changes one text of a 600-element page, its table built in render (or, in {@link MemoFeed}, by a memo). */
class Feed extends App {
  tick = 0;
  @server.on("tick") onTick(data: { n: number }) {
    this.tick = data.n;
  }
  table() {
    return feedRows({ rows: 100 });
  }
  override render() {
    return h("main", {}, h("header", {}, h("h1", {}, "Feed"), h("span", { id: "tick" }, `tick ${this.tick}`)), this.table());
  }
}
class MemoFeed extends Feed {
  override table() {
    return h(MemoRows, { rows: 100 });
  }
}

interface RestRun {
  app: string;
  hot: { ms: number; cpuMs: number };
  rested: { ms: number; cpuMs: number }[];
}

/**
 * A handled broadcast to {@link REST_SESSIONS} feed pages after they were
 * idle past `restAfterMs` (their trees packed), against the same broadcast
 * right after another one (trees hot), on one server in this process (CPU
 * includes the clients' parsing). Rounds alternate three hot broadcasts and
 * one after {@link REST_GAP_MS} of silence; sessions woken soon after each
 * rest wait longer before the next, so only the first round unpacks.
 */
async function restBroadcasts(app: typeof Feed): Promise<RestRun> {
  const srv = createServer(app, { logger: quiet, maxSessions: 100_000, restAfterMs: REST_AFTER_MS });
  const base = new URL(await srv.listen(0, HOST));
  const agent = new http.Agent({ keepAlive: true, maxSockets: 64 });
  const audience = new Audience({
    open: async (onEvent) => (await revueClient(agent, base, (event) => event === "patch" && onEvent())).stream,
    emit: (n) => srv.emit("tick", { n }),
    close: async () => {
      agent.destroy();
      await srv.close();
    },
  });
  const one = async () => {
    const cpu0 = process.cpuUsage();
    const [ms] = await audience.broadcast(1, 1);
    await settle(50);
    const cpu = process.cpuUsage(cpu0);
    return { ms: ms!, cpuMs: (cpu.user + cpu.system) / 1000 };
  };
  try {
    await audience.open(REST_SESSIONS, 50);
    await settle(300);
    for (let i = 0; i < 3; i++) await one();
    const hot: { ms: number; cpuMs: number }[] = [];
    const rested: { ms: number; cpuMs: number }[] = [];
    for (let r = 0; r < REST_ROUNDS; r++) {
      for (let i = 0; i < 3; i++) hot.push(await one());
      await settle(REST_GAP_MS);
      rested.push(await one());
    }
    return { app: app === MemoFeed ? "memo table" : "rows in render", hot: { ms: median(hot.map((x) => x.ms)), cpuMs: median(hot.map((x) => x.cpuMs)) }, rested };
  } finally {
    await audience.close();
  }
}

async function runRestOnly(): Promise<void> {
  const runs = [await restBroadcasts(MemoFeed), await restBroadcasts(Feed)];
  console.log(`\nA broadcast to ${REST_SESSIONS} feed pages (600 elements) after ${REST_GAP_MS / 1000} s idle (restAfterMs ${REST_AFTER_MS / 1000} s), against one right after another`);
  table(
    ["page", "round", "ms", "× hot", "CPU ms (with clients)", "CPU × hot"],
    runs.flatMap((r) => [[r.app, "hot (median)", f1(r.hot.ms), "1.00×", f1(r.hot.cpuMs), "1.00×"], ...r.rested.map((x, i) => [r.app, `after idle ${i + 1}`, f1(x.ms), fx(x.ms / r.hot.ms), f1(x.cpuMs), fx(x.cpuMs / r.hot.cpuMs)])]),
  );
  console.log("raw:", JSON.stringify(runs));
}

export async function runServerBench(part?: string): Promise<void> {
  if (part === "trip") return runRoundTripsOnly();
  if (part === "rest") return runRestOnly();
  if (part === "fanout") return runFanoutOnly();
  if (part === "rows") return runRowsOnly();
  if (part === "rooms") return runRoomsBench();
  console.log(
    `\nServer: round trip ${SLICES} × ${SLICE_MS / 1000} s slices per target at ${ROUND_TRIP_SESSIONS.join(" / ")} sessions; fan-out ${FANOUT_ROUNDS} rounds × ${FANOUT_TICKS} ticks to ${FANOUT_SIZES.join(" / ")} streams; memory at ${MEM_SESSIONS} sessions`,
  );
  console.log("Servers in a child process, compiled by tsc as the package ships (their CPU is measured there); the client in this one.\n");
  const phase: Record<string, number> = {};
  let since = performance.now();
  const lap = (name: string) => {
    phase[name] = Math.round((performance.now() - since) / 100) / 10;
    since = performance.now();
  };

  const servers = await ServerProcess.start();
  let trips: Awaited<ReturnType<typeof roundTrips>>;
  let fan: FanoutResult[];
  try {
    trips = await roundTrips(servers);
    lap("round trip s");
    fan = await fanout(servers);
    lap("fan-out s");
  } finally {
    await servers.stop();
  }
  const burst = await burstPatches();
  console.log("Event → patch round trip (counter), one closed loop per session; ratio: median of adjacent slices");
  printTrips(trips);
  console.log(`Patches for a 200-event burst of one session: ${burst}`);

  const cpu = await fanoutCpu();
  lap("fan-out, no sockets s");
  printFanout(fan);
  console.log(`Without sockets (${FANOUT_SIZES[0]} sessions, no handler): raw ${f1(cpu.raw)} µs CPU/msg, Revue ${f1(cpu.revue)} µs CPU/msg`);

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

  await runRoomsBench();
  lap("rooms s");

  console.log("\nTargets");
  const yes = (ok: boolean) => (ok ? "yes" : "no");
  table(
    ["", "measured", "target", "met"],
    [
      ...trips.map((t) => [`round trip vs echo, ${t.sessions} session${t.sessions > 1 ? "s" : ""}`, fx(t.vsEcho), "≥ 0.70×", yes(t.vsEcho >= 0.7)]),
      ...fan.flatMap((f) => [
        [`fan-out ${f.streams}, ${f.name}: msgs/s vs raw`, fx(f.vsRaw), "≥ 0.80×", yes(f.vsRaw >= 0.8)],
        [`fan-out ${f.streams}, ${f.name}: CPU/msg vs raw`, fx(f.cpuVsRaw), "≤ 1.50×", yes(f.cpuVsRaw <= 1.5)],
      ]),
      ["memory per idle session (heap / RSS)", `${kb(heap)} / ${kb(rss)}`, "< 20 KB", yes(Math.max(heap, rss) < 20 * 1024)],
    ],
  );
  console.log("\nphases:", JSON.stringify(phase));
  console.log("raw:", JSON.stringify({ trips, burst, fan, cpu, rawM, revM, full }));
}
