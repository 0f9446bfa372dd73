import { existsSync, readFileSync } from "node:fs";
import { createRequire } from "node:module";
import { dirname, isAbsolute, join, resolve } from "node:path";

/**
 * Which TypeScript settings `revue dev` runs an app with. tsx reads one
 * tsconfig.json (the nearest one above the current folder) and applies it only
 * to the files its `include` / `files` / `exclude` select; any other file is
 * compiled with esbuild's defaults: JSX as `React.createElement` and TC39
 * decorators. So an app outside the project's `include` (or with no tsconfig
 * at all) failed with "React is not defined", or silently switched decorator
 * mode. For such an entry `revue dev` hands tsx a generated tsconfig that
 * extends the project's, selects the entry's folder too, and fills in Revue's
 * defaults for the settings the project leaves unset.
 */

/** The settings Revue's apps assume: legacy decorators (as this repository and `revue new` use) and JSX from revue. */
export const REVUE_COMPILER_DEFAULTS = Object.freeze({
  experimentalDecorators: true,
  useDefineForClassFields: true,
  jsx: "react-jsx",
  jsxImportSource: "revue",
});

/** A tsconfig read with its `extends` chain; every path is absolute. */
export interface ProjectTsconfig {
  path: string;
  compilerOptions: Record<string, unknown>;
  /** `undefined` when no config in the chain sets it (TypeScript's default then applies). */
  include?: string[];
  files?: string[];
  exclude?: string[];
}

/** Parses JSON with comments and trailing commas, as tsconfig files are written. */
export function parseJsonc(text: string): unknown {
  let out = "";
  for (let i = 0; i < text.length; i++) {
    const c = text[i]!;
    if (c === '"') {
      const start = i;
      for (i++; i < text.length && text[i] !== '"'; i++) if (text[i] === "\\") i++;
      out += text.slice(start, i + 1);
    } else if (c === "/" && text[i + 1] === "/") {
      while (i < text.length && text[i] !== "\n") i++;
      out += "\n";
    } else if (c === "/" && text[i + 1] === "*") {
      const end = text.indexOf("*/", i + 2);
      i = end < 0 ? text.length : end + 1;
      out += " ";
    } else out += c;
  }
  return JSON.parse(out.replace(/,(\s*[\]}])/g, "$1"));
}

/** The tsconfig.json tsx would read: the nearest one at or above `cwd`. */
export function findTsconfig(cwd: string): string | undefined {
  for (let d = resolve(cwd); ; d = dirname(d)) {
    const candidate = join(d, "tsconfig.json");
    if (existsSync(candidate)) return candidate;
    if (dirname(d) === d) return undefined;
  }
}

/** Reads a tsconfig and the configs it extends (nearest setting wins; paths resolved against the config that wrote them). */
export function readTsconfig(path: string, seen = new Set<string>()): ProjectTsconfig {
  if (seen.has(path)) throw new Error(`${path} extends itself (through ${[...seen].join(" → ")}).`);
  seen.add(path);
  let raw: Record<string, unknown>;
  try {
    raw = parseJsonc(readFileSync(path, "utf8")) as Record<string, unknown>;
  } catch (err) {
    throw new Error(`${path} cannot be read as JSON: ${(err as Error).message}. Fix the file.`);
  }
  const dir = dirname(path);
  const result: ProjectTsconfig = { path, compilerOptions: {} };
  const bases = raw.extends === undefined ? [] : Array.isArray(raw.extends) ? raw.extends : [raw.extends];
  for (const spec of bases) {
    if (typeof spec !== "string") continue;
    const basePath = resolveExtends(spec, dir);
    if (!basePath) continue; // tsx ignores what it cannot find too; the project's own settings still count
    const base = readTsconfig(basePath, seen);
    Object.assign(result.compilerOptions, base.compilerOptions);
    result.include = base.include ?? result.include;
    result.files = base.files ?? result.files;
    result.exclude = base.exclude ?? result.exclude;
  }
  Object.assign(result.compilerOptions, (raw.compilerOptions as Record<string, unknown> | undefined) ?? {});
  const abs = (list: unknown) => (Array.isArray(list) ? list.filter((p): p is string => typeof p === "string").map((p) => resolve(dir, p)) : undefined);
  result.include = abs(raw.include) ?? result.include;
  result.files = abs(raw.files) ?? result.files;
  result.exclude = abs(raw.exclude) ?? result.exclude;
  return result;
}

function resolveExtends(spec: string, dir: string): string | undefined {
  const candidates = spec.startsWith(".") || isAbsolute(spec) ? [resolve(dir, spec), resolve(dir, `${spec}.json`)] : [];
  for (const c of candidates) if (existsSync(c) && !c.endsWith("/")) return c;
  if (candidates.length) return undefined;
  const req = createRequire(join(dir, "tsconfig.json"));
  for (const s of [spec, `${spec}.json`, `${spec}/tsconfig.json`]) {
    try {
      return req.resolve(s);
    } catch {}
  }
  return undefined;
}

