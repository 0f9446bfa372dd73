import { createHash } from "node:crypto";
import { readFileSync } from "node:fs";
import { App, cached, h, RpcError, server, type UploadedFile } from "revue";
import { barChart, dataframe, fileUpload, histogram, markdown, scatterChart, lineChart, select, tableView, theme, uploadState } from "revue/ui";
import { backLink } from "../nav.js";

/** A column of a table read from CSV: its values, and what they are. */
interface Column {
  name: string;
  kind: "number" | "date" | "text";
  values: Array<number | string | null>;
}

interface Table {
  title: string;
  columns: Column[];
  rows: number;
  /** The same values row by row, keyed by column name: what the dataframe pages and sorts. */
  records: Array<Record<string, number | string | null>>;
}

const PAGE = 20;
/** The largest CSV a visitor may upload. */
const MAX_BYTES = 2 * 1024 * 1024;
const SAMPLE = "sample";
const SAMPLE_TITLE = "Bike rentals per day, 2024–2025 (synthetic)";
const DATE = /^\d{4}-\d{2}-\d{2}/;

/** Uploaded CSVs by the sha256 of their text: sessions keep the hash (their state stays small), this process the text. */
const uploaded = new Map<string, { title: string; text: string }>();

/** Splits CSV text into rows of fields (quotes, doubled quotes and newlines inside quotes as RFC 4180 says). */
export function parseCsv(text: string): string[][] {
  const rows: string[][] = [];
  let row: string[] = [];
  let field = "";
  let quoted = false;
  for (let i = 0; i < text.length; i++) {
    const c = text[i]!;
    if (quoted) {
      if (c === '"' && text[i + 1] === '"') (field += '"'), i++;
      else if (c === '"') quoted = false;
      else field += c;
    } else if (c === '"' && field === "") quoted = true;
    else if (c === ",") row.push(field), (field = "");
    else if (c === "\n" || c === "\r") {
      if (c === "\r" && text[i + 1] === "\n") i++;
      row.push(field), rows.push(row), (row = []), (field = "");
    } else field += c;
  }
  if (field !== "" || row.length) row.push(field), rows.push(row);
  return rows.filter((r) => r.length > 1 || r[0] !== "");
}

/**
 * An interactive look at a CSV: a summary in markdown, a table sorted by any
 * column and read a page at a time (revue/ui's dataframe: only that page is in
 * the page), and charts of the columns you pick. The bundled sample is daily
 * bike rentals; a visitor may upload a CSV of their own (up to 2 MB).
 *
 * Parsing and per-column statistics are `@cached` by the data's hash, so every
 * session looking at the same data shares one parse; since they share its rows
 * array too, the dataframe sorts it once per column and direction for all of them.
 */
export class Explore extends App {
  static override title = "Revue · explore a CSV";
  static override css =
    theme +
    ".bar{display:flex;gap:.6rem;flex-wrap:wrap;align-items:end;margin:0 0 var(--rv-space)}.bar label{margin:0}.bar .rv-field{margin:0}.bar select{width:auto}" +
    ".charts{display:grid;gap:var(--rv-space);grid-template-columns:repeat(auto-fit,minmax(min(100%,28rem),1fr))}";

  /** Which data: the sample, or the sha256 of an upload. */
  data = SAMPLE;
  /** The table's sort and page (revue/ui's dataframe reads it, and its headers and pager write it). */
  view = tableView();
  x = "date";
  y = "total";
  /** The CSV picker's state: what it says about the last upload. */
  csv = uploadState();

