import { expect, it } from "vitest";
import { App, h, handler, server, type EventSummary } from "revue";
import { textInput } from "revue/ui";
import type { Page } from "playwright-core";
import { connected, describeE2E } from "./browser.js";

/** A keyed list sorted by name, each name an input: renaming a row moves it. */
class Sorted extends App {
  rows = [{ id: 1, name: "apple" }, { id: 2, name: "banana" }, { id: 3, name: "cherry" }, { id: 4, name: "melon" }];
  @server.realtime rename(id: number, ev: EventSummary) {
    this.rows.find((r) => r.id === id)!.name = ev.value ?? "";
  }
  override render() {
    const rows = [...this.rows].sort((a, b) => a.name.localeCompare(b.name));
    return h("main", {}, h("ul", {}, rows.map((r) => h("li", { key: r.id }, h("input", { id: `in${r.id}`, value: r.name, onInput: handler(this.rename, { args: [r.id] }) })))));
  }
}

/** One bound field, shown back; a save that reads it; an unbound field; a click that renders. */
class Echo extends App {
  text = "";
  saved = "";
  count = 0;
  @server.rpc save() {
    this.saved = this.text;
    return this.text;
  }
  @server.realtime inc() {
    this.count++;
  }
  override render() {
    return h("main", {},
      textInput(this, "text", { label: "Text" }),
      h("p", { id: "echo" }, this.text),
      h("input", { id: "memo", name: "memo" }),
      h("button", { id: "inc", onClick: this.inc }, "inc"),
      h("p", { id: "count" }, String(this.count)));
  }
}

/** A chat line the server trims as it is typed, sent with Enter; a slow click; a broadcast that sets the line. */
class Trimmed extends App {
  text = "";
  sent: string[] = [];
  @server.realtime typed(ev: EventSummary) { this.text = String(ev.value).trim(); }
  @server.realtime send() { this.sent = [...this.sent, this.text]; this.text = ""; }
  @server.realtime async slow() { await new Promise((r) => setTimeout(r, 600)); }
  @server.on("suggest") suggest(text: string) { this.text = text; }
  override render() {
    return h("main", {},
      h("form", { onSubmit: this.send }, h("input", { id: "line", name: "line", value: this.text, onInput: this.typed })),
      h("button", { id: "slow", onClick: this.slow }, "slow"),
      h("ul", { id: "sent" }, this.sent.map((s, i) => h("li", { key: i }, s))));
  }
}

/** A field bound for typing and for key releases (a handler that looks at each key). */
class Keys extends App {
  text = "";
  keys = 0;
  @server.realtime typed(ev: EventSummary) { this.text = String(ev.value); }
  @server.realtime released() { this.keys++; }
  override render() {
    return h("main", {}, h("input", { id: "k", value: this.text, onInput: this.typed, onKeyUp: this.released }), h("p", { id: "keys" }, String(this.keys)));
  }
}

class Pages extends App<Pages, {}, "/items/:id"> {
  override render() {
    const id = Number(this.params.id);
    return h("main", {},
      h("h1", {}, `Item ${id}`),
      h("svg", { width: 100, height: 40 }, h("a", { href: `/items/${id + 1}`, navigate: true, id: "next" }, h("rect", { width: 100, height: 40 }))));
  }
}

/** Each call takes 300 ms to reach the server: an uplink with latency. */
const slowUplink = (page: Page) =>
  page.route("**/api/event", async (route) => {
    await new Promise((r) => setTimeout(r, 300));
    await route.continue();
  });

