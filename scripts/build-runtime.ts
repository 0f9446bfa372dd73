import { mkdirSync, writeFileSync } from "node:fs";
import { gzipSync } from "node:zlib";
import { bundleFromSource } from "../src/server/runtime-bundle.js";

// `npm run build` step: writes the minified browser runtime to dist/runtime.js,
// which an installed package serves without esbuild.
const code = await bundleFromSource(process.cwd());
if (code === undefined) {
  console.error("build-runtime: client/index.ts or esbuild is missing; run it from the repository after npm install.");
  process.exit(1);
}
mkdirSync("dist", { recursive: true });
writeFileSync("dist/runtime.js", code);
console.log(`dist/runtime.js: ${code.length} bytes, ${gzipSync(code, { level: 9 }).length} gzipped`);
