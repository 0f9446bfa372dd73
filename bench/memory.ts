/**
 * Memory per session of the *server* process, sessions made as a browser makes
 * them: `GET /` read whole (HTML, `rv_token` cookie, sid from `#rv-boot`), then
 * `GET /api/sse/:sid` with the cookie, kept open and read. The server runs in a
 * child process (`--expose-gc`, a fresh heap per measurement) and reports
 * `process.memoryUsage()` after GC over IPC; the clients run here, so unlike
 * bench/server.ts no figure includes the client's sockets.
 *
 * Per app and session count N: (server memory with N sessions − before) / N,
 * beside the same client against a raw `node:http` SSE server, minus the heap
 * of N bare app instances (`new Todo()`) measured in the same child afterwards,
 * so that app state is not charged to Revue. Run: `npm run bench memory`;
 * knobs `BENCH_SESSIONS=1000,5000`, `BENCH_APPS=counter,todo`,
 * `BENCH_HEAP_MB=4096` (the server child's old space).
 */
import { execFileSync, spawn, type ChildProcess } from "node:child_process";
import { randomBytes } from "node:crypto";
import http from "node:http";
import type { AddressInfo } from "node:net";
import { fileURLToPath } from "node:url";

const HOST = "127.0.0.1";
const KB = 1024;
/** Revue's own heap per session this round of work aims at. */
const TARGETS: Record<string, number> = { counter: 8 * KB, todo: 350 * KB };
/** Opened before the first reading, so one-time costs (code, JIT, the client module's build) are not counted per session. */
const WARMUP = 20;
/** Page loads in flight; each stream then holds a socket of its own. */
const WIDTH = 32;
/** "Just opened": no byte on any stream for this long. */
const QUIET_MS = 2_500;
/**
 * "At rest": this long after the last stream opened, every session has been
 * idle past the server's defaults for packing its tree (`restAfterMs`, 5 s) and
 * dropping its replay buffer (30 s), and a maintenance round (≤ 1 s) ran.
 */
const REST_MS = 37_000;
const HEAP_MB = Number(process.env.BENCH_HEAP_MB ?? 4096);

type Kind = "raw" | "counter" | "todo";

/** What the server child reports, after two full GCs. */
interface Usage {
  heapUsed: number;
  /** V8's committed heap: free space in partly used pages included. */
  heapTotal: number;
  rss: number;
  /** ArrayBuffers and other memory held outside V8's heap by JS objects (a packed tree is a Uint8Array). */
  external: number;
  /** Sessions (raw: open responses) and how many have their stream open: every one should. */
  sessions: number;
  connected: number;
  /** Apps: sessions by state ("packed": live with a packed tree), and the server's own estimate of their memory. */
  states?: Record<string, number>;
  estimate?: number;
}

/** What the bench reads of a session: internal, and being rewritten, so read loosely (a rename costs diagnostics, not the measurement). */
type SessionLike = { connected?: boolean; state?: string; bytes?: number; view?: { packed?: unknown } };

// ---------------------------------------------------------------- server child

/** Two full collections, a turn apart so weak callbacks and finalizers run between them. */
async function usageAfterGc(): Promise<Pick<Usage, "heapUsed" | "heapTotal" | "rss" | "external">> {
  const gc = (globalThis as { gc?: () => void }).gc!;
  gc();
  await new Promise((r) => setImmediate(r));
  gc();
  const { heapUsed, heapTotal, rss, external } = process.memoryUsage();
  return { heapUsed, heapTotal, rss, external };
}

/**
 * The least a server can do for the same client: a page with a sid and a
 * cookie, then an SSE response held open after the bytes Revue sends a page
 * connecting with `?lastEventId=0` (only `retry:`; the page has the tree).
 */
