import { cpSync, mkdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { expect, it } from "vitest";
import { appFolder, freePort, repo, startDev } from "../cli/dev-process.js";
import { connected, describeE2E } from "./browser.js";

/** Inside the repo, so that `import "revue"` resolves through tsconfig paths; not a dot folder, which tsx watch ignores. */
const appDir = join(repo, "test/e2e", `tmp-app-${process.pid}`);
/** The counter example, copied as examples/ holds it: its folder, and the link back to the gallery beside it. */
const appFile = join(appDir, "counter", "app.ts");

const navigations = (page: import("playwright-core").Page) => page.evaluate(() => performance.getEntriesByType("navigation").length);

/** A counter whose render breaks in the ways a new user breaks it (`mode` picks one); `label` tells versions apart. */
const counter = (label: string, mode: "ok" | "duplicate keys at 1" | "inline handler" | "registry") => `
import { App, h, server } from "revue";
export class Counter extends App<Counter> {
  count = 0;
  @server.realtime increment() { this.count++; }
  ${mode === "registry" ? "@server.rpc @server.realtime twice() {}" : ""}
  render() {
    return h("main", {},
      h("h1", { id: "count" }, String(this.count)),
      ${mode === "duplicate keys at 1" ? `this.count === 1 ? h("ul", {}, h("li", { key: "a" }), h("li", { key: "a" })) : null,` : ""}
      h("button", { id: "inc", onClick: ${mode === "inline handler" ? "() => this.count++" : "this.increment"} }, ${JSON.stringify(label)}));
  }
}
`;

describeE2E("revue dev in Chromium", (e2e) => {
  it("reloads the app on a file change and the open page re-bootstraps in place", async () => {
    mkdirSync(join(appDir, "counter"), { recursive: true });
    e2e.defer(() => rmSync(appDir, { recursive: true, force: true }));
    cpSync(join(repo, "examples/counter/app.ts"), appFile);
    cpSync(join(repo, "examples/nav.ts"), join(appDir, "nav.ts"));
    const port = await freePort();
    const dev = startDev(join(appDir, "counter"), port, repo);
    e2e.defer(() => dev.stop());
    await dev.waitFor("[revue] serving");

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
    expect(dev.output.split("[revue] serving").length - 1).toBeGreaterThanOrEqual(2);
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

  it("shows an error of a page reached by live navigation into another app", async () => {
    const port = await freePort();
    const app = appFolder({
      "app.ts": `
import { App, createServer, h, server } from "revue";
export class Home extends App<Home> {
  render() { return h("a", { id: "go", href: "/b", navigate: true }, "go"); }
}
export class B extends App<B> {
  broken = false;
  @server.realtime breakIt() { this.broken = true; }
  render() {
    if (this.broken) throw new Error("kaboom in B");
    return h("button", { id: "x", onClick: this.breakIt }, "break");
  }
}
await createServer({ "/": Home, "/b": B }).listen(${await freePort()});
`,
    });
    e2e.defer(app.remove);
    const dev = startDev("app.ts", port, app.dir);
    e2e.defer(() => dev.stop());
    await dev.waitFor("[revue] serving");
    const page = await e2e.page();
    await page.goto(`http://127.0.0.1:${port}/`);
    await connected(page);
    await page.click("#go");
    await expect.poll(() => page.locator("#x").count()).toBe(1);
    await connected(page);
    expect(await navigations(page)).toBe(1); // a live navigation: the page reached B without loading
    await page.click("#x");
    await expect.poll(() => page.locator("#rv-dev-overlay").textContent().catch(() => null), { timeout: 10_000 }).toContain("kaboom in B");
  });

  it("runs a JSX app outside any tsconfig with Revue's defaults, and serves its own listen() once", async () => {
    const [port, asked] = [await freePort(), await freePort()];
    const app = appFolder({
      "app.tsx": `
import { App, createServer, server } from "revue";
const modes: string[] = [];
/** Records how it was called: legacy decorators pass (target, key, descriptor), TC39 ones (method, context). */
function probe(...args: unknown[]) { modes.push(args.length === 3 ? "legacy" : "standard"); }
export class Jsx extends App<Jsx> {
  count = 0;
  @server.realtime increment() { this.count++; }
  @(probe as any) probed() {}
  render() {
    return <main><h1 id="count">{String(this.count)}</h1><p id="mode">{modes.join()}</p><button id="inc" onClick={this.increment}>+1</button></main>;
  }
}
await createServer(Jsx).listen(${asked});
`,
    });
    e2e.defer(app.remove);
    const dev = startDev("app.tsx", port, app.dir);
    e2e.defer(() => dev.stop());
    await dev.waitFor("[revue] serving");
    expect(dev.output).toContain("no tsconfig.json above this folder; running it with Revue's defaults");

    const page = await e2e.page();
    await page.goto(`http://127.0.0.1:${port}/`);
    await connected(page);
    expect(await page.textContent("#mode")).toBe("legacy");
    await page.click("#inc");
    await expect.poll(() => page.textContent("#count")).toBe("1");
    // One server: the app's own listen() was served on revue dev's port, not on the one it asked for.
    expect(await fetch(`http://127.0.0.1:${asked}/`).then(() => "listening", () => "refused")).toBe("refused");
    expect(dev.output.split("[revue] serving").length - 1).toBe(1);
  });

  it("shows render, bind and registry errors over the page, and clears them on the next good save", async () => {
    const port = await freePort();
    const app = appFolder({ "app.ts": counter("+1", "duplicate keys at 1") });
    e2e.defer(app.remove);
    const dev = startDev("app.ts", port, app.dir);
    e2e.defer(() => dev.stop());
    await dev.waitFor("[revue] serving");
    const url = `http://127.0.0.1:${port}/`;
    const page = await e2e.page();
    await page.goto(url);
    await connected(page);
    const overlay = page.locator("#rv-dev-overlay");

    // 1. A render error after a click: the page gets an error frame, the overlay shows it.
    await page.click("#inc");
    await expect.poll(() => overlay.textContent(), { timeout: 10_000 }).toContain("RenderErrorRENDER_ERROR");
    expect(await overlay.textContent()).toContain('Duplicate key "a"');
    expect(dev.output).toContain("Counter.render() failed");

    // 2. A good save: the overlay clears and the page re-bootstraps in place.
    app.write("app.ts", counter("plus", "ok"));
    await expect.poll(() => page.textContent("#inc"), { timeout: 15_000 }).toBe("plus");
    await expect.poll(() => overlay.count()).toBe(0);
    await expect.poll(() => page.evaluate(() => window.rv.connected), { timeout: 10_000 }).toBe(true);
    expect(await navigations(page)).toBe(1);

    // 3. A save whose first render always fails (a BindError): printed, and shown on the open page.
    app.write("app.ts", counter("plus", "inline handler"));
    await dev.waitFor("[revue] POST /api/session failed (error ", 1, 20_000); // printed once, with the id the page shows
    await expect.poll(() => overlay.textContent(), { timeout: 15_000 }).toContain("BindError");
    expect(await overlay.textContent()).toContain("got an inline function");

    // 4. Reloaded, the page is the error, as HTML, not JSON.
    const reloaded = await page.reload();
    expect(reloaded!.status()).toBe(500);
    expect(reloaded!.headers()["content-type"]).toContain("text/html");
    expect(await overlay.textContent()).toContain("got an inline function");
    expect(await page.evaluate(() => typeof (window as any).rv)).toBe("undefined");

    // 5. A registry error while the entry loads: printed, and the open page shows it.
    app.write("app.ts", counter("plus", "registry"));
    await dev.waitFor("[revue] waiting for a change", 1, 20_000);
    expect(dev.output).toContain("RegistryError: Counter.twice is decorated twice");
    await expect.poll(() => overlay.textContent(), { timeout: 15_000 }).toContain("REGISTRY_ERROR");

    // 6. The fix: the page (an error page, with no runtime to re-bootstrap) reloads by itself into the app.
    app.write("app.ts", counter("fixed", "ok"));
    await expect.poll(() => page.textContent("#inc").catch(() => null), { timeout: 20_000 }).toBe("fixed");
    await connected(page);
    expect(await overlay.count()).toBe(0);
    await page.click("#inc");
    await expect.poll(() => page.textContent("#count")).toBe("1");
  });
});
