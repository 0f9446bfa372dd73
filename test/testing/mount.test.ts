import { afterEach, describe, expect, it } from "vitest";
import { App, client, h, handler, memo, server } from "revue";
import { mount, type TestSession } from "revue/testing";

class Form extends App {
  name = "";
  agreed = false;
  items: string[] = [];
  @server.realtime typed(ev: { value: string }) { this.name = ev.value; }
  @server.realtime saved(ev: { form: Record<string, string> }) { this.items.push(ev.form.item!); this.client.toast(`added ${ev.form.item}`); }
  @server.on("note") noted(data: string) { this.items.push(`note:${data}`); }
  @server.realtime broken() { throw new Error("nope"); }
  @client.realtime toast(_m: string) {}
  override render() {
    return h("main", {},
      h("input", { id: "name", value: this.name, onInput: this.typed }),
      h("p", { id: "hello" }, `hello ${this.name}`),
      h("form", { id: "add", onSubmit: this.saved }, h("input", { name: "item" }), h("button", {}, "add")),
      h("ul", {}, this.items.map((i) => h("li", { key: i }, i))),
      h("button", { id: "broken", onClick: this.broken }, "x"));
  }
}

let t: TestSession<Form> | undefined;
/** Pages of the other apps below, unmounted after each test as `t` is. */
let others: TestSession<any>[] = [];
const open: typeof mount = async (cls, options) => {
  const page = await mount(cls, options);
  others.push(page);
  return page;
};
afterEach(async () => {
  await t?.unmount();
  t = undefined;
  for (const page of others) await page.unmount();
  others = [];
});

