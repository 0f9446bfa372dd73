import { expect, it } from "vitest";
import { createServer } from "revue";
import { authenticate } from "../../examples/account/app.js";
import { ShopItem, ShopList, ShopOrders, ShopSignIn } from "../../examples/shop/app.js";
import { connected, describeE2E } from "./browser.js";

describeE2E("examples/shop in Chromium", (e2e) => {
  it("filters in the address, live links, a sign-in that sets a cookie and comes back, members' orders, sign out — with no page load", async () => {
    const srv = createServer({ "/shop": ShopList, "/shop/signin": ShopSignIn, "/shop/orders": ShopOrders, "/shop/:id": ShopItem }, { authenticate, keys: ["test-key-not-secret"], logger: { warn() {}, error() {} } });
    const base = await srv.listen(0, "127.0.0.1");
    e2e.defer(() => srv.close());
    const page = await e2e.page({ viewport: { width: 375, height: 800 } });
    await page.goto(`${base}/shop`);
    await connected(page);
    await page.evaluate(() => ((window as unknown as { marker: number }).marker = 1));
    const loads = () => page.evaluate(() => (window as unknown as { marker?: number }).marker);

    await page.click("nav[aria-label=Kind] >> text=tea");
    await expect.poll(() => page.textContent("#count")).toBe("8 products");
    expect(await page.evaluate(() => location.search)).toBe("?kind=tea");
    await page.fill("#q", "smoky");
    await expect.poll(() => page.evaluate(() => location.search)).toBe("?kind=tea&q=smoky");
    const count = await page.textContent("#count");
    expect(count).not.toBe("8 products");

    const first = page.locator("#products a").first();
    const name = (await first.textContent())!;
    await first.click();
    await expect.poll(() => page.textContent("#product")).toBe(name);
    expect(await page.evaluate(() => location.pathname)).toMatch(/^\/shop\/p\d+$/);
    const product = await page.evaluate(() => location.pathname);
    // Back: the list as it was left (its filters are in the address), then Forward to the product.
    await page.goBack();
    await expect.poll(() => page.textContent("#count")).toBe(count);
    expect(await page.evaluate(() => location.search)).toBe("?kind=tea&q=smoky");
    expect(await page.inputValue("#q")).toBe("smoky");
    await page.goForward();
    await expect.poll(() => page.textContent("#product")).toBe(name);

    // Buying needs a member: to the sign-in page, and back after it (the rpc set the cookie and redirected).
    await connected(page);
    await page.click("#buy");
    await expect.poll(() => page.textContent("h1")).toBe("Sign in");
    expect(await page.evaluate(() => location.pathname + location.search)).toBe(`/shop/signin?next=${encodeURIComponent(product)}`);
    await connected(page);
    await page.fill("#signin-name", "ann");
    await page.fill("#signin-password", "wrong");
    await page.click("#signin button[type=submit]");
    await expect.poll(() => page.locator("#signin").textContent()).toContain("That name or password is not right.");
    await page.fill("#signin-password", "revue");
    await page.click("#signin button[type=submit]");
    await expect.poll(() => page.evaluate(() => location.pathname)).toBe(product);
    await expect.poll(() => page.textContent("#orders-link")).toBe("ann's orders (0)");
    expect((await page.context().cookies()).find((c) => c.name === "member")).toMatchObject({ value: "ann", httpOnly: true });

    await connected(page);
    await page.click("#buy");
    await expect.poll(() => page.textContent("[role=status].rv-alert, .rv-alert")).toContain("is in your orders");
    await page.click("#orders-link");
    await expect.poll(() => page.textContent("h1")).toBe("ann's orders");
    expect(await page.textContent("#order-list")).toContain(name);

    await connected(page);
    await page.click("#signout");
    await expect.poll(() => page.evaluate(() => location.pathname)).toBe("/shop");
    await expect.poll(() => page.textContent("#signin-link")).toBe("Sign in");
    expect((await page.context().cookies()).find((c) => c.name === "member")).toBeUndefined();
    expect(await loads()).toBe(1); // all of it without a page load
    expect(await page.evaluate(() => document.documentElement.scrollWidth)).toBeLessThanOrEqual(375);
  });
});
