import { spawn } from "node:child_process";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { createRequire } from "node:module";
import { tmpdir } from "node:os";
import { extname, join, relative } from "node:path";
import { resolveEntry } from "./load-app.js";
import { commonJsProblem } from "./module-format.js";
import { cliModule, fromSource, packageRoot } from "./paths.js";
import { devTsconfig, findTsconfig, readTsconfig } from "./tsconfig.js";

/** Where the CLI writes (tests pass their own). */
export interface Io {
  out(line: string): void;
  err(line: string): void;
}

/** What `revue dev` runs, decided before anything starts, so that a mistake is one message and a non-zero exit. */
export interface DevPlan {
  entry: string;
  /** A generated tsconfig for tsx, when the project's own does not select the entry. */
  tsconfig?: Record<string, unknown>;
  /** One line saying why `tsconfig` is generated. */
  note?: string;
}

/**
 * Checks `revue dev <target>` and decides how to run it: the entry file, and
 * the tsconfig tsx should read (see tsconfig.ts). Throws an Error whose
 * message is the one thing to fix.
 *
 * @example
 * planDev("examples/counter") // { entry: "/…/examples/counter/app.ts" }
 */
export function planDev(target: string, cwd = process.cwd()): DevPlan {
  const entry = resolveEntry(target, cwd);
  const problem = commonJsProblem(entry, cwd);
  if (problem) throw new Error(`revue dev: ${problem}`);
  const projectPath = findTsconfig(cwd);
  const project = projectPath ? readTsconfig(projectPath) : undefined;
  const tsconfig = devTsconfig(entry, project, fromSource ? packageRoot : undefined);
  const shown = relative(cwd, entry) || entry;
  if (!tsconfig) {
    const jsx = /\.[jt]sx$/.test(extname(entry)) && project && project.compilerOptions.jsxImportSource === undefined;
    return { entry, note: jsx ? `[revue] note: ${relative(cwd, project.path)} sets no "jsxImportSource": JSX in ${shown} needs "jsx": "react-jsx", "jsxImportSource": "revue".` : undefined };
  }
  const note = projectPath
    ? `${relative(cwd, projectPath) || projectPath} does not include it; running it with that tsconfig's settings, and Revue's defaults (decorators, JSX from revue) for what it leaves unset.`
    : "no tsconfig.json above this folder; running it with Revue's defaults (decorators, JSX from revue).";
  return { entry, tsconfig, note: `[revue] ${shown}: ${note}` };
}

/** tsx's CLI: the project's own, else the one installed next to revue. */
function tsxCli(cwd: string): string | undefined {
  for (const from of [join(cwd, "package.json"), join(packageRoot, "package.json")]) {
    try {
      return createRequire(from).resolve("tsx/cli");
    } catch {}
  }
  return undefined;
}

/**
 * `revue dev`: serves the app and restarts it when a file it imports changes
 * (tsx watch). Resolves with the exit code once stopped.
 *
 * @example
 * process.exitCode = await runDev("examples/chat", 3001, { out: console.log, err: console.error });
 */
export async function runDev(target: string, port: number, io: Io, cwd = process.cwd()): Promise<number> {
  let plan: DevPlan;
  try {
    plan = planDev(target, cwd);
  } catch (err) {
    io.err((err as Error).message);
    return 1;
  }
  const tsx = tsxCli(cwd);
  if (!tsx) {
    io.err("revue dev runs TypeScript apps with tsx, which is not installed: npm install --save-dev tsx");
    return 1;
  }
  if (plan.note) io.out(plan.note);
  let tmp: string | undefined;
  const env = { ...process.env };
  if (plan.tsconfig) {
    tmp = mkdtempSync(join(tmpdir(), "revue-dev-"));
    const path = join(tmp, "tsconfig.json");
    writeFileSync(path, JSON.stringify(plan.tsconfig, null, 2));
    env.TSX_TSCONFIG_PATH = path;
  }
  const child = spawn(process.execPath, [tsx, "watch", "--clear-screen=false", cliModule("serve"), plan.entry, String(port)], { cwd, env, stdio: "inherit" });
  const forward = (sig: NodeJS.Signals) => child.kill(sig);
  process.on("SIGINT", forward);
  process.on("SIGTERM", forward);
  const code = await new Promise<number>((resolve) => {
    child.on("error", (err) => (io.err(`revue dev: could not start tsx (${err.message}).`), resolve(1)));
    child.on("exit", (c, signal) => resolve(c ?? (signal ? 0 : 1)));
  });
  process.off("SIGINT", forward);
  process.off("SIGTERM", forward);
  if (tmp) rmSync(tmp, { recursive: true, force: true });
  return code;
}
