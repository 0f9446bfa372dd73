import { expect, it } from "vitest";
import type { Page } from "playwright-core";
import { App, createServer, h, server, type ServerOptions, type VNode } from "revue";
import { connected, describeE2E } from "./browser.js";

/**
 * Every way to style a page, in the first page and in patches, under the
 * default CSP. Phase 0 is the first page; `next` moves to phase 1, whose
 * changes reach the page as `attrs`, `text`, `append`, `insert` and `replace`
 * ops. Each element's expected color is in its id's row of EXPECTED.
 */
class Styles extends App {
  static override title = "Styled · Revue";
  static override css = "#by-static-css { color: rgb(13, 14, 15) }";
  static override head: readonly VNode[] = [
    h("meta", { name: "description", content: "every way to style a page" }),
    h("link", { rel: "icon", href: "data:image/png;base64,iVBORw0KGgo=" }),
  ];
  phase = 0;

  @server.realtime next() {
    this.phase = 1;
  }

  override render() {
    const one = this.phase === 1;
    return h(
      "main",
      {},
      h("button", { id: "next", onClick: this.next }, "next"),
      // attrs ops: a string style and an object style change.
      h("p", { id: "by-string", style: one ? "color: rgb(21, 22, 23)" : "color: rgb(1, 2, 3)" }, "string style"),
      h("p", { id: "by-object", style: one ? { color: "rgb(24, 25, 26)", marginTop: "9px" } : { color: "rgb(4, 5, 6)", marginTop: "7px" } }, "object style"),
      // a text op: the CSS of a <style> of the first page changes.
      h("style", {}, one ? "#by-sheet { color: rgb(27, 28, 29) }" : "#by-sheet { color: rgb(7, 8, 9) }"),
      h("p", { id: "by-sheet" }, "style element"),
      h("svg", { id: "svg", width: "10", height: "10" }, h("style", {}, "#svg-rect { fill: rgb(10, 11, 12) }"), h("rect", { id: "svg-rect", width: "10", height: "10" })),
      h("p", { id: "by-static-css" }, "static css"),
      // insert ops: a <style> and a styled row before the first row.
      h(
        "ul",
        {},
        one && h("style", { key: "sheet" }, ".row-new { color: rgb(30, 31, 32) } li > b { color: rgb(33, 34, 35) }"),
        one && h("li", { key: "new", id: "inserted", class: "row-new", style: "margin-left: 5px" }, "inserted"),
        h("li", { key: "old", id: "old-row" }, h("b", { id: "bold" }, "old")),
      ),
      // replace op: the element changes tag, with a style attribute and a <style> inside.
      one
        ? h("section", { id: "replaced", style: "color: rgb(36, 37, 38)" }, h("style", {}, "#replaced-inner { color: rgb(39, 40, 41) }"), h("span", { id: "replaced-inner" }, "x"))
        : h("div", { id: "replaced" }, "before"),
      // append ops: an SVG with its own <style>, and a styled paragraph.
      one && h("svg", { id: "svg2", width: "10", height: "10" }, h("style", {}, "#svg2-rect { fill: rgb(42, 43, 44) }"), h("rect", { id: "svg2-rect", width: "10", height: "10" })),
      one && h("p", { id: "appended", style: { color: "rgb(45, 46, 47)" } }, "appended"),
    );
  }
}

/** id → [computed property, value] in each phase. */
const FIRST: Record<string, [string, string]> = {
  "by-string": ["color", "rgb(1, 2, 3)"],
  "by-object": ["margin-top", "7px"],
  "by-sheet": ["color", "rgb(7, 8, 9)"],
  "svg-rect": ["fill", "rgb(10, 11, 12)"],
  "by-static-css": ["color", "rgb(13, 14, 15)"],
};
const PATCHED: Record<string, [string, string]> = {
  "by-string": ["color", "rgb(21, 22, 23)"],
  "by-object": ["margin-top", "9px"],
  "by-sheet": ["color", "rgb(27, 28, 29)"],
  "svg-rect": ["fill", "rgb(10, 11, 12)"],
  "by-static-css": ["color", "rgb(13, 14, 15)"],
  inserted: ["color", "rgb(30, 31, 32)"],
  bold: ["color", "rgb(33, 34, 35)"],
  replaced: ["color", "rgb(36, 37, 38)"],
  "replaced-inner": ["color", "rgb(39, 40, 41)"],
  "svg2-rect": ["fill", "rgb(42, 43, 44)"],
  appended: ["color", "rgb(45, 46, 47)"],
};

/** The computed value of each id's property, as the browser decided. */
const computed = (page: Page, table: Record<string, [string, string]>) =>
  page.evaluate((t) => {
    const out: Record<string, [string, string]> = {};
    for (const [id, [prop]] of Object.entries(t)) {
      const el = document.getElementById(id);
      out[id] = [prop, el ? getComputedStyle(el).getPropertyValue(prop) : "missing"];
    }
    return out;
  }, table);

/** What the page's CSP refused, as the browser reports it. */
const violations = (page: Page) => page.evaluate(() => (window as unknown as { __violations: string[] }).__violations);

describeE2E("styles under the default CSP in Chromium", (e2e) => {
  async function open(options: ServerOptions = {}) {
    const srv = createServer(Styles, { logger: { warn() {}, error() {} }, ...options });
    const url = await srv.listen(0, "127.0.0.1");
    e2e.defer(() => srv.close());
    const page = await e2e.page();
    // Playwright's init script is not subject to the page's CSP: it only listens.
    await page.addInitScript(() => {
      const seen: string[] = ((window as unknown as { __violations: string[] }).__violations = []);
      document.addEventListener("securitypolicyviolation", (e) => seen.push(`${e.effectiveDirective} ${e.blockedURI || "inline"}`));
    });
    await page.goto(url);
    await connected(page);
    return page;
  }

  it("applies style props (string and object), <style> elements (HTML and SVG) and static css in the first page", async () => {
    const page = await open();
    expect(await computed(page, FIRST)).toEqual(FIRST);
    expect(await violations(page)).toEqual([]);
  });

  it("applies them in patches: attrs, text, insert, replace and append ops", async () => {
    const page = await open();
    await page.click("#next");
    await page.waitForSelector("#appended");
    expect(await computed(page, PATCHED)).toEqual(PATCHED);
    expect(await violations(page)).toEqual([]);
    // The <style> elements the runtime created carry the page's nonce (hidden from the DOM, kept by the element).
    const nonces = await page.evaluate(() => [...document.querySelectorAll("style")].map((s) => [s.nonce !== "", s.getAttribute("nonce") ?? "none"]));
    expect(nonces.every(([has]) => has)).toBe(true);
  });

  it("writes static title and static head", async () => {
    const page = await open();
    expect(await page.title()).toBe("Styled · Revue");
    expect(await page.locator('meta[name="description"]').getAttribute("content")).toBe("every way to style a page");
    expect(await page.locator('link[rel="icon"]').getAttribute("href")).toBe("data:image/png;base64,iVBORw0KGgo=");
  });

  it("follows the csp option: without style-src-attr, style attributes are refused again", async () => {
    const page = await open({ csp: { "style-src-attr": false } });
    const [, color] = (await computed(page, { "by-string": ["color", ""] }))["by-string"]!;
    expect(color).toBe("rgb(0, 0, 0)");
    expect((await violations(page)).some((v) => v.startsWith("style-src-attr"))).toBe(true);
    // <style> elements still apply: they carry the nonce.
    expect((await computed(page, { "by-sheet": ["color", ""] }))["by-sheet"]![1]).toBe("rgb(7, 8, 9)");
  });
});
