import { afterEach, describe, expect, it } from "vitest";
import { serve } from "../server/harness.js";
import { authenticate } from "../../examples/account/app.js";
import { ShopItem, ShopList, ShopOrders, ShopSignIn } from "../../examples/shop/app.js";

let close: (() => Promise<void>) | undefined;
afterEach(async () => {
  await close?.();
  close = undefined;
});

const names = (html: string) => [...html.matchAll(/<a [^>]*href="\/shop\/p\d+"[^>]*><b[^>]*>([^<]+)<\/b>/g)].map((m) => m[1]);
const routes = { "/shop": ShopList, "/shop/signin": ShopSignIn, "/shop/orders": ShopOrders, "/shop/:id": ShopItem };

describe("examples/shop", () => {
  it("shows the list its address asks for (@url fields), with live links; an unknown filter is ignored", async () => {
    const srv = await serve(routes, { authenticate, keys: ["test-key-not-secret"] });
    close = srv.close;
    const b = srv.browser();
    const all = await b.request("/shop");
    expect(all.body).toContain(">24 products<");
    const teas = await b.request("/shop?kind=tea&sort=price");
    expect(teas.body).toContain(">8 products<");
    const teaNames = names(teas.body);
    expect(teaNames.length).toBe(8);
    expect(teaNames.every((n) => n!.endsWith(" tea"))).toBe(true);
    expect(teas.body).toMatch(/href="\/shop\?kind=tea&amp;sort=price" navigate="" aria-current="page">tea</);
    // Every link between the shop's pages is live.
    expect(teas.body).toMatch(/<a [^>]*href="\/shop\/p\d+" navigate="">/);
    expect((await b.request("/shop?q=SMOKY")).body).toMatch(/>\d+ products</);
    expect(names((await b.request("/shop?q=smoky")).body).every((n) => /smoky/i.test(n!))).toBe(true);
    // A query the list does not know is ignored, not an error.
    expect((await b.request("/shop?kind=%3Cscript%3E&sort=nope")).body).toContain(">24 products<");
    const missing = await b.request("/shop/p999");
    expect(missing.body).toContain("There is no product p999.");
  });

  it("keeps the orders page for members: a page load without the signed cookie is refused", async () => {
    const srv = await serve(routes, { authenticate, keys: ["test-key-not-secret"] });
    close = srv.close;
    const b = srv.browser();
    expect((await b.request("/shop/orders")).status).toBe(401);
    // A forged (unsigned) cookie is nobody.
    expect((await b.request("/shop/orders", { headers: { cookie: "member=ada" } })).status).toBe(401);
    const signin = await b.request("/shop/signin?next=%2Fshop%2Fp103");
    expect(signin.body).toMatch(/href="\/shop\/p103" navigate="" id="back"/);
    // Only a shop page is followed back: anything else goes to the list.
    expect((await b.request("/shop/signin?next=https%3A%2F%2Fevil.example")).body).toMatch(/href="\/shop" navigate="" id="back"/);
  });
});
