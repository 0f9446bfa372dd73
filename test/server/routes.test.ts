import { afterEach, describe, expect, it, vi } from "vitest";
import { App, createServer, h, RpcError, server } from "revue";
import { serve } from "./harness.js";

const items: Record<string, string> = { "42": "The answer", "a b": "Spaced" };

class Item extends App<Item, {}, "/items/:id"> {
  views = 0;
  @server.rpc where() {
    return { id: this.params.id, tab: this.query.tab ?? null };
  }
  @server.rpc queryNames() {
    return Object.fromEntries(Object.keys(this.query).map((k) => [k, this.query[k]]));
  }
  override render() {
    const id: string = this.params.id; // typed from the route
    return h("main", {}, h("h1", { id: "title" }, items[id] ?? `No item ${id}`), h("p", { id: "tab" }, this.query.tab ?? "details"));
  }
}

class NewItem extends App {
  override render() {
    return h("main", {}, h("h1", { id: "title" }, "New item"));
  }
}

class Home extends App {
  override render() {
    return h("main", {}, "home");
  }
}

let close: (() => Promise<void>) | undefined;
afterEach(async () => {
  await close?.();
  close = undefined;
});

describe("routes with params", () => {
  it("serves /items/:id with this.params and this.query in render() and handlers; a static route wins over a param", async () => {
    const srv = await serve({ "/": Home, "/items/:id": Item, "/items/new": NewItem });
    close = srv.close;
    const b = srv.browser();
    const page = await b.request("/items/42?tab=reviews");
    expect(page.status).toBe(200);
    expect(page.body).toContain(">The answer</h1>");
    expect(page.body).toContain(">reviews</p>");
    expect((await b.request("/items/a%20b")).body).toContain(">Spaced</h1>");
    expect((await b.request("/items/new")).body).toContain(">New item</h1>");
    // Whatever the lengths: a static route is tried before a route with a param.
    const other = await serve({ "/i/:id": Item, "/i/newest-items": NewItem });
    const o = other.browser();
    expect((await o.request("/i/newest-items")).body).toContain(">New item</h1>");
    expect((await o.request("/i/42")).body).toContain(">The answer</h1>");
    await other.close();

    // The page's calls go to its route's API; the session knows where its page is.
    const boot = JSON.parse(/<script type="application\/json" id="rv-boot">(.*?)<\/script>/.exec(page.body)![1]!);
    expect(boot.base).toBe("/items/:id");
    const item = srv.browser("/items/:id");
    item.cookie = b.cookie;
    item.sid = boot.sid;
    expect((await item.rpc("where")).body.result).toEqual({ id: "42", tab: "reviews" });
    // Any name in the address is a name of this.query, those every object inherits included.
    const odd = await b.request("/items/42?toString=a&constructor=b&__proto__=c&tab=d");
    expect(odd.body).toContain(">d</p>");
    const oddBoot = JSON.parse(/<script type="application\/json" id="rv-boot">(.*?)<\/script>/.exec(odd.body)![1]!);
    item.sid = oddBoot.sid;
    expect((await item.rpc("queryNames")).body.result).toEqual(JSON.parse('{"toString":"a","constructor":"b","__proto__":"c","tab":"d"}'));
  });

  it("gives a re-bootstrapped page (POST /api/session) the params and query of the page it is on", async () => {
    const srv = await serve({ "/items/:id": Item });
    close = srv.close;
    const b = srv.browser("/items/:id");
    const r = await b.request("/api/session", { method: "POST", json: {}, headers: { referer: `${srv.url}/items/42?tab=q` } });
    expect(r.status).toBe(201);
    expect(JSON.stringify(r.body.tree)).toContain("The answer");
    b.sid = r.body.sid;
    expect((await b.rpc("where")).body.result).toEqual({ id: "42", tab: "q" });
  });

  it("keeps the params across a snapshot and restore", async () => {
    const srv = await serve({ "/items/:id": Item });
    close = srv.close;
    const b = srv.browser();
    const page = await b.request("/items/42");
    const sid = /"sid":"([^"]+)"/.exec(page.body)![1]!;
    const hub = srv.handle.hubs.get("/items/:id")!;
    const saved = hub.snapshot(hub.get(sid)!);
    expect(saved.url).toEqual({ params: { id: "42" }, query: {} });
    await hub.end(hub.get(sid)!, "moved", false);
    const restored = await hub.restore(JSON.parse(JSON.stringify(saved)));
    expect((restored.instance as Item).params.id).toBe("42");
  });

  it("answers an unknown path with a 404 page for a browser and JSON for a program", async () => {
    const srv = await serve({ "/": Home, "/items/:id": Item });
    close = srv.close;
    const b = srv.browser();
    const html = await b.request("/nope/deeper", { headers: { accept: "text/html,application/xhtml+xml,*/*;q=0.8" } });
    expect(html.status).toBe(404);
    expect(html.headers.get("content-type")).toMatch(/text\/html/);
    expect(html.body).toContain("Page not found");
    expect(html.body).toContain("There is no page at /nope/deeper.");
    const json = await b.request("/nope/deeper");
    expect([json.status, json.body.error.code]).toEqual([404, "NOT_FOUND"]);
    expect((await b.request("/items/")).status).toBe(404); // a param is never empty
  });

  it("a page whose render throws RpcError NOT_FOUND (an item that does not exist) is a 404 page with its message, also in production", async () => {
    class Strict extends App<Strict, {}, "/items/:id"> {
      override render() {
        const item = items[this.params.id];
        if (item === undefined) throw new RpcError("NOT_FOUND", `No item ${this.params.id}.`);
        return h("h1", {}, item);
      }
    }
    for (const production of [false, true]) {
      const srv = await serve({ "/items/:id": Strict }, { production });
      close = srv.close;
      const b = srv.browser();
      expect((await b.request("/items/42")).status).toBe(200);
      const html = await b.request("/items/7", { headers: { accept: "text/html" } });
      expect(html.status).toBe(404);
      expect(html.body).toContain("No item 7.");
      const json = await b.request("/items/7");
      expect([json.status, json.body.error.code, json.body.error.message]).toEqual([404, "NOT_FOUND", "No item 7."]);
      await srv.close();
      close = undefined;
    }
  });

  it("says what is wrong with a route pattern", () => {
    expect(() => createServer({ "/files/*": Home })).toThrow(/wildcards and optional params are not supported/);
    expect(() => createServer({ "/items/v:id": Home })).toThrow(/A param is a whole segment named ":name"/);
  });
});

