import { afterEach, describe, expect, it } from "vitest";
import { App, h, RpcError, server, synced, url } from "revue";
import { getSpec } from "revue/internals";
import { serve, type Browser } from "./harness.js";

class Shop extends App {
  @url({ choices: ["all", "books", "toys", "games"] }) category = "all";
  @url({ param: "p", push: true }) page = 1;
  @url sale = false;
  @synced cart: string[] = [];
  @synced total = 0;
  seen: Array<{ params: unknown; query: unknown }> = [];
  @server.on("params") moved(at: { params: unknown; query: unknown }) {
    this.seen.push(at);
  }
  @server.rpc set(category: string, page: number, sale: boolean) {
    this.category = category;
    this.page = page;
    this.sale = sale;
  }
  @server.rpc add(item: string) {
    this.cart = [...this.cart, item];
  }
  @server.rpc go(where: string, replace: boolean) {
    this.navigate(where, { replace });
  }
  @server.rpc away(where: string) {
    this.redirect(where);
  }
  @server.rpc cookie(name: unknown, value: unknown, options?: unknown) {
    this.setCookie(name as string, value as string, options as never);
  }
  /** A sign-in that fails after setting its cookie (a check after it, a bad redirect). */
  @server.rpc async cookieThenFail(name: string, value: string, later: boolean) {
    this.setCookie(name, value);
    if (later) await new Promise((r) => setTimeout(r, 5));
    throw new Error("the sign-in failed after its cookie was set");
  }
  /** A sign-in whose check outlives handlerTimeoutMs: one cookie set before the wait, one after. */
  @server.rpc async slowSignIn(ms: number) {
    this.setCookie("early", "1");
    await new Promise((r) => setTimeout(r, ms));
    this.setCookie("user", "ada");
  }
  @server.rpc forget(name: string) {
    this.clearCookie(name);
  }
  @server.rpc moves() {
    return this.seen;
  }
  @server.rpc bad() {
    (this as unknown as { page: unknown }).page = NaN;
  }
  override render() {
    return h("main", {}, h("h1", {}, `${this.category} p${this.page}${this.sale ? " sale" : ""}`));
  }
}

class Item extends App<Item, {}, "/items/:id"> {
  override render() {
    return h("h1", {}, `Item ${this.params.id}`);
  }
}
class Static extends App {
  override render() {
    return h("h1", {}, "static");
  }
}

let close: (() => Promise<void>) | undefined;
afterEach(async () => {
  await close?.();
  close = undefined;
});

/** A page of `path` on a Browser: its session, boot data and a stream. */
async function open(b: Browser, path: string) {
  const page = await b.request(path);
  const boot = JSON.parse(/<script type="application\/json" id="rv-boot">(.*?)<\/script>/.exec(page.body)![1]!);
  b.sid = boot.sid;
  return { page, boot, stream: b.stream(0) };
}

