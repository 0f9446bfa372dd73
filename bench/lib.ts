/**
 * What the benchmarks share: a minimal SSE and JSON client over real sockets
 * (as a page would use them), and the statistics and tables they print.
 */
import { spawn } from "node:child_process";
import { copyFileSync, mkdtempSync, rmSync, symlinkSync, writeFileSync } from "node:fs";
import http, { type IncomingMessage } from "node:http";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";

// ---------------------------------------------------------------- servers as shipped

/**
 * `files` (paths under the package root, with what they import: the package's
 * src and client, examples) compiled by tsc into a temporary directory, as
 * `npm run build` ships the package: a benchmark's servers then run what an
 * app runs in production. Loaded through tsx instead, every named closure
 * Revue creates costs an `Object.defineProperty` (esbuild's `keepNames`, which
 * tsx forces): +11 % instructions per round trip (callgrind), while Koa,
 * plain JavaScript, pays none. An example's `import "revue"` finds the
 * compiled package through the package's own name (its exports, under `dist/`).
 *
 * @example
 * const built = await compiled(["bench/server-node.ts"]);
 * spawn(process.execPath, [built.entry("bench/server-node.ts")]); // …then built.remove()
 */
export async function compiled(files: string[]): Promise<{ entry: (file: string) => string; remove: () => void }> {
  const root = fileURLToPath(new URL("..", import.meta.url));
  const out = mkdtempSync(join(tmpdir(), "revue-bench-"));
  const remove = () => rmSync(out, { recursive: true, force: true });
  symlinkSync(join(root, "node_modules"), join(out, "node_modules"), "dir");
  // The runtime is bundled from client/ at the package root (src/server/runtime-bundle.ts).
  for (const dir of ["src", "client"]) symlinkSync(join(root, dir), join(out, dir), "dir");
  copyFileSync(join(root, "package.json"), join(out, "package.json")); // "type": "module", and exports for `import "revue"`
  const tsconfig = join(out, "tsconfig.json");
  writeFileSync(
    tsconfig,
    JSON.stringify({
      extends: join(root, "tsconfig.json"),
      compilerOptions: { outDir: join(out, "dist"), rootDir: root, noEmit: false, declaration: false, sourceMap: false },
      include: [join(root, "src"), join(root, "client"), ...files.map((f) => join(root, f))],
      exclude: [],
    }),
  );
  const tsc = spawn(process.execPath, [join(root, "node_modules/typescript/bin/tsc"), "-p", tsconfig], { stdio: ["ignore", "inherit", "inherit"] });
  const code = await new Promise<number | null>((r) => tsc.once("exit", r));
  if (code !== 0) {
    remove();
    throw new Error(`bench: tsc could not compile ${files.join(", ")} (exit ${code})`);
  }
  return { entry: (file) => join(out, "dist", file.replace(/\.ts$/, ".js")), remove };
}

// ---------------------------------------------------------------- client side

/** A minimal SSE reader: splits on blank lines and hands over event type, data and id; comments and data-less frames are skipped. */
export function readSse(res: IncomingMessage, onFrame: (event: string, data: string, id: string) => void): void {
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
export interface Stream {
  ready: Promise<void>;
  close(): void;
}

/** Every stream gets its own socket (maxSockets: Infinity), as a browser tab would. */
export const sseAgent = new http.Agent({ keepAlive: true, maxSockets: Infinity });

export function openStream(base: URL, path: string, cookie: string | undefined, onFrame: (event: string, data: string, id: string) => void): Stream {
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

/** POSTs JSON on a keep-alive agent; resolves to the status, the body text, the first cookie set and `Retry-After` (in ms). */
export function postJson(agent: http.Agent, base: URL, path: string, body: unknown, cookie?: string): Promise<{ status: number; text: string; cookie?: string; retryAfterMs?: number }> {
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
        const retryAfter = res.headers["retry-after"];
        res.on("end", () => resolve({ status: res.statusCode ?? 0, text, cookie: res.headers["set-cookie"]?.[0]?.split(";")[0], retryAfterMs: retryAfter ? Number(retryAfter) * 1000 : undefined }));
        res.on("error", reject);
      },
    );
    req.on("error", reject);
    req.end(json);
  });
}

/** Runs `task(i)` for i in [0, n) with at most `width` at a time (opening 5,000 sockets at once overflows the listen backlog). */
export async function pool(n: number, width: number, task: (i: number) => Promise<void>): Promise<void> {
  let next = 0;
  await Promise.all(
    Array.from({ length: Math.min(n, width) }, async () => {
      while (next < n) await task(next++);
    }),
  );
}

/** A Revue session as a page sees it: its id, its cookie and its open stream. */
export interface Client {
  sid: string;
  cookie: string;
  stream: Stream;
}