  /**
   * The table of `key`, parsed once per process and shared by every session.
   * A resource rather than a copied result: tables are large and nothing
   * changes them, so callers share the one parse instead of copying it.
   */
  @cached.resource({ max: 20 }) static table(key: string): Table {
    const source = key === SAMPLE ? { title: SAMPLE_TITLE, text: readFileSync(new URL("./rentals.csv", import.meta.url), "utf8") } : uploaded.get(key);
    if (!source) throw new RpcError("NOT_FOUND", "That upload is no longer on this server (it restarted): upload the file again.");
    const [head = [], ...body] = parseCsv(source.text);
    const names = new Set<string>();
    const columns: Column[] = head.map((name, c) => {
      const raw = body.map((r) => (r[c] ?? "").trim());
      const filled = raw.filter((v) => v !== "");
      const kind = filled.length && filled.every((v) => DATE.test(v) && !Number.isNaN(Date.parse(v))) ? "date" : filled.length && filled.every((v) => Number.isFinite(Number(v))) ? "number" : "text";
      const values = raw.map((v) => (v === "" ? null : kind === "number" ? Number(v) : v));
      // Names key the rows and the axes: a blank or repeated one gets a name of its own.
      let unique = name.trim() || `column ${c + 1}`;
      for (let n = 2; names.has(unique); n++) unique = `${name.trim() || `column ${c + 1}`} (${n})`;
      names.add(unique);
      return { name: unique, kind, values };
    });
    const records = body.map((_, r) => Object.fromEntries(columns.map((col) => [col.name, col.values[r] ?? null])));
    return { title: source.title, columns, rows: body.length, records };
  }

  /** A summary of every column, in markdown. */
  @cached({ max: 20 }) static summary(key: string): string {
    const t = Explore.table(key);
    const lines = [`**${t.rows.toLocaleString("en-US")} rows**, ${t.columns.length} columns.`, "", "| column | kind | summary |", "|---|---|---|"];
    for (const c of t.columns) {
      const present = c.values.filter((v) => v !== null);
      let text: string;
      if (c.kind === "number") {
        const xs = present as number[];
        // A loop, not Math.min(...xs): an uploaded CSV of 200,000 rows would overflow the stack.
        let [lo, hi, sum] = [Infinity, -Infinity, 0];
        for (const x of xs) (lo = x < lo ? x : lo), (hi = x > hi ? x : hi), (sum += x);
        text = `min ${fmt(lo)}, mean ${fmt(sum / (xs.length || 1))}, max ${fmt(hi)}`;
      } else if (c.kind === "date") text = `${(present as string[]).reduce((a, b) => (a < b ? a : b))} to ${(present as string[]).reduce((a, b) => (a > b ? a : b))}`;
      else {
        const counts = new Map<string, number>();
        for (const v of present as string[]) counts.set(v, (counts.get(v) ?? 0) + 1);
        const top = [...counts].sort((a, b) => b[1] - a[1]).slice(0, 3);
        text = `${counts.size} distinct; most: ${top.map(([v, n]) => `${v.slice(0, 20)} (${n})`).join(", ")}`;
      }
      const missing = t.rows - present.length;
      lines.push(`| ${c.name.replace(/\|/g, "\\|")} | ${c.kind} | ${text.replace(/\|/g, "\\|")}${missing ? `; ${missing} missing` : ""} |`);
    }
    return lines.join("\n");
  }

  private get current(): Table | undefined {
    try {
      return Explore.table(this.data);
    } catch {
      return undefined;
    }
  }

  @server.realtime useSample() {
    Object.assign(this, { data: SAMPLE, view: tableView(), x: "date", y: "total", csv: uploadState() });
  }

  /**
   * An uploaded CSV (from the picker): kept by its hash; the chart starts with its first number against a date,
   * another number or a category. What it refuses, it throws: the picker shows the message under itself.
   */
  @server.rpc async load(file: UploadedFile) {
    if (typeof file?.read !== "function") throw new RpcError("BAD_REQUEST", "load(file): pass the handle POST /api/upload answered.");
    if (file.size > MAX_BYTES) throw new RpcError("BAD_REQUEST", `${file.name} is over 2 MB: choose a smaller file.`);
    const text = Buffer.from(await file.read()).toString("utf8");
    const key = createHash("sha256").update(text).digest("hex");
    uploaded.set(key, { title: file.name, text });
    const table = Explore.table(key);
    if (table.rows === 0 || table.columns.length < 2) {
      uploaded.delete(key);
      cached.clear(Explore, "table");
      throw new RpcError("BAD_REQUEST", `${file.name} has no rows with two columns or more: is it a CSV?`);
    }
    const numbers = table.columns.filter((c) => c.kind === "number");
    // x: a date column, else a number when there are two, else a category.
    const xCol = table.columns.find((c) => c.kind === "date") ?? (numbers.length > 1 ? numbers[0] : table.columns.find((c) => c.kind === "text")) ?? table.columns[0]!;
    Object.assign(this, { data: key, view: tableView(), x: xCol.name, y: (numbers.find((c) => c !== xCol) ?? numbers[0] ?? table.columns[1]!).name });
  }