function rawServer(): { server: http.Server; count(): number } {
  const open = new Set<http.ServerResponse>();
  const server = http.createServer((req, res) => {
    if (req.url === "/") {
      const sid = randomBytes(18).toString("base64url");
      res.writeHead(200, { "content-type": "text/html; charset=utf-8", "set-cookie": `rv_token=${randomBytes(16).toString("base64url")}; path=/; httponly; samesite=lax` });
      res.end(`<!doctype html><html><body><script type="application/json" id="rv-boot">{"sid":"${sid}"}</script></body></html>`);
    } else if (req.url?.startsWith("/api/sse/")) {
      req.socket.setNoDelay(true);
      req.socket.setTimeout(0);
      res.writeHead(200, { "Content-Type": "text/event-stream; charset=utf-8", "Cache-Control": "no-cache, no-transform", Connection: "keep-alive", "X-Accel-Buffering": "no" });
      res.write("retry: 1000\n\n");
      open.add(res);
      res.on("close", () => open.delete(res));
    } else res.writeHead(404).end();
  });
  server.keepAliveTimeout = 5_000; // as Revue's listen()
  return { server, count: () => open.size };
}

/** The server child: listens, sends its URL, then answers `measure` and `appState` over IPC. */
async function serve(kind: Kind): Promise<void> {
  let url: string;
  let counts: () => Pick<Usage, "sessions" | "connected" | "states" | "estimate">;
  let AppClass: (new () => object) | undefined;
  if (kind === "raw") {
    const raw = rawServer();
    await new Promise<void>((r) => raw.server.listen(0, HOST, r));
    url = `http://${HOST}:${(raw.server.address() as AddressInfo).port}`;
    counts = () => ({ sessions: raw.count(), connected: raw.count() });
  } else {
    const { createServer } = await import("../src/index.js");
    const App = kind === "counter" ? (await import("../examples/counter/app.js")).Counter : (await import("../examples/todo/app.js")).Todo;
    AppClass = App;
    // Defaults but the session cap (10,000), so that the cap cannot shape what is measured.
    const srv = createServer(App, { logger: { warn: console.error, error: console.error }, maxSessions: 1_000_000 });
    url = await srv.listen(0, HOST);
    const hub = srv.hubs.get("")! as unknown as { size: number; sessions?(): Iterable<SessionLike> };
    counts = () => {
      const out = { sessions: hub.size, connected: 0, estimate: 0, states: {} as Record<string, number> };
      for (const s of hub.sessions?.() ?? []) {
        if (s.connected) out.connected++;
        out.estimate += s.bytes ?? 0;
        const state = s.state === "live" && s.view?.packed ? "packed" : String(s.state);
        out.states[state] = (out.states[state] ?? 0) + 1;
      }
      return out;
    };
  }
  process.on("message", async (msg: { cmd: "measure" } | { cmd: "appState"; n: number }) => {
    if (msg.cmd === "measure") return process.send!({ ...(await usageAfterGc()), ...counts() });
    // N bare instances, held until read: what the app's own fields cost, as a session holds them.
    const before = await usageAfterGc();
    const kept = Array.from({ length: msg.n }, () => new AppClass!());
    const after = await usageAfterGc();
    process.send!({ perInstance: (after.heapUsed + after.external - before.heapUsed - before.external) / kept.length });
  });
  process.send!({ url });
}

// ---------------------------------------------------------------- parent: the server child's handle

/** The server child died: `oom` if V8 hit its heap limit or something (the kernel's OOM killer) sent SIGKILL. */
class ChildDied extends Error {
  constructor(readonly oom: boolean, readonly signal: string | null, detail: string) {
    super(detail);
  }
}

class ServerChild {
  private stderrTail = "";
  private pending: ((msg: any) => void) | undefined;
  /** Rejects when the child exits; every phase races against it. */
  readonly died: Promise<never>;
  private readonly proc: ChildProcess;

