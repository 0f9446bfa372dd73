import { existsSync, readFileSync } from "node:fs";
import { basename, dirname, extname, join, relative } from "node:path";

/**
 * Revue apps are ES modules: they use top-level await and import an ES-only
 * package. A file Node would load as CommonJS (a default `npm init -y`
 * project has no `"type": "module"`) fails in confusing ways: tsx refuses its
 * top-level await, or a second, CommonJS copy of Revue is loaded and
 * `revue dev` finds "no App class". This finds that case before running the file.
 */

/** The nearest package.json at or above `dir`, as Node looks it up for a file's module format. */
export function nearestPackageJson(dir: string): string | undefined {
  for (let d = dir; ; d = dirname(d)) {
    const candidate = join(d, "package.json");
    if (existsSync(candidate)) return candidate;
    if (dirname(d) === d) return undefined;
  }
}

/**
 * Why `file` would run as CommonJS, as one instruction to fix it; undefined
 * when it runs as an ES module (`.mts`/`.mjs`, or `"type": "module"` in its
 * nearest package.json).
 *
 * @example
 * const problem = commonJsProblem("/home/ann/counter/counter.ts");
 * if (problem) { console.error(problem); process.exit(1); }
 */
export function commonJsProblem(file: string, cwd = process.cwd()): string | undefined {
  const ext = extname(file);
  const shown = relative(cwd, file) || file;
  const stem = basename(file, ext);
  if (ext === ".mts" || ext === ".mjs") return undefined;
  if (ext === ".cts" || ext === ".cjs") {
    return `${shown} is a CommonJS file (${ext}), and Revue apps are ES modules. Rename it ${stem}${ext === ".cts" ? ".mts" : ".mjs"}.`;
  }
  const pkg = nearestPackageJson(dirname(file));
  let type: unknown;
  if (pkg) {
    try {
      type = (JSON.parse(readFileSync(pkg, "utf8")) as { type?: unknown }).type;
    } catch (err) {
      return `${relative(cwd, pkg) || pkg} is not valid JSON (${(err as Error).message}); Node cannot tell whether ${shown} is an ES module. Fix the file.`;
    }
  }
  if (type === "module") return undefined;
  const why = pkg ? `${relative(cwd, pkg) || pkg} has no "type": "module"` : `there is no package.json above it`;
  const fix = pkg ? `add "type": "module" to ${relative(cwd, pkg) || pkg}` : `add a package.json with "type": "module" next to it (npm init -y, then npm pkg set type=module)`;
  return `${shown} would run as CommonJS, because ${why}; Revue apps are ES modules (top-level await, import "revue"). Fix: ${fix}, or name the file ${stem}.mts.`;
}
