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
    // A move scrolls as a page load would, which jsdom cannot: nothing in the logs for it.
    expect(t.logs).toEqual([]);
    await t.unmount();
  });

  it("shows a navigation out of the app in t.url (this.navigate, a link to another address), and one back in", async () => {
    class Saved extends Item {
      @server.realtime done() {
        this.navigate("/orders/1");
      }
      override render() {
        return h("main", {}, super.render(), h("button", { id: "done", onClick: this.done }, "Done"), h("a", { id: "out", href: "/help", navigate: true }, "Help"));
      }
    }
    const t = await mount(Saved, { route: "/items/:id", url: "/items/7" });
    await t.click("#done");
    expect(t.url).toBe("/orders/1");
    await t.navigate("/items/9");
    expect(t.url).toBe("/items/9");
    expect(t.text("h1")).toBe("Item 9: details");
    await t.click("#out");
    expect(t.url).toBe("/help");
    await t.unmount();
  });

  it("says when the url is not the route's", async () => {
    await expect(mount(Item, { route: "/items/:id", url: "/things/7" })).rejects.toThrow(/that path is not one of the route "\/items\/:id"'s/);
  });
});

describe("revue/testing: @synced fields", () => {
  class Tags extends App {
    @synced tags = new Set(["a"]);
    @synced plain = ["a"];
    @server.realtime add() {
      this.tags = new Set([...this.tags, "b"]);
      this.plain = [...this.plain, "b"];
    }
    override render() {
      return h("button", { id: "add", onClick: this.add }, "Add");
    }
  }

  it("warns once when one holds a Set (JSON keeps nothing of it), and says what to keep instead", async () => {
    const t = await mount(Tags);
    expect(t.rv.state).toEqual({ tags: {}, plain: ["a"] });
    await t.click("#add");
    const warned = t.logs.filter((l) => l.includes("Tags.tags is @synced"));
    expect(warned).toEqual([
      "warn [revue] Tags.tags is @synced and holds a Set, which JSON turns into {}: the page's rv.state.tags loses its entries. Keep an array (or an object) in it instead, e.g. [...set] or Object.fromEntries(map). (Said once.)",
    ]);
    expect(t.logs.filter((l) => l.includes("Tags.plain"))).toEqual([]);
    await t.unmount();
  });
});

/** The README's presence topic per page (Presence, "A topic per page"). */
class Note extends App<Note, {}, "/notes/:id"> {
  viewing = "";
  viewers: string[] = [];
  @server.on("connect") @server.on("params") follow() {
    const topic = `note:${this.params.id}`;
    if (topic === this.viewing) return;
    if (this.viewing) { this.presence.untrack(this.viewing); this.leave(this.viewing); }
    this.viewing = topic;
    this.join(topic);
    this.presence.track(topic);
    this.viewers = Object.keys(this.presence.list(topic));
  }
  @server.on("disconnect") gone() { if (this.viewing) this.presence.untrack(this.viewing); this.viewing = ""; }
  @server.on("presence") changed() { this.viewers = Object.keys(this.presence.list(this.viewing)); }
  override render() {
    return h("main", {}, h("p", { id: "viewers" }, this.viewers.join(", ")), h("a", { id: "next", href: `/notes/${Number(this.params.id) + 1}`, navigate: true }, "Next"));
  }
}

describe("the README's presence topic per page", () => {
  it("moves a viewer from one note's list to the next one's on a live move", async () => {
    const ada = await mount(Note, { route: "/notes/:id", url: "/notes/1", user: { name: "ada" } });
    const bob = await ada.another({ user: { name: "bob" } });
    await ada.settle();
    await new Promise((r) => setTimeout(r, 120)); // presence diffs are batched by 50 ms
    await ada.settle();
    expect(ada.text("#viewers")).toBe("ada, bob");
    await bob.click("#next");
    await new Promise((r) => setTimeout(r, 120));
    await ada.settle();
    await bob.settle();
    expect(ada.text("#viewers")).toBe("ada");
    expect(bob.text("#viewers")).toBe("bob");
    await ada.unmount();
  });
});

class Paged extends App {
  @url page = 1;
  override render() {
    return h("main", {}, h("p", { id: "page" }, String(this.page)));
  }
}

describe("an address whose @url value does not read", () => {
  it("is corrected as soon as the page is open, before any call", async () => {
    const t = await mount(Paged, { url: "/?page=abc&utm=x" });
    await t.settle();
    expect(t.text("#page")).toBe("1");
    expect(t.url).toBe("/?utm=x");
    await t.unmount();
  });
});