describe("@url fields", () => {
  it("start from the address, write it back when handlers change them (defaults left out), and a field the address cannot hold is refused in words", async () => {
    const srv = await serve({ "/": Shop });
    close = srv.close;
    const b = srv.browser();
    const { page, boot, stream } = await open(b, "/?category=books&p=3&sale=true&utm=x");
    expect(page.body).toContain(">books p3 sale</h1>");
    expect(boot.s).toEqual({ cart: [], total: 0 });

    await b.rpc("set", ["toys", 1, false]);
    const patch = await stream.waitFor((m) => m.data.x?.u !== undefined, "the new address");
    // The page's other parameters stay; fields at their initial value leave the address.
    expect(patch.data.x).toEqual({ u: "/?category=toys&utm=x", p: 1 }); // page 3 → 1: a pushed field changed
    await b.rpc("set", ["toys", 2, false]);
    const pushed = await stream.waitFor((m) => m.data.x?.u === "/?category=toys&utm=x&p=2", "a pushed address");
    expect(pushed.data.x.p).toBe(1);

    // What the address cannot read leaves the field at its initial value, and the address is made right.
    const c = srv.browser();
    const second = await open(c, "/?p=abc&sale=maybe&category=%3Cscript%3E");
    expect(second.page.body).toContain(">all p1</h1>"); // not a number, not a boolean, not one of the choices
    // Once the page connects, before any call of its own.
    const fixed = await second.stream.waitFor((m) => m.type === "patch" && m.data.x?.u !== undefined, "the corrected address");
    expect(fixed.data).toMatchObject({ ops: [], x: { u: "/" } });

    const refused = await b.rpc("bad");
    expect(refused.status).toBe(200); // the handler ran; the render says what is wrong
    const error = await stream.waitFor((m) => m.type === "error", "the render's error");
    expect(error.data.message).toMatch(/Shop\.page is @url and now holds NaN, which the address cannot keep/);
  });

  it("are checked where they are declared", async () => {
    const { url: urlDecorator } = await import("revue");
    expect(() => {
      class Twice extends App {
        @url a = "";
        @urlDecorator({ param: "a" }) b = "";
      }
      getSpec(Twice);
    }).toThrow(/query parameter "a" is already Twice\.a's/);
    expect(() => urlDecorator({ param: "no spaces" } as never)).toThrow(/a query parameter name is 1–64 letters/);
    expect(() => urlDecorator({ replace: true } as never)).toThrow(/unknown option "replace"/);
    class Listy extends App {
      @url tags: string[] = [];
    }
    const srv = await serve({ "/": Listy });
    close = srv.close;
    const r = await srv.browser().request("/", { headers: { accept: "application/json" } });
    expect(r.status).toBe(500);
    expect(r.body.error.message).toMatch(/Listy\.tags is @url and starts as an array\. An @url field holds a string, a number or a boolean/);
  });
});

describe("rv.nav: a page moving to another address", () => {
  it("within its app: new params, query and @url fields, @server.on(\"params\") runs, and the patch says so; another app is named; an unknown path is a page load", async () => {
    const srv = await serve({ "/": Shop, "/items/:id": Item, "/items/new": Static });
    close = srv.close;
    const b = srv.browser();
    const { stream } = await open(b, "/?category=books");

    expect((await b.rpc("rv.nav", ["/?category=games&p=4"])).body.result).toEqual({});
    const moved = await stream.waitFor((m) => m.data.x?.n === 1, "the navigation's patch");
    expect(moved.data.ops.find((o: { op: string }) => o.op === "text").text).toBe("games p4");
    // Back to a bare address: the fields go back to their initial values.
    await b.rpc("rv.nav", ["/"]);
    await stream.waitFor((m) => m.type === "patch" && m.data.ops.some((o: { text?: string }) => o.text === "all p1"), "the fields reset");
    expect((await b.rpc("moves")).body.result).toEqual([
      { params: {}, query: { category: "games", p: "4" } },
      { params: {}, query: {} },
    ]);

    for (const bad of ["//evil.example/x", "https://evil.example/", "javascript:alert(1)", 42, "/a b"]) {
      const r = await b.rpc("rv.nav", [bad]);
      expect(r.status, String(bad)).toBe(400);
      expect(r.body.error.code).toBe("INVALID_ARGS");
    }
    expect((await b.rpc("rv.nav", ["/items/7"])).body.result).toEqual({ api: "/items/:id" });
    expect((await b.rpc("rv.nav", ["/items/new"])).body.result).toEqual({ api: "/items/new" });
    expect((await b.rpc("rv.nav", ["/nothing/here"])).body.result).toEqual({ load: true });
    // A page that left its app does not come back to that session (Back starts a new one from the address): it ends.
    await stream.waitFor((m) => m.type === "bye", "the left session's end");
    expect((await b.rpc("moves")).body.error.code).toBe("SESSION_NOT_FOUND");

    // The other app's page starts its session for that address, with its head.
    const item = srv.browser("/items/:id");
    item.cookie = b.cookie;
    const started = await item.request("/api/session", { method: "POST", json: { url: "/items/7?x=1" } });
    expect(started.status).toBe(201);
    expect(JSON.stringify(started.body.tree)).toContain("Item 7");
    expect(started.body.title).toBe("Item");
  });
});

describe("a move within the app that fails", () => {
  const products: Record<string, string> = { "6": "Bread", "8": "Jam" };
  class Product extends App<Product, {}, "/products/:id"> {
    name = "";
    @server.on("load") async fetch() {
      await this.moved();
    }
    @server.on("params") async moved() {
      const name = products[this.params.id];
      if (name === undefined) throw new RpcError("NOT_FOUND", `No product ${this.params.id}.`);
      this.name = name;
    }
    override render() {
      return h("h1", {}, this.name);
    }
  }

  it("is a page load of the address (its 404 page) when a params handler throws; not the old item under the new address", async () => {
    const srv = await serve({ "/products/:id": Product });
    close = srv.close;
    const b = srv.browser("/products/:id");
    const first = await fetch(`${srv.url}/products/6`);
    b.cookie = first.headers.get("set-cookie")!.split(";")[0]!;
    b.sid = JSON.parse(/id="rv-boot">(.*?)<\/script>/.exec(await first.text())![1]!).sid;
    expect((await b.rpc("rv.nav", ["/products/8"])).body.result).toEqual({});
    expect((await b.rpc("rv.nav", ["/products/7"])).body.result).toEqual({ load: true });
    expect((await fetch(`${srv.url}/products/7`, { headers: { accept: "text/html" } })).status).toBe(404);
    // An RpcError thrown on purpose is the move's answer, not a bug: nothing logged.
    expect(srv.logs.filter((l) => l.includes('threw while handling "params"'))).toEqual([]);
  });

  it("leaves the session running no call until a move succeeds: a client that ignores the answer cannot act under the refused address", async () => {
    const renamed: string[] = [];
    class Owned extends Product {
      @server.rpc rename(to: string) {
        renamed.push(`${this.params.id}:${to}`);
      }
    }
    const srv = await serve({ "/products/:id": Owned });
    close = srv.close;
    const b = srv.browser("/products/:id");
    const first = await fetch(`${srv.url}/products/6`);
    b.cookie = first.headers.get("set-cookie")!.split(";")[0]!;
    b.sid = JSON.parse(/id="rv-boot">(.*?)<\/script>/.exec(await first.text())![1]!).sid;
    expect((await b.rpc("rv.nav", ["/products/7"])).body.result).toEqual({ load: true });
    const refused = await b.rpc("rename", ["mine now"]);
    expect(refused.status).toBe(404);
    expect(refused.body.error.message).toMatch(/moved to \/products\/7 and the move failed/);
    expect(renamed).toEqual([]);
    // A second click the page made meanwhile (a move that succeeds) takes the session on.
    expect((await b.rpc("rv.nav", ["/products/8"])).body.result).toEqual({});
    expect((await b.rpc("rename", ["jam"])).status).toBe(200);
    expect(renamed).toEqual(["8:jam"]);
  });
});

describe("a move within the app runs `load` again", () => {
  const items: Record<string, string> = { "1": "One", "2": "Two" };
  let loads = 0;
  class Item extends App<Item, {}, "/items/:id"> {
    title = "";
    @server.on("load") async fetch() {
      loads++;
      await new Promise((r) => setTimeout(r, 5));
      const title = items[this.params.id];
      if (title === undefined) throw new RpcError("NOT_FOUND", `No item ${this.params.id}.`);
      this.title = title;
    }
    override render() {
      return h("h1", {}, this.title);
    }
  }

  it("for the address it moves to: the patch shows its data, and a load that fails makes the move a page load", async () => {
    const srv = await serve({ "/items/:id": Item });
    close = srv.close;
    const b = srv.browser("/items/:id");
    const first = await fetch(`${srv.url}/items/1`);
    const html = await first.text();
    expect(html).toContain("One");
    b.cookie = first.headers.get("set-cookie")!.split(";")[0]!;
    b.sid = JSON.parse(/id="rv-boot">(.*?)<\/script>/.exec(html)![1]!).sid;
    expect(loads).toBe(1);
    const stream = b.stream(0);
    expect((await b.rpc("rv.nav", ["/items/2"])).body.result).toEqual({});
    await stream.waitFor((m) => m.type === "patch" && JSON.stringify(m.data).includes("Two"), "the patch with item 2");
    expect(loads).toBe(2);
    expect((await b.rpc("rv.nav", ["/items/3"])).body.result).toEqual({ load: true });
    expect(loads).toBe(3);
  });
});

describe("rv.nav and apps that need a user", () => {
  it("a page whose user signed out may still leave for another app, but not move within its own; the app never renders without its user", async () => {
    let rendersWithoutUser = 0;
    class Members extends App<Members, {}, "/members/:id"> {
      static override auth = true as const;
      override render() {
        if (this.user === undefined) rendersWithoutUser++;
        return h("h1", {}, `member ${this.params.id}`);
      }
    }
    let user: { name: string } | undefined = { name: "ann" };
    const srv = await serve({ "/": Shop, "/members/:id": Members }, { authenticate: () => user });
    close = srv.close;
    const r = srv.browser();
    const opened = await r.request("/members/1");
    expect(opened.status).toBe(200);
    const m = srv.browser("/members/:id");
    m.cookie = r.cookie;
    m.sid = JSON.parse(/<script type="application\/json" id="rv-boot">(.*?)<\/script>/.exec(opened.body)![1]!).sid;
    expect((await m.rpc("rv.nav", ["/members/2"])).body.result).toEqual({});
    user = undefined; // signed out (in another tab)
    const refused = await m.rpc("rv.nav", ["/members/3"]);
    expect(refused.status).toBe(401);
    expect(refused.body.error.code).toBe("UNAUTHORIZED");
    expect((await m.rpc("rv.nav", ["/elsewhere"])).body.result).toEqual({ load: true });
    expect((await m.rpc("rv.nav", ["/"])).body.result).toEqual({ api: "" });
    await new Promise((r) => setTimeout(r, 50)); // the renders those calls scheduled
    expect(rendersWithoutUser).toBe(0);
  });
});

describe("rv.nav towards an app the user may not open", () => {
  it("is a page load (its 401 or 403 page), not the app's name: a move does not tell a stranger which paths are apps", async () => {
    class Admin extends App<Admin, {}, "/admin"> {
      static override auth = ["admin"];
      override render() {
        return h("h1", {}, "admin");
      }
    }
    let user: { name: string; roles: string[] } | undefined;
    const srv = await serve({ "/": Shop, "/admin": Admin }, { authenticate: () => user });
    close = srv.close;
    const b = srv.browser();
    await open(b, "/");
    expect((await b.rpc("rv.nav", ["/admin"])).body.result).toEqual({ load: true });
    expect((await b.rpc("rv.nav", ["/nothing/here"])).body.result).toEqual({ load: true });
    user = { name: "ada", roles: ["admin"] };
    const c = srv.browser();
    await open(c, "/");
    expect((await c.rpc("rv.nav", ["/admin"])).body.result).toEqual({ api: "/admin" });
  });
});

describe("navigate, redirect and cookies from handlers", () => {
  it("navigate and redirect ride on the next patch; what is not an address of this server or an http(s) one is refused in words", async () => {
    const srv = await serve({ "/": Shop });
    close = srv.close;
    const b = srv.browser();
    const { stream } = await open(b, "/");
    await b.rpc("go", ["/items/3", false]);
    expect((await stream.waitFor((m) => m.data.x?.g !== undefined, "navigate")).data.x).toEqual({ g: "/items/3" });
    await b.rpc("away", ["https://example.com/thanks"]);
    expect((await stream.waitFor((m) => m.data.x?.g === "https://example.com/thanks", "redirect")).data.x).toEqual({ g: "https://example.com/thanks", r: 1 });
    const cases: Array<[string, unknown[], RegExp]> = [
      ["go", ["https://example.com/", false], /Shop\.navigate\("https:\/\/example\.com\/"\): not a path of this server.*this\.redirect/],
      ["away", ["javascript:alert(1)"], /Shop\.redirect\("javascript:alert\(1\)"\): only paths and http\(s\) addresses are followed/],
      ["away", ["/\\evil.example"], /may not hold spaces, control characters or "\\"/],
    ];
    for (const [method, args, message] of cases) {
      const r = await b.rpc(method, args);
      expect(r.status).toBe(500);
      expect(r.body.error.message).toMatch(message);
    }
  });

  it("a cookie is traded once for its ticket, by this session's browser, with safe defaults; bad names, values and options are refused", async () => {
    const srv = await serve({ "/": Shop }, { keys: ["test-key-not-secret"] });
    close = srv.close;
    const b = srv.browser();
    const { stream } = await open(b, "/");
    await b.rpc("cookie", ["theme", "dark", { maxAge: 60_000 }]);
    const { c: ticket } = (await stream.waitFor((m) => m.data.x?.c !== undefined, "a cookie ticket")).data.x;

    // A page that missed that patch (its session hibernated: the replay is gone) gets the ticket again with its init.
    stream.es.close();
    const hub = srv.handle.hubs.get("")!;
    hub.hibernate(hub.get(b.sid)!);
    const reopened = b.stream();
    expect((await reopened.waitFor((m) => m.type === "init", "the init")).data.x).toEqual({ c: ticket });

    // Another browser (another token) cannot trade it; this one can, once.
    const thief = srv.browser();
    thief.sid = b.sid;
    expect((await thief.request("/api/cookie", { method: "POST", json: { sid: b.sid, ticket } })).status).toBe(403);
    const traded = await fetch(`${srv.url}/api/cookie`, { method: "POST", headers: { cookie: b.cookie, "content-type": "application/json" }, body: JSON.stringify({ sid: b.sid, ticket }) });
    expect(traded.status).toBe(204);
    const set = traded.headers.getSetCookie();
    expect(set.find((c) => c.startsWith("theme=dark"))).toMatch(/path=\/; .*samesite=lax; httponly/);
    expect(set.some((c) => c.startsWith("theme.sig="))).toBe(true);
    const again = await b.request("/api/cookie", { method: "POST", json: { sid: b.sid, ticket } });
    expect(again.status).toBe(403);
    expect(again.body.error.message).toMatch(/unknown, used or expired/);

    // Clearing one.
    await b.rpc("forget", ["theme"]);
    const next = (await reopened.waitFor((m) => m.data.x?.c !== undefined && m.data.x.c !== ticket, "a second ticket")).data.x.c;
    const cleared = await fetch(`${srv.url}/api/cookie`, { method: "POST", headers: { cookie: b.cookie, "content-type": "application/json" }, body: JSON.stringify({ sid: b.sid, ticket: next }) });
    expect(cleared.headers.getSetCookie().find((c) => c.startsWith("theme="))).toMatch(/expires=Thu, 01 Jan 1970/);

    const refusals: Array<[unknown[], RegExp]> = [
      [["a b", "x"], /a cookie name is 1–256 letters/],
      [["ok", "a;b"], /without spaces, quotes, commas, semicolons.*encodeURIComponent/],
      [["ok", "x", { maxAge: -1 }], /maxAge is a lifetime in milliseconds/],
      [["ok", "x", { sameSite: "none", secure: false }], /sameSite: "none" cookie that is not secure/],
      [["ok", "x", { expires: 1 }], /unknown option "expires"/],
      [["rv_token", "x"], /"rv_token" is Revue's own cookie .* Pick another name/],
      [["__Host-rv_token.sig", "x"], /Revue's own cookie/],
      [["RV_TOKEN", "x"], /Revue's own cookie/],
    ];
    for (const [args, message] of refusals) {
      const r = await b.rpc("cookie", args);
      expect(r.status).toBe(500);
      expect(r.body.error.message).toMatch(message);
    }
  });

  it("a handler that fails sets none of the cookies it set, and keeps those set before it", async () => {
    const srv = await serve({ "/": Shop }, { keys: ["test-key-not-secret"] });
    close = srv.close;
    const b = srv.browser();
    const { stream } = await open(b, "/");
    for (const later of [false, true]) {
      const r = await b.rpc("cookieThenFail", ["user", "ada", later]);
      expect(r.status).toBe(500);
    }
    await b.rpc("set", ["shoes", 2, false]);
    await stream.waitFor((m) => m.type === "patch" && JSON.stringify(m.data).includes("shoes p2"), "the next patch");
    expect(stream.got.some((m) => m.data?.x?.c !== undefined)).toBe(false); // no ticket: nothing to trade
    // A cookie set by a call that succeeded stays when a later one fails.
    await b.rpc("cookie", ["theme", "dark"]);
    await b.rpc("cookieThenFail", ["user", "ada", true]);
    const { c: ticket } = (await stream.waitFor((m) => m.data.x?.c !== undefined, "a cookie ticket")).data.x;
    const traded = await fetch(`${srv.url}/api/cookie`, { method: "POST", headers: { cookie: b.cookie, "content-type": "application/json" }, body: JSON.stringify({ sid: b.sid, ticket }) });
    expect(traded.headers.getSetCookie().map((c) => c.split("=")[0])).toEqual(["theme", "theme.sig"]);
  });

  it("a handler abandoned at handlerTimeoutMs sets none of its cookies, before or after, and no cookie is taken until it ends", async () => {
    const srv = await serve({ "/": Shop }, { keys: ["test-key-not-secret"], handlerTimeoutMs: 150 });
    close = srv.close;
    const b = srv.browser();
    const { stream } = await open(b, "/");
    expect((await b.rpc("slowSignIn", [600])).body.error.code).toBe("HANDLER_TIMEOUT");
    // While it still runs, a cookie could be its own: refused, in words.
    const meanwhile = await b.rpc("cookie", ["theme", "dark"]);
    expect(meanwhile.status).toBe(500);
    expect(meanwhile.body.error.message).toMatch(/Shop\.setCookie\("theme"\) refused: a handler of this session ran past handlerTimeoutMs and was abandoned/);
    await new Promise((r) => setTimeout(r, 700)); // it ends; its late setCookie was refused as well
    await b.rpc("set", ["shoes", 2, false]);
    await stream.waitFor((m) => m.type === "patch" && JSON.stringify(m.data).includes("shoes p2"), "the next patch");
    expect(stream.got.some((m) => m.data?.x?.c !== undefined)).toBe(false); // no ticket: nothing to trade
    await b.rpc("cookie", ["theme", "dark"]);
    const { c: ticket } = (await stream.waitFor((m) => m.data.x?.c !== undefined, "a cookie ticket")).data.x;
    const traded = await fetch(`${srv.url}/api/cookie`, { method: "POST", headers: { cookie: b.cookie, "content-type": "application/json" }, body: JSON.stringify({ sid: b.sid, ticket }) });
    expect(traded.headers.getSetCookie().map((c) => c.split("=")[0])).toEqual(["theme", "theme.sig"]);
  });

});

describe("@synced fields", () => {
  it("are in the boot data, and a patch carries only the fields that changed", async () => {
    const srv = await serve({ "/": Shop });
    close = srv.close;
    const b = srv.browser();
    const { boot, stream } = await open(b, "/");
    expect(boot.s).toEqual({ cart: [], total: 0 });
    await b.rpc("add", ["pen"]);
    const patch = await stream.waitFor((m) => m.data.s !== undefined, "the state");
    expect(patch.data.s).toEqual({ cart: ["pen"] });
    // A change to nothing on screen still reaches the page.
    expect(patch.data.ops).toEqual([]);
  });
});
