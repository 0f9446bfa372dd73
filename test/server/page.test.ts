import { afterEach, describe, expect, it } from "vitest";
import { App, createServer, h, type AppClass, type VNode } from "revue";
import { BindError, RenderError } from "revue/internals";
import { JSDOM } from "jsdom";
import { serve } from "./harness.js";

/** The first page, as a browser gets it: status, CSP header, body, and the nonce the header names. */
async function firstPage(app: AppClass, options: Parameters<typeof serve>[1] = {}) {
  const srv = await serve(app, options);
  running.push(srv);
  const res = await srv.browser().request("/");
  const csp = res.headers.get("content-security-policy") ?? "";
  const nonce = /'nonce-([^']+)'/.exec(csp)?.[1] ?? "";
  return { status: res.status, csp, html: res.body as string, nonce };
}
let running: Array<{ close(): Promise<void> }> = [];
afterEach(async () => {
  await Promise.all(running.map((s) => s.close()));
  running = [];
});

/** The directives of a CSP header, by name. */
const directives = (csp: string) => Object.fromEntries(csp.split("; ").map((d) => [d.split(" ")[0], d.slice(d.indexOf(" ") + 1)]));

class Styled extends App {
  static override title = "Shop & <Co>";
  static override css = "main { color: rgb(1, 2, 3) } /* </style><script>alert(1)</script> */";
  static override head: readonly VNode[] = [
    h("meta", { name: "description", content: 'Our "shop"' }),
    h("link", { rel: "icon", href: "data:image/png;base64,iVBORw0KGgo=" }),
    h("META", { property: "og:title", content: "Shop" }),
  ];
  override render() {
    return h("main", { style: { marginTop: "3px" } }, h("style", {}, "p > b { color: red }"), h("svg", {}, h("style", {}, "c > d {}")), h("p", { style: "color: blue" }, "hi"));
  }
}

describe("the page's head and CSP", () => {
  it("sends the safe default CSP: scripts by nonce only, styles from the origin, by nonce, and in style attributes", async () => {
    const { csp, nonce } = await firstPage(Styled);
    expect(nonce).toMatch(/^[A-Za-z0-9+/]{22}==$/);
    expect(directives(csp)).toEqual({
      "default-src": "'self'",
      "script-src": `'nonce-${nonce}' 'strict-dynamic'`,
      "style-src": `'self' 'nonce-${nonce}'`,
      "style-src-attr": "'unsafe-inline'",
      "img-src": "'self' data: blob:",
      "object-src": "'none'",
      "base-uri": "'none'",
      "frame-ancestors": "'self'",
      "form-action": "'self'",
    });
    expect(csp).not.toMatch(/script-src[^;]*unsafe/);
  });

  it("writes static title (escaped), static head, and static css under the nonce", async () => {
    const { html, nonce } = await firstPage(Styled);
    const head = html.slice(html.indexOf("<head>"), html.indexOf("</head>"));
    expect(head).toContain("<title>Shop &amp; &lt;Co&gt;</title>");
    expect(head).toContain('<meta data-rv-head name="description" content="Our &quot;shop&quot;"><link data-rv-head rel="icon" href="data:image/png;base64,iVBORw0KGgo="><meta data-rv-head property="og:title" content="Shop">');
    expect(head).toContain(`<style id="rv-css" nonce="${nonce}">main { color: rgb(1, 2, 3) } /* <\\/style><script>alert(1)</script> */</style>`);
    expect(head.replace(/<style[^]*<\/style>/, "")).not.toContain("<script"); // the only one is CSS text
  });

  it("puts the nonce on #rv-root and on every <style> of the tree, and writes style props as attributes", async () => {
    const { html, nonce } = await firstPage(Styled);
    expect(html).toContain(`<div id="rv-root" nonce="${nonce}"><main data-rv="w-1" style="margin-top:3px">`);
    expect(html).toContain(`<style data-rv="w-2" nonce="${nonce}">p > b { color: red }</style>`);
    expect(html).toContain(`<style data-rv="w-4" nonce="${nonce}">c &gt; d {}</style>`); // in SVG: escaped, the parser decodes it
    expect(html).toContain('style="color: blue"');
  });

  it("gives every page its own nonce, the same in the header and the page", async () => {
    const srv = await serve(Styled);
    running.push(srv);
    const [a, b] = await Promise.all([srv.browser().request("/"), srv.browser().request("/")]);
    const na = /'nonce-([^']+)'/.exec(a.headers.get("content-security-policy")!)![1]!;
    expect(na).not.toBe(/'nonce-([^']+)'/.exec(b.headers.get("content-security-policy")!)![1]);
    expect((a.body as string).match(/nonce="([^"]+)"/g)!.every((m) => m === `nonce="${na}"`)).toBe(true);
  });

  it("defaults the title to the class name, with no style or head elements", async () => {
    class Plain extends App {}
    const { html } = await firstPage(Plain);
    expect(html).toContain("<title>Plain</title></head>");
  });
});