describeE2E("the focused field while patches arrive, in Chromium", (e2e) => {
  it("a row the visitor is renaming keeps the focus and the caret when the rename moves it, and the rest of the typing lands", async () => {
    const { url } = await e2e.serve(Sorted);
    const page = await e2e.page();
    await page.goto(url);
    await connected(page);
    await page.click("#in4");
    await page.keyboard.press("Control+A");
    await page.keyboard.type("a");
    // The debounced "a" goes: melon sorts first, its row moves to the top.
    await expect.poll(() => page.evaluate(() => document.querySelector("li input")!.id)).toBe("in4");
    await page.keyboard.type(" quick note");
    await expect.poll(() => page.inputValue("#in4")).toBe("a quick note");
    expect(await page.evaluate(() => document.activeElement?.id)).toBe("in4");
    await expect.poll(() => page.evaluate(() => [...document.querySelectorAll("li input")].map((i) => (i as HTMLInputElement).value))).toEqual(["a quick note", "apple", "banana", "cherry"]);
  });

  it("a Backspace is not undone by the echo of the keystroke before it, and the server ends with what the field shows", async () => {
    const { url } = await e2e.serve(Echo);
    const page = await e2e.page();
    await slowUplink(page);
    await page.goto(url);
    await connected(page);
    await page.click("#rv-text");
    await page.keyboard.type("abc");
    await expect.poll(() => page.textContent("#echo")).toBe("abc");
    await page.keyboard.type("d");
    // After the debounce (150 ms) "abcd" is on its way; the Backspace makes the field "abc" again, as the last echo was.
    await page.waitForTimeout(200);
    await page.keyboard.press("Backspace");
    // The echo of "abcd" arrives meanwhile: the field keeps "abc".
    await page.waitForTimeout(400);
    expect(await page.inputValue("#rv-text")).toBe("abc");
    await page.keyboard.type("X");
    await expect.poll(() => page.textContent("#echo")).toBe("abcX");
    await page.waitForTimeout(500);
    expect(await page.inputValue("#rv-text")).toBe("abcX");
  });

  it("a key release bound to a handler (a call after each keystroke) does not let the echo of an earlier keystroke undo a later one", async () => {
    const { url } = await e2e.serve(Keys);
    const page = await e2e.page();
    await slowUplink(page);
    await page.goto(url);
    await connected(page);
    await page.click("#k");
    await page.keyboard.type("abc");
    await page.waitForTimeout(900);
    await page.keyboard.type("d");
    await page.waitForTimeout(200);
    await page.keyboard.press("Backspace");
    // The echoes of "abcd" and of the key releases arrive meanwhile: the field keeps "abc".
    for (let i = 0; i < 8; i++) {
      await page.waitForTimeout(100);
      expect(await page.inputValue("#k")).toBe("abc");
    }
    await page.keyboard.type("X");
    await expect.poll(() => page.textContent("#keys")).toBe("5");
    await page.waitForTimeout(500);
    expect(await page.inputValue("#k")).toBe("abcX");
  });

  it("a value the server derives from the typing (trimmed) leaves the field alone; the line sent empties it; a value set while a call is unanswered shows", async () => {
    const { url, srv } = await e2e.serve(Trimmed);
    const page = await e2e.page();
    await page.goto(url);
    await connected(page);
    await page.click("#line");
    await page.keyboard.type("hello");
    await page.waitForTimeout(400); // answered: the server has "hello"
    await page.keyboard.type(" ");
    await page.waitForTimeout(400); // answered: the server keeps "hello", the field its space
    expect(await page.inputValue("#line")).toBe("hello ");
    await page.keyboard.type("world ");
    await page.keyboard.press("Enter");
    await expect.poll(() => page.textContent("#sent")).toBe("hello world");
    await expect.poll(() => page.inputValue("#line")).toBe("");
    expect(await page.evaluate(() => document.activeElement?.id)).toBe("line");
    // Another visitor's suggestion (a broadcast) reaches the field while this page's slow click runs.
    await page.keyboard.type("draft");
    await page.waitForTimeout(400);
    await page.evaluate(() => { (document.getElementById("slow") as HTMLButtonElement).click(); (document.getElementById("line") as HTMLInputElement).focus(); });
    srv.emit("suggest", "a suggestion");
    await expect.poll(() => page.inputValue("#line")).toBe("a suggestion");
    expect(await page.evaluate(() => document.activeElement?.id)).toBe("line");
  });

  it("an rpc made right after typing (within the debounce) sees what was typed", async () => {
    const { url } = await e2e.serve(Echo);
    const page = await e2e.page();
    await page.goto(url);
    await connected(page);
    await page.click("#rv-text");
    await page.keyboard.type("typed");
    expect(await page.evaluate(() => window.rv.rpc("save"))).toBe("typed");
  });

  it("after a restart the field being typed in keeps its focus, its text and its caret, and what is typed next lands", async () => {
    const first = await e2e.serve(Echo);
    const page = await e2e.page();
    await page.goto(first.url);
    await connected(page);
    const oldSid = await page.evaluate(() => window.rv.session);
    await page.click("#memo");
    await page.keyboard.type("half a");
    await e2e.stop(first.srv);
    await e2e.serve(Echo, first.port);
    await page.keyboard.type(" thought");
    // The new session's page replaces the old one's DOM.
    await expect.poll(() => page.evaluate(() => window.rv.session), { timeout: 20_000 }).not.toBe(oldSid);
    await page.keyboard.type(" goes on");
    expect(await page.evaluate(() => document.activeElement?.id)).toBe("memo");
    expect(await page.inputValue("#memo")).toBe("half a thought goes on");
    // A click renders again: the field the server never heard of keeps its text.
    await page.click("#inc");
    await expect.poll(() => page.textContent("#count")).toBe("1");
    expect(await page.inputValue("#memo")).toBe("half a thought goes on");
  });

  it("an SVG link rendered with navigate goes to its address", async () => {
    const { url } = await e2e.serve({ "/items/:id": Pages });
    const page = await e2e.page();
    await page.goto(`${url}/items/1`);
    await connected(page);
    await page.click("#next");
    await expect.poll(() => page.textContent("h1")).toBe("Item 2");
    expect(new URL(page.url()).pathname).toBe("/items/2");
  });
});
