import { createServer as createHttpServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { expect, it } from "vitest";
import type { Page } from "playwright-core";
import { App, createServer, h, server, type ServerOptions } from "revue";
import { treeHash } from "../../src/protocol.js";
import type { Node, PatchOp } from "../../src/vdom/types.js";
import { connected, describeE2E, sleep } from "./browser.js";

/**
 * A tag name from data must never load a script, a plugin or a document, nor
 * navigate: not in the first page, not in a patch the server renders, not in a
 * patch or snapshot built by hand (a compromised server, a tampered store).
 * Every hostile URL points at a loopback "recorder" that counts the requests it
 * gets; a control case (an <img> the CSP allows) proves that a load would be seen.
 */

/** Where user data says to render: a tag and its attributes, from an rpc (or the class, for the first page). */
class Echo extends App {
  static initial: { tag: string; attrs: Record<string, string>; css: string } = { tag: "p", attrs: {}, css: "" };
  tag = Echo.initial.tag;
  attrs = Echo.initial.attrs;
  css = Echo.initial.css;
  /** A relative image: where it loads from shows whether a <base> was applied. */
  probe = "";

  @server.rpc show(tag: string, attrs: Record<string, string>) {
    this.tag = tag;
    this.attrs = attrs;
  }

  @server.rpc style(css: string) {
    this.css = css;
  }

  @server.rpc relative(src: string) {
    this.probe = src;
  }

  override render() {
    return h("main", { id: "main" }, h("p", { id: "status" }, "ok"), h(this.tag, { ...this.attrs, id: "shown" }), h("svg", { id: "svg" }, h("style", {}, this.css)), this.probe && h("img", { id: "probe", src: this.probe }));
  }
}

/** A loopback server that records every path asked of it, and serves what a hostile tag would load. */
async function recorder(): Promise<{ url: string; hits: string[]; server: Server }> {
  const hits: string[] = [];
  const server = createHttpServer((req, res) => {
    hits.push(req.url!);
    if (req.url!.endsWith(".js")) res.writeHead(200, { "content-type": "text/javascript" }).end("window.__pwned = (window.__pwned || 0) + 1;");
    else if (req.url!.endsWith(".gif")) res.writeHead(200, { "content-type": "image/gif" }).end(Buffer.from("R0lGODlhAQABAAAAACw=", "base64"));
    else res.writeHead(200, { "content-type": "text/html" }).end("<!doctype html><title>elsewhere</title>");
  });
  await new Promise<void>((r) => server.listen(0, "127.0.0.1", r));
  return { url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`, hits, server };
}

describeE2E("hostile tags from data in Chromium", (e2e) => {
  let rec: Awaited<ReturnType<typeof recorder>>;

  /**
   * Serves Echo with a CSP that would let the recorder's images, scripts,
   * plugins and base URL through: what stops a hostile tag must be Revue, not
   * the policy. `scripts` replaces script-src (the first page needs one without
   * 'strict-dynamic', which ignores host sources for scripts in the HTML).
   */
  async function serve(scripts?: (nonce: string, recorder: string) => string) {
    rec = await recorder();
    e2e.defer(() => new Promise<void>((r) => (rec.server.closeAllConnections(), rec.server.close(() => r()))));
    Echo.initial = { tag: "p", attrs: {}, css: "" };
    const srv = createServer(Echo, {
      logger: { warn() {}, error() {} },
      csp: (nonce) => ({
        "script-src": scripts ? scripts(nonce, rec.url) : `'nonce-${nonce}' 'strict-dynamic' ${rec.url}`,
        "img-src": `'self' ${rec.url}`,
        "object-src": rec.url,
        "base-uri": false,
        "frame-src": rec.url,
      }),
    });
    const url = await srv.listen(0, "127.0.0.1");
    e2e.defer(() => srv.close());
    return url;
  }

  /** Opens the page, connected, with a mark that a navigation would lose. */
  async function open(url: string): Promise<Page> {
    const page = await e2e.page();
    await page.goto(url);
    await connected(page);
    await page.evaluate(() => ((window as unknown as { __mark: string }).__mark = "kept"));
    return page;
  }

  /**
   * Nothing loaded from the recorder, the page did not navigate, and no refused
   * element is in it. A moment for the page to apply what it got, then a
   * control: an image the page loads from the recorder after it, which a load
   * the hostile element started would precede.
   */
  async function untouched(page: Page, url: string) {
    await sleep(200);
    await page.evaluate((src) => new Promise<void>((done) => {
      const img = new Image();
      img.onload = img.onerror = () => done();
      img.src = src;
    }), `${rec.url}/control.gif`);
    await sleep(100);
    expect(rec.hits).toEqual(["/control.gif"]);
    expect(page.url()).toBe(url + "/");
    expect(await page.evaluate(() => [(window as unknown as { __mark?: string }).__mark, (window as unknown as { __pwned?: number }).__pwned ?? 0])).toEqual(["kept", 0]);
    expect(await page.evaluate(() => document.querySelectorAll("#rv-root script, #rv-root base, #rv-root object, #rv-root embed, #rv-root meta[http-equiv]").length)).toBe(0);
  }

  it("the control: an <img> from data, which the CSP allows, does reach the recorder", async () => {
    const url = await serve();
    const page = await open(url);
    await page.evaluate((src) => window.rv.rpc("show", "IMG", { src }), `${rec.url}/control.gif`);
    await expect.poll(() => rec.hits).toEqual(["/control.gif"]);
  });

  it("a name from data cannot take over the document's methods: the page boots and applies patches", async () => {
    const url = await serve();
    Echo.initial = { tag: "img", attrs: { name: "getElementById", alt: "" }, css: "" };
    const page = await open(url); // the runtime booted: it calls document.getElementById first
    expect(await page.evaluate(() => typeof document.getElementById)).toBe("function");
    await page.evaluate(() => window.rv.rpc("show", "form", { name: "createElement" }));
    await expect.poll(() => page.evaluate(() => document.getElementById("shown")?.localName)).toBe("form");
    expect(await page.evaluate(() => typeof document.createElement)).toBe("function");
    // The next patch builds elements (document.createElement): it still applies.
    await page.evaluate(() => window.rv.rpc("show", "section", { title: "after" }));
    await expect.poll(() => page.evaluate(() => document.getElementById("shown")?.localName)).toBe("section");
  });

  it("a form field named after a method the page calls on nodes (append, remove, closest) does not stop the page: the form comes and goes by patches, a click on it is nothing", async () => {
    class Toggle extends App {
      static field = "append";
      shown = true;
      count = 0;
      @server.realtime toggle() {
        this.shown = !this.shown;
      }
      @server.realtime inc() {
        this.count++;
      }
      override render() {
        return h("main", {},
          h("input", { id: "note" }), // typed into, never sent: a resync would empty it
          h("button", { id: "toggle", onClick: this.toggle }, "toggle"), h("button", { id: "inc", onClick: this.inc }, "+1"), h("p", { id: "count" }, String(this.count)),
          this.shown && h("form", { id: "edit" }, h("input", { type: "checkbox", name: Toggle.field }), h("input", { name: "after" }), h("button", {}, "save")));
      }
    }
    for (const field of ["append", "remove", "closest"]) {
      Toggle.field = field;
      const srv = createServer(Toggle, { logger: { warn() {}, error() {} } });
      e2e.defer(() => srv.close());
      const page = await open(await srv.listen(0, "127.0.0.1"));
      const errors: string[] = [];
      page.on("pageerror", (e) => errors.push(e.message));
      await page.fill("#note", "typed, not sent");
      await page.click("#toggle"); // the form goes (a remove op)
      await expect.poll(() => page.evaluate(() => document.getElementById("edit"))).toBeNull();
      await page.click("#toggle"); // and comes back, built by the page (an insert op)
      await expect.poll(() => page.evaluate(() => document.querySelectorAll("#edit input").length)).toBe(2);
      // A click on the form itself (its padding): the page's link handling looks at the form.
      await page.evaluate(() => HTMLElement.prototype.click.call(document.getElementById("edit")));
      await page.click("#inc");
      await expect.poll(() => page.textContent("#count")).toBe("1");
      expect(await page.inputValue("#note")).toBe("typed, not sent"); // no resync replaced the page
      expect(errors).toEqual([]);
    }
  });

  it("rows rendered straight into a <table> (the parser puts them in a <tbody>) take inserts and moves without a resync", async () => {
    class Rows extends App {
      rows = [1, 2, 3];
      @server.realtime top() {
        this.rows = [this.rows.length + 1, ...this.rows];
      }
      @server.realtime rotate() {
        this.rows = [...this.rows.slice(1), this.rows[0]!];
      }
      override render() {
        return h("main", {},
          h("input", { id: "note" }),
          h("button", { id: "top", onClick: this.top }, "top"), h("button", { id: "rotate", onClick: this.rotate }, "rotate"),
          h("table", { id: "t" }, this.rows.map((r) => h("tr", { key: r }, h("td", {}, `row ${r}`)))));
      }
    }
    const srv = createServer(Rows, { logger: { warn() {}, error() {} } });
    e2e.defer(() => srv.close());
    const page = await open(await srv.listen(0, "127.0.0.1"));
    let streams = 0;
    page.on("request", (r) => void (r.url().includes("/api/sse/") && streams++));
    await page.fill("#note", "typed, not sent");
    const shown = () => page.evaluate(() => Array.from(document.querySelectorAll("#t tr"), (tr) => tr.textContent));
    await page.click("#top");
    await expect.poll(shown).toEqual(["row 4", "row 1", "row 2", "row 3"]);
    await page.click("#rotate");
    await expect.poll(shown).toEqual(["row 1", "row 2", "row 3", "row 4"]);
    await page.click("#top");
    await expect.poll(shown).toEqual(["row 5", "row 1", "row 2", "row 3", "row 4"]);
    expect(await page.inputValue("#note")).toBe("typed, not sent"); // no snapshot replaced the page
    expect(streams).toBe(0); // and the stream was never reopened to get one
  });

  const cases: Array<[string, (r: string) => Record<string, string>]> = [
    ["SCRIPT", (r) => ({ src: `${r}/upper.js` })],
    ["Script", (r) => ({ src: `${r}/mixed.js` })],
    ["script", (r) => ({ src: `${r}/lower.js` })],
    ["object", (r) => ({ data: `${r}/object` })],
    ["EMBED", (r) => ({ src: `${r}/embed` })],
    ["base", (r) => ({ href: `${r}/` })],
    ["meta", (r) => ({ "http-equiv": "refresh", content: `0;url=${r}/navigated` })],
    ["META", (r) => ({ "HTTP-EQUIV": "refresh", content: `0;url=${r}/navigated` })],
  ];

  it.each(cases)("refuses <%s> from data in a patch: nothing loads, nothing navigates, the page stays live", async (tag, attrs) => {
    const url = await serve();
    const page = await open(url);
    const outcome = await page.evaluate(([t, a]) => window.rv.rpc("show", t, a).then(() => "resolved", (e: Error) => e.message), [tag, attrs(rec.url)] as const);
    expect(typeof outcome).toBe("string");
    // A relative image: it would load from the recorder if a <base> had been applied.
    await page.evaluate(() => window.rv.rpc("relative", "relative.gif"));
    await untouched(page, url);
    expect(await page.locator("#status").textContent()).toBe("ok");
  });

  it.each(cases)("refuses <%s> from data in the first page (the render fails, nothing is served)", async (tag, attrs) => {
    const url = await serve((nonce, r) => `'nonce-${nonce}' 'self' ${r}`);
    Echo.initial = { tag, attrs: attrs(rec.url), css: "" };
    const page = await e2e.page();
    const res = await page.goto(url);
    expect(res!.status()).toBe(500);
    // The error page names nothing of the recorder's: nothing in it can load from there.
    expect(await res!.text()).not.toContain(rec.url);
    expect(rec.hits).toEqual([]);
    expect(page.url()).toBe(url + "/");
  });

  it("escapes an SVG <style>'s text from data, in the first page and in patches: it never becomes an element", async () => {
    const url = await serve();
    const css = () => `<img src="${rec.url}/from-svg-style.gif"><b>x</b>`;
    Echo.initial = { tag: "p", attrs: {}, css: css() };
    const page = await open(url);
    expect(await page.evaluate(() => [document.querySelectorAll("#svg img, #svg b, #rv-root > img").length, document.querySelector("#svg style")!.textContent])).toEqual([0, css()]);
    await page.evaluate((c) => window.rv.rpc("style", c + "!"), css());
    await expect.poll(() => page.evaluate(() => document.querySelector("#svg style")!.textContent)).toBe(css() + "!");
    await sleep(500);
    expect(rec.hits).toEqual([]);
    expect(await page.evaluate(() => document.querySelectorAll("img, b").length)).toBe(0);
  });

  // Patches and snapshots built by hand reach the page's applier through its own stream, intercepted.
  {
    /** The page's tree as served: main w-1, status w-2, shown w-3, svg w-4, its style w-5. */
    const hostile = (tag: string, attrs: Record<string, string>, id = "w-9"): Node => ({ id, tag, attrs, children: [] });
    const frames: Array<[string, (r: string) => string]> = [
      ["append <SCRIPT>", (r) => patch([{ op: "append", parent: "w-1", node: hostile("SCRIPT", { src: `${r}/append.js` }) }])],
      ["insert <Script>", (r) => patch([{ op: "insert", parent: "w-1", before: "w-2", node: hostile("Script", { src: `${r}/insert.js` }) }])],
      ["replace with <script>", (r) => patch([{ op: "replace", id: "w-3", node: hostile("script", { src: `${r}/replace.js` }, "w-3") }])],
      ["a <script> deep in an appended subtree", (r) => patch([{ op: "append", parent: "w-1", node: { id: "w-8", tag: "div", attrs: {}, children: [hostile("SCRIPT", { src: `${r}/deep.js` })] } }])],
      ["a <script> in the SVG namespace", (r) => patch([{ op: "append", parent: "w-4", node: hostile("script", { href: `${r}/svg.js` }) }])],
      ["append <object>", (r) => patch([{ op: "append", parent: "w-1", node: hostile("OBJECT", { data: `${r}/object` }) }])],
      ["append <embed>", (r) => patch([{ op: "append", parent: "w-1", node: hostile("embed", { src: `${r}/embed` }) }])],
      ["append <base>, then a relative image", (r) => patch([{ op: "append", parent: "w-1", node: hostile("base", { href: `${r}/` }) }, { op: "append", parent: "w-1", node: hostile("img", { src: "rel.gif" }, "w-10") }])],
      ["append <meta http-equiv=refresh>", (r) => patch([{ op: "append", parent: "w-1", node: hostile("meta", { "http-equiv": "refresh", content: `0;url=${r}/navigated` }) }])],
      ["add http-equiv to a <meta> with an attrs op", (r) => patch([{ op: "append", parent: "w-1", node: hostile("meta", { content: `0;url=${r}/navigated` }) }, { op: "attrs", id: "w-9", set: { "Http-Equiv": "refresh" }, remove: [] }])],
      ["an init whose tree holds a <SCRIPT>", (r) => init({ id: "w-1", tag: "main", attrs: {}, children: [hostile("SCRIPT", { src: `${r}/init.js` })] })],
    ];

    it.each(frames)("the applier refuses a hand-built %s", async (_, frame) => {
      const url = await serve();
      const page = await e2e.page();
      let served = 0;
      // The page's first stream gets the hostile frame; later ones (its resync) reach the real server.
      await page.route("**/api/sse/**", (route) => {
        if (served++ > 0) return route.continue();
        return route.fulfill({ status: 200, headers: { "content-type": "text/event-stream", "cache-control": "no-cache" }, body: `retry: 200\n\n${frame(rec.url)}` });
      });
      await page.goto(url);
      await page.waitForFunction(() => !!window.rv);
      await page.evaluate(() => ((window as unknown as { __mark: string }).__mark = "kept"));
      await expect.poll(() => served, { timeout: 5000 }).toBeGreaterThan(0);
      await untouched(page, url);
    });

    it("the control: the same interception delivers a hand-built <img>, which loads", async () => {
      const url = await serve();
      const page = await e2e.page();
      let served = 0;
      await page.route("**/api/sse/**", (route) =>
        served++ > 0 ? route.continue() : route.fulfill({ status: 200, headers: { "content-type": "text/event-stream" }, body: `retry: 200\n\n${patch([{ op: "append", parent: "w-1", node: hostile("IMG", { src: `${rec.url}/hand.gif` }) }])}` }),
      );
      await page.goto(url);
      await expect.poll(() => rec.hits).toEqual(["/hand.gif"]);
    });
  }
});

/** One SSE patch frame turning revision 1 (the page as served) into 2. */
function patch(ops: PatchOp[]): string {
  return `id: 1\nevent: patch\ndata: ${JSON.stringify({ rev: 2, ops, ack: 0 })}\n\n`;
}

/** One SSE init frame carrying `tree`, with the hash the page checks. */
function init(tree: Node): string {
  const json = JSON.stringify(tree);
  return `id: 1\nevent: init\ndata: {"rev":2,"tree":${json},"hash":"${treeHash(json)}","ack":0}\n\n`;
}