describe("revue/testing mount()", () => {
  for (const dom of ["patched", "rendered"] as const) {
    it(`drives input, submit and emit, with the ${dom} document`, async () => {
      t = await mount(Form, { dom });
      await t.input("#name", "ada");
      expect(t.text("#hello")).toBe("hello ada");
      await t.submit("#add", { item: "milk" });
      await t.emit("note", "x");
      expect(t.findAll("li").map((li) => li.textContent)).toEqual(["milk", "note:x"]);
      expect(t.calls).toEqual([{ method: "toast", args: ["added milk"] }]);
      expect(t.revisions.at(-1)).toBeGreaterThan(t.revisions[0]!);
    });
  }

  it("dispatches other events (a key press) with the page's own constructors, typed, then settle() waits for their calls", async () => {
    class Notes extends App {
      notes: string[] = [];
      @server.realtime key(ev: { key?: string; value?: string }) {
        if (ev.key === "Enter" && ev.value) this.notes.push(ev.value);
      }
      override render() {
        return h("main", {}, h("input", { id: "note", onKeyDown: this.key }), h("ul", {}, this.notes.map((n) => h("li", {}, n))));
      }
    }
    const page = await mount(Notes);
    try {
      const field = page.find("#note") as HTMLInputElement;
      field.value = "ship it";
      field.dispatchEvent(new page.window.KeyboardEvent("keydown", { key: "Enter", bubbles: true }));
      await page.settle();
      expect(page.findAll("li").map((li) => li.textContent)).toEqual(["ship it"]);
    } finally {
      await page.unmount();
    }
  });

  it("keeps a subtree the app holds between renders: no ops for it, and a copy when it shows twice", async () => {
    class Page extends App {
      n = 0;
      twice = false;
      /** Built once: every render returns the very same subtree. */
      footer = h("footer", {}, h("a", { href: "/about" }, "About"), " · ", h("small", {}, "v1"));
      @server.realtime bump() { this.n++; }
      @server.realtime double() { this.twice = true; }
      override render() {
        return h("main", {},
          this.twice && this.footer,
          h("p", { id: "n" }, String(this.n)),
          h("button", { id: "bump", onClick: this.bump }, "+"),
          h("button", { id: "double", onClick: this.double }, "x2"),
          this.footer);
      }
    }
    for (const dom of ["patched", "rendered"] as const) {
      const s = await mount(Page, { dom });
      await s.click("#bump");
      await s.click("#bump");
      expect(s.text("#n")).toBe("2");
      // Only the counter's text changed: the kept footer cost no op.
      expect(s.ops.flat().map((o) => o.op)).toEqual(["text", "text"]);
      await s.click("#double");
      expect(s.findAll("footer").map((f) => f.textContent)).toEqual(["About · v1", "About · v1"]);
      expect(s.ops.at(-1)!.map((o) => o.op)).toEqual(["insert"]);
      await s.click("#bump");
      expect(s.text("#n")).toBe("3");
      // The copy above is diffed against itself from the last render (a copy again): still no op.
      expect(s.ops.at(-1)!.map((o) => o.op)).toEqual(["text"]);
      expect(s.findAll("footer")).toHaveLength(2);
      await s.unmount();
    }
  });

  it("a page whose session hibernates takes the same session back at its next event, with what it had typed", async () => {
    t = await mount(Form);
    await t.input("#name", "ada");
    const sid = t.sid;
    const session = t.hub.get(sid)!;
    (t.find("#add input") as HTMLInputElement).value = "bread"; // typed, not sent
    t.hub.hibernate(session);
    expect(session.view.cold).toBe(true);
    await t.input("#name", "ada l");
    await t.settle();
    expect(t.text("#hello")).toBe("hello ada l");
    expect(t.sid).toBe(sid);
    expect(t.hub.size).toBe(1); // no second session
    expect((t.find("#add input") as HTMLInputElement).value).toBe("bread");
  });

  it("records errors the page is told about, and says what is missing", async () => {
    t = await mount(Form);
    await t.click("#broken");
    expect(t.errors).toEqual([{ code: "INTERNAL_ERROR", message: "Form.broken failed: nope", seq: 1 }]);
    await expect(t.click("#missing")).rejects.toThrow('No element matches "#missing"');
    await expect(t.click("#hello")).rejects.toThrow("<p> has no click binding");
  });

  it("says how to pass a user when an app that needs one is mounted without", async () => {
    class Members extends App {
      static override auth = true;
      override render() {
        return h("main", {}, "members");
      }
    }
    await expect(mount(Members)).rejects.toThrow(/requires a signed-in user.*In a test, open the page as someone: mount\(Members, \{ user: \{ id: "ann" \} \}\)/);
    const t = await mount(Members, { user: { id: "ann" } });
    expect(t.text("main")).toBe("members");
    await t.unmount();
  });

  it("records a click refused for its user (auth), and another({ user }) opens a page of another user on the same hub", async () => {
    class Poll extends App {
      static votes: string[] = [];
      @server.realtime({ auth: true }) vote() {
        Poll.votes.push((this.user as { name: string }).name);
        this.emit("voted");
      }
      @server.on("voted") heard() {}
      override render() {
        return h("main", {}, h("p", { id: "who" }, (this.user as { name?: string } | undefined)?.name ?? "nobody"), h("p", { id: "votes" }, Poll.votes.join(",")), h("button", { id: "vote", onClick: this.vote }, "Vote"));
      }
    }
    const ada = await mount(Poll, { user: { name: "ada" } });
    const bob = await ada.another({ user: { name: "bob" } });
    const nobody = await ada.another({ user: null });
    expect([ada.text("#who"), bob.text("#who"), nobody.text("#who")]).toEqual(["ada", "bob", "nobody"]);
    await ada.click("#vote");
    await bob.click("#vote");
    await ada.settle();
    expect(ada.text("#votes")).toBe("ada,bob");
    await nobody.click("#vote");
    expect(nobody.errors).toEqual([{ code: "UNAUTHORIZED", message: expect.stringContaining("Poll.vote requires a signed-in user"), seq: 1 }]);
    expect(Poll.votes).toEqual(["ada", "bob"]);
    await expect(ada.another({ url: "/elsewhere" })).rejects.toThrow('another({ url: "/elsewhere" }): that path is not one of the route "/"\'s');
    await expect(ada.another({ url: "https://evil.example/" })).rejects.toThrow('url must be a path of this app, starting with "/"');
    const again = await ada.another({ user: undefined });
    expect(again.text("#who")).toBe("ada"); // undefined: the first page's user
    await again.unmount();
    await nobody.unmount();
    await bob.unmount();
    await ada.unmount();
  });

  it("another() opens a second session on the same hub: shared statics, rooms and events", async () => {
    class Room extends App {
      static started = 0;
      static stopped = 0;
      heard: string[] = [];
      @server.on("start") static up(srv: { emit(e: string, d?: unknown): void }) { Room.started++; srv.emit("boot", "up"); }
      @server.on("stop") static down() { Room.stopped++; }
      @server.realtime enter() { this.join("r"); }
      @server.realtime say(ev: { value: string }) { this.to("r").emit("said", ev.value); }
      @server.on("said") said(text: string) { this.heard.push(text); }
      override render() {
        return h("main", {},
          h("button", { id: "enter", onClick: this.enter }),
          h("input", { id: "say", onChange: this.say }),
          h("ul", {}, this.heard.map((x, i) => h("li", { key: i }, x))));
      }
    }
    const a = await mount(Room);
    const b = await a.another();
    const c = await a.another();
    expect(Room.started).toBe(1);
    expect(new Set([a.sid, b.sid, c.sid]).size).toBe(3);
    await a.click("#enter");
    await b.click("#enter");
    await a.input("#say", "hi");
    await c.settle();
    expect(a.findAll("li").map((li) => li.textContent)).toEqual(["hi"]);
    expect(b.findAll("li").map((li) => li.textContent)).toEqual(["hi"]);
    expect(c.findAll("li")).toEqual([]);
    expect(b.document).not.toBe(a.document);
    await b.unmount();
    await c.unmount();
    expect(Room.stopped).toBe(0);
    await a.unmount();
    expect(Room.stopped).toBe(1);
  });

  describe("on the real runtime", () => {
    class Echo extends App {
      static hub: unknown;
      n = 0;
      seen: string[] = [];
      @server.rpc async kind(...args: unknown[]) { return args.map((a) => (a === null ? "null" : Array.isArray(a) ? "array" : typeof a)); }
      @server.rpc async when() { return { at: new Date(0), gone: undefined, list: [1, undefined] }; }
      @server.realtime bump() { this.n++; }
      @server.on("ping") ping(data: unknown) { this.seen.push(JSON.stringify(data)); }
      override render() {
        return h("main", {},
          h("p", { id: "n" }, String(this.n)),
          h("p", { id: "seen" }, String(this.seen.length)),
          h("button", { id: "bump", onClick: this.bump }, "+"),
          h("input", { id: "free", name: "free" }));
      }
    }

    it("sends arguments and results through JSON, as the wire does", async () => {
      const s = await mount(Echo);
      try {
        expect(await s.rpc("kind", new Date(0), { f() {} }, undefined, [1], null)).toEqual(["string", "object", "null", "array", "null"]);
        expect(await s.rpc("when")).toEqual({ at: "1970-01-01T00:00:00.000Z", list: [1, null] });
        await s.emit("ping", { at: new Date(0), skip: undefined });
        expect(s.app.seen).toEqual(['{"at":"1970-01-01T00:00:00.000Z"}']);
      } finally {
        await s.unmount();
      }
    });

    it("types into a field without bindings, and refuses what is not a field", async () => {
      const s = await mount(Echo);
      try {
        await s.input("#free", "typed");
        expect((s.find("#free") as HTMLInputElement).value).toBe("typed");
        expect(s.document.activeElement).toBe(s.find("#free"));
        await expect(s.input("#n", "x")).rejects.toThrow('<p#n> matching "#n" is not a field');
        await expect(s.upload("#free", [{ name: "a", content: "a" }])).rejects.toThrow('<input#free> matching "#free" is not an <input type="file">');
      } finally {
        await s.unmount();
      }
    });

    it("reconnects after the server cuts the stream, with the last event id: what was missed is replayed, not re-rendered", async () => {
      const s = await mount(Echo);
      try {
        await s.click("#bump");
        const sid = s.sid;
        const ops = s.ops.length;
        const revisions = s.revisions.length;
        // The connection drops; while it is down, a broadcast changes the page.
        expect(findSession(s).stream.drop()).toBe(true);
        s.hub.emit("ping", "while away");
        await s.settle();
        expect(s.rv.connected).toBe(true);
        expect(s.sid).toBe(sid);
        expect(s.text("#seen")).toBe("1");
        // It came as the patch the page missed (replayed), not as a new snapshot.
        expect(s.ops.length).toBe(ops + 1);
        expect(s.revisions.length).toBe(revisions + 1);
        await s.click("#bump");
        expect(s.text("#n")).toBe("2");
      } finally {
        await s.unmount();
      }
    });

    it("starts a new session by itself when the server forgets the page's session, as a browser does after a restart", async () => {
      const s = await mount(Echo);
      try {
        await s.click("#bump");
        const old = s.sid;
        await findHub(s).end(findSession(s), "expired");
        await s.settle();
        expect(s.sid).not.toBe(old);
        expect(s.text("#n")).toBe("0");
        await s.click("#bump");
        expect(s.text("#n")).toBe("1");
        expect(s.app.n).toBe(1);
      } finally {
        await s.unmount();
      }
    });

    it("fails mount() when a @client.on('ready') handler throws in the page, and stops the hub", async () => {
      class Broken extends App {
        static stopped = 0;
        @server.on("stop") static down() { Broken.stopped++; }
        @client.on("ready") ready() { (document.getElementById("missing") as HTMLElement).focus(); }
      }
      await expect(mount(Broken)).rejects.toThrow(/^Broken\.ready \(@client, in the page\) threw while the page loaded: .*null/);
      expect(Broken.stopped).toBe(1);
    });

    it("says why a page does not settle: @client code that keeps setting short timers", async () => {
      class Poller extends App {
        @client.on("ready") ready() {
          const tick = () => void setTimeout(tick, 20);
          tick();
        }
      }
      await expect(mount(Poller)).rejects.toThrow("Poller's page did not settle within 5 s: its code keeps setting timers under a second (a polling loop in @client code?).");
    });

    it("unmount() ends the page's session and the last one stops the hub", async () => {
      const s = await mount(Echo);
      const hub = findHub(s);
      const other = await s.another();
      expect(hub.size).toBe(2);
      await other.unmount();
      expect(hub.size).toBe(1);
      await s.unmount();
      expect(hub.size).toBe(0);
    });
  });
});

