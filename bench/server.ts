/**
 * Server benchmarks (issue #4): event → patch round trip against a Koa JSON
 * echo, broadcast fan-out against a raw `node:http` SSE server, and memory per
 * idle session with an open stream. Client and server share this process (and
 * its one JS thread), so every figure includes the client's own cost; the
 * baselines are driven by the same client code, which is why only the ratios
 * mean anything. Run: `npm run bench server`.
 */
import { spawn } from "node:child_process";
import http, { type IncomingMessage, type Server, type ServerResponse } from "node:http";
import type { AddressInfo } from "node:net";
import { fileURLToPath } from "node:url";
import Koa from "koa";
import { koaBody } from "koa-body";
import { App, createServer, h, server, type ServerHandle } from "../src/index.js";
import { Hub } from "../src/session/hub.js";
import { RENDER_INTERVAL_MS, SessionRenderer } from "../src/session/render.js";
import { SessionStream } from "../src/server/sse.js";
import type { Session } from "../src/session/session.js";

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

// ---------------------------------------------------------------- client side

/** A minimal SSE reader: splits on blank lines and hands over event type, data and id; comments and data-less frames are skipped. */
function readSse(res: IncomingMessage, onFrame: (event: string, data: string, id: string) => void): void {
  let buf = "";
  res.setEncoding("utf8");
  res.on("data", (chunk: string) => {
    buf += chunk;
    let start = 0;
    for (let end = buf.indexOf("\n\n"); end !== -1; end = buf.indexOf("\n\n", start)) {
      let event = "message";
      let data: string | undefined;
      let id = "";
      for (const line of buf.slice(start, end).split("\n")) {
        const colon = line.indexOf(":");
        if (colon === 0) continue;
        const name = colon === -1 ? line : line.slice(0, colon);
        const value = colon === -1 ? "" : line.charCodeAt(colon + 1) === 32 ? line.slice(colon + 2) : line.slice(colon + 1);
        if (name === "data") data = data === undefined ? value : `${data}\n${value}`;
        else if (name === "event") event = value;
        else if (name === "id") id = value;
      }
      start = end + 2;
      if (data !== undefined) onFrame(event, data, id);
    }
    if (start > 0) buf = buf.slice(start);
  });
}

/** An open SSE stream on its own socket; `ready` resolves at its first data frame. */
interface Stream {
  ready: Promise<void>;
  close(): void;
}

/** Every stream gets its own socket (maxSockets: Infinity), as a browser tab would. */
const sseAgent = new http.Agent({ keepAlive: true, maxSockets: Infinity });

function openStream(base: URL, path: string, cookie: string | undefined, onFrame: (event: string, data: string, id: string) => void): Stream {
  let req: http.ClientRequest;
  const ready = new Promise<void>((resolve, reject) => {
    let first = true;
    req = http.get({ host: base.hostname, port: base.port, path, agent: sseAgent, headers: { accept: "text/event-stream", ...(cookie ? { cookie } : {}) } }, (res) => {
      if (res.statusCode !== 200) {
        reject(new Error(`GET ${path} answered ${res.statusCode}`));
        res.resume();
        return;
      }
      readSse(res, (event, data, id) => {
        if (first) {
          first = false;
          resolve();
        }
        onFrame(event, data, id);
      });
    });
    req.on("error", (err) => (first ? reject(err) : undefined));
  });
  return { ready, close: () => req.destroy() };
}

/** POSTs JSON on a keep-alive agent; resolves to the status, the body text and the first cookie set. */
function postJson(agent: http.Agent, base: URL, path: string, body: unknown, cookie?: string): Promise<{ status: number; text: string; cookie?: string }> {
  const json = JSON.stringify(body);
  return new Promise((resolve, reject) => {
    const req = http.request(
      {
        host: base.hostname,
        port: base.port,
        path,
        method: "POST",
        agent,
        headers: { "content-type": "application/json", "content-length": Buffer.byteLength(json), ...(cookie ? { cookie } : {}) },
      },
      (res) => {
        let text = "";
        res.setEncoding("utf8");
        res.on("data", (c: string) => (text += c));
        res.on("end", () => resolve({ status: res.statusCode ?? 0, text, cookie: res.headers["set-cookie"]?.[0]?.split(";")[0] }));
        res.on("error", reject);
      },
    );
    req.on("error", reject);
    req.end(json);
  });
}

/** Runs `task(i)` for i in [0, n) with at most `width` at a time (opening 5,000 sockets at once overflows the listen backlog). */
async function pool(n: number, width: number, task: (i: number) => Promise<void>): Promise<void> {
  let next = 0;
  await Promise.all(
    Array.from({ length: Math.min(n, width) }, async () => {
      while (next < n) await task(next++);
    }),
  );
}

