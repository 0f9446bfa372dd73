import { expect, it } from "vitest";
import { App, h, server } from "revue";
import { connected, describeE2E } from "./browser.js";

class Item extends App<Item, {}, "/items/:id"> {
  likes = 0;
  @server.realtime like() {
    this.likes++;
  }
  override render() {
    return h("main", {}, h("h1", {}, `Item ${this.params.id}`), h("button", { id: "like", onClick: this.like }, `${this.likes} likes`));
  }
}

describeE2E("routes with params in Chromium", (e2e) => {
  it("a page at /items/:id connects, calls and patches under its route; an unknown path shows a 404 page", async () => {
    const { url } = await e2e.serve({ "/items/:id": Item });
    const page = await e2e.page();
    await page.goto(`${url}/items/7?from=list`);
    await connected(page);
    expect(await page.textContent("h1")).toBe("Item 7");
    await page.click("#like");
    await expect.poll(() => page.textContent("#like")).toBe("1 likes");
    const missing = await page.goto(`${url}/nothing/here`);
    expect(missing!.status()).toBe(404);
    expect(await page.textContent("h1")).toBe("Page not found");
  });
});
