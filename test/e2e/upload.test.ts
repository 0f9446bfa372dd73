import { createHash } from "node:crypto";
import { expect, it } from "vitest";
import { Upload } from "../../examples/upload/app.js";
import { connected, describeE2E } from "./browser.js";

const SIZE = 2_000_000;

describeE2E("upload in Chromium", (e2e) => {
  it("uploads a 2 MB file on a throttled network with a progress bar that reaches 100", async () => {
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
    await page.evaluate(() => {
      const seen: number[] = ((window as any).__e2eProgress = []);
      const sample = () => {
        const bar = document.querySelector<HTMLProgressElement>("progress#bar");
        if (bar && seen.at(-1) !== bar.value) seen.push(bar.value);
        requestAnimationFrame(sample);
      };
      sample();
    });
    expect(await page.getAttribute("progress#bar", "max")).toBe("100");

    expect(scripts.filter((p) => /\/rv\/upload-\w+\.js$/.test(p))).toEqual([]);
    expect(scripts.some((p) => /\/rv\/runtime\.\w+\.js$/.test(p))).toBe(true);

    const buffer = Buffer.alloc(SIZE, 7);
    await page.setInputFiles("#file", { name: "big.bin", mimeType: "application/octet-stream", buffer });
    await page.click("#send");

    await expect.poll(() => page.textContent("#result"), { timeout: 30_000 }).toBe("Received big.bin (1.9 MB)");
    await expect.poll(() => page.evaluate(() => document.querySelector<HTMLProgressElement>("progress#bar")!.value)).toBe(100);
    // The server read every byte as sent.
    expect(await page.textContent("#digest")).toBe(`sha256 ${createHash("sha256").update(buffer).digest("hex")}`);
    const seen = await page.evaluate(() => (window as any).__e2eProgress as number[]);
    expect(seen.at(-1)).toBe(100);
    // It went up, never down, and was seen between the ends.
    expect(seen).toEqual([...seen].sort((a, b) => a - b));
    expect(seen.some((v) => v > 0 && v < 100)).toBe(true);
    // rv.upload's XMLHttpRequest code came as its own module, once, under the page's CSP.
    expect(scripts.filter((p) => /\/rv\/upload-\w+\.js$/.test(p))).toHaveLength(1);
  });
});
