import { createHash } from "node:crypto";
import { existsSync, readFileSync } from "node:fs";
import { readFile } from "node:fs/promises";
import { fileURLToPath } from "node:url";

/**
 * The browser runtime (`window.rv`) as one minified ES module: client/index.ts
 * with eventemitter3 and the patch applier, served as
 * `{base}/rv/runtime.<hash>.js`.
 *
 * In a source checkout it is bundled on first use with esbuild (a dev
 * dependency, loaded lazily); a published package ships it prebuilt as
 * `dist/runtime.js` (written by `npm run build`) and never needs esbuild.
 */

/** A built runtime: its code, content hash and hashed file name. */
export interface RuntimeAsset {
  code: string;
  hash: string;
  /** `runtime.<hash>.js`. */
  file: string;
}

/** The package root (this file is `src/server/…` in a checkout, `dist/src/server/…` when built). */
function packageRoot(): string {
  // Under a test runner's browser-like environment (vitest + jsdom) import.meta.url
  // may not be a file: URL; import.meta.dirname still names the folder.
  const url = new URL(".", import.meta.url);
  const here = url.protocol === "file:" ? fileURLToPath(url) : ((import.meta as { dirname?: string }).dirname ?? process.cwd());
  return here.replace(/[\\/](?:dist[\\/])?src[\\/]server[\\/]?$/, "");
}

let cached: Promise<RuntimeAsset> | undefined;

function asset(code: string): RuntimeAsset {
  const hash = createHash("sha256").update(code).digest("hex").slice(0, 12);
  return { code, hash, file: `runtime.${hash}.js` };
}

/** eventemitter3's CommonJS export, the one line that keeps its source from being an ES module. */
const EE3_EXPORT = /\bif \('undefined' !== typeof module\) \{\s*module\.exports = EventEmitter;\s*\}/;
/** eventemitter3's own `emit`, which the runtime's bus overrides without ever calling it (see client/bus.ts). */
const EE3_EMIT = /\nEventEmitter\.prototype\.emit = function emit\([\s\S]*?\n\};\n/;

/**
 * eventemitter3 ships CommonJS: its "import" entry and its dist ESM build both
 * wrap that in interop code. This loads its `index.js` as the ES module it
 * almost is (the `module.exports` line becomes an export), so esbuild bundles
 * it like the runtime's own code. Its `emit` is left out: `Bus` overrides it
 * and never calls it, so it is unreachable on `window.rv`; every other method
 * (`on`, `once`, `off`, `listeners`, `listenerCount`, `eventNames`,
 * `removeAllListeners`, …) is eventemitter3's, unchanged. An eventemitter3 laid
 * out differently is bundled as published (bigger, same behaviour).
 */
const eventemitter3AsModule: import("esbuild").Plugin = {
  name: "revue-eventemitter3-as-module",
  setup(build) {
    build.onLoad({ filter: /[\\/]eventemitter3[\\/]index\.js$/ }, async (args) => {
      const src = await readFile(args.path, "utf8");
      const esm = src.replace(EE3_EXPORT, "export { EventEmitter as default, EventEmitter };");
      return esm === src ? undefined : { contents: esm.replace(EE3_EMIT, "\n"), loader: "js" };
    });
  },
};

/**
 * Bundles client/index.ts with esbuild. Returns undefined when esbuild is not
 * installed (a production install), so the caller can fall back to dist/.
 */
export async function bundleFromSource(root: string = packageRoot()): Promise<string | undefined> {
  const entry = `${root}/client/index.ts`;
  if (!existsSync(entry)) return undefined;
  let esbuild: typeof import("esbuild");
  try {
    esbuild = await import("esbuild");
  } catch {
    return undefined;
  }
  const out = await esbuild.build({
    entryPoints: [entry],
    bundle: true,
    minify: true,
    format: "esm",
    target: "es2020",
    platform: "browser",
    write: false,
    legalComments: "none",
    absWorkingDir: root,
    plugins: [eventemitter3AsModule],
    // Plain assignments instead of ES2020-lowered defineProperty helpers: same
    // behaviour for these classes, noticeably fewer bytes.
    tsconfigRaw: { compilerOptions: { useDefineForClassFields: false } },
  });
  return out.outputFiles![0]!.text;
}

async function bundle(root: string): Promise<string> {
  // Sources first: in a checkout a stale dist/runtime.js must never win over client/.
  const fresh = await bundleFromSource(root);
  if (fresh !== undefined) return fresh;
  const prebuilt = `${root}/dist/runtime.js`;
  if (existsSync(prebuilt)) return readFileSync(prebuilt, "utf8");
  throw new Error(
    `Revue: the browser runtime cannot be served: ${prebuilt} is missing and bundling client/index.ts needs the sources and esbuild. ` +
      `Run "npm run build" in the revue package, or reinstall it.`,
  );
}

/**
 * Builds (once per process; later calls share the result) the browser runtime.
 *
 * @example
 * const { code, file } = await buildRuntime();
 * router.get(`/rv/${file}`, (ctx) => { ctx.type = "js"; ctx.body = code; });
 */
export function buildRuntime(): Promise<RuntimeAsset> {
  cached ??= bundle(packageRoot()).then(asset);
  // A failed build is not cached: the next request may find esbuild installed.
  cached.catch(() => (cached = undefined));
  return cached;
}
