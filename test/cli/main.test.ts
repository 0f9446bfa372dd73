import { spawnSync } from "node:child_process";
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { afterAll, describe, expect, it } from "vitest";
import { planDev } from "../../src/cli/dev.js";
import { DEV_USAGE, NEW_USAGE, runCli, USAGE } from "../../src/cli/main.js";

const repo = fileURLToPath(new URL("../..", import.meta.url));
const tmp = mkdtempSync(join(tmpdir(), "revue-cli-"));
afterAll(() => rmSync(tmp, { recursive: true, force: true }));

async function run(...args: string[]) {
  let out = "";
  let err = "";
  const code = await runCli(args, { out: (l) => void (out += l + "\n"), err: (l) => void (err += l + "\n") });
  return { code, out, err };
}

describe("the revue command", () => {
  it("prints its usage for --help, and for each command's --help, and exits 0", async () => {
    expect(await run("--help")).toEqual({ code: 0, out: USAGE + "\n", err: "" });
    expect(await run("dev", "--help")).toEqual({ code: 0, out: DEV_USAGE + "\n", err: "" });
    expect(await run("new", "-h")).toEqual({ code: 0, out: NEW_USAGE + "\n", err: "" });
    expect((await run("help", "dev")).out).toContain("--port N");
  });

  it("exits 2 with a message on bad usage", async () => {
    const none = await run();
    expect(none).toMatchObject({ code: 2, out: "" });
    expect(none.err).toContain("usage: revue <command>");
    const unknown = await run("serve", "app.ts");
    expect(unknown.code).toBe(2);
    expect(unknown.err).toContain('unknown command "serve"');
    const noTarget = await run("dev");
    expect(noTarget.code).toBe(2);
    expect(noTarget.err).toContain("revue dev: which app?");
    expect((await run("dev", "a.ts", "b.ts")).err).toContain("one app at a time");
    expect((await run("dev", "a.ts", "--port", "http")).err).toContain('the port must be a number from 1 to 65535, got "http"');
    expect((await run("dev", "a.ts", "--watch")).err).toContain("unknown option --watch");
    expect((await run("new")).err).toContain("which folder?");
  });

  it("exits 1 when the app to serve does not exist", async () => {
    const r = await run("dev", join(tmp, "nothere.ts"));
    expect(r.code).toBe(1);
    expect(r.err).toContain("nothere.ts does not exist");
  });

  it('tells a CommonJS project to add "type": "module", instead of failing on the app', async () => {
    writeFileSync(join(tmp, "package.json"), JSON.stringify({ name: "cjs", version: "1.0.0", main: "index.js" }));
    writeFileSync(join(tmp, "counter.ts"), `import { App, createServer } from "revue";\nexport class Counter extends App {}\nawait createServer(Counter).listen(3000);\n`);
    const r = await run("dev", join(tmp, "counter.ts"));
    expect(r.code).toBe(1);
    expect(r.err).toContain("would run as CommonJS");
    expect(r.err).toContain('add "type": "module" to');
    expect(r.err).not.toContain("exports no App class");
  });

  it("as a process: exit codes reach the shell", () => {
    const node = (...args: string[]) => spawnSync(process.execPath, ["bin/revue.mjs", ...args], { cwd: repo, encoding: "utf8", timeout: 30_000 });
    const help = node("--help");
    expect(help.status).toBe(0);
    expect(help.stdout).toContain("revue dev <file or folder>");
    const missing = node("dev", "nothere.ts");
    expect(missing.status).toBe(1);
    expect(missing.stderr).toContain("nothere.ts does not exist");
  });

  it("plans to run a file its project's tsconfig includes as is, and any other with a generated tsconfig", () => {
    const dir = join(tmp, "planned");
    mkdirSync(join(dir, "src"), { recursive: true });
    mkdirSync(join(dir, "scratch"), { recursive: true });
    writeFileSync(join(dir, "package.json"), JSON.stringify({ type: "module" }));
    writeFileSync(join(dir, "tsconfig.json"), JSON.stringify({ compilerOptions: { strict: true }, include: ["src"] }));
    writeFileSync(join(dir, "src/app.ts"), "");
    writeFileSync(join(dir, "scratch/app.tsx"), "");
    expect(planDev("src", dir)).toEqual({ entry: join(dir, "src/app.ts"), note: undefined });
    const outside = planDev("scratch/app.tsx", dir);
    expect(outside.tsconfig).toMatchObject({ extends: join(dir, "tsconfig.json"), compilerOptions: { experimentalDecorators: true, jsxImportSource: "revue" } });
    expect(outside.note).toBe("[revue] scratch/app.tsx: tsconfig.json does not include it; running it with that tsconfig's settings, and Revue's defaults (decorators, JSX from revue) for what it leaves unset.");
  });
});