  constructor(kind: Kind) {
    this.proc = spawn(process.execPath, ["--expose-gc", `--max-old-space-size=${HEAP_MB}`, "--import", "tsx", fileURLToPath(import.meta.url), "--memory-server", kind], {
      cwd: fileURLToPath(new URL("..", import.meta.url)), // tsx reads tsconfig.json here: the examples import "revue" through its paths
      stdio: ["ignore", "inherit", "pipe", "ipc"],
    });
    this.proc.stderr!.setEncoding("utf8");
    this.proc.stderr!.on("data", (c: string) => {
      this.stderrTail = (this.stderrTail + c).slice(-4_000);
      // V8's out-of-memory report is long and is summed up in the table; anything else the server says is worth seeing.
      if (!/heap out of memory|Reached heap limit|^\s*(\d+: 0x|<--- |\[\d+:0x)/m.test(c)) process.stderr.write(c);
    });
    this.proc.on("message", (msg) => {
      const p = this.pending;
      this.pending = undefined;
      p?.(msg);
    });
    this.died = new Promise<never>((_, reject) =>
      this.proc.on("exit", (code, signal) => {
        const oom = /heap out of memory|Reached heap limit/.test(this.stderrTail) || signal === "SIGKILL";
        reject(new ChildDied(oom, signal, `server child exited (${signal ?? code})${oom ? "" : `: ${this.stderrTail.slice(-1_000)}`}`));
      }),
    );
    this.died.catch(() => {});
  }

  /** The child's next message, after sending `msg` if given. */
  request<T>(msg: object | undefined, ms: number, what: string): Promise<T> {
    const reply = new Promise<T>((resolve) => (this.pending = resolve));
    if (msg) this.proc.send(msg);
    return this.guard(reply, ms, what);
  }

  /** `p`, unless the child dies or `ms` pass first. */
  guard<T>(p: Promise<T>, ms: number, what: string): Promise<T> {
    let timer: ReturnType<typeof setTimeout> | undefined;
    const late = new Promise<never>((_, reject) => (timer = setTimeout(() => reject(new Error(`${what}: not done after ${ms / 1000} s`)), ms)));
    return Promise.race([p, this.died, late]).finally(() => clearTimeout(timer));
  }

  /** A client error is often the child's death seen first from a socket: give its exit 3 s to tell. */
  explain(err: unknown): Promise<unknown> {
    if (err instanceof ChildDied) return Promise.resolve(err);
    return Promise.race([this.died.catch((e: unknown) => e), new Promise((r) => setTimeout(() => r(err), 3_000))]);
  }

  async stop(): Promise<void> {
    if (this.proc.exitCode !== null || this.proc.signalCode !== null) return;
    const exited = new Promise((r) => this.proc.once("exit", r));
    this.proc.kill();
    await exited;
  }
}

// ---------------------------------------------------------------- parent: the browsers

/** Every stream gets a socket of its own, as each browser tab's does. */
const sseAgent = new http.Agent({ keepAlive: false, maxSockets: Infinity });

/** Many browsers: page loads over shared keep-alive sockets, then one stream each, kept open and read. */
class Browsers {
  private readonly streams: http.ClientRequest[] = [];
  private readonly agent = new http.Agent({ keepAlive: true, maxSockets: WIDTH });
  opened = 0;
  lastByteAt = 0;
  /** Streams that failed after opening (the server died or cut them): a reading then refuses to count. */
  cut = 0;
  /** Page loads sent again after their kept-alive socket closed under them. */
  retries = 0;

  constructor(private readonly base: URL) {}

  /** `GET /`, then the stream with the cookie; resolves at the stream's first bytes. */
  async open(): Promise<void> {
    const { sid, cookie } = await this.page(3);
    await new Promise<void>((resolve, reject) => {
      // `?lastEventId=0` as the runtime's first stream (client/stream.ts): the page has the tree, so no `init` comes.
      const path = `/api/sse/${sid}?lastEventId=0`;
      const req = http.get({ host: this.base.hostname, port: this.base.port, path, agent: sseAgent, headers: { accept: "text/event-stream", cookie } }, (res) => {
        if (res.statusCode !== 200) return reject(new Error(`GET /api/sse answered ${res.statusCode}`));
        res.on("error", () => this.cut++);
        // Keep reading: anything unread would wait in the server's socket buffers and count as its memory.
        res.on("data", () => {
          this.lastByteAt = performance.now();
          resolve();
        });
      });
      req.on("error", reject); // a no-op once opened
      this.streams.push(req);
    });
    this.opened++;
  }

