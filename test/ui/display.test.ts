import { afterEach, expect, it } from "vitest";
import { App, h, server, type VNode } from "revue";
import { code, download, image, json, metric, MAX_DOWNLOAD_BYTES } from "revue/ui";
import { mount, type TestSession } from "revue/testing";

let t: TestSession<App> | undefined;
afterEach(async () => {
  await t?.unmount();
  t = undefined;
});

async function page(draw: () => VNode): Promise<TestSession<App>> {
  class Page extends App {
    override render() {
      return h("main", {}, draw());
    }
  }
  t = (await mount(Page)) as TestSession<App>;
  return t;
}

it("shows code as text in a scrollable, keyboard-reachable block with its language", async () => {
  const s = await page(() => code("if (a < b) {\n  run(\"<script>\");\n}", { language: "ts" }));
  const pre = s.find("pre.rv-code")!;
  expect(pre.getAttribute("tabindex")).toBe("0");
  expect(pre.getAttribute("aria-label")).toBe("ts code");
  expect(s.find("pre code")!.className).toBe("language-ts");
  expect(s.text("pre code")).toBe('if (a < b) {\n  run("<script>");\n}');
  expect(s.find("pre script")).toBeNull();
  expect(() => code("x", { language: "ts onload=x" })).toThrow(/is not a language name/);
  expect(() => code(undefined as never)).toThrow(/source must be a string, got undefined/);
});

it("shows JSON as a foldable tree: the first level open, counts, cut strings and arrays, circular values", async () => {
  const big = Array.from({ length: 250 }, (_, i) => i);
  const value: Record<string, unknown> = { name: "Ada", "<b>key</b>": "<script>x</script>", ok: true, none: null, list: big, nested: { deep: { deeper: 1 } }, long: "x".repeat(500) };
  value.self = value;
  const s = await page(() => json(value));
  const root = s.find(".rv-json > details")!;
  expect(root.hasAttribute("open")).toBe(true);
  expect(root.querySelector("summary")!.textContent).toBe("{8 keys}");
  const nested = s.findAll(".rv-json details details");
  expect(nested.every((d) => !d.hasAttribute("open"))).toBe(true);
  expect(s.findAll(".rv-json-key").map((k) => k.textContent)).toContain("<b>key</b>");
  expect(s.find(".rv-json b")).toBeNull();
  expect(s.find(".rv-json script")).toBeNull();
  const list = nested.find((d) => d.querySelector("summary .rv-json-key")!.textContent === "list")!;
  expect(list.querySelector("summary")!.textContent).toBe("list[250 items]");
  expect(list.querySelectorAll(":scope > .rv-json-children > .rv-json-row")).toHaveLength(100);
  expect(list.querySelector(":scope > .rv-json-children > .rv-json-more")!.textContent).toBe("… 150 more");
  expect(s.html()).toContain("… 300 more characters");
  expect(s.findAll(".rv-json-more").map((e) => e.textContent)).toContain("[circular]");
  expect(s.findAll(".rv-json-string").map((e) => e.textContent)).toContain('"<script>x</script>"');
  expect(() => json(1, { open: -1 })).toThrow(/open must be a whole number ≥ 0, got -1/);
});

it("shows Maps, Sets, dates, bigints and values with toJSON as JSON would carry them", async () => {
  const s = await page(() => json({ m: new Map([["a", 1]]), set: new Set(["x"]), when: new Date(0), big: 10n, buf: Buffer.from("hi"), bad: { toJSON() { throw new Error("no"); } } }, { open: 3 }));
  const rows = s.findAll(".rv-json-row").map((r) => r.textContent);
  expect(rows).toEqual(['a1', '0"x"', 'when"1970-01-01T00:00:00.000Z"', "big10n", 'type"Buffer"', "0104", "1105", "badSymbol([toJSON threw: no])"]);
});

it("draws a JSON tree again only when its value or options changed, value by value: a value changed in place is seen", async () => {
  const { MemoCache } = await import("../../src/vdom/index.js");
  const cache = new MemoCache();
  const text = (v: VNode): string => (v.type === "text" ? v.text : (v.text ?? "") + v.children.map(text).join(""));
  const user = { name: "Ada", roles: ["admin"], seen: new Date(0) };
  const tree = (open = 1) => cache.render(() => json({ user: { ...user, roles: user.roles.slice() } }, { open }));
  const first = tree();
  expect(tree()).toBe(first);
  user.roles.push("ops");
  expect(text(tree())).toContain('"ops"');
  user.seen.setUTCFullYear(2030);
  expect(text(tree())).toContain("2030-");
  const kept = tree();
  expect(tree(2)).not.toBe(kept);
  // A Map (or any class instance) is read as JSON carries it, at every render.
  const withMap = () => cache.render(() => json({ m: new Map([["a", 1]]) }));
  expect(withMap()).not.toBe(withMap());
});

