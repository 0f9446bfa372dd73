import { describe, expect, it } from "vitest";
import { App, h, server, synced, url } from "revue";
import { mount } from "revue/testing";

class Item extends App<Item, {}, "/items/:id"> {
  @url tab = "details";
  @synced views = 0;
  moves = 0;
  @server.on("params") moved() {
    this.moves++;
  }
  @server.realtime reviews() {
    this.tab = "reviews";
    this.views++;
  }
  override render() {
    return h("main", {},
      h("h1", {}, `Item ${this.params.id}: ${this.tab}`),
      h("p", { id: "moves" }, String(this.moves)),
      h("button", { id: "reviews", onClick: this.reviews }, "Reviews"),
      h("a", { id: "next", href: `/items/${Number(this.params.id) + 1}`, navigate: true }, "Next"));
  }
}

describe("revue/testing: routes, @url fields and navigation", () => {
  it("opens a page at an address, follows @url changes, live links and navigate()", async () => {
    const t = await mount(Item, { route: "/items/:id", url: "/items/7?tab=specs" });
    expect(t.text("h1")).toBe("Item 7: specs");
    expect(t.rv.state).toEqual({ views: 0 });
    await t.click("#reviews");
    expect(t.url).toBe("/items/7?tab=reviews");
    expect(t.rv.state).toEqual({ views: 1 });
    await t.click("#next");
    expect(t.url).toBe("/items/8");
    expect(t.text("h1")).toBe("Item 8: details");
    expect(t.text("#moves")).toBe("1");
    await t.navigate("/items/3?tab=reviews");
    expect(t.text("h1")).toBe("Item 3: reviews");
    expect(t.app.moves).toBe(2);
    await t.unmount();
  });

  it("says when the url is not the route's", async () => {
    await expect(mount(Item, { route: "/items/:id", url: "/things/7" })).rejects.toThrow(/that path is not one of the route "\/items\/:id"'s/);
  });
});
