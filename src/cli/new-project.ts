import { cpSync, existsSync, mkdirSync, readdirSync, readFileSync, renameSync, statSync, writeFileSync } from "node:fs";
import { basename, isAbsolute, join, relative, resolve, sep } from "node:path";
import { packageRoot } from "./paths.js";

/**
 * `revue new <dir>`: a project that runs as it is, with the two commands of
 * its README (`npm install && npm start`, `npm test`). The files come from
 * `templates/new/` (shipped in the package); package.json and tsconfig.json
 * are written here, from this package's own version and dev tool versions.
 */

/** Options of {@link createProject}. */
export interface NewProjectOptions {
  /**
   * The `revue` dependency to write (default `^<this version>`); tests pass `file:<packed tarball>`.
   * A relative `file:` path is read from the current folder, as a shell means it, and written
   * relative to the project, where npm reads it.
   */
  revue?: string;
}

/**
 * `spec` as the new project's package.json needs it: a relative `file:` path
 * found from the current folder is rewritten relative to `target` (npm reads
 * it from there); one found only from `target` stays; one found from neither
 * is refused, naming both places. Versions, tags and absolute paths stay.
 *
 * @example
 * revueDependency("file:revue-0.1.0.tgz", "/home/ada/my-app") // "file:../revue-0.1.0.tgz", run in /home/ada
 */
export function revueDependency(spec: string, target: string): string {
  const path = spec.startsWith("file:") ? spec.slice(5) : undefined;
  if (path === undefined || path === "" || isAbsolute(path)) return spec;
  const here = resolve(path);
  if (existsSync(here)) return `file:${relative(target, here).split(sep).join("/") || "."}`;
  if (existsSync(resolve(target, path))) return spec;
  throw new Error(`--revue ${spec}: there is no ${here} (a relative path is read from the current folder). Run npm pack in Revue's checkout and pass the .tgz it writes, e.g. --revue file:./revue-0.1.0.tgz.`);
}

/** The dev tools a new project needs, at the versions this package is built and tested with. */
const DEV_TOOLS = ["tsx", "typescript", "vitest", "jsdom", "@types/node"];

/** The compiler settings of a new project: Revue's decorator mode and JSX, ES modules, strict. */
export const PROJECT_TSCONFIG = {
  compilerOptions: {
    target: "ES2022",
    lib: ["ES2023", "DOM", "DOM.Iterable"],
    module: "NodeNext",
    moduleResolution: "NodeNext",
    strict: true,
    experimentalDecorators: true,
    useDefineForClassFields: true,
    jsx: "react-jsx",
    jsxImportSource: "revue",
    types: ["node"],
    skipLibCheck: true,
    noEmit: true,
  },
  include: ["src", "test"],
};

/** What `npm run build` compiles: the app's sources (not its tests) into dist/, for `node dist/server.js`. */
export const PROJECT_BUILD_TSCONFIG = {
  extends: "./tsconfig.json",
  compilerOptions: { noEmit: false, outDir: "dist", rootDir: "src" },
  include: ["src"],
};

/** An npm package name made from a folder name ("My App" → "my-app"). */
export function packageName(dir: string): string {
  const name = basename(resolve(dir))
    .toLowerCase()
    .replace(/[^a-z0-9._~-]+/g, "-")
    .replace(/^[._-]+|-+$/g, "");
  return name || "revue-app";
}

/**
 * Writes a new project into `dir` (created if missing; refused if it holds
 * anything) and returns the paths written, relative to it.
 *
 * @example
 * createProject("my-app");                                   // depends on revue ^<this version>
 * createProject("/tmp/t", { revue: "file:/tmp/revue-0.1.0.tgz" });
 */
export function createProject(dir: string, options: NewProjectOptions = {}): string[] {
  const target = resolve(dir);
  if (existsSync(target)) {
    if (!statSync(target).isDirectory()) throw new Error(`${dir} is a file. Pass the name of a new folder: revue new my-app`);
    const entries = readdirSync(target);
    if (entries.length > 0) {
      const shown = entries.slice(0, 3).join(", ") + (entries.length > 3 ? `, … (${entries.length} entries)` : "");
      throw new Error(`${dir} is not empty (it holds ${shown}); revue new only writes into a new or empty folder, so nothing of yours is overwritten. Pick another name, or empty it first.`);
    }
  }
  const own = JSON.parse(readFileSync(join(packageRoot, "package.json"), "utf8")) as { version: string; devDependencies?: Record<string, string> };
  const devDependencies: Record<string, string> = {};
  for (const tool of DEV_TOOLS) {
    const range = own.devDependencies?.[tool];
    if (!range) throw new Error(`revue's package.json has no devDependencies.${tool}: the package is damaged; reinstall it.`);
    devDependencies[tool] = range;
  }
  const name = packageName(target);
  const pkg = {
    name,
    version: "0.1.0",
    private: true,
    // Revue apps are ES modules (top-level await, import "revue"); without this Node runs .ts files as CommonJS.
    type: "module",
    engines: { node: ">=20.19" },
    scripts: {
      // One process: the tsx CLI runs the app in a child, which a kill -9 of the pid npm shows leaves holding the port.
      start: "node --import tsx src/server.ts",
      dev: "revue dev src/server.ts",
      test: "tsc --noEmit && vitest run",
      // Compiled ahead, for a host that runs plain node: npm run build && node dist/server.js.
      build: "tsc -p tsconfig.build.json",
    },
    dependencies: { revue: options.revue === undefined ? `^${own.version}` : revueDependency(options.revue, target) },
    devDependencies,
    // tsx and vite bring esbuild, whose install script only checks its binary: declined here, so npm 11 does not warn about it at every install.
    allowScripts: { esbuild: false },
  };

  const templates = join(packageRoot, "templates/new");
  if (!existsSync(templates)) throw new Error(`${templates} is missing: the revue package is damaged; reinstall it.`);
  mkdirSync(target, { recursive: true });
  cpSync(templates, target, { recursive: true });
  const written = listFiles(target);
  for (const file of written) {
    const path = join(target, file);
    writeFileSync(path, readFileSync(path, "utf8").replaceAll("{{name}}", name));
  }
  // npm leaves a `.gitignore` out of published packages, so the template is `gitignore`.
  if (written.includes("gitignore")) {
    renameSync(join(target, "gitignore"), join(target, ".gitignore"));
    written[written.indexOf("gitignore")] = ".gitignore";
  }
  writeFileSync(join(target, "package.json"), JSON.stringify(pkg, null, 2) + "\n");
  writeFileSync(join(target, "tsconfig.json"), JSON.stringify(PROJECT_TSCONFIG, null, 2) + "\n");
  writeFileSync(join(target, "tsconfig.build.json"), JSON.stringify(PROJECT_BUILD_TSCONFIG, null, 2) + "\n");
  return ["package.json", "tsconfig.build.json", "tsconfig.json", ...written].sort();
}

function listFiles(dir: string, base = dir): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((e) =>
    e.isDirectory() ? listFiles(join(dir, e.name), base) : [relative(base, join(dir, e.name))],
  );
}
