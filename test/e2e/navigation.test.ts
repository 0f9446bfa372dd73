import { expect, it } from "vitest";
import type { Context } from "koa";
import { App, createServer, h, handler, RpcError, server, synced, url } from "revue";
import { connected, describeE2E } from "./browser.js";

const ITEMS = Array.from({ length: 40 }, (_, i) => ({ id: i + 1, name: `Item ${i + 1}`, done: i % 3 === 0 }));

class List extends App {
  static override title = "All items";
  @url filter: "all" | "open" | "done" = "all";
  @url({ push: true }) page = 1;
  @server.realtime show(filter: "all" | "open" | "done") {
    this.filter = filter;
    this.page = 1;
  }
  @server.realtime next() {
    this.page++;
  }
  @server.realtime away() {
    this.navigate("/nowhere/at-all");
  }
  override render() {
    const rows = ITEMS.filter((i) => this.filter === "all" || (this.filter === "done") === i.done);
    const shown = rows.slice((this.page - 1) * 10, this.page * 10);
    return h(
      "main",
      {},
      h("h1", {}, `${this.filter} items, page ${this.page}`),
      h("button", { id: "open", onClick: handler(this.show, { args: ["open"] }) }, "Open"),
      h("button", { id: "next", onClick: this.next }, "Next page"),
      h("button", { id: "away", onClick: this.away }, "Nowhere"),
      h("a", { href: "/nowhere/at-all", navigate: true, id: "nowhere" }, "A link to nowhere"),
      h("a", { href: "/?page=2", navigate: true, id: "page-2" }, "Page 2"),
      h("ul", { style: "height: 3000px" }, ...shown.map((i) => h("li", { key: i.id }, h("a", { href: `/items/${i.id}`, navigate: true, id: `item-${i.id}` }, i.name)))),
    );
  }
}

class Item extends App<Item, {}, "/items/:id"> {
  static override title = "An item";
  static override css = "h1 { color: rgb(0, 128, 0) }";
  visits = 0;
  @server.on("params") moved() {
    this.visits++;
  }
  override render() {
    const id = Number(this.params.id);
    return h(
      "main",
      {},
      h("h1", {}, `Item ${id}`),
      h("p", { id: "visits" }, `${this.visits} moves`),
      // An id of the app's own that the page's stylesheet also has: the page's is the one in <head>.
      h("p", { id: "rv-css" }, "the app's own"),
      h("a", { href: `/items/${id + 1}`, navigate: true, id: "next-item" }, "Next item"),
      h("a", { href: "/?filter=done", navigate: true, id: "home" }, "Done items"),
    );
  }
}