/** Creates a session (fresh browser: no cookie) and opens its stream; `onFrame` sees every frame, the `init` included. */
export async function revueClient(agent: http.Agent, base: URL, onFrame: (event: string, data: string) => void): Promise<Client> {
  const r = await postJson(agent, base, "/api/session", {});
  if (r.status !== 201 || !r.cookie) throw new Error(`POST /api/session answered ${r.status}: ${r.text.slice(0, 200)}`);
  const { sid } = JSON.parse(r.text) as { sid: string };
  const stream = openStream(base, `/api/sse/${sid}`, r.cookie, onFrame);
  await stream.ready;
  return { sid, cookie: r.cookie, stream };
}


// ---------------------------------------------------------------- stats and printing

/** The p-th percentile of an ascending array. */
export function percentile(sorted: number[], p: number): number {
  if (sorted.length === 0) return NaN;
  return sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))]!;
}

export const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[xs.length >> 1]!;

export const f1 = (n: number) => (Number.isFinite(n) ? n.toFixed(n >= 100 ? 0 : n >= 10 ? 1 : 2) : "—");
export const fx = (n: number) => `${n.toFixed(2)}×`;
export const kb = (bytes: number) => `${(bytes / 1024).toFixed(1)} KB`;

export function table(head: string[], rows: (string | number)[][]): void {
  const cells = [head, ...rows.map((r) => r.map(String))];
  const w = head.map((_, i) => Math.max(...cells.map((r) => r[i]!.length)));
  const line = (r: string[]) => `| ${r.map((c, i) => (i === 0 ? c.padEnd(w[i]!) : c.padStart(w[i]!))).join(" | ")} |`;
  console.log(line(head));
  console.log(`|${w.map((n, i) => (i === 0 ? "-".repeat(n + 2) : `${"-".repeat(n + 1)}:`)).join("|")}|`);
  for (const r of cells.slice(1)) console.log(line(r));
}

export const settle = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** `p`, or a rejection after `ms`; the timer is cleared either way so it cannot hold the process open. */
export async function within<T>(p: Promise<T>, ms: number, what: () => string): Promise<T> {
  let timer: ReturnType<typeof setTimeout> | undefined;
  try {
    return await Promise.race([p, new Promise<never>((_, reject) => (timer = setTimeout(() => reject(new Error(what())), ms)))]);
  } finally {
    clearTimeout(timer);
  }
}

// ---------------------------------------------------------------- broadcasting to many streams

/** An SSE server to broadcast on: opens a stream that reports each `event` frame, and broadcasts tick `n` to every stream. */
export interface Broadcaster {
  open(onEvent: () => void): Promise<Stream>;
  emit(n: number): void;
  close(): Promise<void>;
}

/**
 * Streams open on one server, and broadcasts to them paced by delivery. A
 * stream's k-th `event` frame is tick k (delivery is ordered), so tick k has
 * reached everyone when its count hits the number of streams; the client
 * parses no JSON.
 */
export class Audience {
  private readonly streams: Stream[] = [];
  private readonly reached: number[] = [];
  private readonly sentAt: number[] = [];
  private readonly doneAt: number[] = [];
  private sent = 0;
  /** The last tick of the current `broadcast()`. */
  private last = 0;
  private finish = () => {};

  constructor(private readonly server: Broadcaster) {}

  get size(): number {
    return this.streams.length;
  }

  /** Opens `n` more streams, `width` at a time (5,000 at once overflow the listen backlog). */
  async open(n: number, width: number): Promise<void> {
    await pool(n, width, async () => {
      let count = 0;
      this.streams.push(await this.server.open(() => this.reach(++count)));
    });
  }

  /**
   * Broadcasts `n` ticks with at most `window` in flight: tick k + window
   * leaves once tick k reached every stream, so socket buffers cannot absorb
   * the whole run. Resolves to each tick's latency (emit → last delivery), in ms.
   * Rejects after `timeoutMs` (by default 20 s, plus 20 ms a tick).
   */
  async broadcast(n: number, window: number, timeoutMs = 20_000 + 20 * n): Promise<number[]> {
    const first = this.sent + 1;
    this.last = this.sent + n;
    const finished = new Promise<void>((r) => (this.finish = r));
    while (this.sent < Math.min(this.last, first + window - 1)) this.send();
    await within(finished, timeoutMs, () => `only ${this.reached[this.last] ?? 0} of ${this.size} streams got tick ${this.last}`);
    return Array.from({ length: n }, (_, i) => this.doneAt[first + i]! - this.sentAt[first + i]!);
  }

  async close(): Promise<void> {
    for (const s of this.streams) s.close();
    await this.server.close();
  }

  private send(): void {
    const k = ++this.sent;
    this.sentAt[k] = performance.now();
    this.server.emit(k);
  }

  private reach(k: number): void {
    if ((this.reached[k] = (this.reached[k] ?? 0) + 1) !== this.size) return;
    this.doneAt[k] = performance.now();
    // Ticks complete in order, so this keeps `window` in flight.
    if (this.sent < this.last) this.send();
    if (k === this.last) this.finish();
  }
}