describe("several apps on one server", () => {
  class Host extends App {
    @server.rpc ask(question: string) {
      this.emit("question", question);
    }
    @server.rpc askRoom(question: string) {
      this.to("table 1").emit("question", question);
    }
    override render() {
      return h("main", {}, "host");
    }
  }
  class Participant extends App {
    heard: string[] = [];
    @server.rpc sit() {
      this.join("table 1");
    }
    @server.rpc got() {
      return this.heard;
    }
    @server.on("question") question(q: string) {
      this.heard.push(q);
    }
    override render() {
      return h("main", {}, this.heard.join(", "));
    }
  }

  it("runs the static handler of a class mounted at two paths, or inherited by a subclass mounted beside it, once per emit", async () => {
    const ran: string[] = [];
    class Board extends App {
      @server.on("question") static noted(q: string) {
        ran.push(q);
      }
      override render() {
        return h("main", {}, "board");
      }
    }
    // A subclass inherits the handler: still once. One that declares its own runs that one too.
    class BigBoard extends Board {}
    class LoudBoard extends Board {
      @server.on("question") static shouted(q: string) {
        ran.push(q.toUpperCase());
      }
    }
    const srv = await serve({ "/": Board, "/host": Host, "/second": Board, "/big": BigBoard, "/loud": LoudBoard });
    close = srv.close;
    const host = await srv.browser("/host").start();
    await host.rpc("ask", ["Ready?"]);
    srv.handle.emit("question", "From the server");
    srv.handle.to("table 1").emit("question", "To a table");
    await new Promise((r) => setTimeout(r, 100));
    expect(ran).toEqual(["Ready?", "READY?", "From the server", "FROM THE SERVER", "To a table", "TO A TABLE"]);
  });

  it("an app's this.emit reaches the sessions of every app the server serves, as the server's emit does; to(room) too", async () => {
    const srv = await serve({ "/": Participant, "/host": Host });
    close = srv.close;
    const host = await srv.browser("/host").start();
    const seated = await srv.browser().start();
    const standing = await srv.browser().start();
    await seated.rpc("sit");
    await host.rpc("ask", ["Ready?"]);
    await host.rpc("askRoom", ["Table 1, ready?"]);
    await expect.poll(async () => (await seated.rpc("got")).body.result).toEqual(["Ready?", "Table 1, ready?"]);
    await expect.poll(async () => (await standing.rpc("got")).body.result).toEqual(["Ready?"]);
    srv.handle.emit("question", "From the server");
    await expect.poll(async () => (await standing.rpc("got")).body.result).toEqual(["Ready?", "From the server"]);
  });
});

describe("presence across the apps of one server", () => {
  class Stage extends App {
    @server.rpc here() {
      return Object.keys(this.presence.list("quiz")).sort();
    }
    override render() {
      return h("main", {}, "stage");
    }
  }
  class Seat extends App {
    @server.rpc arrive(name: string) {
      this.presence.track("quiz", name, { at: "seat" });
    }
    @server.rpc here() {
      return Object.keys(this.presence.list("quiz")).sort();
    }
    override render() {
      return h("main", {}, "seat");
    }
  }

  it("list(topic) has the presences every app of the server tracks", async () => {
    const srv = await serve({ "/": Seat, "/stage": Stage });
    close = srv.close;
    const stage = await srv.browser("/stage").start();
    const ada = await srv.browser().start();
    const bob = await srv.browser().start();
    await ada.rpc("arrive", ["ada"]);
    await bob.rpc("arrive", ["bob"]);
    // The host's app tracks nobody itself, and sees both.
    await expect.poll(async () => (await stage.rpc("here")).body.result).toEqual(["ada", "bob"]);
    expect((await ada.rpc("here")).body.result).toEqual(["ada", "bob"]);
    expect(srv.logs.filter((l) => l.includes("presence"))).toEqual([]);
  });

  it("a full topic takes a new presence in place of one whose page has been offline 10 s, never one of a connected page", async () => {
    const srv = await serve(Seat, { presence: { maxPerTopic: 3 } });
    close = srv.close;
    const ann = await srv.browser().start();
    ann.stream(0); // a page open
    await ann.rpc("arrive", ["ann"]);
    for (const bot of ["bot1", "bot2"]) await (await srv.browser().start()).rpc("arrive", [bot]); // sessions without a page
    const late = await srv.browser().start();
    late.stream(0);
    const refused = await late.rpc("arrive", ["late"]);
    expect(refused).toMatchObject({ status: 400, body: { error: { code: "ROOM_LIMIT" } } });
    const now = Date.now;
    const later = vi.spyOn(Date, "now").mockImplementation(() => now() + 11_000);
    try {
      expect((await late.rpc("arrive", ["late"])).status).toBe(200);
      const here = (await ann.rpc("here")).body.result as string[];
      expect(here).toContain("ann");
      expect(here).toContain("late");
      expect(here).toHaveLength(3);
    } finally {
      later.mockRestore();
    }
  });
});