const findHub = (t: TestSession<any>) => t.hub;
const findSession = (t: TestSession<any>) => t.hub.get(t.sid)!;

class Cards extends App {
  cards: string[] = [];
  found: number[] = [];
  @server.realtime add() {
    this.cards = [...this.cards, `card ${this.cards.length + 1}`];
    this.client.look(this.cards.length);
  }
  @client.realtime look(n: number) {
    // In the page: the element the handler's change added is there when the call runs.
    void this.server.saw(document.querySelectorAll("li").length === n ? n : -n);
  }
  @server.realtime saw(n: number) { this.found.push(n); }
  override render() {
    return h("main", {}, h("button", { id: "add", onClick: this.add }, "add"), h("ul", {}, this.cards.map((c) => h("li", { key: c }, c))));
  }
}

describe("a reverse call", () => {
  it("runs in the page after the patch of what its handler changed before calling it", async () => {
    const page = await open(Cards);
    await page.click("#add");
    await page.click("#add");
    await page.settle();
    expect(page.app.found).toEqual([1, 2]);
  });
});

class Stats extends App<Stats, {}, "/boards/:id"> {
  @server.rpc stats(id: string) { return id.length; }
  @client.callback async show() {
    // Type-checks (this is the app's class) but the page has no params: said by name.
    await this.server.stats(this.params.id!);
  }
  override render() {
    return h("main", {}, h("button", { id: "show", onClick: this.show }, "stats"));
  }
}

