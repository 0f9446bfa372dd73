import { gzipSync } from "node:zlib";
import { describe, expect, it } from "vitest";
import { buildRuntime } from "../../src/server/runtime-bundle.js";

/** The runtime budget (issue 5): 6 KB gzipped, eventemitter3 and the applier included. */
const BUDGET = 6 * 1024;

describe("the browser runtime bundle", () => {
  it(`stays within ${BUDGET} bytes gzipped`, async () => {
    const { code, file } = await buildRuntime();
    const size = gzipSync(code, { level: 9 }).length;
    console.log(`${file}: ${code.length} bytes minified, ${size} bytes gzipped (budget ${BUDGET}, ${BUDGET - size} to spare)`);
    expect(size).toBeLessThanOrEqual(BUDGET);
  }, 30_000);

  it("is one ES module that uses neither eval nor new Function", async () => {
    const { code, file } = await buildRuntime();
    expect(file).toMatch(/^runtime\.[0-9a-f]{12}\.js$/);
    expect(code).not.toMatch(/\beval\(|new Function\b|\brequire\(/);
    expect(code).toMatch(/window\.rv=/);
  });
});
