import { spawn, type ChildProcess } from "node:child_process";
import { cpSync, mkdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { createServer } from "node:net";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { expect, it } from "vitest";
import { connected, describeE2E } from "./browser.js";

const repo = fileURLToPath(new URL("../..", import.meta.url));
/** Inside the repo, so that `import "revue"` resolves through tsconfig paths; not a dot folder, which tsx watch ignores. */
const appDir = join(repo, "test/e2e", `tmp-app-${process.pid}`);
const appFile = join(appDir, "app.ts");

const freePort = () =>
  new Promise<number>((resolve, reject) => {
    const s = createServer().once("error", reject);
    s.listen(0, "127.0.0.1", () => {
      const { port } = s.address() as { port: number };
      s.close(() => resolve(port));
    });
  });

/** Stops `revue dev` and everything it started (its process group). */
async function stopGroup(child: ChildProcess): Promise<void> {
  if (!child.pid || child.exitCode !== null || child.signalCode !== null) return;
  const exited = new Promise((r) => child.once("exit", r));
  try {
    process.kill(-child.pid, "SIGTERM");
  } catch {}
  await Promise.race([exited, new Promise((r) => setTimeout(r, 3000))]);
  try {
    process.kill(-child.pid, "SIGKILL");
  } catch {}
}

/** Resolves once the child has printed `text`. */
function waitForOutput(child: ChildProcess, out: { text: string }, text: string, ms = 30_000): Promise<void> {
  return new Promise((resolve, reject) => {
    const seen = () => out.text.includes(text);
    if (seen()) return resolve();
    const timer = setTimeout(() => (cleanup(), reject(new Error(`no "${text}" from revue dev within ${ms} ms; output:\n${out.text}`))), ms);
    const check = () => seen() && (cleanup(), resolve());
    const exited = (code: number | null) => (cleanup(), reject(new Error(`revue dev exited (${code}); output:\n${out.text}`)));
    const cleanup = () => {
      clearTimeout(timer);
      child.stdout!.off("data", check);
      child.off("exit", exited);
    };
    child.stdout!.on("data", check);
    child.once("exit", exited);
  });
}

describeE2E("revue dev in Chromium", (e2e) => {
  it("reloads the app on a file change and the open page re-bootstraps in place", async () => {
    mkdirSync(appDir, { recursive: true });
    e2e.defer(() => rmSync(appDir, { recursive: true, force: true }));
    cpSync(join(repo, "examples/counter/app.ts"), appFile);
    const port = await freePort();
    const out = { text: "" };
    // Its own process group: revue.mjs starts tsx watch, which starts the server.
    const child = spawn(process.execPath, ["bin/revue.mjs", "dev", appDir, "--port", String(port)], { cwd: repo, detached: true, stdio: ["ignore", "pipe", "pipe"] });
    e2e.defer(() => stopGroup(child));
    child.stdout!.setEncoding("utf8").on("data", (d: string) => (out.text += d));
    child.stderr!.setEncoding("utf8").on("data", (d: string) => (out.text += d));
    await waitForOutput(child, out, "[revue] serving");

    const page = await e2e.page();
    const url = `http://127.0.0.1:${port}/`;
    await page.goto(url);
    await connected(page);
    await page.evaluate(() => ((window as any).__e2eMark = "kept"));
    const oldSid = await page.evaluate(() => window.rv.session);
    await page.click("#inc");
    await expect.poll(() => page.textContent("#count")).toBe("1");
    expect(await page.textContent("#inc")).toBe("+1");

    const source = readFileSync(appFile, "utf8");
    expect(source).toContain('"+1"');
    writeFileSync(appFile, source.replace('"+1"', '"plus one"'));

    await expect.poll(() => page.textContent("#inc"), { timeout: 15_000 }).toBe("plus one");
    expect(out.text.split("[revue] serving").length - 1).toBeGreaterThanOrEqual(2);
    await expect.poll(() => page.evaluate(() => window.rv.connected), { timeout: 10_000 }).toBe(true);
    expect(await page.evaluate(() => window.rv.session)).not.toBe(oldSid);
    expect(await page.textContent("#count")).toBe("0");
    expect(page.url()).toBe(url);
    expect(await page.evaluate(() => ({ mark: (window as any).__e2eMark, navigations: performance.getEntriesByType("navigation").length })))
      .toEqual({ mark: "kept", navigations: 1 });

    // The reloaded app works.
    await page.click("#inc");
    await expect.poll(() => page.textContent("#count")).toBe("1");
  });
});
