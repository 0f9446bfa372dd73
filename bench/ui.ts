/**
 * revue/ui's dataframe at 10,000 rows ÷ the same visible table written with
 * `h()` by hand (issue 16 item 9). Both are apps rendered by a session's view
 * (src/session/view.ts) with their app's binder: one event's `render()`, the
 * diff and the patch's JSON, the two apps taking turns run by run in one
 * process; the time includes the event's own change (where the hand-written
 * app sorts). The hand-written table is the best an app can do: the same
 * markup, its sort orders computed once up front, its buttons bound to its own
 * realtime methods. Workloads: the next page, a sort flipped between two
 * columns (the kit's orders cached), a change elsewhere on the page, and a
 * first sort of a new rows array (the kit analyses and sorts the array; the
 * hand-written app sorts a copy with a comparator). Two tables: 6 columns by
 * 20 rows a page, 12 columns by 50.
 *
 * Then typing: a keystroke in one of the bound controls of a page of 3 or 30
 * (`textInput`, `numberInput` and `select` in turn; the field's new value,
 * `render()`, the diff and the patch's JSON), and the same in one field of a
 * `form` of 3 or 30, against a page of the same 3 or 30 inputs written with
 * `h()`, each bound to a realtime method. And charts: a click that changes a
 * count beside a chart (line or scatter of 2 × 500 points, bars of 24
 * months, 20 sparklines of 30 values, a `json` tree of 50 records), ÷ the
 * same click on the page without the chart. Run: `npm run bench ui` (`npm run bench ui typing`: typing and
 * charts alone).
 */
import { App } from "../src/app.js";
import type { EventSummary } from "../src/protocol.js";
import { createBinder, handler } from "../src/registry/bind.js";
import { server } from "../src/registry/decorators.js";
import { getSpec } from "../src/registry/spec.js";
import { View } from "../src/session/view.js";
import { barChart, lineChart, scatterChart, sparkline } from "../src/ui/chart.js";
import { json } from "../src/ui/display.js";
import { numberInput, select, textInput } from "../src/ui/controls.js";
import { dataframe, tableView, type Row, type TableView } from "../src/ui/dataframe.js";
import { form, formState, type FormFields } from "../src/ui/form.js";
import { h, type VNode } from "../src/vdom/index.js";

const N = 10_000;
const CITIES = ["Lyon", "Paris", "Nantes", "Lille", "Nice", "Brest", "Metz", "Dijon", "Rouen", "Tours"];

/** 10,000 rows of `cols` columns: an id, text, numbers, a date, a flag, then more numbers. */
function dataset(cols: number): Row[] {
  let s = 7;
  const r = () => ((s = (Math.imul(s, 1664525) + 1013904223) >>> 0) / 2 ** 32);
  return Array.from({ length: N }, (_, i) => {
    const row: Record<string, unknown> = {
      id: i + 1,
      name: `customer ${Math.floor(r() * 5000)}`,
      city: CITIES[Math.floor(r() * CITIES.length)],
      total: Math.round(r() * 1e6) / 100,
      placed: new Date(Date.UTC(2026, 0, 1) + Math.floor(r() * 300) * 86_400_000),
      paid: r() < 0.8,
    };
    for (let c = 6; c < cols; c++) row[`m${c}`] = Math.round(r() * 1e4) / 10;
    return row;
  });
}

const fmt = new Intl.NumberFormat("en-US", { maximumFractionDigits: 2 });
const pad = (n: number) => String(n).padStart(2, "0");
const day = (d: Date) => `${d.getUTCFullYear()}-${pad(d.getUTCMonth() + 1)}-${pad(d.getUTCDate())}`;
const text = (v: unknown) => (typeof v === "number" ? fmt.format(v) : v instanceof Date ? day(v) : String(v));

interface Bench {
  /** Makes the event's change; the view's update follows. */
  event(kind: Workload, k: number): void;
  view: View;
}

type Workload = "next page" | "sort, two columns" | "change elsewhere" | "first sort of new rows";
const WORKLOADS: Workload[] = ["next page", "sort, two columns", "change elsewhere", "first sort of new rows"];

