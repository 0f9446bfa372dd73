import { expect, it } from "vitest";
import type { Page } from "playwright-core";
import { Chat } from "../../examples/chat/app.js";
import { Counter } from "../../examples/counter/app.js";
import { Dashboard } from "../../examples/dashboard/app.js";
import { Todo } from "../../examples/todo/app.js";
import { Upload } from "../../examples/upload/app.js";
import { connected, describeE2E } from "./browser.js";

/** The apps as `npm start` mounts them (examples/gallery.ts listens on import, so it is not imported). */
const mounts = { "/counter": Counter, "/chat": Chat, "/todo": Todo, "/upload": Upload, "/dashboard": Dashboard };

/** What the chart shows: per polyline, its namespace and whether it is drawn with at least two points. */
const chart = (page: Page) =>
  page.evaluate(() =>
    Array.from(document.querySelectorAll("#chart polyline"), (p) => ({
      ns: p.namespaceURI,
      drawn: (p.getAttribute("points") ?? "").split(" ").filter(Boolean).length >= 2 && (p as SVGPolylineElement).getBBox().width > 0,
    })));
const drawn = Array(3).fill({ ns: "http://www.w3.org/2000/svg", drawn: true });

describeE2E("examples under mount prefixes in Chromium", (e2e) => {
  it("runs counter and upload under their prefixes", async () => {
    const { url } = await e2e.serve(mounts);
    const page = await e2e.page();
    await page.goto(`${url}/counter`);
    await connected(page);
    await page.click("#inc");
    await expect.poll(() => page.textContent("#count")).toBe("1");

    await page.goto(`${url}/upload`);
    await connected(page);
    await page.setInputFiles("#file", { name: "small.txt", mimeType: "text/plain", buffer: Buffer.from("hello revue") });
    await page.click("#send");
    await expect.poll(() => page.textContent("#result")).toBe("Received small.txt (11 bytes)");
  });

  it("draws the dashboard's pushed metrics as SVG, also after a restart re-bootstraps the page", async () => {
    const first = await e2e.serve(mounts);
    const page = await e2e.page();
    await page.goto(`${first.url}/dashboard`);
    await connected(page);
    // One sample a second: two ticks give two points per line.
    await expect.poll(() => chart(page), { timeout: 5000 }).toEqual(drawn);
    expect(await page.textContent("#latest")).toMatch(/load .* · rss .* MB · \d+ req\/s/);

    const oldSid = await page.evaluate(() => window.rv.session);
    await e2e.stop(first.srv);
    await e2e.serve(mounts, first.port);
    // A new session, with no samples yet: its chart is rebuilt from the snapshot
    // (elements created in the SVG namespace) and fills again.
    await expect.poll(() => page.evaluate(() => window.rv.session), { timeout: 20_000 }).not.toBe(oldSid);
    expect((await chart(page)).map((p) => p.drawn)).toEqual([false, false, false]);
    await expect.poll(() => chart(page), { timeout: 5000 }).toEqual(drawn);
    expect(page.url()).toBe(`${first.url}/dashboard`);
  });
});
