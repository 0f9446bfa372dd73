import { afterEach, expect, it } from "vitest";
import { App, h, server, type VNode } from "revue";
import { dataframe, tableView, type DataframeOptions, type Row } from "revue/ui";
import { mount, type TestSession } from "revue/testing";
import { pageCall } from "../../src/session/hub.js";

let t: TestSession<App> | undefined;
afterEach(async () => {
  await t?.unmount();
  t = undefined;
});

/** Mounts a page with one dataframe of `rows`. */
async function table(rows: readonly Row[], options: DataframeOptions = {}, view = tableView()) {
  class Table extends App {
    rows = rows;
    view = view;
    override render() {
      return h("main", {}, dataframe(this, "view", this.rows, options));
    }
  }
  t = (await mount(Table)) as TestSession<App>;
  return t as unknown as TestSession<Table>;
}

const cells = (s: TestSession<App>, col: number) => s.findAll(`tbody tr td:nth-child(${col})`).map((td) => td.textContent);
const headers = (s: TestSession<App>) => s.findAll("thead th").map((th) => th.textContent!.replace(/[▲▼↕]/g, ""));

const people = (n: number) => Array.from({ length: n }, (_, i) => ({ id: i + 1, name: `person ${n - i}`, score: (i * 37) % 101, joined: new Date(Date.UTC(2026, 0, 1 + (i % 28))) }));

it("infers columns, right-aligns and groups numbers, and shows dates in UTC", async () => {
  const s = await table([
    { city: "Lyon", population: 522_250, area: 47.87, founded: new Date(Date.UTC(-43, 0, 1)) },
    { city: "Paris", population: 2_102_650, area: 105.4, extra: "yes" },
  ]);
  expect(headers(s)).toEqual(["city", "population", "area", "founded", "extra"]);
  expect(cells(s, 2)).toEqual(["522,250", "2,102,650"]);
  expect(cells(s, 3)).toEqual(["47.87", "105.4"]);
  expect(s.find("tbody td:nth-child(2)")!.classList.contains("rv-num")).toBe(true);
  expect(s.find("thead th:nth-child(2)")!.classList.contains("rv-num")).toBe(true);
  expect(s.find("tbody td:nth-child(1)")!.classList.contains("rv-num")).toBe(false);
  expect(cells(s, 5)).toEqual(["—", "yes"]); // a missing value
  expect(cells(s, 4)[1]).toBe("—");
});

it("pages through 10,000 rows with only the visible page in the page", async () => {
  const s = await table(people(10_000));
  expect(s.findAll("tbody tr")).toHaveLength(20);
  expect(s.text(".rv-df-status")).toBe("Rows 1–20 of 10,000");
  expect(s.text(".rv-df-page")).toBe("Page 1 of 500");
  expect(s.find("[aria-label='Previous page']")!.hasAttribute("disabled")).toBe(true);
  await s.click("[aria-label='Next page']");
  expect(s.text(".rv-df-status")).toBe("Rows 21–40 of 10,000");
  expect(cells(s, 1).slice(0, 2)).toEqual(["21", "22"]);
  await s.click("[aria-label='Last page']");
  expect(s.text(".rv-df-status")).toBe("Rows 9,981–10,000 of 10,000");
  expect(s.find("[aria-label='Next page']")!.hasAttribute("disabled")).toBe(true);
  await s.click("[aria-label='Previous page']");
  expect(s.text(".rv-df-page")).toBe("Page 499 of 500");
  await s.click("[aria-label='First page']");
  expect(cells(s, 1)[0]).toBe("1");
  expect(s.app.view).toEqual({ sort: null, dir: "asc", page: 1 });
  // What reached the page: one page of rows, not 10,000.
  expect(s.html().length).toBeLessThan(20_000);
  expect(s.html()).not.toContain("person 9000");
});