describeE2E("live navigation, @url fields and history in Chromium", (e2e) => {
  it("keeps @url fields in the address, moves between routes and apps without a page load, and Back/Forward restore view and scroll", async () => {
    const { url: base } = await e2e.serve({ "/": List, "/items/:id": Item });
    const page = await e2e.page({ viewport: { width: 800, height: 600 } });
    await page.goto(`${base}/?filter=done`);
    await connected(page);
    expect(await page.textContent("h1")).toBe("done items, page 1");
    // A marker that a page load would lose.
    await page.evaluate(() => ((window as unknown as { marker: number }).marker = 1));
    const entries = await page.evaluate(() => history.length);

    // A field changed by a handler is written to the address: replaced (filter) or pushed (page).
    await page.click("#open");
    await expect.poll(() => page.evaluate(() => location.search)).toBe("?filter=open");
    expect(await page.evaluate(() => history.length)).toBe(entries);
    await page.click("#next");
    await expect.poll(() => page.evaluate(() => location.search)).toBe("?filter=open&page=2");
    expect(await page.evaluate(() => history.length)).toBe(entries + 1);
    expect(await page.textContent("h1")).toBe("open items, page 2");

    // Back: the previous address, and the view it shows (the session's fields follow the address).
    await page.goBack();
    await expect.poll(() => page.textContent("h1")).toBe("open items, page 1");
    await page.goForward();
    await expect.poll(() => page.textContent("h1")).toBe("open items, page 2");

    // A link with `navigate` to another app: no page load, its title and css, scrolled to the top, focus on the new content.
    await page.evaluate(() => scrollTo(0, 400));
    const sid = await page.evaluate(() => window.rv.session);
    await page.evaluate(() => document.getElementById("item-18")!.click()); // (page.click would scroll it into view first)
    await expect.poll(() => page.textContent("h1")).toBe("Item 18");
    expect(await page.evaluate(() => location.pathname)).toBe("/items/18");
    expect(await page.evaluate(() => (window as unknown as { marker?: number }).marker)).toBe(1);
    expect(await page.title()).toBe("An item");
    expect(await page.evaluate(() => getComputedStyle(document.querySelector("h1")!).color)).toBe("rgb(0, 128, 0)");
    expect(await page.textContent("main #rv-css")).toBe("the app's own");
    expect(await page.evaluate(() => scrollY)).toBe(0);
    expect(await page.evaluate(() => document.activeElement?.id)).toBe("rv-root");
    const itemSid = await page.evaluate(() => window.rv.session);
    expect(itemSid).not.toBe(sid);
    await connected(page);

    // Within one app: new params, the same session, its params handler ran.
    await page.click("#next-item");
    await expect.poll(() => page.textContent("h1")).toBe("Item 19");
    expect(await page.textContent("#visits")).toBe("1 moves");
    expect(await page.evaluate(() => window.rv.session)).toBe(itemSid);

    // Back twice: item 18, then the list at page 2, scrolled where it was left.
    await page.goBack();
    await expect.poll(() => page.textContent("h1")).toBe("Item 18");
    expect(await page.textContent("#visits")).toBe("2 moves");
    await page.goBack();
    await expect.poll(() => page.textContent("h1")).toBe("open items, page 2");
    await expect.poll(() => page.evaluate(() => scrollY)).toBe(400);
    expect(await page.title()).toBe("All items");
    expect(await page.evaluate(() => (window as unknown as { marker?: number }).marker)).toBe(1);

    // The address is the view: a reload and a shared link show the same.
    await page.reload();
    await connected(page);
    expect(await page.textContent("h1")).toBe("open items, page 2");
    const other = await e2e.page();
    await other.goto(`${base}/?filter=open&page=2`);
    expect(await other.textContent("h1")).toBe("open items, page 2");

    // A handler's navigate to an address no app serves: a page load, which shows the 404 page.
    await page.click("#away");
    await expect.poll(() => page.evaluate(() => location.pathname)).toBe("/nowhere/at-all");
    await expect.poll(() => page.textContent("h1")).toBe("Page not found");
    // Back from that page: the address before it, and its view (it stayed "Page not found").
    await page.goBack();
    await expect.poll(() => page.evaluate(() => location.search)).toBe("?filter=open&page=2");
    await expect.poll(() => page.textContent("h1")).toBe("open items, page 2");
    await connected(page);
  });
});

describeE2E("history after a reload in Chromium", (e2e) => {
  it("Back and Forward still show the view of each address after the page was reloaded, within an app and across apps", async () => {
    const { url: base } = await e2e.serve({ "/": List, "/items/:id": Item });
    const page = await e2e.page({ viewport: { width: 800, height: 600 } });
    await page.goto(`${base}/?filter=done`);
    await connected(page);
    await page.click("#next");
    await expect.poll(() => page.textContent("h1")).toBe("done items, page 2");
    await expect.poll(() => page.evaluate(() => location.search)).toBe("?filter=done&page=2");
    await page.reload();
    await connected(page);
    await page.goBack();
    await expect.poll(() => page.evaluate(() => location.search)).toBe("?filter=done");
    await expect.poll(() => page.textContent("h1")).toBe("done items, page 1");
    await page.goForward();
    await expect.poll(() => page.textContent("h1")).toBe("done items, page 2");

    // Across apps: to an item, reload there, Back to the list.
    await page.evaluate(() => document.getElementById("item-31")!.click());
    await expect.poll(() => page.textContent("h1")).toBe("Item 31");
    await expect.poll(() => page.evaluate(() => location.pathname)).toBe("/items/31");
    await page.reload();
    await connected(page);
    expect(await page.textContent("h1")).toBe("Item 31");
    await page.goBack();
    await expect.poll(() => page.textContent("h1")).toBe("done items, page 2");
    expect(await page.title()).toBe("All items");
    await page.goForward();
    await expect.poll(() => page.textContent("h1")).toBe("Item 31");
  });
});

