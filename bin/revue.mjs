#!/usr/bin/env node
// The `revue` command. `revue dev <app> [--port N]` serves an app and restarts
// it when a file it imports changes (tsx watch); the open page re-bootstraps
// its session by itself and keeps its URL.
import { spawn } from "node:child_process";
import { existsSync } from "node:fs";
import { createRequire } from "node:module";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";

const here = dirname(fileURLToPath(import.meta.url));
const usage = "usage: revue dev <app file or folder> [--port N]\n  e.g. revue dev examples/counter --port 3000";
const [command, ...rest] = process.argv.slice(2);
if (command !== "dev") {
  console.error(command ? `revue: unknown command "${command}".\n${usage}` : usage);
  process.exit(command === "--help" || command === "-h" ? 0 : 2);
}
let port = process.env.PORT ?? "3000";
const targets = [];
for (let i = 0; i < rest.length; i++) {
  if (rest[i] === "--port") port = rest[++i];
  else targets.push(rest[i]);
}
if (targets.length !== 1 || !/^\d+$/.test(port ?? "")) {
  console.error(usage);
  process.exit(2);
}

// From a checkout run the TypeScript sources; from an installed package, dist/.
const source = join(here, "../src/cli/serve.ts");
const runner = existsSync(source) ? source : join(here, "../dist/src/cli/serve.js");
let tsxCli;
try {
  tsxCli = createRequire(import.meta.url).resolve("tsx/cli");
} catch {
  console.error('revue dev needs tsx to run TypeScript apps: npm install --save-dev tsx');
  process.exit(1);
}
const child = spawn(process.execPath, [tsxCli, "watch", "--clear-screen=false", runner, targets[0], port], { stdio: "inherit" });
for (const sig of ["SIGINT", "SIGTERM"]) process.on(sig, () => child.kill(sig));
child.on("exit", (code) => process.exit(code ?? 0));
