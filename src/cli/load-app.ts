import { existsSync, statSync } from "node:fs";
import { join, resolve } from "node:path";
import { pathToFileURL } from "node:url";
import { App } from "../app.js";
import { RevueError } from "../errors.js";
import type { AppClass } from "../session/hub.js";

/** Files tried, in order, when `revue dev` is given a folder. */
export const ENTRY_NAMES = ["app.ts", "app.tsx", "index.ts", "index.tsx", "main.ts", "app.js", "index.js"];

/** Resolves `revue dev <target>` to an entry file: the file itself, or the first known entry in the folder. */
export function resolveEntry(target: string, cwd = process.cwd()): string {
  const path = resolve(cwd, target);
  if (!existsSync(path)) throw new RevueError("BAD_REQUEST", `revue dev: ${target} does not exist. Pass an app file or a folder holding one of: ${ENTRY_NAMES.join(", ")}.`);
  if (!statSync(path).isDirectory()) return path;
  const entry = ENTRY_NAMES.map((n) => join(path, n)).find((f) => existsSync(f));
  if (!entry) throw new RevueError("BAD_REQUEST", `revue dev: ${target} has none of ${ENTRY_NAMES.join(", ")}. Add an app.ts that exports your App class.`);
  return entry;
}

/**
 * Imports an entry and finds what to serve: a default export or named exports
 * that are App classes. One app is mounted at "/"; several are mounted at "/"
 * (the default export, or the first) and "/<name in lower case>".
 */
export async function loadApps(entry: string): Promise<Record<string, AppClass>> {
  const mod = (await import(pathToFileURL(entry).href)) as Record<string, unknown>;
  const isApp = (v: unknown): v is AppClass => typeof v === "function" && (v as { prototype?: unknown }).prototype instanceof App;
  const found = Object.entries(mod).filter(([, v]) => isApp(v)) as Array<[string, AppClass]>;
  if (found.length === 0) {
    throw new RevueError("BAD_REQUEST", `revue dev: ${entry} exports no App class. Export it: export class Counter extends App { ... }.`);
  }
  found.sort(([a], [b]) => (a === "default" ? -1 : b === "default" ? 1 : 0));
  const table: Record<string, AppClass> = {};
  found.forEach(([name, cls], i) => {
    table[i === 0 ? "/" : `/${(name === "default" ? cls.name : name).toLowerCase()}`] = cls;
  });
  return table;
}
