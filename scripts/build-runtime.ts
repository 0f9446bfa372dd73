import { mkdirSync, writeFileSync } from "node:fs";
import { gzipSync } from "node:zlib";
import { bundleFromSource, testingRuntimeFromSource } from "../src/server/runtime-bundle.js";

// `npm run build` step: writes the minified browser runtime to dist/runtime.js
// (and the chunks it imports lazily beside it), which an installed package
// serves without esbuild.
const bundle = await bundleFromSource(process.cwd());
if (bundle === undefined) {
  console.error("build-runtime: client/index.ts or esbuild is missing; run it from the repository after npm install.");
  process.exit(1);
}
mkdirSync("dist", { recursive: true });
for (const { file, code } of [{ file: "runtime.js", code: bundle.code }, ...bundle.chunks]) {
  writeFileSync(`dist/${file}`, code);
  console.log(`dist/${file}: ${code.length} bytes, ${gzipSync(code, { level: 9 }).length} gzipped`);
}
// The same runtime as a classic script for revue/testing, which runs it inside jsdom.
const testing = await testingRuntimeFromSource(process.cwd());
if (testing !== undefined) {
  writeFileSync("dist/testing-runtime.js", testing);
  console.log(`dist/testing-runtime.js: ${testing.length} bytes`);
}
