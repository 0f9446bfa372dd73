import { afterEach, describe, expect, it } from "vitest";
import { App, client, h, server } from "revue";
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
afterEach(async () => {
  await t?.unmount();
  t = undefined;
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

  it("records errors the page is told about, and says what is missing", async () => {
    t = await mount(Form);
    await t.click("#broken");
    expect(t.errors).toEqual([{ code: "INTERNAL_ERROR", message: "Form.broken failed: nope", seq: 1 }]);
    await expect(t.click("#missing")).rejects.toThrow('No element matches "#missing"');
    await expect(t.click("#hello")).rejects.toThrow("<p> has no click binding");
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
});
