import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join, relative } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { runCli } from "../../src/cli/main.js";
import { createProject, packageName, revueDependency } from "../../src/cli/new-project.js";

const root = mkdtempSync(join(tmpdir(), "revue-new-"));
afterAll(() => rmSync(root, { recursive: true, force: true }));
const repoPkg = JSON.parse(readFileSync(new URL("../../package.json", import.meta.url), "utf8")) as { version: string; devDependencies: Record<string, string> };
const json = (path: string) => JSON.parse(readFileSync(path, "utf8"));

function capture() {
  const io = { outText: "", errText: "", out: (l: string) => void (io.outText += l + "\n"), err: (l: string) => void (io.errText += l + "\n") };
  return io;
}

describe("revue new", () => {
  it("writes an ES-module project whose scripts start, develop and test the app", () => {
    const dir = join(root, "My Counter");
    const files = createProject(dir);
    expect(files).toEqual([".gitignore", "README.md", "package.json", "src/app.ts", "src/server.ts", "test/app.test.ts", "tsconfig.build.json", "tsconfig.json", "vitest.config.ts"]);
    const pkg = json(join(dir, "package.json"));
    expect(pkg).toMatchObject({ name: "my-counter", type: "module", private: true, dependencies: { revue: `^${repoPkg.version}` } });
    expect(pkg.scripts).toEqual({ start: "node --import tsx src/server.ts", dev: "revue dev src/server.ts", test: "tsc --noEmit && vitest run", build: "tsc -p tsconfig.build.json" });
    for (const tool of ["tsx", "typescript", "vitest", "jsdom", "@types/node"]) expect(pkg.devDependencies[tool]).toBe(repoPkg.devDependencies[tool]);
    expect(pkg.allowScripts).toEqual({ esbuild: false }); // npm 11 would warn about esbuild's install script at every install
    const ts = json(join(dir, "tsconfig.json"));
    expect(ts.compilerOptions).toMatchObject({ experimentalDecorators: true, jsx: "react-jsx", jsxImportSource: "revue", module: "NodeNext" });
    expect(ts.include).toEqual(["src", "test"]);
    expect(json(join(dir, "tsconfig.build.json"))).toEqual({ extends: "./tsconfig.json", compilerOptions: { noEmit: false, outDir: "dist", rootDir: "src" }, include: ["src"] });
    const readme = readFileSync(join(dir, "README.md"), "utf8");
    expect(readme).toContain("npm install && npm start");
    expect(readme).toContain("npm test");
    expect(readme).toContain("# my-counter");
    expect(readFileSync(join(dir, "src/server.ts"), "utf8")).toContain("process.env.PORT ?? 3000");
    expect(readFileSync(join(dir, "src/server.ts"), "utf8")).toContain("srv.close()");
    expect(readFileSync(join(dir, "src/app.ts"), "utf8")).not.toContain("{{");
    expect(readFileSync(join(dir, "test/app.test.ts"), "utf8")).toContain('from "revue/testing"');
    expect(existsSync(join(dir, "gitignore"))).toBe(false);
  });

  it("writes the revue dependency it is given (a packed tarball in CI)", () => {
    const dir = join(root, "from-tarball");
    createProject(dir, { revue: "file:/tmp/revue-0.1.0.tgz" });
    expect(json(join(dir, "package.json")).dependencies).toEqual({ revue: "file:/tmp/revue-0.1.0.tgz" });
  });

  it("reads a relative --revue file: path from the current folder and writes it relative to the project; refuses one found nowhere", async () => {
    const tgz = join(root, "packs", "revue-0.1.0.tgz");
    mkdirSync(dirname(tgz), { recursive: true });
    writeFileSync(tgz, "");
    const fromHere = `file:${relative(process.cwd(), tgz)}`;
    const dir = join(root, "apps", "desk");
    createProject(dir, { revue: fromHere });
    expect(json(join(dir, "package.json")).dependencies).toEqual({ revue: "file:../../packs/revue-0.1.0.tgz" });
    // The form the README once showed, relative to the project, still works.
    expect(revueDependency("file:../../packs/revue-0.1.0.tgz", join(root, "apps", "other"))).toBe("file:../../packs/revue-0.1.0.tgz");
    expect(() => revueDependency("file:nowhere/revue.tgz", join(root, "apps", "third"))).toThrow(/there is no .*nowhere\/revue\.tgz \(a relative path is read from the current folder\)/);
    expect(revueDependency("^0.1.0", dir)).toBe("^0.1.0");
  });

  it("refuses a folder that holds anything, and writes nothing into it", async () => {
    const dir = join(root, "taken");
    mkdirSync(dir);
    writeFileSync(join(dir, "notes.txt"), "mine");
    const io = capture();
    expect(await runCli(["new", dir], io)).toBe(1);
    expect(io.errText).toContain(`revue new: ${dir} is not empty (it holds notes.txt)`);
    expect(io.errText).toContain("Pick another name");
    expect(existsSync(join(dir, "package.json"))).toBe(false);
  });

  it("creates the folder when it does not exist and prints the next commands", async () => {
    const io = capture();
    expect(await runCli(["new", join(root, "fresh", "app")], io)).toBe(0);
    expect(io.outText).toContain("npm install && npm start");
    expect(existsSync(join(root, "fresh/app/src/app.ts"))).toBe(true);
    // The registry's "revue" is another package until this one is published: said, with the way out.
    expect(io.outText).toMatch(/from the npm registry, where "revue" is not this framework yet.*--revue file:<path to the \.tgz>/);
    const given = capture();
    expect(await runCli(["new", join(root, "fresh", "other"), "--revue", `file:${join(root, "revue.tgz")}`], given)).toBe(0);
    expect(given.outText).not.toContain("npm registry");
  });

  it("makes an npm name of any folder name", () => {
    expect(packageName("/x/My App!")).toBe("my-app");
    expect(packageName("/x/.hidden")).toBe("hidden");
    expect(packageName("/x/@@@")).toBe("revue-app");
  });
});
