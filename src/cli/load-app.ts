import { existsSync, statSync } from "node:fs";
import { join, relative, resolve } from "node:path";
import { App } from "../app.js";
import { RevueError } from "../errors.js";
import type { AppClass } from "../session/hub.js";

/** Files tried, in order, when `revue dev` is given a folder. */
export const ENTRY_NAMES = ["app.ts", "app.tsx", "index.ts", "index.tsx", "main.ts", "server.ts", "app.mts", "app.js", "index.js", "src/app.ts", "src/app.tsx", "src/index.ts", "src/server.ts"];

/**
 * Resolves `revue dev <target>` to an entry file: the file itself, or the
 * first known entry in the folder.
 *
 * @example
 * resolveEntry("examples/counter") // "/…/examples/counter/app.ts"
 */
export function resolveEntry(target: string, cwd = process.cwd()): string {
  const path = resolve(cwd, target);
  if (!existsSync(path)) throw new RevueError("BAD_REQUEST", `revue dev: ${target} does not exist. Pass an app file, or a folder holding one of: ${ENTRY_NAMES.join(", ")}.`);
  if (!statSync(path).isDirectory()) return path;
  const entry = ENTRY_NAMES.map((n) => join(path, n)).find((f) => existsSync(f));
  if (!entry) throw new RevueError("BAD_REQUEST", `revue dev: ${target} holds none of ${ENTRY_NAMES.join(", ")}. Pass the app's file, or add an app.ts that exports your App class.`);
  return entry;
}

const isApp = (v: unknown): v is AppClass => typeof v === "function" && (v as { prototype?: unknown }).prototype instanceof App;

/** Whether `cls` extends a class named App that is not this copy's: a second copy of Revue. */
function extendsOtherApp(cls: unknown): boolean {
  if (typeof cls !== "function") return false;
  for (let p = Object.getPrototypeOf(cls) as { name?: string } | null; p && p !== Function.prototype; p = Object.getPrototypeOf(p)) {
    if (p.name === "App" && p !== App) return true;
  }
  return false;
}

/**
 * Finds what to serve in an imported entry: a default export or named exports
 * that are App classes. One app is mounted at "/"; several are mounted at "/"
 * (the default export, or the first) and "/<name in lower case>".
 *
 * @example
 * appsIn(await import("./app.ts"), "app.ts") // { "/": Counter }
 */
export function appsIn(mod: Record<string, unknown>, entry: string, cwd = process.cwd()): Record<string, AppClass> {
  const shown = relative(cwd, entry) || entry;
  const found = Object.entries(mod).filter(([, v]) => isApp(v)) as Array<[string, AppClass]>;
  if (found.length === 0) {
    const foreign = Object.entries(mod).filter(([, v]) => extendsOtherApp(v)).map(([k]) => k);
    if (foreign.length) {
      throw new RevueError(
        "BAD_REQUEST",
        `revue dev: ${shown} exports ${foreign.join(", ")}, which extend${foreign.length > 1 ? "" : "s"} another copy of Revue's App: the file was loaded as CommonJS, or imports "revue" from another install than the revue running it. Add "type": "module" to the project's package.json (or name the file .mts), and run the project's own revue (npx revue dev).`,
      );
    }
    throw new RevueError(
      "BAD_REQUEST",
      `revue dev: ${shown} exports no App class and starts no server. Export the class (export class Counter extends App { ... }), or end the file with await createServer(Counter).listen(3000).`,
    );
  }
  found.sort(([a], [b]) => (a === "default" ? -1 : b === "default" ? 1 : 0));
  const table: Record<string, AppClass> = {};
  found.forEach(([name, cls], i) => {
    table[i === 0 ? "/" : `/${(name === "default" ? cls.name : name).toLowerCase()}`] = cls;
  });
  return table;
}
