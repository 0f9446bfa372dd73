#!/usr/bin/env node
// The `revue` command (src/cli/main.ts). An installed package runs its built
// JavaScript (dist/), which needs nothing but Node; a source checkout runs the
// TypeScript sources through tsx, one of its dev dependencies.
import { existsSync } from "node:fs";
import { dirname, join } from "node:path";
import { fileURLToPath, pathToFileURL } from "node:url";

const root = join(dirname(fileURLToPath(import.meta.url)), "..");
const source = join(root, "src/cli/main.ts");
let cli;
if (existsSync(source)) {
  const { tsImport } = await import("tsx/esm/api");
  cli = await tsImport(pathToFileURL(source).href, import.meta.url);
} else {
  const built = join(root, "dist/src/cli/main.js");
  if (!existsSync(built)) {
    console.error(`revue: ${built} is missing; this copy of revue was packed without "npm run build". Reinstall it.`);
    process.exit(1);
  }
  cli = await import(pathToFileURL(built).href);
}
process.exitCode = await cli.runCli(process.argv.slice(2));