describe("@client code's this", () => {
  it("names a member that is not in the page (params, a field) instead of failing on undefined", async () => {
    const page = await open(Stats, { route: "/boards/:id", url: "/boards/7" });
    await expect(page.click("#show")).rejects.toThrow("Stats.show (@client, in the page) threw: [revue] this.params is not in the page: @client code's this has server, emit and the app's @client methods.");
  });
});

class Adder extends App {
  cards: number[] = [];
  found: boolean[] = [];
  @server.rpc addCard() {
    const id = this.cards.length + 1;
    this.cards = [...this.cards, id];
    return id;
  }
  @client.callback async add() {
    const id = await this.server.addCard();
    // The rpc resolves once the page shows what it changed.
    this.server.saw(document.getElementById(`card-${id}`) !== null);
  }
  @server.realtime saw(found: boolean) { this.found.push(found); }
  override render() {
    return h("main", {}, h("button", { id: "add", onClick: this.add }, "add"), h("ul", {}, this.cards.map((c) => h("li", { key: c, id: `card-${c}` }, `card ${c}`))));
  }
}

describe("an rpc awaited in the page", () => {
  it("resolves once the page shows what the rpc changed", async () => {
    const page = await open(Adder);
    await page.click("#add");
    await page.click("#add");
    await page.settle();
    expect(page.app.found).toEqual([true, true]);
  });
});

