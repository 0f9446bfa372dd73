import { spawn, type ChildProcess } from "node:child_process";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { createServer } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";

/**
 * Runs `revue dev` as a user does, in its own process group (revue.mjs starts
 * tsx watch, which starts the server), with its output collected; for the CLI
 * tests over HTTP and in Chromium.
 */

export const repo = fileURLToPath(new URL("../..", import.meta.url));

/** A port nothing listens on right now. */
export const freePort = () =>
  new Promise<number>((resolve, reject) => {
    const s = createServer().once("error", reject);
    s.listen(0, "127.0.0.1", () => {
      const { port } = s.address() as { port: number };
      s.close(() => resolve(port));
    });
  });

/** A folder outside this repository (and outside any tsconfig) holding an ES-module project's files. */
export function appFolder(files: Record<string, string>): { dir: string; write(name: string, text: string): void; remove(): void } {
  const dir = mkdtempSync(join(tmpdir(), "revue-dev-app-"));
  const write = (name: string, text: string) => writeFileSync(join(dir, name), text);
  write("package.json", JSON.stringify({ name: "dev-app", private: true, type: "module" }));
  for (const [name, text] of Object.entries(files)) write(name, text);
  return { dir, write, remove: () => rmSync(dir, { recursive: true, force: true }) };
}

export interface DevProcess {
  child: ChildProcess;
  /** Everything printed so far (stdout and stderr). */
  readonly output: string;
  /** Resolves once the output holds `text` `times` times; fails with the output after `ms`, or if the process exits. */
  waitFor(text: string, times?: number, ms?: number): Promise<void>;
  /** Stops the process group: SIGTERM, then SIGKILL after 3 s. */
  stop(): Promise<void>;
}

/** Starts `node bin/revue.mjs dev <target> --port <port>` in `cwd`. */
export function startDev(target: string, port: number, cwd: string): DevProcess {
  const child = spawn(process.execPath, [join(repo, "bin/revue.mjs"), "dev", target, "--port", String(port)], { cwd, detached: true, stdio: ["ignore", "pipe", "pipe"] });
  let output = "";
  child.stdout!.setEncoding("utf8").on("data", (d: string) => (output += d));
  child.stderr!.setEncoding("utf8").on("data", (d: string) => (output += d));
  const count = (text: string) => output.split(text).length - 1;
  return {
    child,
    get output() {
      return output;
    },
    waitFor(text, times = 1, ms = 30_000) {
      return new Promise<void>((resolve, reject) => {
        if (count(text) >= times) return resolve();
        const timer = setTimeout(() => done(new Error(`no ${times}× "${text}" from revue dev within ${ms} ms; output:\n${output}`)), ms);
        const check = () => count(text) >= times && done();
        const exited = (code: number | null) => done(new Error(`revue dev exited (${code}) before printing "${text}"; output:\n${output}`));
        const done = (err?: Error) => {
          clearTimeout(timer);
          child.stdout!.off("data", check);
          child.stderr!.off("data", check);
          child.off("exit", exited);
          err ? reject(err) : resolve();
        };
        child.stdout!.on("data", check);
        child.stderr!.on("data", check);
        child.once("exit", exited);
      });
    },
    async stop() {
      if (!child.pid || child.exitCode !== null || child.signalCode !== null) return;
      const exited = new Promise((r) => child.once("exit", r));
      try {
        process.kill(-child.pid, "SIGTERM");
      } catch {}
      await Promise.race([exited, new Promise((r) => setTimeout(r, 3000))]);
      try {
        process.kill(-child.pid, "SIGKILL");
      } catch {}
    },
  };
}
