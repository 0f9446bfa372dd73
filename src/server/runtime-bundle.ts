import { createHash } from "node:crypto";
import { existsSync, readFileSync } from "node:fs";
import { createRequire } from "node:module";
import { dirname } from "node:path";
import { fileURLToPath } from "node:url";

/**
 * The browser runtime (`window.rv`) as one minified ES module: client/index.ts
 * with eventemitter3 and the patch applier, served as
 * `{base}/rv/runtime.<hash>.js`.
 *
 * A published package ships it prebuilt as `dist/runtime.js`; in a source
 * checkout it is bundled on first use with esbuild (a dev dependency, loaded
 * lazily so that production installs never need it).
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

async function bundle(root: string): Promise<string> {
  const prebuilt = `${root}/dist/runtime.js`;
  if (existsSync(prebuilt)) return readFileSync(prebuilt, "utf8");
  const entry = `${root}/client/index.ts`;
  if (!existsSync(entry)) throw new Error(`Revue: neither ${prebuilt} nor ${entry} exists; the browser runtime cannot be served. Reinstall the revue package.`);
  let esbuild: typeof import("esbuild");
  try {
    esbuild = await import("esbuild");
  } catch (err) {
    throw new Error(
      `Revue: bundling the browser runtime from ${entry} needs esbuild, which is not installed. ` +
        `Run "npm install --save-dev esbuild", or build dist/runtime.js ahead of time.`,
      { cause: err },
    );
  }
  // eventemitter3's "import" entry wraps its CommonJS build (and esbuild adds
  // interop helpers for it); its own ESM build is smaller.
  const ee3 = `${dirname(createRequire(entry).resolve("eventemitter3"))}/dist/eventemitter3.esm.js`;
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
    alias: existsSync(ee3) ? { eventemitter3: ee3 } : {},
    // Plain assignments instead of ES2020-lowered defineProperty helpers: same
    // behaviour for these classes, noticeably fewer bytes.
    tsconfigRaw: { compilerOptions: { useDefineForClassFields: false } },
  });
  return out.outputFiles![0]!.text;
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
