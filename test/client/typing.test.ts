import { afterEach, describe, expect, it } from "vitest";
import { App, h, handler, server } from "revue";
import { mount, type TestSession } from "revue/testing";
import type { EventSummary } from "../../src/protocol.js";

/**
 * The field the visitor types in, on the real runtime: what it shows while patches arrive
 * (README, "Typing while patches arrive").
 */

let pages: TestSession<any>[] = [];
const open: typeof mount = async (cls, options) => {
  const page = await mount(cls, options);
  pages.push(page);
  return page;
};
afterEach(async () => {
  for (const page of pages) await page.unmount();
  pages = [];
});

class Chat extends App {
  text = "";
  sent: string[] = [];
  /** "trim" or "upper": what the server keeps of the typing. */
  static derive: (s: string) => string = (s) => s;
  @server.realtime setText(ev: EventSummary) { this.text = Chat.derive(String(ev.value)); }
  @server.realtime send() { this.sent = [...this.sent, this.text]; this.text = ""; }
  @server.realtime ping() {}
  @server.on("set") set(v: string) { this.text = v; }
  override render() {
    return h("main", {},
      h("form", { id: "f", onSubmit: this.send }, h("input", { id: "msg", name: "msg", value: this.text, onInput: this.setText })),
      h("button", { id: "ping", onClick: this.ping }, "ping"),
      h("ul", {}, this.sent.map((s, i) => h("li", { key: i }, s))));
  }
}

const field = (t: TestSession<any>) => t.find("#msg") as HTMLInputElement;

describe("a field being typed in", () => {
  afterEach(() => void (Chat.derive = (s) => s));

  it("shows a value the server sets while another call is unanswered, once that call is answered", async () => {
    const t = await open(Chat);
    await t.input("#msg", "x");
    t.hub.emit("set", "SRV"); // another visitor's edit, say…
    (t.find("#ping") as HTMLElement).click(); // …while a click of this page's is unanswered
    await t.settle();
    expect(t.document.activeElement).toBe(field(t));
    expect(field(t).value).toBe("SRV");
  });

  for (const [how, derive, typed, kept] of [["trims", (s: string) => s.trim(), "hello ", "hello"], ["upper-cases", (s: string) => s.toUpperCase(), "hello", "HELLO"]] as const) {
    it(`keeps the visitor's text when the server ${how} it, and shows a later change (the line sent, the field cleared)`, async () => {
      Chat.derive = derive;
      const t = await open(Chat);
      await t.input("#msg", typed);
      expect(t.app.text).toBe(kept);
      expect(field(t).value).toBe(typed); // not undone under the caret
      await t.submit("#f");
      expect(t.app.sent).toEqual([kept]);
      expect(field(t).value).toBe("");
      expect(t.document.activeElement).toBe(field(t));
      // Typed again after a pause: the trimmed text does not change, then the line is sent.
      await t.input("#msg", "again");
      await t.input("#msg", "again ");
      await t.submit("#f");
      expect(field(t).value).toBe("");
    });
  }

  it("keeps what is typed while its typing is unanswered, and shows the server's value set after it", async () => {
    const t = await open(Chat, { typingMs: 0 });
    const el = field(t);
    el.focus();
    el.value = "ab";
    el.dispatchEvent(new t.window.Event("input", { bubbles: true }));
    el.value = "a"; // a Backspace before the echo of "ab" comes
    el.dispatchEvent(new t.window.Event("input", { bubbles: true }));
    await t.settle();
    expect(t.app.text).toBe("a");
    expect(el.value).toBe("a");
    await t.emit("set", "later");
    expect(el.value).toBe("later");
  });
});

describe("a field whose text another element takes over", () => {
  class Rows extends App {
    rows = [{ id: 2, val: "b" }, { id: 1, val: "a" }];
    @server.realtime typed(id: number, ev: EventSummary) { this.rows = this.rows.map((r) => (r.id === id ? { ...r, val: String(ev.value) } : r)); }
    @server.on("rows") setRows(rows: { id: number; val: string }[]) { this.rows = rows; }
    override render() {
      // Unkeyed rows: removing the first gives the second's id to the first element.
      return h("div", {}, this.rows.map((r) => h("input", { id: `f${r.id}`, name: `f${r.id}`, value: r.val, onInput: handler(this.typed, { args: [r.id] }) })));
    }
  }

  it("agrees with the server once the typing is answered: a later value of the server's shows", async () => {
    const t = await open(Rows, { typingMs: 0 });
    const typedIn = t.find("#f1") as HTMLInputElement;
    typedIn.focus();
    typedIn.value = "x";
    typedIn.dispatchEvent(new t.window.Event("input", { bubbles: true }));
    t.hub.emit("rows", [{ id: 1, val: "a" }]); // the row above goes: the typed text moves into the element that now is #f1
    await t.settle();
    const now = t.find("#f1") as HTMLInputElement;
    expect(now).not.toBe(typedIn);
    expect(t.document.activeElement).toBe(now);
    expect(now.value).toBe("x");
    await t.emit("rows", [{ id: 1, val: "reset" }]);
    expect(now.value).toBe("reset");
  });
});

describe("a field a patch replaces while it is typed in", () => {
  class Shifting extends App {
    text = "";
    sent: string[] = [];
    @server.realtime typed(ev: EventSummary) { this.text = String(ev.value); }
    @server.realtime send() { this.sent = [...this.sent, this.text]; this.text = ""; }
    override render() {
      // The lines spread before the form: a line sent moves the form to another slot, and the patch replaces it.
      return h("main", {}, ...this.sent.map((s) => h("p", {}, s)), h("form", { onSubmit: this.send }, h("input", { id: "line", name: "line", value: this.text, onInput: this.typed })));
    }
  }

  it("shows the server's value in the new field when the old one agreed with the server (a line sent and cleared)", async () => {
    const t = await open(Shifting);
    const old = t.find("#line") as HTMLInputElement;
    await t.input("#line", "hello");
    await t.submit("form");
    const now = t.find("#line") as HTMLInputElement;
    expect(now).not.toBe(old);
    expect(t.document.activeElement).toBe(now);
    expect(t.app.sent).toEqual(["hello"]);
    expect(now.value).toBe("");
  });
});
