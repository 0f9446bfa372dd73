import { expect, it } from "vitest";
import { Interface } from "revue/ui";
import { connected, describeE2E } from "./browser.js";

const Slow = Interface.from(
  async function square(n: number) {
    await new Promise((r) => setTimeout(r, 400));
    return n * n;
  },
  { title: "Square", inputs: [{ type: "number", name: "n", label: "A number", default: 3 }], outputs: "number" },
);

describeE2E("Interface in Chromium", (e2e) => {
  it("shows the field's error without running, then Running… while the function runs, then its result", async () => {
    const { url } = await e2e.serve(Slow);
    const page = await e2e.page({ viewport: { width: 375, height: 700 } });
    await page.goto(url);
    await connected(page);
    await page.fill("#in-n", "");
    await page.click("button[type=submit]");
    await expect.poll(() => page.textContent("#in-n-error")).toBe("Enter a number.");
    await page.fill("#in-n", "12");
    await page.click("button[type=submit]");
    await expect.poll(() => page.textContent("button[type=submit]")).toBe("Running…");
    expect(await page.isDisabled("button[type=submit]")).toBe(true);
    await expect.poll(() => page.textContent(".number")).toBe("144");
    expect(await page.textContent("button[type=submit]")).toBe("Run");
    expect(await page.locator(".rv-error").count()).toBe(0);
    expect(await page.evaluate(() => document.documentElement.scrollWidth)).toBeLessThanOrEqual(375);
  });
});
