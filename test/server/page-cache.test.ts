import { afterEach, describe, expect, it } from "vitest";
import { App, h, handler, server } from "revue";
import { serve, until, type Browser } from "./harness.js";

// A page served again to the next visitor whose render() gives the same tree (session/page-cache.ts):
// what each visitor gets must stay theirs, and a page served that way connects like any other.

let srv: Awaited<ReturnType<typeof serve>> | undefined;
afterEach(async () => {
  await srv?.close();
  srv = undefined;
});

const BOOT = /<script type="application\/json" id="rv-boot">(.*?)<\/script>/;
/** The content of #rv-root. */
const rootOf = (page: string) => page.slice(page.indexOf('<div id="rv-root"'), page.indexOf('<script type="module"'));

async function visit(path = "/"): Promise<{ b: Browser; html: string; nonce: string }> {
  const b = srv!.browser();
  const r = await b.request(path);
  expect(r.status).toBe(200);
  b.sid = JSON.parse(BOOT.exec(r.body as string)![1]!).sid;
  const nonce = /'nonce-([^']+)'/.exec(r.headers.get("content-security-policy") ?? "")![1]!;
  return { b, html: r.body as string, nonce };
}

class Rows extends App {
  static shared = Array.from({ length: 50 }, (_, i) => ({ id: i + 1, label: `row <${i + 1}>`, done: i % 3 === 0 }));
  rows = Rows.shared.map((r) => ({ ...r }));
  @server.realtime toggle(id: number) {
    const row = this.rows.find((r) => r.id === id);
    if (row) row.done = !row.done;
  }
  @server.on("bump") bump() {
    this.rows[0]!.label = "bumped";
  }
  override render() {
    return h("main", {},
      h("ul", {}, this.rows.map((r) =>
        h("li", { key: r.id, class: { row: true, done: r.done } },
          h("input", { type: "checkbox", checked: r.done, onChange: handler(this.toggle, { args: [r.id] }) }),
          h("span", {}, r.label)))));
  }
}

describe("a page served again to the next visitor with the same tree", () => {
  it("gives both visitors the same content, each with its own session, nonce and no init on connect", async () => {
    srv = await serve(Rows);
    // The second visit is compared with the first's tree, the third with its shape (page-cache.ts).
    const one = await visit(), two = await visit(), three = await visit();
    expect(rootOf(two.html).replace(two.nonce, "N")).toBe(rootOf(one.html).replace(one.nonce, "N"));
    expect(rootOf(three.html).replace(three.nonce, "N")).toBe(rootOf(one.html).replace(one.nonce, "N"));
    expect(two.b.sid).not.toBe(one.b.sid);
    expect(two.nonce).not.toBe(one.nonce);
    expect(two.html).toContain(`<div id="rv-root" nonce="${two.nonce}">`);
    for (const { b } of [one, two, three]) {
      const s = b.stream(0);
      await until(() => s.es.readyState === 1, "the stream to open");
      await b.event("toggle", [2]);
      const patch = await s.waitFor((m) => m.type === "patch" && m.data.ack === 1, "the patch");
      expect(patch.data.rev).toBe(2);
      expect(s.got.filter((m) => m.type === "init")).toEqual([]);
    }
    expect(srv.handle.stats().apps["/"]!.messagesOut.init).toBe(0);
  });

  it("never gives a visitor what another's state rendered: a different tree gets its own page", async () => {
    class Visitor extends App {
      static count = 0;
      n = ++Visitor.count;
      override render() {
        return h("main", {}, h("p", { id: "who" }, `visitor ${this.n}`), h("ul", {}, Array.from({ length: 20 }, (_, i) => h("li", {}, `item ${i}`))));
      }
    }
    srv = await serve(Visitor);
    const pages = [await visit(), await visit(), await visit(), await visit()];
    pages.forEach((p, i) => expect(p.html).toContain(`visitor ${i + 1}</p>`));
  });

  it("gives a visitor its own page when the tree differs from a page served several times", async () => {
    class Banner extends App {
      static text = "sale";
      override render() {
        return h("main", {}, h("p", { id: "banner" }, Banner.text), h("ul", {}, Array.from({ length: 20 }, (_, i) => h("li", {}, `item ${i}`))));
      }
    }
    srv = await serve(Banner);
    for (let i = 0; i < 3; i++) expect((await visit()).html).toContain(">sale</p>");
    Banner.text = "closed";
    expect((await visit()).html).toContain(">closed</p>");
    expect((await visit()).html).toContain(">closed</p>");
  });

  it("connects with an init when the state changed after a page served again (the page shows the old state)", async () => {
    srv = await serve(Rows);
    await visit();
    const { b } = await visit(); // served again
    srv.handle.emit("bump"); // both pending sessions change what they show
    await srv.handle.hubs.get("")!.settle();
    const s = b.stream(0);
    const init = await s.waitFor((m) => m.type === "init", "the snapshot");
    expect(JSON.stringify(init.data.tree)).toContain("bumped");
  });

  it("writes this page's nonce on a <style> in the tree, never another page's", async () => {
    class Styled extends App {
      override render() {
        return h("main", {}, h("style", {}, "p { color: red }"), h("p", {}, "hi"));
      }
    }
    srv = await serve(Styled);
    for (const { html, nonce } of [await visit(), await visit()]) {
      expect(rootOf(html)).toContain(`<style data-rv="w-2" nonce="${nonce}">p { color: red }</style>`);
    }
  });

  it("keeps a page per address: two queries alternate and each gets its own page", async () => {
    class Show extends App {
      override render() {
        return h("main", {}, h("p", {}, this.query.show ?? "all"));
      }
    }
    srv = await serve(Show);
    const seen: string[] = [];
    for (const path of ["/?show=done", "/", "/?show=done", "/"]) seen.push(/<p data-rv="w-2">(\w+)<\/p>/.exec((await visit(path)).html)![1]!);
    expect(seen).toEqual(["done", "all", "done", "all"]);
  });
});
