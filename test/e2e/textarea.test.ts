import { expect, it } from "vitest";
import { App, h, server, type EventSummary } from "revue";
import { textarea, textInput } from "revue/ui";
import { connected, describeE2E } from "./browser.js";

class Note extends App {
  text = "first";
  body = "from value";
  @server.realtime replace() {
    this.text = "from the server";
    this.body = "a new value";
  }
  @server.on("news") heard(text: string) {
    this.text = text;
  }
  override render() {
    return h("main", {},
      h("textarea", { id: "kids" }, this.text),
      h("textarea", { id: "valued", value: this.body }),
      h("button", { id: "go", onClick: this.replace }, "Replace"));
  }
}

/** What the visitors typed, kept outside any session (a reload starts a new one). */
let saved = "";
class Draft extends App {
  @server.realtime typed(ev: EventSummary) {
    saved = ev.value ?? "";
  }
  override render() {
    return h("main", {}, h("input", { id: "draft", onInput: this.typed }));
  }
}

class Kit extends App {
  note = "first";
  title = "a title to edit";
  @server.on("news") heard(text: string) {
    this.note = text;
  }
  @server.on("retitle") retitled(text: string) {
    this.title = text;
  }
  @server.rpc size(text: string) {
    return text.length;
  }
  override render() {
    return h("main", {}, textarea(this, "note", { label: "Note" }), textInput(this, "title", { label: "Title" }));
  }
}

describeE2E("a textarea in Chromium", (e2e) => {
  it("keeps the caret in the kit's textarea too (its value and its text both change), and big calls go through", async () => {
    const { url, srv } = await e2e.serve(Kit);
    const page = await e2e.page();
    await page.goto(url);
    await connected(page);
    const box = page.locator("textarea");
    await box.click();
    await box.evaluate((el: HTMLTextAreaElement) => el.setSelectionRange(2, 2));
    srv.emit("news", "first, and what another tab added");
    await expect.poll(() => box.inputValue()).toBe("first, and what another tab added");
    expect(await box.evaluate((el: HTMLTextAreaElement) => el.selectionStart)).toBe(2);
    // An input the visitor has not typed in: its value attribute would move the caret to 0 if set first.
    const title = page.locator("input#rv-title");
    await title.click();
    await title.evaluate((el: HTMLInputElement) => el.setSelectionRange(3, 5));
    srv.emit("retitle", "a title to edit!");
    await expect.poll(() => title.inputValue()).toBe("a title to edit!");
    expect(await title.evaluate((el: HTMLInputElement) => [el.selectionStart, el.selectionEnd])).toEqual([3, 5]);
    // Over the 64 KB a browser allows requests sent with keepalive: an ordinary call, not refused.
    expect(await page.evaluate(() => window.rv.rpc("size", "é".repeat(33_000)))).toBe(33_000);
  });

  it("sends what was typed in the last moments before a reload (the typing debounce had not fired)", async () => {
    const { url } = await e2e.serve(Draft);
    const page = await e2e.page();
    for (const leave of ["reload", "goto"] as const) {
      saved = "";
      await page.goto(url);
      await connected(page);
      await page.click("#draft");
      await page.keyboard.type("777", { delay: 20 });
      // At once: the last keystroke's event waits 150 ms (typingMs) in the page.
      if (leave === "reload") await page.reload();
      else await page.goto("about:blank");
      await expect.poll(() => saved, { timeout: 5_000 }).toBe("777");
    }
  });

  it("keeps the caret where the visitor left it when another tab changes the text", async () => {
    const { url, srv } = await e2e.serve(Note);
    const page = await e2e.page();
    await page.goto(url);
    await connected(page);
    await page.click("#kids");
    await page.evaluate(() => (document.getElementById("kids") as HTMLTextAreaElement).setSelectionRange(2, 2));
    srv.emit("news", "first, and what another tab added");
    await expect.poll(() => page.inputValue("#kids")).toBe("first, and what another tab added");
    expect(await page.evaluate(() => (document.getElementById("kids") as HTMLTextAreaElement).selectionStart)).toBe(2);
  });

  it("shows its value prop on the first page, and the server's text after the visitor typed in it", async () => {
    const { url } = await e2e.serve(Note);
    const page = await e2e.page();
    await page.goto(url);
    await connected(page);
    // `value` on a textarea is no attribute a browser shows: it is written as the text.
    expect(await page.inputValue("#valued")).toBe("from value");
    expect(await page.inputValue("#kids")).toBe("first");

    // Typed in, then left: the box no longer shows its text but its value, which the server's change sets.
    await page.fill("#kids", "typed in kids");
    await page.fill("#valued", "typed in valued");
    await page.click("#go");
    await expect.poll(() => page.inputValue("#kids")).toBe("from the server");
    await expect.poll(() => page.inputValue("#valued")).toBe("a new value");
  });

  it("keeps what the visitor is typing, unsent, while the box has focus; takes the server's text once it has not", async () => {
    const { url, srv } = await e2e.serve(Note);
    const page = await e2e.page();
    await page.goto(url);
    await connected(page);
    await page.click("#kids");
    await page.keyboard.type(" and more");
    srv.emit("news", "changed elsewhere");
    await page.waitForTimeout(500);
    expect(await page.inputValue("#kids")).toBe("first and more");
    await page.locator("#kids").blur();
    srv.emit("news", "changed again");
    await expect.poll(() => page.inputValue("#kids")).toBe("changed again");
  });
});