function kitApp(rows: Row[], pageSize: number): Bench {
  class Kit extends App {
    rows = rows;
    view: TableView = tableView();
    clicks = 0;
    override render(): VNode {
      return h("main", {}, h("h1", {}, "Orders"), h("p", {}, `${this.clicks} clicks`), dataframe(this, "view", this.rows, { pageSize, caption: "Orders" }));
    }
  }
  const app = new Kit();
  const view = new View(() => app.render(), createBinder(getSpec(Kit)));
  return {
    view,
    event(kind, k) {
      if (kind === "next page") app.view = { ...app.view, page: (app.view.page % (N / pageSize)) + 1 };
      else if (kind === "sort, two columns") app.view = { sort: k % 2 ? "total" : "name", dir: k % 4 < 2 ? "asc" : "desc", page: 1 };
      else if (kind === "change elsewhere") app.clicks++;
      else {
        app.rows = app.rows.slice();
        app.view = { sort: "total", dir: k % 2 ? "asc" : "desc", page: 1 };
      }
    },
  };
}

/** The same markup, by hand: sort orders computed up front, its own realtime methods on the buttons. */
function handApp(rows: Row[], pageSize: number): Bench {
  const columns = Object.keys(rows[0]!);
  const numeric = new Set(columns.filter((c) => typeof rows[0]![c] === "number"));
  /** A sorted copy, as an app writes it: numbers by subtraction, text by localeCompare. */
  const sorted = (col: string, dir: string) => {
    const sign = dir === "asc" ? 1 : -1;
    return numeric.has(col)
      ? rows.slice().sort((a, b) => sign * ((a[col] as number) - (b[col] as number)))
      : rows.slice().sort((a, b) => sign * String(a[col]).localeCompare(String(b[col])));
  };
  const orders = new Map<string, Row[]>();
  for (const col of ["name", "total"]) for (const dir of ["asc", "desc"]) orders.set(`${col} ${dir}`, sorted(col, dir));
  class Hand extends App {
    shown: Row[] = rows;
    page = 1;
    sort: string | null = null;
    dir = "asc";
    clicks = 0;
    @server.realtime go(page: number, _ev: EventSummary) {
      this.page = page;
    }
    @server.realtime sortBy(col: string, _ev: EventSummary) {
      this.sort = col;
    }
    override render(): VNode {
      const pages = Math.ceil(this.shown.length / pageSize);
      const start = (this.page - 1) * pageSize;
      const slice = this.shown.slice(start, start + pageSize);
      const nav = (label: string, to: number, off: boolean) => h("button", { type: "button", "aria-label": label, disabled: off, onClick: off ? undefined : handler(this.go, { args: [to] }) }, label[0]!);
      return h("main", {}, h("h1", {}, "Orders"), h("p", {}, `${this.clicks} clicks`),
        h("div", { class: "rv-dataframe" },
          h("div", { class: "rv-df-scroll", role: "region", tabindex: 0, "aria-label": "Orders" },
            h("table", {},
              h("caption", {}, "Orders"),
              h("thead", {}, h("tr", {}, columns.map((c) => h("th", { key: c, scope: "col", class: numeric.has(c) ? "rv-num" : undefined, "aria-sort": c === this.sort ? (this.dir === "asc" ? "ascending" : "descending") : undefined },
                h("button", { type: "button", onClick: handler(this.sortBy, { args: [c] }) }, c, h("span", { "aria-hidden": "true" }, c === this.sort ? "▲" : "↕")))))),
              h("tbody", {}, slice.map((row) => h("tr", { key: row.id as number }, columns.map((c) => h("td", { class: numeric.has(c) ? "rv-num" : undefined }, text(row[c])))))))),
          h("div", { class: "rv-df-pager" },
            h("span", { role: "status" }, `Rows ${fmt.format(start + 1)}–${fmt.format(start + slice.length)} of ${fmt.format(this.shown.length)}`),
            h("nav", { "aria-label": "Pages" }, nav("First page", 1, this.page === 1), nav("Previous page", this.page - 1, this.page === 1), h("span", {}, `Page ${this.page} of ${pages}`), nav("Next page", this.page + 1, this.page === pages), nav("Last page", pages, this.page === pages)))));
    }
  }
  const app = new Hand();
  const view = new View(() => app.render(), createBinder(getSpec(Hand)));
  return {
    view,
    event(kind, k) {
      if (kind === "next page") app.page = (app.page % (N / pageSize)) + 1;
      else if (kind === "sort, two columns") {
        app.sort = k % 2 ? "total" : "name";
        app.dir = k % 4 < 2 ? "asc" : "desc";
        app.shown = orders.get(`${app.sort} ${app.dir}`)!;
        app.page = 1;
      } else if (kind === "change elsewhere") app.clicks++;
      else {
        app.sort = "total";
        app.dir = k % 2 ? "asc" : "desc";
        app.shown = sorted("total", app.dir);
        app.page = 1;
      }
    },
  };
}