  /**
   * `GET /` read whole. Sent again (as browsers do) when it went out on a
   * kept-alive socket the server closed meanwhile: after a long GC pause the
   * server's keep-alive timer closes sockets the client has just reused (seen at 4,000 todo sessions).
   */
  private page(tries: number): Promise<{ sid: string; cookie: string }> {
    return new Promise((resolve, reject) => {
      const req = http.get({ host: this.base.hostname, port: this.base.port, path: "/", agent: this.agent, headers: { accept: "text/html" } }, (res) => {
        let html = "";
        res.setEncoding("utf8");
        res.on("data", (c: string) => (html += c));
        res.on("error", reject);
        res.on("end", () => {
          const boot = /<script type="application\/json" id="rv-boot">(.*?)<\/script>/s.exec(html);
          const cookie = res.headers["set-cookie"]?.map((c) => c.split(";")[0]!).find((c) => c.startsWith("rv_token="));
          if (res.statusCode !== 200 || !boot || !cookie) reject(new Error(`GET / answered ${res.statusCode} without a boot block or cookie: ${html.slice(0, 200)}`));
          else resolve({ sid: (JSON.parse(boot[1]!) as { sid: string }).sid, cookie });
        });
      });
      req.on("error", (err: NodeJS.ErrnoException) => {
        if (!(req.reusedSocket && err.code === "ECONNRESET" && tries > 1)) return reject(err);
        this.retries++;
        resolve(this.page(tries - 1));
      });
    });
  }

  /** Opens `n` more sessions, {@link WIDTH} at a time (thousands at once overflow the listen backlog). */
  async openMany(n: number, progress: (done: number) => void): Promise<void> {
    const target = this.opened + n;
    let next = this.opened;
    const ticker = setInterval(() => progress(this.opened), 5_000);
    const worker = async () => {
      while (next++ < target) await this.open();
    };
    await Promise.all(Array.from({ length: Math.min(n, WIDTH) }, worker)).finally(() => clearInterval(ticker));
  }

  /** Resolves once no stream has received a byte for {@link QUIET_MS}. */
  async quiet(): Promise<void> {
    while (performance.now() - this.lastByteAt < QUIET_MS) await sleep(250);
  }

