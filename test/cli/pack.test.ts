import { spawn, spawnSync } from "node:child_process";
import { copyFileSync, existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, symlinkSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { freePort, repo } from "./dev-process.js";

/**
 * The packed tarball, as a new user gets it: `npm pack` on a fresh copy of
 * the repository (prepack builds dist/), `revue new` pointing at the tarball,
 * an offline install, then the project's own `npm test`, `npm start` and
 * `npm run dev`. Heavy (a build and an install): it runs in the heavy project.
 */

const work = mkdtempSync(join(tmpdir(), "revue-pack-"));
afterAll(() => rmSync(work, { recursive: true, force: true }));

/** npm's own variables from an outer `npm test` would steer the inner npm (prefix, lifecycle); each run starts clean. */
const cleanEnv = (extra: Record<string, string> = {}) => ({
  ...Object.fromEntries(Object.entries(process.env).filter(([k]) => !/^npm_/i.test(k))),
  ...extra,
});

/** Runs a command in its own process group; on timeout kills the group and fails with its output. */
function run(cmd: string, args: string[], cwd: string, timeoutMs: number, env = cleanEnv()): Promise<{ code: number | null; output: string }> {
  return new Promise((resolve, reject) => {
    const child = spawn(cmd, args, { cwd, env, detached: true, stdio: ["ignore", "pipe", "pipe"] });
    let output = "";
    child.stdout.setEncoding("utf8").on("data", (d: string) => (output += d));
    child.stderr.setEncoding("utf8").on("data", (d: string) => (output += d));
    const timer = setTimeout(() => {
      killGroup(child.pid);
      reject(new Error(`${cmd} ${args.join(" ")} (in ${cwd}) took over ${timeoutMs} ms; output:\n${output}`));
    }, timeoutMs);
    child.on("error", (err) => (clearTimeout(timer), reject(err)));
    child.on("exit", (code) => (clearTimeout(timer), resolve({ code, output })));
  });
}

function killGroup(pid: number | undefined): void {
  if (!pid) return;
  try {
    process.kill(-pid, "SIGKILL");
  } catch {}
}

/** Starts a long-running npm script, waits until `url` answers 200, returns the page and stops the script's whole process group. */
async function serveOnce(script: string[], cwd: string, port: number, path = "/"): Promise<{ html: string; asset: number; overlay: string; output: string }> {
  const child = spawn("npm", script, { cwd, env: cleanEnv({ PORT: String(port) }), detached: true, stdio: ["ignore", "pipe", "pipe"] });
  let output = "";
  child.stdout.setEncoding("utf8").on("data", (d: string) => (output += d));
  child.stderr.setEncoding("utf8").on("data", (d: string) => (output += d));
  try {
    const end = Date.now() + 60_000;
    for (;;) {
      if (child.exitCode !== null) throw new Error(`npm ${script.join(" ")} exited (${child.exitCode}); output:\n${output}`);
      if (Date.now() > end) throw new Error(`npm ${script.join(" ")} did not answer on port ${port} within 60 s; output:\n${output}`);
      const res = await fetch(`http://127.0.0.1:${port}${path}`).catch(() => undefined);
      if (res?.status === 200) {
        const html = await res.text();
        // The runtime script the page loads: served from the package's prebuilt dist/runtime.js (no esbuild needed).
        const src = /<script type="module" nonce="[^"]+" src="([^"]+)"/.exec(html)?.[1];
        const asset = src ? (await fetch(`http://127.0.0.1:${port}${src}`)).status : 0;
        const overlay = html.includes("/__revue/dev-overlay.js") ? await (await fetch(`http://127.0.0.1:${port}/__revue/dev-overlay.js`)).text() : "";
        return { html, asset, overlay, output };
      }
      await new Promise((r) => setTimeout(r, 200));
    }
  } finally {
    killGroup(child.pid);
  }
}

/**
 * A lockfile for the new project made from this repository's: the same
 * versions of every package (revue's dependencies and the dev tools are this
 * repository's), each with its registry URL, so an offline install finds every
 * tarball in the npm cache that this repository's `npm ci` filled, and needs
 * no registry metadata (which `npm ci` does not cache). Packages the project
 * does not need are pruned by the install; revue itself comes from the tarball.
 */
function lockFromRepository(project: string): void {
  const lock = JSON.parse(readFileSync(join(repo, "package-lock.json"), "utf8")) as { packages: Record<string, { version?: string; resolved?: string; name?: string; link?: boolean }> };
  const pkg = JSON.parse(readFileSync(join(project, "package.json"), "utf8"));
  const packages: Record<string, unknown> = { "": { name: pkg.name, version: pkg.version, dependencies: pkg.dependencies, devDependencies: pkg.devDependencies } };
  for (const [path, entry] of Object.entries(lock.packages)) {
    if (!path.startsWith("node_modules/") || entry.link) continue;
    const name = entry.name ?? path.slice(path.lastIndexOf("node_modules/") + "node_modules/".length);
    const file = name.slice(name.lastIndexOf("/") + 1);
    packages[path] = { ...entry, resolved: entry.resolved ?? `https://registry.npmjs.org/${name}/-/${file}-${entry.version}.tgz` };
  }
  writeFileSync(join(project, "package-lock.json"), JSON.stringify({ name: pkg.name, version: pkg.version, lockfileVersion: 3, requires: true, packages }, null, 2));
}

describe("a new project from the packed tarball", () => {
  const clone = join(work, "clone");
  const project = join(work, "my-app");
  let tarball = "";

  it("npm pack on a fresh copy of the repository builds dist/ and ships what an installed revue needs", async () => {
    // A fresh clone: the files git knows (committed or not, nothing ignored: no dist/), with the installed node_modules.
    const listed = spawnSync("git", ["ls-files", "-z", "--cached", "--others", "--exclude-standard"], { cwd: repo, encoding: "utf8" });
    expect(listed.status, listed.stderr).toBe(0);
    for (const file of listed.stdout.split("\0").filter(Boolean)) {
      if (!existsSync(join(repo, file))) continue; // deleted in the work tree
      mkdirSync(dirname(join(clone, file)), { recursive: true });
      copyFileSync(join(repo, file), join(clone, file));
    }
    symlinkSync(join(repo, "node_modules"), join(clone, "node_modules"));
    expect(existsSync(join(clone, "dist"))).toBe(false);

    const packed = await run("npm", ["pack", "--pack-destination", work], clone, 240_000);
    expect(packed.code, packed.output).toBe(0);
    tarball = join(work, readdirSync(work).find((f) => /^revue-.*\.tgz$/.test(f))!);
    const files = spawnSync("tar", ["-tzf", tarball], { encoding: "utf8" }).stdout.split("\n").map((f) => f.replace(/^package\//, ""));
    for (const needed of [
      "dist/runtime.js", // the browser runtime, prebuilt (an install has no esbuild)
      "dist/src/index.js",
      "dist/src/index.d.ts",
      "dist/src/testing/index.js",
      "dist/src/jsx-runtime.js",
      "dist/src/cli/main.js", // revue new / revue dev
      "dist/src/cli/serve.js",
      "dist/client/dev-overlay.js", // served by revue dev
      "bin/revue.mjs",
      "templates/new/src/app.ts",
      "templates/new/gitignore",
    ]) {
      expect(files, needed).toContain(needed);
    }
    expect(files.filter((f) => f.startsWith("src/") || f.startsWith("test/"))).toEqual([]);
    // No source maps: they would name src/*.ts, which is not shipped, so a stack trace would point at files the user does not
    // have; without them it points at dist/'s JavaScript, which is tsc's readable output.
    expect(files.filter((f) => f.endsWith(".map"))).toEqual([]);
    // Every file the README links to (the examples, the protocol, the results) comes with it.
    const linked = [...readFileSync(join(repo, "README.md"), "utf8").matchAll(/\]\(((?:examples|docs|bench)\/[^)#]+)/g)].map((m) => m[1]!);
    expect(linked.length).toBeGreaterThan(5);
    for (const link of linked) expect(files.some((f) => f === link || f.startsWith(`${link}/`)), link).toBe(true);
  });

  it("revue new writes the project, and it installs offline from the npm cache", async () => {
    expect(tarball, "the pack step failed").not.toBe("");
    const created = await run(process.execPath, [join(repo, "bin/revue.mjs"), "new", project, "--revue", `file:${tarball}`], work, 60_000);
    expect(created.code, created.output).toBe(0);
    lockFromRepository(project);
    const installed = await run("npm", ["install", "--offline", "--no-audit", "--no-fund"], project, 180_000);
    expect(
      installed.code,
      `npm install --offline failed: the npm cache lacks a package the project needs (ENOTCACHED) or the install broke. Run npm ci in the repository to fill the cache.\n${installed.output}`,
    ).toBe(0);
    expect(existsSync(join(project, "node_modules/revue/dist/src/index.js"))).toBe(true);
    expect(installed.output).not.toContain("not yet covered by allowScripts"); // a new user's first install is quiet
  });

  it("its npm test type-checks and passes", async () => {
    expect(existsSync(join(project, "node_modules")), "the install step failed").toBe(true);
    const tested = await run("npm", ["test"], project, 180_000);
    expect(tested.code, tested.output).toBe(0);
    expect(tested.output.replace(/\x1b\[[\d;]*m/g, "")).toMatch(/Tests\s+1 passed/);
  });

  it("its npm start serves the app", async () => {
    expect(existsSync(join(project, "node_modules")), "the install step failed").toBe(true);
    const { html, asset, output } = await serveOnce(["start"], project, await freePort());
    expect(html, output).toContain('<h1 data-rv="w-2" id="count">0</h1>');
    expect(html).toContain("<title>my-app</title>");
    expect(html).not.toContain("/__revue/dev-overlay.js");
    expect(asset).toBe(200);
  });

  it("its npm run build compiles src/ into dist/, node dist/server.js serves the app, and SIGTERM closes it", async () => {
    expect(existsSync(join(project, "node_modules")), "the install step failed").toBe(true);
    const built = await run("npm", ["run", "build"], project, 120_000);
    expect(built.code, built.output).toBe(0);
    expect(readdirSync(join(project, "dist")).sort()).toEqual(["app.js", "server.js"]);
    const port = await freePort();
    const child = spawn(process.execPath, ["dist/server.js"], { cwd: project, env: cleanEnv({ PORT: String(port), NODE_ENV: "production" }), stdio: ["ignore", "pipe", "pipe"] });
    let output = "";
    child.stdout.setEncoding("utf8").on("data", (d: string) => (output += d));
    child.stderr.setEncoding("utf8").on("data", (d: string) => (output += d));
    try {
      let res: Response | undefined;
      for (const end = Date.now() + 30_000; !res && Date.now() < end; ) {
        res = await fetch(`http://127.0.0.1:${port}/`).catch(() => undefined);
        if (!res) await new Promise((r) => setTimeout(r, 200));
      }
      expect(res?.status, output).toBe(200);
      expect(await res!.text()).toContain('id="count">0</h1>');
      // A second one on the same port says so in one line and exits 1 (no stack).
      const second = await run(process.execPath, ["dist/server.js"], project, 30_000, cleanEnv({ PORT: String(port), NODE_ENV: "production" }));
      expect(second.code).toBe(1);
      expect(second.output.trim()).toBe(`listen(${port}): port ${port} is already in use. Stop the other process or pick another port (0 picks a free one).`);
      const exited = new Promise<number | null>((r) => child.once("exit", r));
      child.kill("SIGTERM");
      expect(await exited, output).toBe(0);
    } finally {
      child.kill("SIGKILL");
    }
  });

  it("its npm run dev serves the same server once, in development mode", async () => {
    expect(existsSync(join(project, "node_modules")), "the install step failed").toBe(true);
    const port = await freePort();
    const { html, asset, overlay, output } = await serveOnce(["run", "dev"], project, port);
    expect(html, output).toContain('id="count"');
    expect(html).toContain("/__revue/dev-overlay.js?boot=");
    // The overlay module comes from the package's dist/ (the package ships no client/ sources to compile).
    expect(overlay).toContain('new EventSource("/__revue/dev")');
    expect(asset).toBe(200);
    expect(output).toContain(`[revue] serving src/server.ts (its own listen(${port}))`);
  });
});