class Door extends App {
  @synced knocks = 0;
  @server.rpc knock() {
    this.knocks++;
    return this.knocks;
  }
  @server.rpc signIn(name: string) {
    if (!/^\w{1,20}$/.test(name)) throw new Error("bad name");
    this.setCookie("member", name, { maxAge: 60_000 });
    this.redirect("/members");
  }
  override render() {
    return h("main", {}, h("h1", {}, "Door"), h("p", { id: "knocks" }, String(this.knocks)));
  }
}

class Members extends App {
  static override auth = true as const;
  @server.rpc signOut() {
    this.clearCookie("member");
    this.navigate("/");
  }
  override render() {
    return h("main", {}, h("h1", {}, `Welcome ${(this.user as { name: string }).name}`));
  }
}

describeE2E("cookies, redirects and @synced state in Chromium", (e2e) => {
  it("an rpc sets a signed HttpOnly cookie and redirects live to a members-only app; @synced fields reach rv.state", async () => {
    const authenticate = (ctx: Context) => {
      const name = ctx.cookies.get("member", { signed: true });
      return name ? { name } : undefined;
    };
    const srv = createServer({ "/": Door, "/members": Members }, { authenticate, keys: ["test-key-not-secret"], logger: { warn() {}, error() {} } });
    const base = await srv.listen(0, "127.0.0.1");
    e2e.defer(() => srv.close());
    const page = await e2e.page();
    await page.goto(base);
    await connected(page);

    // @synced: in the boot data, then in each patch that changes it, with a "state" event.
    expect(await page.evaluate(() => window.rv.state)).toEqual({ knocks: 0 });
    await page.evaluate(() => window.rv.on("state", (s) => ((window as unknown as { heard: unknown }).heard = s)));
    expect(await page.evaluate(() => window.rv.rpc("knock"))).toBe(1);
    await expect.poll(() => page.evaluate(() => window.rv.state.knocks)).toBe(1);
    expect(await page.evaluate(() => (window as unknown as { heard: unknown }).heard)).toEqual({ knocks: 1 });

    await page.evaluate(() => ((window as unknown as { marker: number }).marker = 1));
    await page.evaluate(() => window.rv.rpc("signIn", "ann"));
    await expect.poll(() => page.textContent("h1")).toBe("Welcome ann");
    expect(await page.evaluate(() => location.pathname)).toBe("/members");
    expect(await page.evaluate(() => (window as unknown as { marker?: number }).marker)).toBe(1);
    const cookies = await page.context().cookies();
    expect(cookies.find((c) => c.name === "member")).toMatchObject({ value: "ann", httpOnly: true, sameSite: "Lax" });
    expect(cookies.find((c) => c.name === "member.sig")).toBeDefined();
    expect(await page.evaluate(() => document.cookie)).not.toContain("member");

    // The ticket works once: trading it again is refused.
    await connected(page);
    await page.evaluate(() => window.rv.rpc("signOut"));
    await expect.poll(() => page.textContent("h1")).toBe("Door");
    expect((await page.context().cookies()).find((c) => c.name === "member")).toBeUndefined();
    // Without the cookie the members' app refuses: a page load shows the 401 page.
    const refused = await page.goto(`${base}/members`);
    expect(refused!.status()).toBe(401);
  });
});

/** An item page whose `load` refuses items past 5, as an app reading a database does. */
class Stocked extends App<Stocked, {}, "/items/:id"> {
  @server.on("load") check() {
    if (Number(this.params.id) > 5) throw new RpcError("NOT_FOUND", `No item ${this.params.id}.`);
  }
  override render() {
    const id = Number(this.params.id);
    return h("main", {}, h("h1", {}, `Item ${id}`), h("a", { href: `/items/${id + 1}`, navigate: true, id: "next-item" }, "Next item"));
  }
}