  override render() {
    const t = this.current;
    return h("main", {},
      backLink(this),
      h("h1", {}, "Explore a CSV"),
      h("div", { class: "bar" },
        h("span", {}, "Data: ", h("b", {}, t?.title ?? "(gone)")),
        this.data !== SAMPLE ? h("button", { type: "button", onClick: this.useSample }, "Back to the sample") : null),
      fileUpload(this, "csv", this.load, { label: "Or explore a CSV of your own", accept: ".csv,text/csv", maxBytes: MAX_BYTES }),
      t ? this.body(t) : h("p", { class: "rv-error", role: "alert" }, "That upload is no longer on this server (it restarted): upload the file again, or go back to the sample."));
  }

  private body(t: Table) {
    const plot = (name: string) => t.columns.find((c) => c.name === name);
    const x = plot(this.x);
    const y = plot(this.y);
    return [
      h("section", { id: "summary" }, markdown(Explore.summary(this.data))),
      h("h2", {}, "Charts"),
      h("div", { class: "bar", id: "axes" },
        // revue/ui selects bound to the axes: the server only stores one of the choices (any column for x, a number column for y).
        select(this, "x", t.columns.map((c) => c.name), { label: "x", id: "x" }),
        select(this, "y", t.columns.filter((c) => c.kind === "number").map((c) => c.name), { label: "y", id: "y" })),
      h("div", { class: "charts" }, this.charts(t, x, y)),
      h("h2", {}, "Rows"),
      dataframe(this, "view", t.records, { columns: t.columns.map((c) => c.name), pageSize: PAGE, label: `Rows of ${t.title}` }),
    ];
  }

  /** y against x (a line over dates, dots over numbers, bars per category), and y's distribution. */
  private charts(t: Table, x: Column | undefined, y: Column | undefined) {
    if (!y || y.kind !== "number") return [h("p", { key: "none", class: "rv-muted" }, "This data has no number column to chart.")];
    const ys = y.values as Array<number | null>;
    const out = [];
    if (x?.kind === "date") {
      const points = x.values.map((v, i) => [new Date(String(v)), ys[i] ?? NaN] as const).filter((p) => !Number.isNaN(p[0].getTime())).sort((a, b) => a[0].getTime() - b[0].getTime());
      out.push(h("div", { key: "xy" }, lineChart({ name: y.name, points }, { title: `${y.name} by ${x.name}`, x: { label: x.name }, y: { label: y.name }, height: 240, hover: 400 })));
    } else if (x?.kind === "number") {
      const points = x.values.map((v, i) => [Number(v), ys[i] ?? NaN] as const);
      out.push(h("div", { key: "xy" }, scatterChart({ name: `${y.name} / ${x.name}`, points }, { title: `${y.name} against ${x.name}`, x: { label: x.name }, y: { label: y.name }, height: 240, hover: 400 })));
    } else if (x) {
      const sums = new Map<string, { n: number; sum: number }>();
      x.values.forEach((v, i) => {
        const k = String(v ?? "(missing)");
        const s = sums.get(k) ?? { n: 0, sum: 0 };
        if (ys[i] !== null && ys[i] !== undefined) (s.n += 1), (s.sum += ys[i]!);
        sums.set(k, s);
      });
      const values = [...sums].slice(0, 30).map(([k, s]) => [k, s.n ? s.sum / s.n : 0] as const);
      out.push(h("div", { key: "xy" }, barChart({ name: `mean ${y.name}`, values }, { title: `Mean ${y.name} per ${x.name}`, y: { label: `mean ${y.name}` }, height: 240 })));
    }
    out.push(h("div", { key: "hist" }, histogram(ys.filter((v): v is number => v !== null), { title: `Distribution of ${y.name}`, x: { label: y.name }, y: { label: "rows" }, height: 240 })));
    return out;
  }
}

const fmt = (v: number) => (Number.isInteger(v) ? v.toLocaleString("en-US") : v.toLocaleString("en-US", { maximumFractionDigits: 2 }));
