import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { commonJsProblem } from "../../src/cli/module-format.js";

const root = mkdtempSync(join(tmpdir(), "revue-format-"));
afterAll(() => rmSync(root, { recursive: true, force: true }));
function dir(name: string, pkg?: object): string {
  const d = join(root, name);
  mkdirSync(d, { recursive: true });
  if (pkg) writeFileSync(join(d, "package.json"), JSON.stringify(pkg));
  return d;
}

describe("telling a CommonJS project apart", () => {
  it('accepts a .ts file under a package.json with "type": "module"', () => {
    expect(commonJsProblem(join(dir("esm", { type: "module" }), "src/app.ts"))).toBeUndefined();
  });

  it('names the package.json to fix when it has no "type": "module" (npm init -y)', () => {
    const d = dir("cjs", { name: "cjs", version: "1.0.0" });
    const problem = commonJsProblem(join(d, "counter.ts"), d)!;
    expect(problem).toContain("counter.ts would run as CommonJS");
    expect(problem).toContain('add "type": "module" to package.json');
    expect(problem).toContain("counter.mts");
  });

  it("says so when no package.json is above the file at all", () => {
    expect(commonJsProblem(join(dir("loose"), "app.ts"))).toContain("there is no package.json above it");
  });

  it("looks only at the nearest package.json, as Node does", () => {
    dir("outer", { type: "module" });
    const inner = dir("outer/inner", { name: "inner" });
    expect(commonJsProblem(join(inner, "app.ts"))).toContain("has no \"type\": \"module\"");
  });

  it("accepts .mts files anywhere, and refuses .cts ones", () => {
    const d = dir("mixed", { name: "mixed" });
    expect(commonJsProblem(join(d, "app.mts"))).toBeUndefined();
    expect(commonJsProblem(join(d, "app.cts"), d)).toContain("Rename it app.mts");
  });
});