/** A Revue session as a page sees it: its id, its cookie and its open stream. */
interface Client {
  sid: string;
  cookie: string;
  stream: Stream;
}

/** Creates a session (fresh browser: no cookie) and opens its stream; `onFrame` sees every frame, the `init` included. */
async function revueClient(agent: http.Agent, base: URL, onFrame: (event: string, data: string) => void): Promise<Client> {
  const r = await postJson(agent, base, "/api/session", {});
  if (r.status !== 201 || !r.cookie) throw new Error(`POST /api/session answered ${r.status}: ${r.text.slice(0, 200)}`);
  const { sid } = JSON.parse(r.text) as { sid: string };
  const stream = openStream(base, `/api/sse/${sid}`, r.cookie, onFrame);
  await stream.ready;
  return { sid, cookie: r.cookie, stream };
}

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

/**
 * The least an SSE fan-out can do: hold the responses, keep one id counter per
 * stream, and write Revue's exact frame bytes (body stringified once per message).
 */
async function rawSseServer(): Promise<{ url: URL; broadcast(event: string, data: unknown): void; close(): Promise<void> }> {
  const streams = new Set<{ res: ServerResponse; id: number }>();
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
    broadcast(event, data) {
      const body = JSON.stringify({ event, data });
      for (const s of streams) s.res.write(`id: ${++s.id}\nevent: event\ndata: ${body}\n\n`);
    },
    close: () => closeHttp(srv),
  };
}

// ---------------------------------------------------------------- stats and printing

function percentile(sorted: number[], p: number): number {
  if (sorted.length === 0) return NaN;
  return sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))]!;
}

const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[xs.length >> 1]!;

const f1 = (n: number) => (Number.isFinite(n) ? n.toFixed(n >= 100 ? 0 : n >= 10 ? 1 : 2) : "—");
const fx = (n: number) => `${n.toFixed(2)}×`;
const kb = (bytes: number) => `${(bytes / 1024).toFixed(1)} KB`;

function table(head: string[], rows: (string | number)[][]): void {
  const cells = [head, ...rows.map((r) => r.map(String))];
  const w = head.map((_, i) => Math.max(...cells.map((r) => r[i]!.length)));
  const line = (r: string[]) => `| ${r.map((c, i) => (i === 0 ? c.padEnd(w[i]!) : c.padStart(w[i]!))).join(" | ")} |`;
  console.log(line(head));
  console.log(`|${w.map((n, i) => (i === 0 ? "-".repeat(n + 2) : `${"-".repeat(n + 1)}:`)).join("|")}|`);
  for (const r of cells.slice(1)) console.log(line(r));
}

const settle = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** `p`, or a rejection after `ms`; the timer is cleared either way so it cannot hold the process open. */
async function within<T>(p: Promise<T>, ms: number, what: () => string): Promise<T> {
  let timer: ReturnType<typeof setTimeout> | undefined;
  try {
    return await Promise.race([p, new Promise<never>((_, reject) => (timer = setTimeout(() => reject(new Error(what())), ms)))]);
  } finally {
    clearTimeout(timer);
  }
}

// ---------------------------------------------------------------- 1. round trip

const LOOPS = 20;
/** Each target runs in slices, alternating with the others, so load from elsewhere on the machine hits all of them alike. */
const SLICES = 4;
const SLICE_MS = 1_000;
const WARMUP_MS = 300;

interface LoopResult {
  opsPerSec: number;
  p50: number;
  p99: number;
  count: number;
}

/** Runs `once()` in `LOOPS` closed loops for `ms`; returns each completed iteration's latency. */
async function closedLoops(once: (loop: number) => Promise<number>, ms: number): Promise<number[]> {
  const lat: number[] = [];
  const to = performance.now() + ms;
  await Promise.all(
    Array.from({ length: LOOPS }, async (_, loop) => {
      while (performance.now() < to) lat.push(await once(loop));
    }),
  );
  return lat;
}

function summarize(lat: number[], ms: number): LoopResult {
  lat.sort((a, b) => a - b);
  return { opsPerSec: lat.length / (ms / 1000), p50: percentile(lat, 50), p99: percentile(lat, 99), count: lat.length };
}

