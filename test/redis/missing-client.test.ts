import { execFile } from "node:child_process";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath, pathToFileURL } from "node:url";
import { afterAll, expect, it } from "vitest";

const repo = fileURLToPath(new URL("../..", import.meta.url));
const dir = mkdtempSync(join(tmpdir(), "revue-no-redis-"));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

/** Runs `script` in a fresh Node (TypeScript through tsx), where resolving @redis/client fails as it does when the package is not installed. */
function runWithoutRedisClient(script: string): Promise<{ code: number | null; out: string }> {
  // Node's own failure for a package that is not installed: ERR_MODULE_NOT_FOUND, "Cannot find package '…' imported from …".
  const hook = `export async function resolve(specifier, context, next) {
    if (specifier === "@redis/client" || specifier.startsWith("@redis/client/")) {
      const err = new Error("Cannot find package '@redis/client' imported from " + context.parentURL);
      err.code = "ERR_MODULE_NOT_FOUND";
      throw err;
    }
    return next(specifier, context);
  }`;
  writeFileSync(join(dir, "hide-hooks.mjs"), hook);
  writeFileSync(join(dir, "hide.mjs"), `import { register } from "node:module"; register(${JSON.stringify(pathToFileURL(join(dir, "hide-hooks.mjs")).href)});`);
  writeFileSync(join(dir, "main.mjs"), script);
  return new Promise((resolve) => {
    execFile(process.execPath, ["--import", "tsx", "--import", join(dir, "hide.mjs"), join(dir, "main.mjs")], { cwd: repo, timeout: 30_000 }, (err, stdout, stderr) => {
      resolve({ code: err ? ((err as any).code ?? 1) : 0, out: stdout + stderr });
    });
  });
}

it("without @redis/client installed, importing revue/redis fails with the command that installs it", async () => {
  const entry = pathToFileURL(join(repo, "src/redis/index.ts")).href;
  const { code, out } = await runWithoutRedisClient(`
    try { await import(${JSON.stringify(entry)}); console.log("IMPORTED"); }
    catch (err) { console.log("MESSAGE: " + err.message); process.exit(3); }
  `);
  expect(out).not.toContain("IMPORTED");
  expect(code).toBe(3);
  expect(out).toContain("MESSAGE: revue/redis needs the Redis client @redis/client (version 6 or later), which is not installed. Run: npm install @redis/client");
});

it("an app that never imports revue/redis runs without @redis/client", async () => {
  const entry = pathToFileURL(join(repo, "src/index.ts")).href;
  const { code, out } = await runWithoutRedisClient(`
    const { MemoryPubSub } = await import(${JSON.stringify(entry)});
    console.log("OFFSET " + await new MemoryPubSub().publish("c", "m"));
  `);
  expect(out).toContain("OFFSET 0-1");
  expect(code).toBe(0);
});