const now = () => Number(process.hrtime.bigint()) / 1e3;
const median = (xs: number[]) => xs.slice().sort((a, b) => a - b)[xs.length >> 1]!;

class Timed {
  private ack = 0;
  constructor(readonly b: Bench) {
    b.view.firstTree();
    b.view.update(++this.ack);
  }
  /** One event: the handler's change (the hand-written app sorts there), render() + diff + the patch's JSON (µs), with the patch's size. */
  run(kind: Workload, k: number): { us: number; bytes: number } {
    const t0 = now();
    this.b.event(kind, k);
    const out = this.b.view.update(++this.ack);
    // The view writes the patch's JSON body itself (ViewMessage.data); a view without it is serialised here.
    const bytes = (out?.data ?? JSON.stringify(out?.message ?? null)).length;
    return { us: now() - t0, bytes };
  }
}

const ROUNDS = 5, WARM = 30, REPS = 201;

/** A page whose `type(k)` is a keystroke's change to its first field. */
interface Typing {
  view: View;
  type(k: number): void;
}

const FIELDS = Array.from({ length: 30 }, (_, i) => `f${i}`), LABELS = FIELDS.map((_, i) => `Field ${i + 1}`), SIZES = ["s", "m", "l", "xl"];
const startOf = (i: number) => (i % 3 === 1 ? 0 : i % 3 === 2 ? "m" : "");

/** `n` controls of the kit, each bound to a field of its own. */
function kitFields(n: number): Typing {
  class Fields extends App {
    [field: string]: unknown;
    constructor() {
      super();
      for (let i = 0; i < n; i++) this[FIELDS[i]!] = startOf(i);
    }
    override render(): VNode {
      return h("main", {}, h("h1", {}, "Profile"), FIELDS.slice(0, n).map((f, i) =>
        i % 3 === 0 ? textInput(this, f, { label: LABELS[i], hint: "As on your card", maxLength: 200 })
          : i % 3 === 1 ? numberInput(this, f, { label: LABELS[i], min: 0, max: 1000 })
            : select(this, f, SIZES, { label: LABELS[i] })));
    }
  }
  const app = new Fields();
  return { view: new View(() => app.render(), createBinder(getSpec(Fields))), type: (k) => void (app.f0 = `typed ${k}`) };
}

/** A `form` of `n` fields, whose first field's value changes. */
function kitForm(n: number): Typing {
  class Profile extends App {
    profile = formState(Object.fromEntries(FIELDS.slice(0, n).map((f, i) => [f, startOf(i)])) as Record<string, string | number>);
    @server.rpc save(_values: Record<string, unknown>) {}
    override render(): VNode {
      return h("main", {}, h("h1", {}, "Profile"), form(this, "profile", this.save, (f: FormFields<Record<string, string | number>>) => FIELDS.slice(0, n).map((name, i) =>
        i % 3 === 0 ? f.text(name as never, { label: LABELS[i], hint: "As on your card", maxLength: 200 })
          : i % 3 === 1 ? f.number(name as never, { label: LABELS[i], min: 0, max: 1000 })
            : f.select(name as never, SIZES, { label: LABELS[i] }))));
    }
  }
  const app = new Profile();
  return { view: new View(() => app.render(), createBinder(getSpec(Profile))), type: (k) => void (app.profile = { ...app.profile, values: { ...app.profile.values, f0: `typed ${k}` } }) };
}

/** The same `n` fields by hand: a label and an input (or a select) each, bound to one realtime method. */
function handFields(n: number): Typing {
  class Hand extends App {
    values: Record<string, string | number> = Object.fromEntries(FIELDS.slice(0, n).map((f, i) => [f, startOf(i)]));
    @server.realtime set(name: string, ev: EventSummary) {
      this.values = { ...this.values, [name]: String(ev.value ?? "") };
    }
    override render(): VNode {
      return h("main", {}, h("h1", {}, "Profile"), FIELDS.slice(0, n).map((f, i) => {
        const id = `rv-${f}`, value = String(this.values[f]), on = handler(this.set, { args: [f] });
        const control = i % 3 === 2
          ? h("select", { id, name: f, onChange: on }, SIZES.map((s) => h("option", { key: s, value: s, selected: s === value }, s)))
          : h("input", { id, name: f, type: i % 3 === 0 ? "text" : "number", value, onInput: on });
        return h("div", { key: f, class: "rv-field" }, h("label", { for: id }, LABELS[i]!), control, i % 3 === 0 ? h("p", { class: "rv-hint" }, "As on your card") : null);
      }));
    }
  }
  const app = new Hand();
  return { view: new View(() => app.render(), createBinder(getSpec(Hand))), type: (k) => void (app.values = { ...app.values, f0: `typed ${k}` }) };
}