it("sorts by a header click, ascending then descending, with aria-sort, back on page 1", async () => {
  const s = await table(people(45), { pageSize: 10 });
  await s.click("[aria-label='Next page']");
  await s.click("thead th:nth-child(3) button"); // score
  expect(s.find("thead th:nth-child(3)")!.getAttribute("aria-sort")).toBe("ascending");
  expect(s.findAll("thead th[aria-sort]")).toHaveLength(1);
  expect(s.text(".rv-df-status")).toBe("Rows 1–10 of 45");
  const asc = cells(s, 3).map((x) => Number(x));
  expect(asc).toEqual([...asc].sort((a, b) => a - b));
  expect(asc[0]).toBe(0);
  await s.click("thead th:nth-child(3) button");
  expect(s.find("thead th:nth-child(3)")!.getAttribute("aria-sort")).toBe("descending");
  expect(cells(s, 3)[0]).toBe("100");
  // Text sorts in natural order: "person 2" before "person 10".
  await s.click("thead th:nth-child(2) button");
  expect(cells(s, 2).slice(0, 3)).toEqual(["person 1", "person 2", "person 3"]);
  expect(s.find("thead th:nth-child(3)")!.hasAttribute("aria-sort")).toBe(false);
});

it("sorts stably, numbers and dates by value, missing values last both ways", async () => {
  const rows = [
    { k: "a", n: 2, d: new Date(Date.UTC(2026, 1, 1)) },
    { k: "b", n: null, d: undefined },
    { k: "c", n: 10, d: new Date(Date.UTC(2025, 11, 31)) },
    { k: "d", n: 2, d: new Date(Date.UTC(2026, 1, 1)) },
    { k: "e", n: Number.NaN, d: new Date("nope") },
    { k: "f", n: -1, d: new Date(Date.UTC(2026, 5, 1)) },
  ];
  const s = await table(rows);
  await s.click("thead th:nth-child(2) button");
  expect(cells(s, 1)).toEqual(["f", "a", "d", "c", "b", "e"]);
  await s.click("thead th:nth-child(2) button");
  expect(cells(s, 1)).toEqual(["c", "a", "d", "f", "b", "e"]); // ties (a, d) keep their order descending too
  await s.click("thead th:nth-child(3) button");
  expect(cells(s, 1)).toEqual(["c", "a", "d", "f", "b", "e"]);
  expect(cells(s, 3)).toEqual(["2025-12-31", "2026-02-01", "2026-02-01", "2026-06-01", "—", "—"]);
});

it("sorts text in a natural order that ignores case and accents", async () => {
  const s = await table(["Zoe", "item 10", "émile", "item 2", "Adam", "Emile", "item 02b"].map((name) => ({ name })));
  await s.click("thead th button");
  expect(cells(s, 1)).toEqual(["Adam", "émile", "Emile", "item 2", "item 02b", "item 10", "Zoe"]);
});

it("uses given columns: labels, formats, an unsortable column, and a starting sort", async () => {
  const s = await table(people(30), {
    columns: [{ key: "name", label: "Name", sortable: false }, { key: "score", label: "Score (pts)", format: (v) => `${v} pts` }],
    pageSize: 5,
  }, tableView({ sort: "score", dir: "desc" }));
  expect(headers(s)).toEqual(["Name", "Score (pts)"]);
  expect(s.find("thead th:nth-child(1) button")).toBeNull();
  expect(s.find("thead th:nth-child(2)")!.getAttribute("aria-sort")).toBe("descending");
  expect(cells(s, 2)[0]).toBe(`${Math.max(...people(30).map((p) => p.score))} pts`);
});

it("shows a hostile value as text, in a cell and in a header", async () => {
  const s = await table([{ "<img src=x onerror=alert(1)>": "<script>alert(1)</script>" }]);
  expect(s.text("tbody td")).toBe("<script>alert(1)</script>");
  expect(s.find("tbody script")).toBeNull();
  expect(s.find("thead img")).toBeNull();
  expect(headers(s)).toEqual(["<img src=x onerror=alert(1)>"]);
});

