import { createHash } from "node:crypto";
import { expect, it } from "vitest";
import { Upload } from "../../examples/upload/app.js";
import { connected, describeE2E } from "./browser.js";

const SIZE = 2_000_000;
const BAR = "progress[aria-label='Files to send upload progress']";

describeE2E("upload in Chromium", (e2e) => {
  it("uploads a 2 MB file on a throttled network with a progress bar that fills up, then says it was received", async () => {
    const { url } = await e2e.serve(Upload);
    const context = await e2e.context();
    const page = await context.newPage();
    // Scripts the page loads: the uploader is fetched on the first upload only, from /rv/.
    const scripts: string[] = [];
    page.on("request", (r) => void (r.resourceType() === "script" && scripts.push(new URL(r.url()).pathname)));
    await page.goto(url);
    await connected(page);
    // About 2 s of upload: enough for progress events between 0 and 100.
    const cdp = await context.newCDPSession(page);
    await cdp.send("Network.enable");
    await cdp.send("Network.emulateNetworkConditions", { offline: false, latency: 50, downloadThroughput: 1_000_000, uploadThroughput: 1_000_000 });

    // Every value the bar shows, sampled each frame (the bar may be re-rendered, so query it each time).
    await page.evaluate((selector) => {
      const seen: number[] = ((window as any).__e2eProgress = []);
      const sample = () => {
        const bar = document.querySelector<HTMLProgressElement>(selector);
        if (bar && seen.at(-1) !== bar.value) seen.push(bar.value);
        requestAnimationFrame(sample);
      };
      sample();
    }, BAR);
    expect(await page.getAttribute(BAR, "max")).toBe("1");
    // What a screen reader reads with the picker: the limit in words.
    const described = () => page.getByLabel("Files to send", { exact: true }).evaluate((el) => el.getAttribute("aria-describedby")!.split(" ").map((id) => document.getElementById(id)!.textContent).join(" "));
    expect(await described()).toMatch(/Up to 10\.0 MB per upload\./);

    expect(scripts.filter((p) => /\/rv\/upload-\w+\.js$/.test(p))).toEqual([]);
    expect(scripts.some((p) => /\/rv\/runtime\.\w+\.js$/.test(p))).toBe(true);

    const buffer = Buffer.alloc(SIZE, 7);
    // Picking the file is enough: it goes up at once.
    await page.getByLabel("Files to send", { exact: true }).setInputFiles({ name: "big.bin", mimeType: "application/octet-stream", buffer });

    await expect.poll(described, { timeout: 30_000 }).toMatch(/Received big\.bin \(1\.9 MB\)\.$/);
    await expect.poll(() => page.evaluate((selector) => document.querySelector<HTMLProgressElement>(selector)!.value, BAR)).toBe(1);
    // The server read every byte as sent.
    expect(await page.textContent("[aria-label='Received files'] .digest")).toBe(`sha256 ${createHash("sha256").update(buffer).digest("hex")}`);
    const seen = await page.evaluate(() => (window as any).__e2eProgress as number[]);
    expect(seen.at(-1)).toBe(1);
    // It went up, never down, and was seen between the ends.
    expect(seen).toEqual([...seen].sort((a, b) => a - b));
    expect(seen.some((v) => v > 0 && v < 1)).toBe(true);
    // rv.upload's XMLHttpRequest code came as its own module, once, under the page's CSP.
    expect(scripts.filter((p) => /\/rv\/upload-\w+\.js$/.test(p))).toHaveLength(1);
  });

  it("says the upload did not go when its code cannot load (the server down, a new version deployed), and how to upload again", async () => {
    const { url } = await e2e.serve(Upload);
    const page = await e2e.page();
    await page.goto(url);
    await connected(page);
    const described = () => page.getByLabel("Files to send", { exact: true }).evaluate((el) => el.getAttribute("aria-describedby")!.split(" ").map((id) => document.getElementById(id)!.textContent).join(" "));
    // The uploader's module is fetched on the first pick: here that fetch fails, as it does while the server is down.
    await page.route(/\/rv\/upload-\w+\.js$/, (route) => route.abort());
    const file = { name: "note.txt", mimeType: "text/plain", buffer: Buffer.from("hello") };
    await page.getByLabel("Files to send", { exact: true }).setInputFiles(file);
    await expect.poll(described, { timeout: 10_000 }).toMatch(/This page lost its connection before the upload could start\. Reload the page, then choose the file again\.$/);
    // As it says: the browser keeps a module's failure for the page's life, and a reload uploads.
    await page.unroute(/\/rv\/upload-\w+\.js$/);
    await page.reload();
    await connected(page);
    await page.getByLabel("Files to send", { exact: true }).setInputFiles({ ...file, name: "again.txt" });
    await expect.poll(described, { timeout: 10_000 }).toMatch(/Received again\.txt \(5 bytes\)\.$/);
  });
});
