/**
 * The chat on two Node processes and one Redis, behind a round-robin balancer
 * with no sticky sessions, on one machine:
 *
 *   npm run cluster          (or: npx tsx examples/cluster/run.ts)
 *
 * Starts `redis-server` on a free port (unless REDIS_URL names one), two nodes
 * (examples/cluster/node.ts) and the balancer at http://localhost:3000 ($PORT).
 * Open it in two windows, chat, then kill a node (`kill -9 <pid>`, printed
 * below): the pages go on, on the other node, with their state. Ctrl-C stops
 * everything.
 */
import { spawn, type ChildProcess } from "node:child_process";
import { mkdtempSync, rmSync } from "node:fs";
import { createServer as createNetServer } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { startBalancer } from "./balancer.js";

const children: ChildProcess[] = [];
const freePort = () =>
  new Promise<number>((resolve, reject) => {
    const s = createNetServer().once("error", reject);
    s.listen(0, "127.0.0.1", () => {
      const { port } = s.address() as { port: number };
      s.close(() => resolve(port));
    });
  });

/** Runs a child process, its output prefixed (or kept, unless it fails, when `quiet`); resolves when a line matches `ready`, rejects if it exits first. */
function start(name: string, command: string, args: string[], env: Record<string, string>, ready: RegExp, quiet = false): Promise<ChildProcess> {
  const child = spawn(command, args, { env: { ...process.env, ...env }, stdio: ["ignore", "pipe", "pipe"] });
  children.push(child);
  return new Promise((resolve, reject) => {
    const kept: string[] = [];
    const onLine = (chunk: Buffer) => {
      for (const line of chunk.toString().split("\n").filter(Boolean)) {
        if (quiet) kept.push(line);
        else console.log(`[${name}] ${line}`);
        if (ready.test(line)) resolve(child);
      }
    };
    child.stdout!.on("data", onLine);
    child.stderr!.on("data", onLine);
    child.once("error", (err) => reject(new Error(`could not run ${command} (${err.message})${command === "redis-server" ? "; install redis-server (apt-get install redis-server, brew install redis) or set REDIS_URL" : ""}.`)));
    child.once("exit", (code, signal) => {
      for (const line of kept) console.log(`[${name}] ${line}`);
      console.log(`[${name}] exited (${signal ?? code})`);
      reject(new Error(`${name} exited before it was ready`));
    });
  });
}

let redisDir: string | undefined;
let url = process.env.REDIS_URL;
try {
  if (!url) {
    const port = await freePort();
    redisDir = mkdtempSync(join(tmpdir(), "revue-cluster-"));
    // Append-only, so sessions outlive a restart of redis-server too.
    await start("redis", "redis-server", ["--port", String(port), "--bind", "127.0.0.1", "--dir", redisDir, "--save", "", "--appendonly", "yes"], {}, /Ready to accept connections/, true);
    url = `redis://127.0.0.1:${port}`;
  }
  const nodeFile = fileURLToPath(new URL("./node.ts", import.meta.url));
  const ports = [await freePort(), await freePort()];
  const nodes = await Promise.all(
    ports.map((port, i) => start(`web-${i + 1}`, process.execPath, ["--import", "tsx", nodeFile], { REDIS_URL: url!, PORT: String(port), NODE_NAME: `web-${i + 1}` }, /^node /)),
  );
  const balancer = await startBalancer(ports, Number(process.env.PORT ?? 3000));
  console.log(`\nThe chat on two nodes: ${balancer.url.replace("127.0.0.1", "localhost")}  (Redis: ${url})`);
  console.log(`Kill a node to watch its pages move: ${nodes.map((n, i) => `kill -9 ${n.pid}  (web-${i + 1})`).join(",  ")}\n`);
} catch (err) {
  console.error((err as Error).message);
  stop(1);
}

function stop(code = 0): void {
  for (const child of children) if (child.exitCode === null) child.kill("SIGTERM");
  setTimeout(() => {
    for (const child of children) if (child.exitCode === null) child.kill("SIGKILL");
    if (redisDir) rmSync(redisDir, { recursive: true, force: true });
    process.exit(code);
  }, 1_000);
}
for (const sig of ["SIGINT", "SIGTERM"] as const) process.once(sig, () => stop());
