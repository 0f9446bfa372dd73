import { createHash } from "node:crypto";
import { existsSync, mkdirSync, readFileSync, renameSync, writeFileSync } from "node:fs";
import { fileURLToPath } from "node:url";
import { gzipSync } from "node:zlib";

/**
 * The browser runtime (`window.rv`) as one minified ES module: client/index.ts
 * with the patch applier, served as
 * `{base}/rv/runtime.<hash>.js`. Code only some pages need (client/upload.ts)
 * is split into chunks the runtime imports on first use, by a relative URL
 * with a content hash (`./upload-<hash>.js`), served beside it.
 *
 * In a source checkout it is bundled on first use with esbuild (a dev
 * dependency, loaded lazily); a published package ships it prebuilt as
 * `dist/runtime.js` plus its chunks (written by `npm run build`) and never
 * needs esbuild.
 */

/** A file the runtime imports lazily, served under `{base}/rv/` beside it. */
export interface RuntimeChunk {
  /** `upload-<hash>.js`: the name the runtime imports it by. */
  file: string;
  code: string;
}

/** A built runtime: its code, content hash and hashed file name, and its lazy chunks. */
export interface RuntimeAsset {
  code: string;
  hash: string;
  /** `runtime.<hash>.js`. */
  file: string;
  chunks: readonly RuntimeChunk[];
}

