import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach, describe, expect, it } from "vitest";
import { devTsconfig, findTsconfig, parseJsonc, readTsconfig, REVUE_COMPILER_DEFAULTS, tsconfigSelects } from "../../src/cli/tsconfig.js";

const dirs: string[] = [];
function project(files: Record<string, string>): string {
  const dir = mkdtempSync(join(tmpdir(), "revue-tsconfig-"));
  dirs.push(dir);
  for (const [name, text] of Object.entries(files)) {
    mkdirSync(join(dir, name, ".."), { recursive: true });
    writeFileSync(join(dir, name), text);
  }
  return dir;
}
afterEach(() => {
  for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true });
});

describe("reading a project's tsconfig", () => {
  it("parses comments and trailing commas, leaving strings that look like comments alone", () => {
    expect(parseJsonc(`{ // a comment\n "a": "x // y /* z */", /* b */ "b": [1, 2,], }`)).toEqual({ a: "x // y /* z */", b: [1, 2] });
  });

  it("finds the nearest tsconfig.json above the current folder, as tsx does", () => {
    const dir = project({ "tsconfig.json": "{}", "apps/chat/app.ts": "" });
    expect(findTsconfig(join(dir, "apps/chat"))).toBe(join(dir, "tsconfig.json"));
  });

  it("follows extends: options merge, include comes from the config that sets it, relative to that config", () => {
    const dir = project({
      "base/tsconfig.json": `{ "compilerOptions": { "jsx": "react-jsx", "experimentalDecorators": false }, "include": ["../lib"] }`,
      "tsconfig.json": `{ "extends": "./base/tsconfig.json", "compilerOptions": { "strict": true } }`,
    });
    const config = readTsconfig(join(dir, "tsconfig.json"));
    expect(config.compilerOptions).toEqual({ jsx: "react-jsx", experimentalDecorators: false, strict: true });
    expect(config.include).toEqual([join(dir, "lib")]);
  });
});

describe("which files a tsconfig selects", () => {
  const dir = "/p";
  const config = (c: Partial<Parameters<typeof tsconfigSelects>[0]>) => ({ path: "/p/tsconfig.json", compilerOptions: {}, ...c });

  it("selects files under an included folder, and not outside it", () => {
    const c = config({ include: ["/p/src", "/p/examples"] });
    expect(tsconfigSelects(c, "/p/src/app.ts")).toBe(true);
    expect(tsconfigSelects(c, "/p/examples/chat/app.tsx")).toBe(true);
    expect(tsconfigSelects(c, "/p/scratch/app.tsx")).toBe(false);
    expect(tsconfigSelects(c, "/p/srcs/app.ts")).toBe(false);
  });

  it("reads * and ** in patterns, and exclude wins over include", () => {
    const c = config({ include: ["/p/**/*.ts"], exclude: ["/p/test/standard"] });
    expect(tsconfigSelects(c, "/p/a/b/c.ts")).toBe(true);
    expect(tsconfigSelects(c, "/p/a/b/c.tsx")).toBe(false);
    expect(tsconfigSelects(c, "/p/test/standard/x.ts")).toBe(false);
  });

  it("selects everything under its folder by default, minus node_modules", () => {
    const c = config({});
    expect(tsconfigSelects(c, `${dir}/anything/app.tsx`)).toBe(true);
    expect(tsconfigSelects(c, `${dir}/node_modules/x/index.ts`)).toBe(false);
    expect(tsconfigSelects(c, "/elsewhere/app.tsx")).toBe(false);
  });

  it("with only files, selects those files", () => {
    const c = config({ files: ["/p/main.ts"] });
    expect(tsconfigSelects(c, "/p/main.ts")).toBe(true);
    expect(tsconfigSelects(c, "/p/other.ts")).toBe(false);
  });
});

describe("the tsconfig revue dev gives tsx", () => {
  it("is none when the project's tsconfig selects the entry (tsx reads the project's)", () => {
    const dir = project({ "tsconfig.json": `{ "include": ["src"] }` });
    expect(devTsconfig(join(dir, "src/app.tsx"), readTsconfig(join(dir, "tsconfig.json")))).toBeUndefined();
  });

  it("for an entry outside the project's include: extends it, selects both, and fills in Revue's defaults the project leaves unset", () => {
    const dir = project({ "tsconfig.json": `{ "compilerOptions": { "experimentalDecorators": false, "strict": true }, "include": ["src"], "exclude": ["scratch"] }` });
    const entry = join(dir, "scratch/app.tsx");
    const config = devTsconfig(entry, readTsconfig(join(dir, "tsconfig.json")))!;
    expect(config.extends).toBe(join(dir, "tsconfig.json"));
    // The project chose TC39 decorators: the entry gets the same mode, not a silent switch.
    expect(config.compilerOptions).toEqual({ useDefineForClassFields: true, jsx: "react-jsx", jsxImportSource: "revue" });
    expect(config.include).toEqual([join(dir, "src"), join(dir, "scratch/**/*")]);
    // An exclude that would leave the entry out is dropped.
    expect(config.exclude).toEqual([]);
    expect(tsconfigSelects({ path: join(dir, "gen.json"), compilerOptions: {}, include: config.include as string[] }, entry)).toBe(true);
  });

  it("without any project tsconfig: Revue's defaults for the entry's folder, and revue resolved to a checkout's sources", () => {
    const config = devTsconfig("/tmp/demo/app.tsx", undefined, "/repo")!;
    expect(config.extends).toBeUndefined();
    expect(config.compilerOptions).toMatchObject({ ...REVUE_COMPILER_DEFAULTS, target: "ES2022" });
    expect((config.compilerOptions as { paths: Record<string, string[]> }).paths["revue/jsx-runtime"]).toEqual(["/repo/src/jsx-runtime.ts"]);
    expect(config.include).toEqual(["/tmp/demo/**/*"]);
  });
});
