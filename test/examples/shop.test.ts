import { afterEach, describe, expect, it } from "vitest";
import { serve } from "../server/harness.js";
import { ShopItem, ShopList } from "../../examples/shop/app.js";

let close: (() => Promise<void>) | undefined;
afterEach(async () => {
  await close?.();
  close = undefined;
});

const names = (html: string) => [...html.matchAll(/<a href="\/shop\/p\d+[^"]*"[^>]*><b[^>]*>([^<]+)<\/b>/g)].map((m) => m[1]);

describe("examples/shop", () => {
  it("filters and sorts the list from its address, links each product with a way back to the same list", async () => {
    const srv = await serve({ "/shop": ShopList, "/shop/:id": ShopItem });
    close = srv.close;
    const b = srv.browser();
    const all = await b.request("/shop");
    expect(all.body).toContain(">24 products<");
    const teas = await b.request("/shop?kind=tea&sort=price");
    expect(teas.body).toContain(">8 products<");
    expect(names(teas.body).every((n) => n!.endsWith(" tea"))).toBe(true);
    expect(teas.body).toContain('aria-current="page"');
    // A query the list does not know is ignored, not an error.
    expect((await b.request("/shop?kind=%3Cscript%3E&sort=nope")).body).toContain(">24 products<");
    const link = /href="(\/shop\/p\d+\?back=[^"]+)"/.exec(teas.body)![1]!.replace(/&amp;/g, "&");
    const item = await b.request(link);
    expect(item.status).toBe(200);
    expect(item.body).toContain('href="/shop?kind=tea&amp;sort=price" id="back"');
    const missing = await b.request("/shop/p999");
    expect(missing.body).toContain("There is no product p999.");
    // Only a /shop address is followed back: anything else goes to the list.
    expect((await b.request("/shop/p101?back=https%3A%2F%2Fevil.example")).body).toContain('href="/shop" id="back"');
  });
});