describe("a page at rest", () => {
  interface Part { id: number; name: string; stock: number }
  const Line = memo((p: { app: Stock; part: Part }) =>
    h("tr", { id: `part-${p.part.id}`, class: "part" }, h("td", { class: "name" }, p.part.name), h("td", { class: "stock" }, String(p.part.stock)),
      h("td", {}, h("button", { class: "plus", "aria-label": `more ${p.part.name}`, onClick: handler(p.app.more, { args: [p.part.id] }) }, "+"))));
  class Stock extends App {
    parts: Part[] = Array.from({ length: 12 }, (_, i) => ({ id: i + 1, name: i % 2 ? `bolt ${i + 1}` : `gear ${i + 1}`, stock: 10 }));
    filter = "";
    @server.realtime more(id: number) { this.parts = this.parts.map((p) => (p.id === id ? { ...p, stock: p.stock + 1 } : p)); }
    @server.realtime typed(ev: { value: string }) { this.filter = ev.value; }
    override render() {
      return h("main", {}, h("input", { id: "filter", value: this.filter, onInput: this.typed }),
        h("table", {}, h("tbody", {}, this.parts.filter((p) => p.name.includes(this.filter)).map((part) => h(Line, { key: part.id, app: this, part })))));
    }
  }

  it("shows rows that come back after a rest with their attributes and bindings: a click on one still works", async () => {
    const page = await open(Stock);
    await page.rest();
    // The bolts leave the page with the nodes the rest left them, and come back.
    await page.input("#filter", "gear");
    expect(page.findAll("tr")).toHaveLength(6);
    await page.input("#filter", "");
    expect(page.findAll("tr.part")).toHaveLength(12);
    expect(page.find("#part-4 button")!.getAttribute("aria-label")).toBe("more bolt 4");
    await page.click("#part-4 button.plus");
    expect(page.text("#part-4 .stock")).toBe("11");
    expect(page.app.parts[3]!.stock).toBe(11);
  });
});