/**
 * Times `type(k)` and the view's update on fresh pages from `make()`, the
 * pages taking turns run by run (in reverse order every other run): per page,
 * the median µs of each of {@link ROUNDS} rounds of `reps` runs after WARM.
 */
function takeTurns(make: () => ReadonlyArray<readonly [string, Typing]>, reps: number): Record<string, number[]> {
  const us: Record<string, number[]> = {};
  for (let round = 0; round < ROUNDS; round++) {
    const all = make();
    for (const [, p] of all) p.view.firstTree(), p.view.update(1);
    const runs: Record<string, number[]> = {};
    for (let k = 0; k < WARM + reps; k++) {
      for (const [name, p] of k % 2 ? all : all.slice().reverse()) {
        const t0 = now();
        p.type(k);
        p.view.update(k + 2);
        if (k >= WARM) (runs[name] ??= []).push(now() - t0);
      }
    }
    for (const name in runs) (us[name] ??= []).push(median(runs[name]!));
  }
  return us;
}

/** Prints a keystroke's cost on each page of 3 and of 30 fields: medians over rounds of the pages taking turns. */
function typingBench(): void {
  const pages: Array<[string, (n: number) => Typing]> = [["kit controls", kitFields], ["kit form", kitForm], ["by hand with h()", handFields]];
  const us = takeTurns(() => pages.flatMap(([name, make]) => [3, 30].map((n) => [`${name}|${n}`, make(n)] as const)), REPS);
  const cell = (name: string, n: number) => median(us[`${name}|${n}`]!);
  const lines = ["| page | 3 fields (µs) | 30 fields (µs) | 30 ÷ 3 | 30 fields ÷ by hand |", "|---|--:|--:|--:|--:|"];
  for (const [name] of pages) lines.push(`| ${name} | ${cell(name, 3).toFixed(1)} | ${cell(name, 30).toFixed(1)} | ${(cell(name, 30) / cell(name, 3)).toFixed(2)} | ${(cell(name, 30) / cell("by hand with h()", 30)).toFixed(2)} |`);
  console.log(`\nrevue/ui controls: a keystroke in the first field of a page of 3 or 30 (text, number and select in turn): the field's change, render() + diff + patch JSON through a session's view; the pages taking turns, ${ROUNDS} rounds of ${REPS} after ${WARM} warm-up runs, medians\n\n${lines.join("\n")}\n`);
}

/** A page with a count and `chart()` beside it; `type(k)` changes the count. */
function chartPage(chart: () => VNode | null): Typing {
  class Dashboard extends App {
    clicks = 0;
    override render(): VNode {
      return h("main", {}, h("p", {}, `${this.clicks} clicks`), chart());
    }
  }
  const app = new Dashboard();
  return { view: new View(() => app.render(), createBinder(getSpec(Dashboard))), type: () => void app.clicks++ };
}

const wave = (phase: number) => Array.from({ length: 500 }, (_, i) => [i, Math.round(Math.sin(i / 20 + phase) * 1000) / 10 + i] as [number, number]);
const SERIES = [{ name: "a", points: wave(0) }, { name: "b", points: wave(1) }];
const MONTHS = [{ name: "sales", values: Array.from({ length: 24 }, (_, i) => [`m${i + 1}`, (i * 37) % 100] as [string, number]) }];
const VISITS = Array.from({ length: 20 }, (_, r) => Array.from({ length: 30 }, (_, i) => (r * 7 + i * 13) % 50));
/** Past the kit's 32,768 facts (≈ 4 a point): compared by a fingerprint. */
const BIG_SERIES = { name: "big", points: Array.from({ length: 10_000 }, (_, i) => [i, Math.round(Math.sin(i / 50) * 1000) / 10] as [number, number]) };
const RECORDS = Array.from({ length: 10_000 }, (_, i) => ({ id: i + 1, name: `user ${i + 1}`, score: (i * 37) % 101 }));
const USERS = Array.from({ length: 50 }, (_, i) => ({ id: i + 1, name: `user ${i + 1}`, email: `user${i + 1}@example.com`, roles: i % 5 ? ["reader"] : ["admin", "reader"], joined: new Date(Date.UTC(2026, 0, 1 + i)) }));