/** A closed-loop target: `once(loop)` does one iteration of that loop and resolves to its latency in ms. */
interface LoopTarget {
  once(loop: number): Promise<number>;
  close(): Promise<void>;
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

type RoundTripKind = "echo" | "current" | "leading" | "burst";

/** Echo, Revue as is and the two render variants, in alternating slices on the same two servers. */
async function roundTrips(): Promise<Record<RoundTripKind, LoopResult>> {
  const echo = await echoTarget();
  const revue = await revueTarget();
  const plain = <T>(f: () => Promise<T>) => f();
  const kinds: [RoundTripKind, LoopTarget, <T>(f: () => Promise<T>) => Promise<T>][] = [
    ["echo", echo, plain],
    ["current", revue, plain],
    ["leading", revue, (f) => withRenderVariant("leading", f)],
    ["burst", revue, (f) => withRenderVariant("burst", f)],
  ];
  const lat: Record<string, number[]> = {};
  try {
    for (const [, target, wrap] of kinds) await wrap(() => closedLoops((l) => target.once(l), WARMUP_MS));
    for (let r = 0; r < SLICES; r++) {
      // Rotate the order each round, so no target always runs right after the same other one.
      for (const [kind, target, wrap] of [...kinds.slice(r % kinds.length), ...kinds.slice(0, r % kinds.length)]) {
        (lat[kind] ??= []).push(...(await wrap(() => closedLoops((l) => target.once(l), SLICE_MS))));
      }
    }
  } finally {
    await echo.close();
    await revue.close();
  }
  const total = SLICES * SLICE_MS;
  return { echo: summarize(lat.echo!, total), current: summarize(lat.current!, total), leading: summarize(lat.leading!, total), burst: summarize(lat.burst!, total) };
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

/** The renderer's private parts the variants below replace. */
interface RendererInternals {
  due: Set<Session>;
  delayed: Map<Session, unknown>;
  timer: ReturnType<typeof setImmediate> | undefined;
  run(): void;
  schedule(session: Session): void;
  render(session: Session): void;
}

/**
 * Proposed render scheduling, tried here by patching the prototype (src/ is
 * not changed): "leading" renders on the next macrotask always — coalescing
 * only what arrives before it; "burst" does that too unless the session's
 * previous render folded in more than one handler run, in which case it keeps
 * today's 16 ms spacing (so bursts still coalesce, lone clicks don't wait).
 */
async function withRenderVariant<T>(kind: "leading" | "burst", body: () => Promise<T>): Promise<T> {
  const proto = SessionRenderer.prototype as unknown as RendererInternals;
  const { schedule, render } = proto;
  const pending = new WeakMap<Session, number>();
  const lastBatch = new WeakMap<Session, number>();
  proto.schedule = function (this: RendererInternals, session: Session) {
    pending.set(session, (pending.get(session) ?? 0) + 1);
    // A burst in progress: today's behaviour, the rest of the 16 ms interval.
    if (kind === "burst" && (lastBatch.get(session) ?? 0) > 1) return schedule.call(this, session);
    if (this.due.has(session) || this.delayed.has(session)) return;
    this.due.add(session);
    this.timer ??= setImmediate(() => this.run());
  };
  proto.render = function (this: RendererInternals, session: Session) {
    lastBatch.set(session, pending.get(session) ?? 0);
    pending.set(session, 0);
    return render.call(this, session);
  };
  try {
    return await body();
  } finally {
    proto.schedule = schedule;
    proto.render = render;
  }
}

// ---------------------------------------------------------------- 2. fan-out

const FANOUT_STREAMS = 2_000;
const FANOUT_TICKS = 25;
/** Rounds of FANOUT_TICKS per target, alternating raw and Revue so load from elsewhere hits both; ratios are medians of adjacent pairs. */
const FANOUT_ROUNDS = 3;
/** Broadcasts in flight at once: tick i+W is sent when tick i reached every stream, so socket buffers cannot absorb the whole run. */
const FANOUT_WINDOW = 2;

interface FanoutRound {
  msgsPerSec: number;
  /** Messages per second of this process's CPU time (user + system): what the machine's other load cannot distort much. */
  msgsPerCpuSec: number;
  /** Median time from emit to the last of the 2,000 deliveries of that tick. */
  p50Ms: number;
}

interface FanoutTarget {
  setupMs: number;
  round(): Promise<FanoutRound>;
  close(): Promise<void>;
}

/**
 * Opens the streams, then runs rounds of ticks. A stream's k-th `event` frame
 * is tick k (delivery is ordered), so tick k is complete when `reached[k]`
 * hits the stream count; no JSON is parsed on the client.
 */
async function fanoutTarget(
  open: (onEvent: () => void) => Promise<{ close(): void }>,
  emit: (n: number) => void,
  stop: () => Promise<void>,
): Promise<FanoutTarget> {
  const reached: number[] = [];
  const sentAt: number[] = [];
  const doneAt: number[] = [];
  let last = 0; // the last tick of the current round
  let finish = () => {};
  const send = (k: number) => {
    sentAt[k] = performance.now();
    emit(k);
  };
  const t0 = performance.now();
  const streams: { close(): void }[] = [];
  await pool(FANOUT_STREAMS, 100, async () => {
    let count = 0;
    streams.push(
      await open(() => {
        const k = ++count;
        if ((reached[k] = (reached[k] ?? 0) + 1) !== FANOUT_STREAMS) return;
        doneAt[k] = performance.now();
        if (k + FANOUT_WINDOW <= last) send(k + FANOUT_WINDOW);
        if (k === last) finish();
      }),
    );
  });
  const setupMs = performance.now() - t0;
  await settle(200); // let connect handlers and first renders finish before the clock starts
  return {
    setupMs,
    async round() {
      const first = last + 1;
      last += FANOUT_TICKS;
      const finished = new Promise<void>((r) => (finish = r));
      const start = performance.now();
      const cpu0 = process.cpuUsage();
      for (let k = first; k < first + FANOUT_WINDOW; k++) send(k);
      await within(finished, 20_000, () => `fan-out: only ${reached[last] ?? 0} of ${FANOUT_STREAMS} streams got tick ${last} in 20 s`);
      const elapsed = performance.now() - start;
      const cpu = process.cpuUsage(cpu0);
      const lat: number[] = [];
      for (let k = first; k <= last; k++) lat.push(doneAt[k]! - sentAt[k]!);
      lat.sort((a, b) => a - b);
      await settle(50); // let trailing renders run outside the next round's clock
      const n = FANOUT_TICKS * FANOUT_STREAMS;
      return { msgsPerSec: n / (elapsed / 1000), msgsPerCpuSec: n / ((cpu.user + cpu.system) / 1e6), p50Ms: percentile(lat, 50) };
    },
    async close() {
      for (const s of streams) s.close();
      await stop();
    },
  };
}

async function rawFanout(): Promise<FanoutTarget> {
  const raw = await rawSseServer();
  let i = 0;
  return fanoutTarget(
    async (onEvent) => {
      const s = openStream(raw.url, `/sse/${i++}`, undefined, (event) => event === "event" && onEvent());
      await s.ready;
      return s;
    },
    (n) => raw.broadcast("tick", { n }),
    raw.close,
  );
}

async function revueFanout(): Promise<FanoutTarget> {
  const srv: ServerHandle = createServer(Counter, { logger: quiet, maxSessions: 100_000 });
  const base = new URL(await srv.listen(0, HOST));
  const agent = new http.Agent({ keepAlive: true, maxSockets: 64 });
  return fanoutTarget(
    async (onEvent) => (await revueClient(agent, base, (event) => event === "event" && onEvent())).stream,
    (n) => srv.emit("tick", { n }),
    async () => {
      agent.destroy();
      await srv.close();
    },
  );
}

/** The hub's private parts the fan-out variant below replaces. */
interface HubInternals {
  spec: Hub["spec"];
  sessions: Map<string, Session>;
  roomIndex: Map<string, Set<Session>>;
  renderer: { schedule(session: Session): void };
  deliverTo(session: Session, message: { type: "event"; event: string; data: unknown }): void;
  runHandlers(session: Session, event: string, data: unknown): Promise<void>;
  receive(raw: string): void;
}

/** The parts of SessionStream the "shared" variant replaces. */
interface StreamInternals {
  lastId: number;
  frames: { id: number; text: string; bytes: number }[];
  head: number;
  bufferedBytes: number;
  limits: { replayBytes: number };
  send(message: { type: string }): void;
  write(text: string): void;
}

/** A replay-buffer entry that points at a body shared by every session instead of holding its own copy of the frame. */
class SharedFrame {
  constructor(
    readonly id: number,
    private readonly enc: { type: string; json: string; bytes: number },
  ) {}
  get text(): string {
    return `id: ${this.id}\nevent: ${this.enc.type}\ndata: ${this.enc.json}\n\n`;
  }
  get bytes(): number {
    // "id: " + digits + "\nevent: " + type + "\ndata: " + json + "\n\n"; ids and types are ASCII.
    return 4 + String(this.id).length + 8 + this.enc.type.length + 7 + this.enc.bytes + 2;
  }
}

/**
 * Proposed Hub.receive and SessionStream.send, tried by patching the
 * prototypes for the duration of `body` (src/ is not changed).
 * - "no-render": a session re-renders after a broadcast only if the event has
 *   a handler (ARCHITECTURE §3: "after any server handler runs"), so an
 *   unhandled event no longer costs a render and diff (or a 16 ms timer) per session.
 * - "shared": that, plus one message object per broadcast, JSON-encoded once
 *   (not once per session), and the replay buffer keeps a small entry pointing
 *   at that shared body instead of a per-session copy of the frame text
 *   (less to allocate, and less for the GC to trace: see the memory table).
 */
async function withReceiveVariant<T>(kind: "no-render" | "shared", body: () => Promise<T>): Promise<T> {
  const hub = Hub.prototype as unknown as HubInternals;
  const stream = SessionStream.prototype as unknown as StreamInternals;
  const { receive } = hub;
  const { send } = stream;
  if (kind === "shared") {
    const encoded = new WeakMap<object, { type: string; json: string; bytes: number }>();
    stream.send = function (this: StreamInternals, message: { type: string }) {
      let enc = encoded.get(message);
      if (!enc) {
        const { type, ...rest } = message;
        const json = JSON.stringify(rest);
        encoded.set(message, (enc = { type, json, bytes: Buffer.byteLength(json) }));
      }
      const frame = new SharedFrame(++this.lastId, enc);
      this.frames.push(frame);
      this.bufferedBytes += frame.bytes;
      while (this.bufferedBytes > this.limits.replayBytes && this.head < this.frames.length - 1) {
        this.bufferedBytes -= this.frames[this.head]!.bytes;
        this.frames[this.head++] = undefined as unknown as SharedFrame;
      }
      if (this.head > 64 && this.head * 2 > this.frames.length) {
        this.frames = this.frames.slice(this.head);
        this.head = 0;
      }
      this.write(frame.text);
    };
  }
  hub.receive = function (this: HubInternals, raw: string) {
    const env = JSON.parse(raw) as { event: string; data: unknown; room?: string };
    const targets = env.room === undefined ? this.sessions.values() : (this.roomIndex.get(env.room) ?? new Set<Session>()).values();
    const handled = (this.spec.serverOn.get(env.event)?.length ?? 0) + (this.spec.staticOn.get(env.event)?.length ?? 0) > 0;
    const message = { type: "event" as const, event: env.event, data: env.data };
    for (const session of targets) {
      session.enqueue(
        handled
          ? async () => {
              this.deliverTo(session, message);
              await this.runHandlers(session, env.event, env.data);
              this.renderer.schedule(session);
            }
          : () => this.deliverTo(session, message),
      );
    }
  };
  try {
    return await body();
  } finally {
    hub.receive = receive;
    stream.send = send;
  }
}

/** A fan-out target's median round, and its median ratio to the raw round run just before it. */
interface FanoutResult extends FanoutRound {
  vsRaw: number;
  cpuVsRaw: number;
}

/** Rounds of raw, Revue and Revue with the receive() variant, alternated on the same servers and streams. */
async function fanoutAll(): Promise<{ raw: FanoutResult & { setupMs: number }; revue: FanoutResult & { setupMs: number }; noRender: FanoutResult; shared: FanoutResult }> {
  const raw = await rawFanout();
  const revue = await revueFanout();
  const rounds = { raw: [] as FanoutRound[], revue: [] as FanoutRound[], noRender: [] as FanoutRound[], shared: [] as FanoutRound[] };
  try {
    // One unrecorded round each: the first runs cold (JIT, socket buffers growing).
    await raw.round();
    await revue.round();
    await withReceiveVariant("no-render", () => revue.round());
    await withReceiveVariant("shared", () => revue.round());
    for (let r = 0; r < FANOUT_ROUNDS; r++) {
      rounds.raw.push(await raw.round());
      rounds.revue.push(await revue.round());
      rounds.noRender.push(await withReceiveVariant("no-render", () => revue.round()));
      rounds.shared.push(await withReceiveVariant("shared", () => revue.round()));
    }
  } finally {
    await raw.close();
    await revue.close();
  }
  const sum = (rs: FanoutRound[]): FanoutResult => ({
    msgsPerSec: median(rs.map((r) => r.msgsPerSec)),
    msgsPerCpuSec: median(rs.map((r) => r.msgsPerCpuSec)),
    p50Ms: median(rs.map((r) => r.p50Ms)),
    vsRaw: median(rs.map((r, i) => r.msgsPerSec / rounds.raw[i]!.msgsPerSec)),
    cpuVsRaw: median(rs.map((r, i) => r.msgsPerCpuSec / rounds.raw[i]!.msgsPerCpuSec)),
  });
  if (process.env.BENCH_VERBOSE) console.log(JSON.stringify(rounds));
  return { raw: { ...sum(rounds.raw), setupMs: raw.setupMs }, revue: { ...sum(rounds.revue), setupMs: revue.setupMs }, noRender: sum(rounds.noRender), shared: sum(rounds.shared) };
}

/** Ticks per no-I/O run; paced one render interval apart, as the real fan-out is (~30 ms per tick), so renders are not throttled. */
const CPU_TICKS = 20;

/**
 * The fan-out again with every socket replaced by a no-op writer, Hub and
 * SessionStream wired the way Mount wires them: the framework's own CPU per
 * delivered message, free of syscalls (which dominate the end-to-end figure
 * and swing with the machine's other load). Returns µs of CPU per message.
 */
async function fanoutCpu(): Promise<Record<"raw" | "current" | "noRender" | "shared", number>> {
  const sink = () => ({ write: () => true, writableLength: 0, destroyed: false, writableEnded: false, end() {} }) as unknown as ServerResponse;
  const limits = { replayBytes: 64 * 1024, maxPendingBytes: 1024 * 1024, retryMs: 1000 };
  const streams = new Map<Session, SessionStream>();
  const hub = new Hub(Counter, { logger: quiet, deliver: (s, m) => streams.get(s)!.send(m) });
  await hub.start();
  for (let i = 0; i < FANOUT_STREAMS; i++) {
    const s = hub.createSession();
    const stream = new SessionStream(limits);
    stream.attach(sink());
    streams.set(s, stream);
    const { rev, tree } = hub.snapshot(s);
    stream.send({ type: "init", rev, tree });
  }
  const raw = Array.from({ length: FANOUT_STREAMS }, () => ({ res: sink(), id: 1 }));
  const pace = async () => {
    await new Promise((r) => setImmediate(r));
    await settle(RENDER_INTERVAL_MS + 1);
  };
  const run = async (emit: (n: number) => void) => {
    const c0 = process.cpuUsage();
    for (let k = 0; k < CPU_TICKS; k++) {
      emit(k);
      await pace();
    }
    const c = process.cpuUsage(c0);
    return (c.user + c.system) / (CPU_TICKS * FANOUT_STREAMS);
  };
  const revue = (n: number) => hub.emit("tick", { n });
  const rawEmit = (n: number) => {
    const body = JSON.stringify({ event: "tick", data: { n } });
    for (const s of raw) s.res.write(`id: ${++s.id}\nevent: event\ndata: ${body}\n\n`);
  };
  const out = { raw: [] as number[], current: [] as number[], noRender: [] as number[], shared: [] as number[] };
  try {
    for (let r = 0; r < 4; r++) {
      // The first round warms up and is dropped.
      const raw1 = await run(rawEmit);
      const cur = await run(revue);
      const nr = await withReceiveVariant("no-render", () => run(revue));
      const sh = await withReceiveVariant("shared", () => run(revue));
      if (r === 0) continue;
      out.raw.push(raw1);
      out.current.push(cur);
      out.noRender.push(nr);
      out.shared.push(sh);
    }
  } finally {
    await hub.stop();
  }
  return { raw: median(out.raw), current: median(out.current), noRender: median(out.noRender), shared: median(out.shared) };
}

// ---------------------------------------------------------------- 3. memory

const MEM_SESSIONS = 5_000;
/** Opened before the first reading, so one-time costs (code, JIT, lazy init) are not counted per session. */
const MEM_WARMUP = 100;
/** Broadcasts sent after the idle reading, to see what traffic leaves behind in each session (the replay buffer). */
const MEM_TICKS = 10;

type MemKind = "raw" | "revue";

interface MemResult {
  heapPerConn: number;
  rssPerConn: number;
  /** Heap kept per connection per broadcast after MEM_TICKS broadcasts, after GC. */
  heapPerConnPerTick: number;
  /** The same for MEM_TICKS more broadcasts with the "shared" variant (Revue only). */
  heapPerConnPerTickShared?: number;
  /** Bytes of one tick frame on the wire (what the replay cap counts). */
  frameBytes: number;
}

function gcNow(): void {
  const gc = (globalThis as { gc?: () => void }).gc!;
  for (let i = 0; i < 4; i++) gc();
}

async function measureMemory(kind: MemKind): Promise<MemResult> {
  let base: URL;
  let open: () => Promise<void>;
  let emit: (n: number) => void;
  let stop: () => Promise<void>;
  const streams: Stream[] = [];
  let events = 0;
  const onFrame = (event: string) => void (event === "event" && events++);
  if (kind === "raw") {
    const raw = await rawSseServer();
    base = raw.url;
    let i = 0;
    open = async () => {
      const s = openStream(base, `/sse/${i++}`, undefined, onFrame);
      await s.ready;
      streams.push(s);
    };
    emit = (n) => raw.broadcast("tick", { n });
    stop = raw.close;
  } else {
    const srv = createServer(Counter, { logger: quiet, maxSessions: 100_000 });
    base = new URL(await srv.listen(0, HOST));
    const agent = new http.Agent({ keepAlive: true, maxSockets: 64 });
    open = async () => {
      streams.push((await revueClient(agent, base, onFrame)).stream);
    };
    emit = (n) => srv.emit("tick", { n });
    stop = async () => {
      agent.destroy();
      await srv.close();
    };
  }
  await pool(MEM_WARMUP, 50, open);
  await settle(300);
  gcNow();
  const before = process.memoryUsage();
  await pool(MEM_SESSIONS, 100, open);
  await settle(500); // connect handlers, first renders
  gcNow();
  const after = process.memoryUsage();
  const conns = MEM_WARMUP + MEM_SESSIONS;
  let sent = 0;
  /** Sends MEM_TICKS broadcasts, each once the previous reached every client; resolves to the heap kept per connection per broadcast. */
  const traffic = async (): Promise<number> => {
    gcNow();
    const from = process.memoryUsage().heapUsed;
    for (let i = 0; i < MEM_TICKS; i++) {
      emit(++sent);
      const deadline = Date.now() + 20_000;
      while (events < sent * conns && Date.now() < deadline) await settle(5);
    }
    if (events < sent * conns) throw new Error(`memory: ${events} of ${sent * conns} tick frames arrived`);
    await settle(100);
    gcNow();
    return (process.memoryUsage().heapUsed - from) / conns / MEM_TICKS;
  };
  const heapPerConnPerTick = await traffic();
  // Replay buffers only grow here (10 + 10 frames stay far below the 64 KB cap), so the two increments add up cleanly.
  const heapPerConnPerTickShared = kind === "revue" ? await withReceiveVariant("shared", traffic) : undefined;
  for (const s of streams) s.close();
  await stop();
  return {
    heapPerConn: (after.heapUsed - before.heapUsed) / MEM_SESSIONS,
    rssPerConn: (after.rss - before.rss) / MEM_SESSIONS,
    heapPerConnPerTick,
    heapPerConnPerTickShared,
    frameBytes: Buffer.byteLength(`id: ${MEM_TICKS}\nevent: event\ndata: ${JSON.stringify({ event: "tick", data: { n: MEM_TICKS } })}\n\n`),
  };
}

/**
 * Each measurement runs in a fresh `node --expose-gc` child: a fresh process
 * so that RSS freed by the other measurement (which the allocator keeps) does
 * not hide this one's growth; and `gc` needs the flag, which bench/run.ts cannot pass.
 */
function memoryInChild(kind: MemKind): Promise<MemResult> {
  const child = spawn(process.execPath, ["--expose-gc", "--import", "tsx", fileURLToPath(import.meta.url), "--memory-child", kind], { stdio: ["ignore", "pipe", "inherit"] });
  let out = "";
  child.stdout.setEncoding("utf8");
  child.stdout.on("data", (c: string) => (out += c));
  return new Promise((resolve, reject) => {
    child.on("error", reject);
    child.on("exit", (code) => {
      const line = out.trim().split("\n").pop() ?? "";
      if (code === 0 && line.startsWith("{")) resolve(JSON.parse(line) as MemResult);
      else reject(new Error(`memory child (${kind}) exited with ${code}: ${out}`));
    });
  });
}

if (process.argv[2] === "--memory-child") {
  const kind = process.argv[3] as MemKind;
  console.log(JSON.stringify(await measureMemory(kind)));
  process.exit(0);
}

// ---------------------------------------------------------------- main

/**
 * Runs the three server measurements of issue #4 and prints their tables, the
 * ratios against each baseline and the targets (≥ 0.5× echo throughput,
 * ≥ 0.8× raw fan-out, < 20 KB per session). Takes about a minute.
 */
export async function runServerBench(): Promise<void> {
  console.log(`\nServer: ${LOOPS} closed loops, ${SLICES} × ${SLICE_MS / 1000} s slices per target; fan-out ${FANOUT_ROUNDS} rounds × ${FANOUT_TICKS} ticks to ${FANOUT_STREAMS} streams (window ${FANOUT_WINDOW}); memory at ${MEM_SESSIONS} sessions\n`);

  const phase: Record<string, number> = {};
  let since = performance.now();
  const lap = (name: string) => {
    phase[name] = Math.round((performance.now() - since) / 100) / 10;
    since = performance.now();
  };

  // 1. Round trip.
  const { echo, current, leading, burst } = await roundTrips();
  const bursts = { current: await burstPatches(), leading: await withRenderVariant("leading", () => burstPatches()), burst: await withRenderVariant("burst", () => burstPatches()) };
  lap("round trip s");
  console.log("Event → patch round trip (counter)");
  table(
    ["", "ops/s", "p50 ms", "p99 ms", "vs echo ops/s", "p50 ×echo", "p99 ×echo", "patches / 200-event burst"],
    [
      ["Koa + koa-body JSON echo", f1(echo.opsPerSec), f1(echo.p50), f1(echo.p99), "1.00×", "1.00×", "1.00×", "—"],
      ...(
        [
          ["Revue (as is: 16 ms throttle)", current, bursts.current],
          ["Revue, leading-edge render (patched in bench)", leading, bursts.leading],
          ["Revue, leading edge + throttle bursts only (patched)", burst, bursts.burst],
        ] as const
      ).map(([name, r, b]) => [name, f1(r.opsPerSec), f1(r.p50), f1(r.p99), fx(r.opsPerSec / echo.opsPerSec), fx(r.p50 / echo.p50), fx(r.p99 / echo.p99), String(b)]),
    ],
  );

  // 2. Fan-out.
  const { raw: rawF, revue: revF, noRender: nrF, shared: shF } = await fanoutAll();
  lap("fan-out s");
  const cpu = await fanoutCpu();
  lap("fan-out, no sockets s");
  console.log(`\nBroadcast fan-out: ${FANOUT_ROUNDS} rounds of ${FANOUT_TICKS} × srv.emit("tick") to ${FANOUT_STREAMS} open streams, median round`);
  table(
    ["", "delivered msgs/s", "vs raw", "msgs / CPU-s", "vs raw (CPU)", "p50 ms / broadcast", "setup s", "µs CPU / msg, no sockets"],
    (
      [
        ["raw node:http SSE, same bytes", rawF, cpu.raw],
        ["Revue (as is)", revF, cpu.current],
        ["Revue, no render after unhandled events (patched)", nrF, cpu.noRender],
        ["Revue, that + body encoded once, shared in replay buffers (patched)", shF, cpu.shared],
      ] as const
    ).map(([name, r, c]) => [name, f1(r.msgsPerSec), fx(r.vsRaw), f1(r.msgsPerCpuSec), fx(r.cpuVsRaw), f1(r.p50Ms), "setupMs" in r ? f1(r.setupMs / 1000) : "", f1(c)]),
  );

  // 3. Memory.
  const rawM = await memoryInChild("raw");
  const revM = await memoryInChild("revue");
  lap("memory s");
  const heap = revM.heapPerConn - rawM.heapPerConn;
  const rss = revM.rssPerConn - rawM.rssPerConn;
  // The replay buffer keeps frames up to replayBufferBytes (64 KB) of wire bytes; at this frame size that is:
  const capFrames = Math.floor((64 * 1024) / revM.frameBytes);
  const perFrame = revM.heapPerConnPerTick - rawM.heapPerConnPerTick;
  const perFrameShared = revM.heapPerConnPerTickShared! - rawM.heapPerConnPerTick;
  console.log(`\nMemory per session with an open stream, ${MEM_SESSIONS} of them, after GC (client sockets live in the same process)`);
  table(
    ["", "heap / conn", "RSS / conn", `heap kept / broadcast (${revM.frameBytes} B frame)`, `heap at full replay buffer (${capFrames} frames)`],
    [
      ["raw node:http SSE connection (client + server)", kb(rawM.heapPerConn), kb(rawM.rssPerConn), `${f1(rawM.heapPerConnPerTick)} B`, "—"],
      ["Revue counter session (client + server)", kb(revM.heapPerConn), kb(revM.rssPerConn), `${f1(revM.heapPerConnPerTick)} B`, "—"],
      ["Revue's own cost per idle session (difference)", kb(heap), kb(rss), `${f1(perFrame)} B`, kb(heap + capFrames * perFrame)],
      ["  same, shared replay entries (patched)", "", "", `${f1(perFrameShared)} B`, kb(heap + capFrames * perFrameShared)],
    ],
  );

  console.log("\nTargets");
  table(
    ["", "measured", "target", "met"],
    [
      ["event throughput vs echo (as is)", fx(current.opsPerSec / echo.opsPerSec), "≥ 0.50×", current.opsPerSec / echo.opsPerSec >= 0.5 ? "yes" : "no"],
      // Wall time swings with the machine's other load; when it and the CPU-normalised ratio disagree, say so.
      ["fan-out vs raw SSE, wall (CPU)", `${fx(revF.vsRaw)} (${fx(revF.cpuVsRaw)})`, "≥ 0.80×", revF.vsRaw >= 0.8 && revF.cpuVsRaw >= 0.8 ? "yes" : revF.vsRaw < 0.8 && revF.cpuVsRaw < 0.8 ? "no" : "borderline"],
      ["memory per idle session (heap / RSS)", `${kb(heap)} / ${kb(rss)}`, "< 20 KB", Math.max(heap, rss) < 20 * 1024 ? "yes" : "no"],
    ],
  );
  console.log("\nphases:", JSON.stringify(phase));
  console.log("raw:", JSON.stringify({ echo, current, leading, burst, bursts, rawF, revF, nrF, shF, cpu, rawM, revM }));
}