/** A tsconfig `include`/`exclude` pattern as a RegExp over absolute paths ("/"-separated). */
export function patternRegExp(pattern: string): RegExp {
  const p = pattern.replace(/\\/g, "/").replace(/\/+$/, "");
  const last = p.slice(p.lastIndexOf("/") + 1);
  // A last segment with no wildcard and no extension names a folder: everything under it.
  const glob = /[*?]/.test(last) || last.includes(".") ? p : `${p}/**/*`;
  let re = "";
  for (let i = 0; i < glob.length; i++) {
    const c = glob[i]!;
    if (c === "*" && glob[i + 1] === "*" && glob[i + 2] === "/") (re += "(?:[^/]+/)*"), (i += 2);
    else if (c === "*") re += "[^/]*";
    else if (c === "?") re += "[^/]";
    else re += c.replace(/[.+^${}()|[\]\\]/g, "\\$&");
  }
  return new RegExp(`^${re}$`);
}

/** Folders TypeScript leaves out when a config has no `exclude`. */
const DEFAULT_EXCLUDES = ["node_modules", "bower_components", "jspm_packages"];

/** Whether tsx applies `config` to `file` (its `files`, `include` and `exclude`, as TypeScript reads them). */
export function tsconfigSelects(config: ProjectTsconfig, file: string): boolean {
  const f = file.replace(/\\/g, "/");
  if (config.files?.some((p) => p.replace(/\\/g, "/") === f)) return true;
  const dir = dirname(config.path);
  const include = config.include ?? (config.files ? [] : [join(dir, "**/*")]);
  if (!include.some((p) => patternRegExp(p).test(f))) return false;
  const outDir = typeof config.compilerOptions.outDir === "string" ? [resolve(dir, config.compilerOptions.outDir)] : [];
  const exclude = config.exclude ?? [...DEFAULT_EXCLUDES.map((e) => join(dir, e)), ...outDir];
  return !exclude.some((p) => patternRegExp(p).test(f));
}

/** The `paths` that make `import "revue"` (and its JSX runtime) resolve to a source checkout's `src/`. */
export function checkoutPaths(root: string): Record<string, string[]> {
  return {
    revue: [join(root, "src/index.ts")],
    "revue/internals": [join(root, "src/internals.ts")],
    "revue/compat": [join(root, "src/compat.ts")],
    "revue/testing": [join(root, "src/testing/index.ts")],
    "revue/redis": [join(root, "src/redis/index.ts")],
    "revue/ui": [join(root, "src/ui/index.ts")],
    "revue/jsx-runtime": [join(root, "src/jsx-runtime.ts")],
    "revue/jsx-dev-runtime": [join(root, "src/jsx-runtime.ts")],
  };
}

/**
 * The tsconfig `revue dev` gives tsx for `entry`, or undefined when the
 * project's own tsconfig already selects it (then tsx reads that one, as
 * without Revue). The generated one extends the project's, so its settings
 * keep applying to the project's files; it also selects the entry's folder,
 * and sets Revue's defaults for what the project leaves unset. From a source
 * checkout (`checkoutRoot`), `revue` resolves to that checkout's sources
 * unless the project maps it itself.
 *
 * @example
 * const project = findTsconfig(process.cwd());
 * const config = devTsconfig("/tmp/demo/app.tsx", project && readTsconfig(project));
 * // { compilerOptions: { experimentalDecorators: true, jsx: "react-jsx", ... }, include: ["/tmp/demo/**\/*"] }
 */
export function devTsconfig(entry: string, project?: ProjectTsconfig, checkoutRoot?: string): Record<string, unknown> | undefined {
  if (project && tsconfigSelects(project, entry)) return undefined;
  const compilerOptions: Record<string, unknown> = {};
  for (const [key, value] of Object.entries(REVUE_COMPILER_DEFAULTS)) {
    if (project?.compilerOptions[key] === undefined) compilerOptions[key] = value;
  }
  // Without a project, tsx's own target would be fine, but decorators need ES2022 class fields.
  if (!project) Object.assign(compilerOptions, { target: "ES2022", module: "NodeNext", moduleResolution: "NodeNext", strict: true });
  if (checkoutRoot && !project?.compilerOptions.paths) compilerOptions.paths = checkoutPaths(checkoutRoot);
  const here = join(dirname(entry), "**/*");
  const config: Record<string, unknown> = { compilerOptions };
  if (project) {
    config.extends = project.path;
    const own = project.include ?? (project.files ? [] : [join(dirname(project.path), "**/*")]);
    config.include = [...own, here];
    if (project.files) config.files = project.files;
    // An exclude that leaves the entry out would leave it out again.
    if (project.exclude) config.exclude = project.exclude.filter((p) => !patternRegExp(p).test(entry.replace(/\\/g, "/")));
  } else config.include = [here];
  return config;
}