describe("the csp option", () => {
  it("merges directives over the defaults: replaces, removes with false, adds", async () => {
    const { csp, nonce } = await firstPage(Styled, { csp: { "img-src": "'self' https://images.example", "frame-ancestors": false, "upgrade-insecure-requests": "" } });
    const d = directives(csp);
    expect(d["img-src"]).toBe("'self' https://images.example");
    expect(d).not.toHaveProperty("frame-ancestors");
    expect(csp).toMatch(/; upgrade-insecure-requests$/);
    expect(d["script-src"]).toBe(`'nonce-${nonce}' 'strict-dynamic'`);
  });

  it("takes a function of the nonce, to extend script-src", async () => {
    const { csp, nonce } = await firstPage(Styled, { csp: (n) => ({ "script-src": `'nonce-${n}' https://cdn.example` }) });
    expect(directives(csp)["script-src"]).toBe(`'nonce-${nonce}' https://cdn.example`);
  });

  it.each([
    ["a script-src without the nonce", { "script-src": "'self'" }, /script-src must keep the page's nonce.*function form/],
    ["script-src removed", { "script-src": false }, /script-src must keep the page's nonce/],
    ["a value that starts another directive", { "img-src": "'self'; script-src *" }, /without ";" or ","/],
    ["a value that starts another policy", { "img-src": "'self', script-src *" }, /without ";" or ","/],
    ["a header injection", { "img-src": "x\r\nSet-Cookie: a=b" }, /without ";" or ","/],
    ["a bad directive name", { "img src": "'self'" }, /not a directive name/],
    ["a number", { "img-src": 3 }, /must be a string/],
    ["an array", [], /expected an object of directives/],
  ])("refuses %s when the server is created", (_, csp, message) => {
    expect(() => createServer(Styled, { csp: csp as never })).toThrow(message);
  });
});

describe("static members are checked when the app is mounted", () => {
  const hostile = (tag: string) => ({ type: "element", tag, props: { src: "https://evil.test/x.js" }, key: undefined, children: [] }) as unknown as VNode;
  const withHead = (head: unknown) => {
    class Bad extends App {
      static override head = head as VNode[];
    }
    return Bad;
  };

  it.each([
    ["a script built by hand", [hostile("SCRIPT")], RenderError, /Bad\.head\[0\]: <SCRIPT> cannot go in the page's <head>/],
    ["a base", [h("base", { href: "https://evil.test/" })], RenderError, /Bad\.head\[0\]: <base> cannot go/],
    ["a style", [h("style", {}, "p{}")], RenderError, /static css for styles/],
    ["a meta with http-equiv", [h("meta", { "http-equiv": "refresh", content: "0;url=https://evil.test" })], RenderError, /http-equiv cannot be rendered/],
    ["an event handler", [h("link", { rel: "icon", onLoad: () => 1 })], BindError, /Bad\.head\[0\]: <link onLoad> is an event handler/],
    ["a string", ["<meta>"], RenderError, /Bad\.head\[0\]: expected an element built with h\("meta"/],
    ["not an array", h("meta", {}), RenderError, /Bad\.head must be an array/],
    // Found by id before the page's own (the runtime never started, or its reconnecting flag never showed).
    ["an element with the boot data's id", [h("meta", { id: "rv-boot", name: "x", content: "{}" })], RenderError, /Bad\.head\[0\]: <meta id="rv-boot">: that id is Revue's own/],
    ["an element with the reconnecting flag's id", [h("link", { id: "RV-RC", rel: "icon", href: "/i.png" })], RenderError, /<link id="RV-RC">: that id is Revue's own/],
  ])("refuses %s in static head", (_, head, type, message) => {
    expect(() => createServer(withHead(head))).toThrow(type);
    expect(() => createServer(withHead(head))).toThrow(message);
  });

  it("drops unsafe attributes in static head as in any tree", async () => {
    const { html } = await firstPage(withHead([h("link", { rel: "icon", href: "javascript:alert(1)" }), h("link", { rel: "icon", href: "data:image/svg+xml,<svg onload=alert(1)>" })]));
    expect(html).toContain('<link data-rv-head rel="icon"><link data-rv-head rel="icon">');
  });

  it("refuses a title or css that is not a string", () => {
    class T extends App {
      static override title = 3 as unknown as string;
    }
    class C extends App {
      static override css = ["a{}"] as unknown as string;
    }
    expect(() => createServer(T)).toThrow(/T\.title must be a string/);
    expect(() => createServer(C)).toThrow(/C\.css must be a string of CSS/);
  });
});

describe("the page's own elements", () => {
  /** A guestbook whose entries' ids and texts come from visitors. */
  class Guestbook extends App {
    entries = [
      { slug: "rv-boot", title: '{"sid":"x","rev":1,"base":"","module":"http://127.0.0.1:9/evil.js"}' },
      { slug: "rv-root", title: "hello" },
    ];
    override render() {
      return h("main", {}, this.entries.map((e) => h("h2", { key: e.slug, id: e.slug }, e.title)));
    }
  }

  it("are found by id before any element of the app with the same id (an id from data cannot name the module the page imports)", async () => {
    const { html, nonce } = await firstPage(Guestbook);
    const { document } = new JSDOM(html).window;
    // What the runtime reads (client/index.ts): the first element with each id.
    const boot = document.getElementById("rv-boot")!;
    expect(boot.tagName).toBe("SCRIPT");
    expect(JSON.parse(boot.textContent!).module).toMatch(/^\/rv\/app\.[0-9a-f]+\.js$/);
    const root = document.getElementById("rv-root")!;
    expect(root.tagName).toBe("DIV");
    expect(root.getAttribute("nonce")).toBe(nonce);
    expect(root.querySelectorAll("h2").length).toBe(2);
  });
});