describeE2E("live navigation while the server is down in Chromium", (e2e) => {
  it("a link to a page that is not there, clicked while the server was down, shows the 404 page once the server is back", async () => {
    const first = await e2e.serve({ "/items/:id": Stocked });
    const page = await e2e.page();
    await page.goto(`${first.url}/items/4`);
    await connected(page);
    await page.click("#next-item"); // live: the navigation chunk is loaded
    await expect.poll(() => page.textContent("h1")).toBe("Item 5");
    await e2e.stop(first.srv);
    await page.click("#next-item");
    await expect.poll(() => page.evaluate(() => location.pathname)).toBe("/items/6");
    // A restarted server (no sessions): the page's new session for /items/6 is refused, and the page loads its address.
    await e2e.serve({ "/items/:id": Stocked }, first.port);
    await expect.poll(() => page.textContent("body"), { timeout: 15_000 }).toContain("No item 6.");
  });
});

describeE2E("live navigation under hurried clicks in Chromium", (e2e) => {
  it("a link clicked while the navigation chunk cannot load is followed by a page load, and so is the next", async () => {
    const { url: base } = await e2e.serve({ "/": List, "/items/:id": Item });
    const page = await e2e.page();
    // The server down as the chunk is first fetched: Chromium keeps that failure for the page's life.
    await page.route("**/rv/nav-*.js", (route) => route.abort("connectionrefused"));
    await page.goto(base);
    await connected(page);
    await page.evaluate(() => ((window as unknown as { before: number }).before = 1));
    await page.click("#item-2");
    await expect.poll(() => page.textContent("h1")).toBe("Item 2");
    expect(new URL(page.url()).pathname).toBe("/items/2");
    expect(await page.evaluate(() => (window as unknown as { before?: number }).before)).toBeUndefined(); // a page load
    await connected(page);
    await page.click("#next-item");
    await expect.poll(() => page.textContent("h1")).toBe("Item 3");
    await connected(page);
    // Back where the chunk loads: live again.
    await page.unroute("**/rv/nav-*.js");
    await page.evaluate(() => ((window as unknown as { before: number }).before = 1));
    await page.click("#next-item");
    await expect.poll(() => page.textContent("h1")).toBe("Item 4");
    expect(await page.evaluate(() => (window as unknown as { before?: number }).before)).toBe(1);
  });

  it("two quick clicks on links to another app leave one working page", async () => {
    const { url: base } = await e2e.serve({ "/": List, "/items/:id": Item });
    const page = await e2e.page();
    await page.goto(base);
    await connected(page);
    await page.evaluate(() => {
      const a = document.getElementById("item-2")!;
      a.click();
      a.click();
    });
    await expect.poll(() => page.textContent("h1")).toBe("Item 2");
    await connected(page);
    // The page on screen is the runtime's: a live link in it still works.
    await page.click("#next-item");
    await expect.poll(() => page.textContent("h1")).toBe("Item 3");
    expect(await page.locator("#rv-root").count()).toBe(1);
  });

  it("two clicks in one moment, one to an address no app serves: the page of the last click is shown, whichever it is", async () => {
    const { url: base } = await e2e.serve({ "/": List, "/items/:id": Item });
    const page = await e2e.page();
    for (const [first, last, h1, path] of [
      ["nowhere", "item-2", "Item 2", "/items/2"],
      ["item-2", "nowhere", null, "/nowhere/at-all"],
      ["nowhere", "page-2", "all items, page 2", "/"], // the page stays in its app: its session must stay too
    ] as const) {
      await page.goto(base);
      await connected(page);
      await page.evaluate(([a, b]) => (document.getElementById(a)!.click(), document.getElementById(b)!.click()), [first, last]);
      await expect.poll(() => new URL(page.url()).pathname, { timeout: 10_000 }).toBe(path);
      // Settled: the address and the page agree, and stay so.
      await page.waitForTimeout(1_000);
      expect(new URL(page.url()).pathname).toBe(path);
      if (h1) {
        await expect.poll(() => page.textContent("h1")).toBe(h1);
        await connected(page);
        if (path === "/") {
          await page.waitForTimeout(1_500); // past the end a navigation away would have brought
          await page.click("#next");
          await expect.poll(() => page.textContent("h1")).toBe("all items, page 3");
        }
      } else expect(await page.textContent("body")).toMatch(/not found/i);
    }
  });
});