it("refuses a made-up sort column or page from the page, and clamps a page past the end", async () => {
  const s = await table(people(30));
  const before = { ...s.app.view };
  // Events as a forged page would send them: straight to the field binding's method.
  const hub = s.hub;
  const session = hub.get(s.sid)!;
  await hub.call(session, pageCall("realtime", "rv.set", 1, ["view", "sort", "password", { type: "click" }]));
  await hub.call(session, pageCall("realtime", "rv.set", 2, ["view", "page", -3, { type: "click" }]));
  await s.settle();
  expect(s.errors.map((e) => `${e.code} ${e.message}`)).toEqual([
    expect.stringMatching(/^INVALID_ARGS .*refused \["sort","password"\]: a table's view changes by \["sort", <column>\] or \["page", <n ≥ 1>\]/),
    expect.stringMatching(/^INVALID_ARGS .*refused \["page",-3\]/),
  ]);
  expect(s.app.view).toEqual(before);
  await hub.call(session, pageCall("realtime", "rv.set", 3, ["view", "page", 99, { type: "click" }]));
  await s.settle();
  expect(s.app.view.page).toBe(2);
});

it("says what is wrong and how to fix it when the view field or the options are wrong", async () => {
  class NoView extends App {
    view = { page: "one" };
    override render() {
      return dataframe(this as never, "view" as never, []);
    }
  }
  expect(() => new NoView().render()).toThrow(/NoView\.view must hold the table's view .*view = tableView\(\);/);
  class Bad extends App {
    view = tableView();
    override render() {
      return dataframe(this, "view", [{ a: 1 }], { pageSize: 0 });
    }
  }
  expect(() => new Bad().render()).toThrow(/pageSize must be a whole number from 1 to 1000, got 0/);
  class NotRows extends App {
    view = tableView();
    override render() {
      return dataframe(this, "view", [1, 2] as never);
    }
  }
  expect(() => new NotRows().render()).toThrow(/rows\[0\] is number; each row must be an object/);
});

it("shows an empty table as 'No rows', without a pager", async () => {
  const s = await table([], { columns: ["a", "b"] });
  expect(s.text("tbody td")).toBe("No rows");
  expect(s.text(".rv-df-status")).toBe(""); // said once, not again under the table
  expect(s.find(".rv-df-pages")).toBeNull();
});

interface Order {
  id: number;
  customer: string;
}

it("takes rows of an interface type, with columns checked against its keys", async () => {
  class Orders extends App {
    rows: Order[] = [{ id: 7, customer: "Ada" }];
    view = tableView();
    override render() {
      return h("main", {}, dataframe(this, "view", this.rows, { columns: ["customer", { key: "id", label: "Order", format: (v) => `#${v}` }] }));
    }
  }
  t = (await mount(Orders)) as TestSession<App>;
  expect(headers(t)).toEqual(["customer", "Order"]);
  expect(cells(t, 2)).toEqual(["#7"]);
});

it("names its scrolling region for screen readers: the caption, else the label, else \"Table\"", async () => {
  const s = await table(people(3), { caption: "People", label: "ignored" });
  expect(s.find("[role=region]")!.getAttribute("aria-label")).toBe("People");
  await s.unmount();
  const l = await table(people(3), { label: "People who joined" });
  expect(l.find("[role=region]")!.getAttribute("aria-label")).toBe("People who joined");
  expect(l.find("caption")).toBeNull();
  await l.unmount();
  const d = await table(people(3));
  expect(d.find("[role=region]")!.getAttribute("aria-label")).toBe("Table");
});

it("draws the table again only when what it shows changed: a visible cell edited in place, a format's text, the page", async () => {
  const { MemoCache } = await import("../../src/vdom/index.js");
  const cache = new MemoCache();
  const app = new (class extends App {
    view = tableView();
  })();
  const rows = people(50).map((r) => ({ ...r, tags: undefined as unknown }));
  let currency = "€";
  const draw = (data: readonly Row[] = rows) => cache.render(() => dataframe(app, "view", data, { columns: ["id", "name", { key: "score", format: (v) => `${v} ${currency}` }, "joined", "tags"] }));
  const text = (v: VNode): string => (v.type === "text" ? v.text : (v.text ?? "") + v.children.map(text).join(""));
  const first = draw();
  // Equal in every cell shown, format written inline: last render's subtree, which the diff does not walk.
  expect(draw()).toBe(first);
  expect(draw(rows.slice())).toBe(first);
  rows[49]!.name = "off the page";
  expect(draw()).toBe(first);
  rows[0]!.name = "renamed";
  expect(text(draw())).toContain("renamed");
  const kept = draw();
  currency = "$";
  expect(text(draw())).toContain("0 $");
  rows[1]!.joined.setUTCFullYear(2030);
  expect(text(draw())).toContain("2030-");
  app.view = { ...app.view, page: 2 };
  expect(text(draw())).toContain("Rows 21–40 of 50");
  expect(draw(rows.slice(0, 49))).not.toBe(kept);
  // A visible object in a cell could change inside: drawn every time.
  rows[20]!.tags = { a: 1 };
  expect(draw()).not.toBe(draw());
});

it("runs a column's format and rowKey once per visible cell and render, and draws what they gave", async () => {
  const { MemoCache } = await import("../../src/vdom/index.js");
  const cache = new MemoCache();
  const app = new (class extends App {
    view = tableView();
  })();
  const rows = people(30);
  let formats = 0, keys = 0, round = 0;
  const draw = () =>
    cache.render(() =>
      dataframe(app, "view", rows, {
        columns: ["id", { key: "score", format: (v) => (formats++, `${v} pts ${round}`) }, "joined", { key: "name", format: (v) => (formats++, String(v).toUpperCase()) }],
        rowKey: (r) => (keys++, `p${r.id}`),
      }));
  const text = (v: VNode): string => (v.type === "text" ? v.text : (v.text ?? "") + v.children.map(text).join(""));
  const keysOf = (v: VNode): string[] => (v.type === "text" ? [] : [...(v.tag === "tr" && v.key ? [v.key] : []), ...v.children.flatMap(keysOf)]);
  for (round = 1; round <= 2; round++) {
    formats = keys = 0;
    const page = draw(); // round 2: the format's text changed, so the table is drawn again
    expect(formats).toBe(20 * 2);
    expect(keys).toBe(20);
    expect(text(page)).toContain(`${rows[0]!.score} pts ${round}`);
    expect(text(page)).toContain(rows[0]!.name.toUpperCase());
    expect(keysOf(page).slice(0, 2)).toEqual([`p${rows[0]!.id}`, `p${rows[1]!.id}`]);
  }
});

it("keys rows by their id when every shown row has a distinct one: a row inserted off a sorted page sends no row", async () => {
  class Page extends App {
    rows: Row[] = people(100);
    view = tableView({ sort: "score", dir: "desc" });
    @server.rpc add(rows: Row[]) {
      this.rows = [...rows, ...this.rows];
    }
    override render() {
      return h("main", {}, dataframe(this, "view", this.rows));
    }
  }
  const s = (t = (await mount(Page)) as TestSession<App>) as unknown as TestSession<Page>;
  const keys = () => s.findAll("tbody tr").map((tr) => tr.getAttribute("data-rv")!.replace(/^k-w-\d+-/, ""));
  const shown = keys();
  expect(shown[0]).toBe(String(s.app.rows.slice().sort((a, b) => (b.score as number) - (a.score as number))[0]!.id));
  s.ops.length = 0;
  await s.rpc("add", [{ id: 1000, name: "new", score: -1, joined: new Date(0) }]); // sorts last: off the first page
  expect(keys()).toEqual(shown);
  expect(JSON.stringify(s.ops)).not.toContain("<tr"); // only the status line changed
  expect(s.text(".rv-df-status")).toBe("Rows 1–20 of 101");
  // Two shown rows with one id: keyed by index, as rows without ids are, rather than a duplicate key.
  await s.rpc("add", [{ id: Number(shown[0]), name: "twin", score: 1000 }]);
  expect(s.findAll("tbody td:nth-child(2)")[0]!.textContent).toBe("twin");
  expect(keys()[0]).toBe("0");
});

it("reads the keys of rows appended to a new array, and of an array that is not an extension, as of the first", async () => {
  const app = new (class extends App {
    view = tableView();
  })();
  const headers = (v: VNode): string[] => (v.type === "text" ? [] : v.tag === "th" ? [text(v).replace(/[↕↑↓]$/, "")] : v.children.flatMap(headers));
  const text = (v: VNode): string => (v.type === "text" ? v.text : (v.text ?? "") + v.children.map(text).join(""));
  const first: Row[] = [{ a: 1, b: 2 }, { a: 3, b: 4 }];
  expect(headers(dataframe(app, "view", first))).toEqual(["a", "b"]);
  const appended = [...first, { a: 5, b: 6, c: 7 }]; // the same rows, one more with a key of its own
  expect(headers(dataframe(app, "view", appended))).toEqual(["a", "b", "c"]);
  expect(headers(dataframe(app, "view", [...appended, { a: 8, b: 9 }]))).toEqual(["a", "b", "c"]);
  // Not an extension of the last array (a row replaced): read whole.
  expect(headers(dataframe(app, "view", [{ z: 1 }, ...appended.slice(1)]))).toEqual(["z", "a", "b", "c"]);
  // Not objects are still refused in the appended part.
  expect(() => dataframe(app, "view", [...appended, 4 as unknown as Row])).toThrow(/rows\[3\] is number/);
});

it("keeps its header and pager working while the table is not drawn again", async () => {
  class Page extends App {
    rows = people(100);
    view = tableView();
    clicks = 0;
    @server.realtime click() {
      this.clicks++;
    }
    override render() {
      return h("main", {}, h("button", { id: "elsewhere", onClick: this.click }, `${this.clicks} clicks`), dataframe(this, "view", this.rows, { columns: ["id", { key: "score", format: (v) => `${v} pts` }] }));
    }
  }
  const s = (t = (await mount(Page)) as TestSession<App>) as unknown as TestSession<Page>;
  await s.click("#elsewhere");
  await s.click("#elsewhere");
  expect(s.text("#elsewhere")).toBe("2 clicks");
  await s.click("[aria-label='Next page']");
  expect(s.text(".rv-df-status")).toBe("Rows 21–40 of 100");
  await s.click("#elsewhere");
  await s.click("thead th:nth-child(2) button");
  expect(cells(s, 2).slice(0, 2)).toEqual(["0 pts", "1 pts"]);
  expect(s.text(".rv-df-status")).toBe("Rows 1–20 of 100");
});

it("writes every number as Intl's en-US with up to 2 decimals would: grouped, rounded, signed", async () => {
  let seed = 3;
  const random = () => ((seed = (Math.imul(seed, 1664525) + 1013904223) >>> 0) / 2 ** 32);
  const values = [0, -0, 1, -1, 999, 1000, -1000, 12.5, -12.05, 1234.56, 1.005, 1.255, 0.125, 1e21, 123456789.99, Number.MAX_SAFE_INTEGER, -Number.MAX_SAFE_INTEGER, Infinity, 5e-7, 2 ** 60];
  for (let i = 0; i < 300; i++) {
    const scale = 10 ** Math.floor(random() * 12);
    values.push(Math.round((random() - 0.3) * scale * 100) / 100, (random() - 0.5) * scale, Math.floor(random() * scale));
  }
  const s = await table(values.map((v) => ({ v })), { pageSize: 1000 });
  const intl = new Intl.NumberFormat("en-US", { maximumFractionDigits: 2 });
  expect(cells(s, 1)).toEqual(values.map((v) => intl.format(v)));
});