it("keys a JSON array's items by their id when every shown one has a distinct id: a record put first moves the others", async () => {
  class Feed extends App {
    items = Array.from({ length: 50 }, (_, i) => ({ id: i + 1, title: `item ${i + 1}` }));
    @server.rpc add() {
      this.items = [{ id: 0, title: "new" }, ...this.items];
    }
    override render() {
      return h("main", {}, json(this.items, { open: 2 }));
    }
  }
  const s = (t = (await mount(Feed)) as TestSession<App>) as unknown as TestSession<Feed>;
  const second = s.findAll(".rv-json-children > details")[1]!;
  s.ops.length = 0;
  await s.rpc("add");
  expect(s.findAll(".rv-json-children > details")[2]).toBe(second); // the same element, moved down
  expect(second.querySelector(".rv-json-key")!.textContent).toBe("2");
  expect(JSON.stringify(s.ops).length).toBeLessThan(5_000); // 50 labels and one new record (unkeyed: every record again)
  await s.unmount();
  // Two items with one id: by position, as before.
  const dup = (await page(() => json([{ id: 1 }, { id: 1 }]))).findAll(".rv-json-children > details");
  expect(dup.map((d) => d.getAttribute("data-rv")!.startsWith("k-"))).toEqual([false, false]);
});

it("shows an image with its alt text, caption and size, and refuses one without alt or with a script URL", async () => {
  const s = await page(() => image("/img/sales.png", { alt: "Sales rising", caption: "Sales, 2026", width: 640, height: 320 }));
  const img = s.find("figure.rv-image img")!;
  expect([img.getAttribute("src"), img.getAttribute("alt"), img.getAttribute("width"), img.getAttribute("loading")]).toEqual(["/img/sales.png", "Sales rising", "640", "lazy"]);
  expect(s.text("figcaption")).toBe("Sales, 2026");
  expect(() => image("/a.png", {} as never)).toThrow(/say what the image shows in \{ alt: "…" \}/);
  expect(() => image("javascript:alert(1)", { alt: "" })).toThrow(/this URL is refused/);
  expect(() => image("data:image/svg+xml;base64,PHN2Zz4=", { alt: "" })).toThrow(/refused/);
  expect(() => image("/a.png", { alt: "", width: -4 })).toThrow(/width must be a positive number/);
});

it("shows a metric with its delta: arrow, good or bad colour, and words for screen readers", async () => {
  const s = await page(() =>
    h("div", { class: "rv-metrics" },
      metric("Revenue", 12_400.5, { unit: "€", delta: 4.2, deltaLabel: "vs last week" }),
      metric("p95 latency", 182, { unit: "ms", delta: 12, higherIsBetter: false }),
      metric("Errors", "3", { delta: "-2" }),
      metric("Uptime", 99.9, { unit: "%" })));
  const [rev, lat, err, up] = s.findAll(".rv-metric");
  expect(rev!.getAttribute("aria-label")).toBe("Revenue");
  expect(rev!.querySelector(".rv-metric-value")!.textContent).toBe("12,400.5 €");
  expect(rev!.querySelector(".rv-metric-delta")!.className).toBe("rv-metric-delta rv-good");
  expect(rev!.querySelector(".rv-metric-delta")!.textContent).toBe("▲ up 4.2 € vs last week");
  expect(rev!.querySelector(".rv-metric-delta .rv-sr")!.textContent).toBe("up ");
  expect(lat!.querySelector(".rv-metric-delta")!.className).toBe("rv-metric-delta rv-bad");
  expect(err!.querySelector(".rv-metric-delta")!.textContent).toBe("▼ down 2");
  expect(up!.querySelector(".rv-metric-value")!.textContent).toBe("99.9%");
  expect(up!.querySelector(".rv-metric-delta")).toBeNull();
});

it("makes a download link from text or bytes, and says what to do when the file is too big for it", () => {
  const a = download("Export CSV", { filename: "orders.csv", data: "id,name\n1,Zoë\n" }) as { tag: string; props: Record<string, string> };
  expect(a.tag).toBe("a");
  expect(a.props.download).toBe("orders.csv");
  expect(a.props.href).toBe(`data:application/octet-stream;base64,${Buffer.from("id,name\n1,Zoë\n").toString("base64")}`);
  expect(a.props.title).toBe("orders.csv, 15 bytes");
  const bin = download("Get", { filename: "x.bin", data: new Uint8Array([0, 255, 7]) }) as { props: Record<string, string> };
  expect(bin.props.href).toBe("data:application/octet-stream;base64,AP8H");
  expect(() => download("Export", { filename: "big.csv", data: "x".repeat(MAX_DOWNLOAD_BYTES + 1) })).toThrow(
    /download\("Export"\): "big.csv" is 1.0 MB, over the 1.0 MB a download link can carry: the file travels inside the page.*Serve it from a route of your own.*or raise \{ maxBytes \}/,
  );
  expect(() => download("x", { filename: "../etc/passwd", data: "" })).toThrow(/filename must be a file name without a folder/);
  expect(() => download("x", { filename: "a.txt", data: 5 as never })).toThrow(/data must be a string or a Uint8Array/);
});

it("keeps a download link's data: URL in the page (octet-stream: a browser only saves it)", async () => {
  class Export extends App {
    n = 1;
    @server.realtime more() {
      this.n++;
    }
    override render() {
      return h("main", {}, download(`Export ${this.n}`, { filename: "n.txt", data: `n=${this.n}` }));
    }
  }
  t = (await mount(Export)) as TestSession<App>;
  const href = t.find("a.rv-download")?.getAttribute("href");
  expect(href).toBe(`data:application/octet-stream;base64,${Buffer.from("n=1").toString("base64")}`);
  expect(t.find("a.rv-download")!.getAttribute("download")).toBe("n.txt");
});