/** What esbuild produces: the runtime's code and its chunks. */
export interface RuntimeBundle {
  code: string;
  chunks: RuntimeChunk[];
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

function asset({ code, chunks }: RuntimeBundle): RuntimeAsset {
  const hash = createHash("sha256").update(code).digest("hex").slice(0, 12);
  return { code, hash, file: `runtime.${hash}.js`, chunks };
}

/**
 * Property names only the runtime's own objects carry (the queue's calls and
 * host, the stream's host, options and handlers, the event delegation, the
 * runtime's options, and `agreed`, which the runtime puts on the text fields
 * it watches), which the bundle shortens to a letter or two: −105 B
 * gzipped. Never a name of the wire (src/protocol.ts, the boot block), of
 * `window.rv`, of a client module, or of a DOM or built-in object, `dataset`
 * included (the shortened name would miss it: `gone` once blanked #rv-rc's
 * give-up words); test/client/bundle.test.ts checks the DOM's and dataset's.
 * The testing runtime keeps them (revue/testing passes its own transport).
 */
export const INTERNAL_PROPS = [
  "tries", "resent", "failed", "post", "retryAfterMs",
  "dropped", "acked", "extra", "gaveUp", "renewed", "opened", "renew", "fail", "init", "backoffMs",
  "scan", "flush", "callback", "transport", "applier", "typingMs", "agreed",
];

/** The chunk files a runtime's code imports (`import("./upload-AB12CD34.js")`). */
const CHUNK_IMPORT = /\bimport\(\s*["']\.\/([\w.-]+\.js)["']\s*\)/g;

/**
 * Bundles client/index.ts (and its lazy chunks) with esbuild. Returns
 * undefined when esbuild is not installed (a production install), so the
 * caller can fall back to dist/.
 */
export async function bundleFromSource(root: string = packageRoot()): Promise<RuntimeBundle | undefined> {
  const entry = `${root}/client/index.ts`;
  const esbuild = existsSync(entry) ? await optionalEsbuild() : undefined;
  if (!esbuild) return undefined;
  const out = await esbuild.build({
    entryPoints: [entry],
    bundle: true,
    minify: true,
    format: "esm",
    // A dynamic import() becomes its own file, fetched when first called.
    splitting: true,
    // Nothing is written (write: false); esbuild only needs a folder to name the files after.
    outdir: `${root}/.rv-out`,
    entryNames: "runtime",
    chunkNames: "[name]-[hash]",
    target: "es2020",
    platform: "browser",
    write: false,
    legalComments: "none",
    absWorkingDir: root,
    mangleProps: new RegExp(`^(${INTERNAL_PROPS.join("|")})$`),
    // Plain assignments instead of ES2020-lowered defineProperty helpers: same
    // behaviour for these classes, noticeably fewer bytes.
    tsconfigRaw: { compilerOptions: { useDefineForClassFields: false } },
  });
  const files = await smaller(
    root,
    out.outputFiles!.map((f) => ({ file: f.path.replace(/^.*[\\/]/, ""), code: f.text })),
  );
  const main = files.find((f) => f.file === "runtime.js")!;
  return { code: main.code, chunks: files.filter((f) => f !== main) };
}

/** Terser's settings for the runtime; with {@link SMALLER_VERSION} (raised when `smaller` changes what it keeps) they key its cache. */
const TERSER = { module: true, ecma: 2020, compress: { passes: 2 }, format: { comments: false } } as const;
const SMALLER_VERSION = 1;

/**
 * esbuild's output minified again by terser, whose compressor folds more
 * (statement sequences, inlined constants, returns of conditionals): the
 * runtime −211 B gzipped (6,140 → 5,929). Terser takes ≈ 0.2 s, so a checkout
 * keeps its output under node_modules/.cache by the hash of esbuild's (every
 * test process, and `revue dev` at each restart, would pay it). Without terser
 * (not installed) esbuild's output is served as it is.
 */
async function smaller(root: string, files: RuntimeChunk[]): Promise<RuntimeChunk[]> {
  const key = createHash("sha256").update(JSON.stringify([SMALLER_VERSION, TERSER, files])).digest("hex").slice(0, 16);
  const dir = `${root}/node_modules/.cache/revue`;
  const cache = `${dir}/runtime-${key}.json`;
  try {
    return JSON.parse(readFileSync(cache, "utf8")) as RuntimeChunk[];
  } catch {}
  let terser: typeof import("terser");
  try {
    terser = await import("terser");
  } catch {
    return files;
  }
  const out: RuntimeChunk[] = [];
  for (const { file, code } of files) {
    const min = (await terser.minify(code, TERSER)).code;
    // The smaller as served (gzipped): on the smallest chunks terser's output gzips a few bytes larger.
    out.push({ file, code: min !== undefined && gzipSync(min).length < gzipSync(code).length ? min : code });
  }
  try {
    mkdirSync(dir, { recursive: true });
    // Written whole, then renamed: a process reading it meanwhile sees the old file or none.
    const tmp = `${cache}.${process.pid}`;
    writeFileSync(tmp, JSON.stringify(out));
    renameSync(tmp, cache);
  } catch {} // a read-only checkout minifies in each process
  return out;
}

async function bundle(root: string): Promise<RuntimeBundle> {
  // Sources first: in a checkout a stale dist/runtime.js must never win over client/.
  const fresh = await bundleFromSource(root);
  if (fresh !== undefined) return fresh;
  const prebuilt = `${root}/dist/runtime.js`;
  if (existsSync(prebuilt)) {
    const code = readFileSync(prebuilt, "utf8");
    // The chunks sit beside it under the names its code imports them by.
    const chunks = [...code.matchAll(CHUNK_IMPORT)].map(([, file]) => ({ file: file!, code: readFileSync(`${root}/dist/${file}`, "utf8") }));
    return { code, chunks };
  }
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

/** Where the script of {@link buildTestingRuntime} puts `{ createRuntime, createApplier }` in the window it runs in. */
export const TESTING_RUNTIME_GLOBAL = "__revueRuntime";

/**
 * The runtime for `revue/testing`: client/runtime.ts and client/apply.ts as one
 * classic script that sets `window.__revueRuntime = { createRuntime, createApplier }`.
 * It is run inside each test page's jsdom window, so that the runtime's globals
 * (FormData, timers, console, JSON) are the page's own. Not minified: stack
 * traces in a failing test stay readable. Undefined without esbuild or sources.
 */
export async function testingRuntimeFromSource(root: string = packageRoot()): Promise<string | undefined> {
  const esbuild = existsSync(`${root}/client/runtime.ts`) ? await optionalEsbuild() : undefined;
  if (!esbuild) return undefined;
  const out = await esbuild.build({
    stdin: {
      contents: 'export { createRuntime } from "./client/runtime.ts"; export { createApplier } from "./client/apply.ts";',
      resolveDir: root,
      loader: "ts",
    },
    bundle: true,
    format: "iife",
    globalName: TESTING_RUNTIME_GLOBAL,
    target: "es2022",
    platform: "browser",
    write: false,
    legalComments: "none",
    absWorkingDir: root,
    tsconfigRaw: { compilerOptions: { useDefineForClassFields: false } },
  });
  return out.outputFiles![0]!.text;
}

let cachedTesting: Promise<string> | undefined;

/**
 * The script of {@link testingRuntimeFromSource}, built once per process:
 * from the sources in a checkout, else prebuilt `dist/testing-runtime.js`.
 *
 * @example
 * window.eval(await buildTestingRuntime());
 * const { createRuntime, createApplier } = window.__revueRuntime;
 */
export function buildTestingRuntime(): Promise<string> {
  cachedTesting ??= (async () => {
    const root = packageRoot();
    const fresh = await testingRuntimeFromSource(root);
    if (fresh !== undefined) return fresh;
    const prebuilt = `${root}/dist/testing-runtime.js`;
    if (existsSync(prebuilt)) return readFileSync(prebuilt, "utf8");
    throw new Error(
      `revue/testing: the page runtime cannot be loaded: ${prebuilt} is missing and bundling client/runtime.ts needs the sources and esbuild. ` +
        `Run "npm run build" in the revue package, or reinstall it.`,
    );
  })();
  cachedTesting.catch(() => (cachedTesting = undefined));
  return cachedTesting;
}

/** esbuild, or undefined where it is not installed (a production install serves the prebuilt bundles from dist/). */
async function optionalEsbuild(): Promise<typeof import("esbuild") | undefined> {
  try {
    return await import("esbuild");
  } catch {
    return undefined;
  }
}
