import { expect, it } from "vitest";
import type { Page } from "playwright-core";
import { mkdirSync } from "node:fs";
import { join } from "node:path";
import { examples, routes, screenshots } from "../../examples/gallery-app.js";
import { createServer } from "revue";
import { connected, describeE2E, screenshotDir } from "./browser.js";

/** The apps as `npm start` mounts them (examples/gallery.ts, which listens as it loads). */
const mounts = routes;

/** What the charts show: per chart, its namespace and how many points of its line are drawn on screen. */
const chart = (page: Page) =>
  page.evaluate(() =>
    Array.from(document.querySelectorAll("svg.rv-chart"), (svg) => ({
      ns: svg.namespaceURI,
      points: svg.querySelectorAll(".rv-hover path").length,
      drawn: Array.from(svg.querySelectorAll(".rv-series path"), (p) => (p as SVGPathElement).getBBox().width).reduce((a, b) => a + b, 0) > 0,
    })));
/** Three charts in the SVG namespace, each drawn with at least `n` points. */
const drawn = async (page: Page, n: number) => {
  const charts = await chart(page);
  return charts.length === 3 && charts.every((c) => c.ns === "http://www.w3.org/2000/svg" && c.drawn && c.points >= n);
};

describeE2E("examples under mount prefixes in Chromium", (e2e) => {
  it("shows every example from the index, at desktop and phone width, inside the viewport, with a way back", async () => {
    // As examples/gallery.ts serves it: the thumbnails' route is added before listening (Koa composes its middleware then).
    const srv = createServer(mounts, { logger: { warn() {}, error() {} } });
    srv.koa.use(screenshots);
    const url = await srv.listen(0, "127.0.0.1");
    e2e.defer(() => srv.close());
    const dir = join(screenshotDir, "examples");
    mkdirSync(dir, { recursive: true });
    // Both widths at once, each in its own context: the full-page screenshots are most of the time, and wait on the browser.
    await Promise.all(([["desktop", 1280], ["phone", 375]] as const).map(async ([device, width]) => {
      const page = await e2e.page({ viewport: { width, height: 800 } });
      await page.goto(url);
      await connected(page);
      const links = await page.locator(".card h2 a").evaluateAll((as) => as.map((a) => a.getAttribute("href")));
      expect(links).toEqual(Object.keys(examples));
      // A screenshot per example, loaded and decoded by the browser.
      await page.locator(".card img").evaluateAll((imgs) => imgs.forEach((i) => ((i as HTMLImageElement).loading = "eager")));
      await page.waitForFunction(() => Array.from(document.querySelectorAll<HTMLImageElement>(".card img")).every((i) => i.complete), undefined, { timeout: 10_000 });
      const shots = await page.locator(".card img").evaluateAll((imgs) => imgs.map((i) => (i as HTMLImageElement).complete && (i as HTMLImageElement).naturalWidth));
      expect(shots).toEqual(Object.keys(examples).map(() => 480));
      for (const path of ["/", ...links] as string[]) {
        if (path !== "/") {
          await page.click(`.card h2 a[href="${path}"]`);
          await connected(page);
          await page.waitForTimeout(200); // the dashboard's first tick, the chat's zone: what a user sees after a moment
        }
        const name = path === "/" ? "index" : path.slice(1);
        await page.screenshot({ path: join(dir, `${name}-${device}.png`), fullPage: true });
        expect(await page.evaluate(() => document.documentElement.scrollWidth), `${name} at ${width} px`).toBeLessThanOrEqual(width);
        if (path !== "/") {
          await page.click("nav.back a");
          await connected(page);
          expect(new URL(page.url()).pathname).toBe("/");
        }
      }
    }));
  });

  it("runs counter and upload under their prefixes", async () => {
    const { url } = await e2e.serve(mounts);
    const page = await e2e.page();
    await page.goto(`${url}/counter`);
    await connected(page);
    await page.click("#inc");
    await expect.poll(() => page.textContent("#count")).toBe("1");

    await page.goto(`${url}/upload`);
    await connected(page);
    await page.getByLabel("Files to send", { exact: true }).setInputFiles({ name: "small.txt", mimeType: "text/plain", buffer: Buffer.from("hello revue") });
    await expect.poll(() => page.locator("[role=status]").allTextContents()).toContain("Received small.txt (11 bytes).");
  });

  it("draws the dashboard's pushed metrics as SVG, also after a restart re-bootstraps the page", async () => {
    const first = await e2e.serve(mounts);
    const page = await e2e.page();
    await page.goto(`${first.url}/dashboard`);
    await connected(page);
    // The server's first sample is there from the first page; one more a second after.
    expect((await chart(page)).every((c) => c.points >= 1)).toBe(true);
    await expect.poll(() => drawn(page, 3), { timeout: 5000 }).toBe(true);
    expect(await page.textContent("#latest-rss .rv-metric-value")).toMatch(/^\d+\.\d MB$/);

    const oldSid = await page.evaluate(() => window.rv.session);
    await e2e.stop(first.srv);
    await e2e.serve(mounts, first.port);
    // A new session, from the new process's history: its charts are rebuilt from the snapshot
    // (elements created in the SVG namespace) and fill again.
    await expect.poll(() => page.evaluate(() => window.rv.session), { timeout: 20_000 }).not.toBe(oldSid);
    await expect.poll(() => drawn(page, 3), { timeout: 5000 }).toBe(true);
    expect(page.url()).toBe(`${first.url}/dashboard`);
  });
});