/** Prints a click's cost beside each chart ÷ beside nothing: the pages taking turns run by run. */
function chartBench(): void {
  const pages: Array<[string, () => VNode | null]> = [
    ["nothing", () => null],
    ["lineChart, 2 × 500 points", () => lineChart(SERIES, { title: "Load" })],
    ["scatterChart, 2 × 500 points", () => scatterChart(SERIES, { title: "Load" })],
    ["barChart, 24 bars", () => barChart(MONTHS, { title: "Sales" })],
    ["20 sparklines of 30 values", () => h("ul", {}, VISITS.map((v, i) => h("li", { key: i }, sparkline(v, { title: "visits" }))))],
    ["json of 50 records, 2 levels open", () => json({ users: USERS }, { open: 2 })],
    ["lineChart, 10,000 points (past the facts' cap)", () => lineChart(BIG_SERIES, { title: "Big" })],
    ["json of 10,000 records (100 shown)", () => json(RECORDS)],
  ];
  const us = takeTurns(() => pages.map(([name, chart]) => [name, chartPage(chart)] as const), 101);
  const base = median(us.nothing!);
  const lines = ["| beside the count | µs per click | ÷ nothing beside it |", "|---|--:|--:|"];
  for (const [name] of pages) lines.push(`| ${name} | ${median(us[name]!).toFixed(1)} | ${(median(us[name]!) / base).toFixed(2)} |`);
  console.log(`\nrevue/ui charts: a click that changes a count beside a chart, render() + diff + patch JSON through a session's view; the pages taking turns, ${ROUNDS} rounds of 101 after ${WARM} warm-up runs, medians\n\n${lines.join("\n")}\n`);
}

/** Prints, per table and workload, the kit's time ÷ the hand-written table's: medians over runs, then over rounds (with their range). */
export function runUiBench(part?: string): void {
  typingBench();
  chartBench();
  if (part === "typing") return;
  const lines = ["| table | event | dataframe (µs) | by hand (µs) | ratio (range over rounds) | patch bytes kit / hand |", "|---|---|--:|--:|--:|--:|"];
  for (const [cols, pageSize] of [[6, 20], [12, 50]] as const) {
    const rows = dataset(cols);
    for (const kind of WORKLOADS) {
      const ratios: number[] = [], tk: number[] = [], th: number[] = [];
      let bytes = "";
      for (let round = 0; round < ROUNDS; round++) {
        const kit = new Timed(kitApp(rows, pageSize)), hand = new Timed(handApp(rows, pageSize));
        const rk: number[] = [], rh: number[] = [], rr: number[] = [];
        const reps = kind === "first sort of new rows" ? 41 : REPS;
        for (let k = 0; k < WARM + reps; k++) {
          // Turns alternate which app goes first, so that neither always runs in the other's garbage.
          let a: ReturnType<Timed["run"]>, b: ReturnType<Timed["run"]>;
          if (k % 2) (a = kit.run(kind, k)), (b = hand.run(kind, k));
          else (b = hand.run(kind, k)), (a = kit.run(kind, k));
          if (k < WARM) continue;
          rk.push(a.us), rh.push(b.us), rr.push(a.us / b.us);
          if (!bytes) bytes = `${a.bytes} / ${b.bytes}`;
        }
        tk.push(median(rk)), th.push(median(rh)), ratios.push(median(rr));
      }
      const sorted = ratios.slice().sort((a, b) => a - b);
      lines.push(`| ${cols} cols × ${pageSize} rows/page | ${kind} | ${median(tk).toFixed(0)} | ${median(th).toFixed(0)} | ${median(ratios).toFixed(2)} (${sorted[0]!.toFixed(2)}–${sorted.at(-1)!.toFixed(2)}) | ${bytes} |`);
    }
  }
  console.log(`\nrevue/ui dataframe, 10,000 rows ÷ the same visible table by hand with h(): one event's render() + diff + patch JSON through a session's view; one process, the two apps taking turns; ${ROUNDS} rounds of ${REPS} runs (41 for a first sort) after ${WARM} warm-up runs\n\n${lines.join("\n")}\n`);
}