  close(): void {
    for (const s of this.streams) s.destroy();
    this.agent.destroy();
  }
}

// ---------------------------------------------------------------- one measurement

/**
 * Per session (raw: per connection). "heap" is V8's heap plus external memory.
 * RSS is noisy: it keeps much of the high-water mark of opening the sessions
 * (each todo page load makes megabytes of garbage), because V8 gives pages back
 * lazily (its memory reducer runs on idle timers) and malloc keeps freed chunks;
 * so it depends on how fast sessions were opened and when the reading came.
 */
interface Reading {
  heap: number;
  rss: number;
  states?: Record<string, number>;
  estimate?: number;
}

interface Result {
  /** {@link QUIET_MS} after the last stream opened: sessions opened in the last 5 s still hold their trees. */
  opened: Reading;
  /** {@link REST_MS} after it (apps only: a raw server has nothing to rest). */
  rest?: Reading;
  /** One bare `new App()` (apps only). */
  appState?: number;
}
type Failed = { failed: string };

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
const mb = (b: number) => `${Math.round(b / 1024 / 1024)} MB`;
const log = (s: string) => process.stderr.write(`  [memory] ${s}\n`);

/**
 * `n` sessions of `kind` in a fresh server child. Fresh, because memory an
 * earlier measurement freed stays in RSS (V8 and malloc keep pages), which
 * would hide this one's growth.
 */
async function measure(kind: Kind, n: number): Promise<Result | Failed> {
  const t0 = performance.now();
  const label = `${kind} × ${n}`;
  const app = kind !== "raw";
  const child = new ServerChild(kind);
  let b: Browsers | undefined;
  try {
    b = new Browsers(new URL((await child.request<{ url: string }>(undefined, 60_000, `${label}: start`)).url));
    const browsers = b;
    await child.guard(browsers.openMany(WARMUP, () => {}).then(() => browsers.quiet()), 60_000, `${label}: warm-up`);
    // The warm-up sessions at rest in every reading, so that their packing is not counted against the others.
    if (app) await sleep(REST_MS);
    const read = async (what: string) => {
      const u = await child.request<Usage>({ cmd: "measure" }, 300_000, `${label}: ${what}`);
      if (u.sessions !== browsers.opened || u.connected !== browsers.opened || browsers.cut > 0) {
        throw new Error(`${what}: the server holds ${u.sessions} sessions, ${u.connected} connected, ${browsers.cut} streams were cut; ${browsers.opened} expected`);
      }
      return u;
    };
    const before = await read("first reading");
    const t1 = performance.now();
    // A bound, not a timing: a minute plus 100 ms per session.
    const progress = (k: number) => log(`${label}: ${k - WARMUP}/${n} sessions open after ${Math.round((performance.now() - t1) / 1000)} s`);
    await child.guard(browsers.openMany(n, progress), 60_000 + n * 100, `${label}: opening sessions`);
    const openedAt = performance.now();
    log(`${label}: ${n} sessions opened in ${((openedAt - t1) / 1000).toFixed(1)} s (${browsers.retries} page loads retried)`);
    await child.guard(browsers.quiet(), 120_000, `${label}: quiet`);
    const opened = await read("reading after opening");
    let rest: Usage | undefined;
    if (app) {
      await sleep(REST_MS - (performance.now() - openedAt));
      rest = await read("reading at rest");
    }
    const appState = app ? (await child.request<{ perInstance: number }>({ cmd: "appState", n }, 300_000, `${label}: app state`)).perInstance : undefined;
    const per = (u: Usage): Reading => ({
      heap: (u.heapUsed + u.external - before.heapUsed - before.external) / n,
      rss: (u.rss - before.rss) / n,
      states: u.states,
      estimate: u.estimate === undefined ? undefined : (u.estimate - before.estimate!) / n,
    });
    const end = rest ?? opened;
    const steps = (f: (u: Usage) => number) => [before, opened, ...(rest ? [rest] : [])].map((u) => mb(f(u))).join(" → ");
    log(
      `${label}: heap ${steps((u) => u.heapUsed)} (committed ${steps((u) => u.heapTotal)}), external ${steps((u) => u.external)}, RSS ${steps((u) => u.rss)}; ` +
        `sessions ${JSON.stringify(opened.states ?? {})} → ${JSON.stringify(end.states ?? {})} (${Math.round((performance.now() - t0) / 1000)} s)`,
    );
    return { opened: per(opened), rest: rest && per(rest), appState };
  } catch (err) {
    const why = await child.explain(err);
    const open = Math.max(0, (b?.opened ?? 0) - WARMUP);
    const failed =
      why instanceof ChildDied && why.oom
        ? `out of memory at ${open} sessions (of ${n}; ${why.signal === "SIGKILL" ? "SIGKILL: the kernel's OOM killer?" : `heap limit ${HEAP_MB} MB`})`
        : `failed with ${open} sessions open: ${why instanceof Error ? why.message : String(why)}`;
    log(`${label}: ${failed}`);
    return { failed };
  } finally {
    b?.close();
    await child.stop();
  }
}

// ---------------------------------------------------------------- main

const kb = (b: number | undefined) => (b === undefined || !Number.isFinite(b) ? "—" : `${(b / KB).toFixed(1)} KB`);

/** A markdown table; a shorter row (a failure) is printed as it is. */
function table(head: string[], rows: string[][]): void {
  const w = head.map((h, i) => Math.max(h.length, ...rows.filter((r) => r.length === head.length).map((r) => r[i]!.length)));
  const line = (r: string[]) => `| ${r.map((c, i) => (i === 0 ? c.padEnd(w[i]!) : c.padStart(w[i]!))).join(" | ")} |`;
  console.log(line(head));
  console.log(`|${w.map((n, i) => (i === 0 ? "-".repeat(n + 2) : `${"-".repeat(n + 1)}:`)).join("|")}|`);
  for (const r of rows) console.log(r.length < head.length ? `| ${r.join(" | ")} |` : line(r));
}

/** The soft limit on open files, which spawned children inherit (Node can neither read nor raise it). */
function fileLimit(): number {
  const out = execFileSync("sh", ["-c", "ulimit -n"], { encoding: "utf8" }).trim();
  return out === "unlimited" ? Infinity : Number(out);
}

/**
 * `npm run bench memory`: for each app of `BENCH_APPS` (counter, todo) and each
 * count of `BENCH_SESSIONS` (1,000 and 5,000), the server's heap and RSS per
 * session with every stream open and every session at rest, beside a raw
 * `node:http` SSE server driven by the same client; the app's own state; and
 * what is left, Revue's own cost, against the targets (own heap ≤ 8 KB per
 * counter session, ≤ 350 KB per todo session). Each measurement runs in a fresh
 * server child; one that runs out of memory is reported as such and the rest
 * go on. Takes about 10 minutes; progress goes to stderr.
 */
export async function runMemoryBench(): Promise<void> {
  const counts = (process.env.BENCH_SESSIONS ?? "1000,5000").split(",").map(Number);
  const apps = (process.env.BENCH_APPS ?? "counter,todo").split(",") as Kind[];
  for (const a of apps) if (!(a in TARGETS)) throw new Error(`BENCH_APPS: unknown app "${a}"; known: ${Object.keys(TARGETS).join(", ")}`);
  if (counts.some((n) => !Number.isInteger(n) || n <= 0)) throw new Error(`BENCH_SESSIONS: "${process.env.BENCH_SESSIONS}" is not a list of positive integers`);
  // This process holds one socket per stream plus the page sockets, and so does the server child.
  const need = Math.max(...counts) + WARMUP + WIDTH + 200;
  const limit = fileLimit();
  if (limit < need) throw new Error(`ulimit -n is ${limit}; ${Math.max(...counts)} sessions need ≈ ${need} open files here and as many in the server child. Raise it first: ulimit -n ${need} && npm run bench memory`);

  console.log(`\nMemory per session of the server process (child: --max-old-space-size=${HEAP_MB}); sessions: ${counts.join(", ")}; apps: ${apps.join(", ")}`);
  const t0 = performance.now();
  const raw = new Map<number, Result | Failed>();
  const results = new Map<string, Result | Failed>();
  for (const n of counts) {
    raw.set(n, await measure("raw", n));
    for (const app of apps) results.set(`${app} ${n}`, await measure(app, n));
  }

  for (const app of apps) {
    const target = TARGETS[app]!;
    console.log(`\n${app}: per session, after GC, every stream open, sessions at rest (${REST_MS / 1000} s after the last opened); heap = V8 heap + external`);
    const notes: string[] = [];
    const rows = counts.map((n): string[] => {
      const r = results.get(`${app} ${n}`)!;
      const base = raw.get(n)!;
      if ("failed" in r) return [`${n}`, r.failed];
      if ("failed" in base) return [`${n}`, `raw SSE server ${base.failed}`];
      const { opened, rest } = r as Required<Result>;
      // The app state's heap is taken off RSS too: its own RSS delta, in a process whose allocator has free pages to reuse, means little.
      const own = (x: number, baseline: number) => x - baseline - r.appState!;
      const ownHeap = own(rest.heap, base.opened.heap);
      notes.push(`${n} sessions: ${JSON.stringify(opened.states)} after opening, ${JSON.stringify(rest.states)} at rest`);
      return [
        `${n}`, kb(rest.heap), kb(rest.rss), kb(base.opened.heap), kb(base.opened.rss), kb(r.appState), kb(ownHeap), kb(own(rest.rss, base.opened.rss)),
        ownHeap <= target ? "yes" : "no", kb(own(opened.heap, base.opened.heap)), kb(rest.estimate),
      ];
    });
    table(
      ["sessions", "heap / session", "RSS / session", "raw SSE heap / conn", "raw RSS / conn", "app state / session", "Revue's own heap / session", "Revue's own RSS / session", `own heap ≤ ${target / KB} KB`, "own heap 2.5 s after opening", "server's estimate / session"],
      rows,
    );
    for (const note of notes) console.log(`  ${note}`);
  }
  console.log(`\n(${Math.round((performance.now() - t0) / 1000)} s)`);
  console.log("raw:", JSON.stringify({ raw: Object.fromEntries(raw), results: Object.fromEntries(results) }));
}

if (process.argv[2] === "--memory-server") await serve(process.argv[3] as Kind);
