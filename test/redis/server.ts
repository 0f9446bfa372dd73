import { spawn, type ChildProcess } from "node:child_process";
import { mkdtempSync, rmSync } from "node:fs";
import { connect, createServer } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";

/**
 * A real `redis-server` for tests: started on a free port with no persistence
 * (`--save "" --appendonly no`, so a restart loses every key, as a crash of an
 * unpersisted Redis does), killed by pid, every wait bounded.
 *
 * @example
 * const redis = await startRedis();
 * const bus = new RedisPubSub({ url: redis.url });
 * await redis.restart();   // SIGKILL, then the same port again, empty
 * await redis.stop();
 */
export interface TestRedis {
  /** `redis://127.0.0.1:<port>` */
  readonly url: string;
  readonly port: number;
  /** The running server's pid (undefined while it is down). */
  readonly pid: number | undefined;
  /** Kills the server at once (SIGKILL, a crash) and waits for it to exit; its data is gone. */
  kill(): Promise<void>;
  /** Starts the server again on the same port (after `kill`), and waits until it answers PING. */
  start(): Promise<void>;
  /** `kill()`, then `start()` after `downMs` (default 0). */
  restart(downMs?: number): Promise<void>;
  /** Stops the server for good (SIGTERM, SIGKILL after 2 s) and removes its folder. */
  stop(): Promise<void>;
}

const REDIS_SERVER = process.env.REDIS_SERVER ?? "redis-server";
const running = new Set<ChildProcess>();
// A test runner that dies (or forgets stop()) must not leave servers behind.
process.once("exit", () => {
  for (const child of running) child.kill("SIGKILL");
});

/** A port nothing listens on right now. */
export const freePort = () =>
  new Promise<number>((resolve, reject) => {
    const s = createServer().once("error", reject);
    s.listen(0, "127.0.0.1", () => {
      const { port } = s.address() as { port: number };
      s.close(() => resolve(port));
    });
  });

/**
 * Starts `redis-server` on a free port of 127.0.0.1 and resolves once it
 * answers PING (within 5 s). `args` are more server options, e.g.
 * `["--stream-node-max-entries", "5"]`.
 */
export async function startRedis(options: { args?: string[] } = {}): Promise<TestRedis> {
  const port = await freePort();
  const dir = mkdtempSync(join(tmpdir(), "revue-redis-"));
  const args = ["--port", String(port), "--bind", "127.0.0.1", "--save", "", "--appendonly", "no", "--dir", dir, "--daemonize", "no", "--loglevel", "warning", ...(options.args ?? [])];
  let child: ChildProcess | undefined;
  let output = "";

  const start = async () => {
    if (child) throw new Error(`test redis on port ${port} is already running (pid ${child.pid}); kill() it first.`);
    const proc = spawn(REDIS_SERVER, args, { stdio: ["ignore", "pipe", "pipe"] });
    child = proc;
    running.add(proc);
    proc.stdout!.setEncoding("utf8").on("data", (d: string) => (output += d));
    proc.stderr!.setEncoding("utf8").on("data", (d: string) => (output += d));
    proc.once("exit", () => running.delete(proc));
    const spawnError = new Promise<never>((_, reject) => proc.once("error", (err) => reject(new Error(`could not run ${REDIS_SERVER} (${err.message}); install redis-server or set REDIS_SERVER.`))));
    await Promise.race([waitForPing(port, 5_000, () => (proc.exitCode !== null ? `redis-server exited (${proc.exitCode}); output:\n${output}` : undefined)), spawnError]);
  };

  const kill = async (signal: NodeJS.Signals = "SIGKILL") => {
    const proc = child;
    if (!proc) return;
    child = undefined;
    if (proc.exitCode === null && proc.signalCode === null) {
      const exited = new Promise((r) => proc.once("exit", r));
      proc.kill(signal);
      const timer = setTimeout(() => proc.kill("SIGKILL"), 2_000);
      await exited;
      clearTimeout(timer);
    }
  };

  await start();
  return {
    url: `redis://127.0.0.1:${port}`,
    port,
    get pid() {
      return child?.pid;
    },
    kill: () => kill("SIGKILL"),
    start,
    async restart(downMs = 0) {
      await kill("SIGKILL");
      if (downMs > 0) await new Promise((r) => setTimeout(r, downMs));
      await start();
    },
    async stop() {
      await kill("SIGTERM");
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

/** Resolves once a PING on `port` gets PONG; rejects after `ms`, or as soon as `failed()` says why. */
async function waitForPing(port: number, ms: number, failed: () => string | undefined): Promise<void> {
  const end = Date.now() + ms;
  for (;;) {
    if (await ping(port)) return;
    const why = failed();
    if (why) throw new Error(why);
    if (Date.now() > end) throw new Error(`redis-server on port ${port} did not answer PING within ${ms} ms.`);
    await new Promise((r) => setTimeout(r, 20));
  }
}

function ping(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = connect(port, "127.0.0.1");
    let reply = "";
    const done = (ok: boolean) => {
      socket.destroy();
      resolve(ok);
    };
    socket.setTimeout(500, () => done(false));
    socket.once("error", () => done(false));
    socket.once("connect", () => socket.write("PING\r\n"));
    socket.on("data", (d) => {
      reply += d.toString();
      if (reply.includes("\r\n")) done(reply.startsWith("+PONG"));
    });
  });
}
