import { UsageError } from "../errors.js";
import { h, type Child } from "../vdom/h.js";
import { isUnsafeAttr, type VNode } from "../vdom/types.js";
import { keptByValues } from "./facts.js";

/** Options of {@link code}. */
export interface CodeOptions {
  /** The language, as a class `language-<name>` on the `<code>` (for a stylesheet or a reader). */
  language?: string;
  /** What screen readers call the block (it is a scrolling region). Default: "Code" or "<language> code". */
  label?: string;
}

const LANGUAGE = /^[\w+#.-]{1,40}$/;

/**
 * A block of code: monospace, kept as written (spaces, line breaks), scrolling
 * sideways inside itself when a line is longer than the page is wide, and
 * reachable with the keyboard to scroll. Shown as text, never as markup.
 *
 * @example
 * import { code } from "revue/ui";
 * code("const total = rows.reduce((s, r) => s + r.price, 0);", { language: "ts" })
 */
export function code(source: string, options: CodeOptions = {}): VNode {
  if (typeof source !== "string") throw new UsageError(`code(source): source must be a string, got ${source === null ? "null" : typeof source}. Pass the text, e.g. code(JSON.stringify(value, null, 2)).`);
  const { language } = options;
  if (language !== undefined && !LANGUAGE.test(language)) throw new UsageError(`code(source, { language }): ${JSON.stringify(language)?.slice(0, 50)} is not a language name; use letters, digits and + # . - _ (e.g. "ts", "c++").`);
  const label = options.label ?? (language ? `${language} code` : "Code");
  return h("pre", { class: "rv-code", tabindex: 0, role: "region", "aria-label": label }, h("code", language ? { class: `language-${language}` } : {}, source));
}

/** Options of {@link json}. */
export interface JsonOptions {
  /** Levels open at first (deeper ones are closed `<details>` a click opens). Default 1. */
  open?: number;
  /** Entries shown per object or array; the rest are counted ("… 9,900 more"). Default 100. */
  maxItems?: number;
  /** Characters shown of a string; the rest are counted. Default 200. */
  maxString?: number;
  /** Levels shown at all; deeper values show as `{…}` / `[…]`. Default 20. */
  maxDepth?: number;
  /** The name of the root, shown before it. */
  label?: string;
}

const grouped = new Intl.NumberFormat("en-US");

/**
 * A JSON value as a tree a reader can fold: objects and arrays are
 * `<details>` (the first level open) whose summary says what they hold
 * ("{3 keys}", "[10,000 items]"), keys and each type of value styled apart,
 * long strings and big collections cut with a count of what was left out, and
 * a value met again inside itself shown as "[circular]". Keys and strings are
 * text, never markup.
 *
 * @example
 * import { json } from "revue/ui";
 * json({ user: { name: "Ada", roles: ["admin"] }, visits: 12 }, { open: 2 })
 */
export function json(value: unknown, options: JsonOptions = {}): VNode {
  const o = { open: options.open ?? 1, maxItems: options.maxItems ?? 100, maxString: options.maxString ?? 200, maxDepth: options.maxDepth ?? 20 };
  for (const [k, v] of Object.entries(o)) {
    if (!Number.isInteger(v) || v < 0) throw new UsageError(`json(value, { ${k} }): ${k} must be a whole number ≥ 0, got ${JSON.stringify(v)}.`);
  }
  const draw = () => h("div", { class: "rv-json" }, node(value, options.label, 0, o, new Set()));
  // Kept while the value and options are the same, value by value (facts.ts): a click beside a JSON tree does not draw it again.
  return h(Json, { values: [o.open, o.maxItems, o.maxString, o.maxDepth, options.label, value], maxDepth: o.maxDepth, maxItems: o.maxItems, kept: { facts: null }, draw });
}

const Json = keptByValues();

type JsonLimits = { open: number; maxItems: number; maxString: number; maxDepth: number };

/**
 * The tree of `value`, shown under `key`; `id` keys its element among its
 * siblings: an array's items by their `id` when every shown item has a
 * distinct one. Unkeyed, a record put first in a list of 100 re-sent all of
 * them (27 KB, perf probe); keyed, they move (6 KB: their index labels change).
 */
function node(value: unknown, key: string | undefined, depth: number, o: JsonLimits, path: Set<object>, id?: string | number): VNode {
  const name = key === undefined ? null : h("span", { class: "rv-json-key" }, key);
  const row = (...content: VNode[]) => h("div", id === undefined ? ROW : { key: id, class: "rv-json-row" }, name, ...content);
  if (value instanceof Map) value = Object.fromEntries(value);
  else if (value instanceof Set) value = [...value];
  // An object with toJSON (a Buffer, a Decimal): shown as it would be sent.
  else if (typeof value === "object" && value !== null && !(value instanceof Date) && typeof (value as { toJSON?: unknown }).toJSON === "function") value = sent(value);
  if (typeof value !== "object" || value === null || value instanceof Date) return row(scalar(value, o));
  const array = Array.isArray(value);
  const entries: Array<[string, unknown]> = array ? [] : Object.entries(value);
  const count = array ? (value as unknown[]).length : entries.length;
  const brief = array ? `[${grouped.format(count)} ${count === 1 ? "item" : "items"}]` : `{${grouped.format(count)} ${count === 1 ? "key" : "keys"}}`;
  if (path.has(value)) return row(h("span", { class: "rv-json-more" }, "[circular]"));
  if (count === 0) return row(h("span", { class: "rv-json-punct" }, array ? "[]" : "{}"));
  if (depth >= o.maxDepth) return row(h("span", { class: "rv-json-more" }, brief));
  path.add(value);
  const shown = Math.min(count, o.maxItems);
  const ids = array ? itemIds(value as unknown[], shown) : undefined;
  const children: VNode[] = [];
  for (let i = 0; i < shown; i++) {
    children.push(array ? node((value as unknown[])[i], String(i), depth + 1, o, path, ids?.[i]) : node(entries[i]![1], entries[i]![0], depth + 1, o, path));
  }
  path.delete(value);
  if (count > shown) children.push(h("div", { class: "rv-json-more" }, `… ${grouped.format(count - shown)} more`));
  return h("details", id === undefined ? { class: "rv-json-node", open: depth < o.open } : { key: id, class: "rv-json-node", open: depth < o.open },
    h("summary", {}, name, h("span", { class: "rv-json-punct" }, brief)),
    h("div", { class: "rv-json-children" }, children));
}

const ROW = { class: "rv-json-row" };

/** The `id`s of an array's first `shown` items when each is a record with its own (a string or number), else undefined. */
function itemIds(items: readonly unknown[], shown: number): Array<string | number> | undefined {
  const ids: Array<string | number> = [], seen = new Set<string>();
  for (let i = 0; i < shown; i++) {
    const id = (items[i] as { id?: unknown } | null)?.id;
    if (!((typeof id === "string" && id !== "") || (typeof id === "number" && Number.isFinite(id))) || seen.size === seen.add(String(id)).size) return undefined;
    ids.push(id);
  }
  return ids;
}

function scalar(value: unknown, o: JsonLimits): VNode {
  if (typeof value === "string") {
    const cut = value.length > o.maxString;
    return h("span", { class: "rv-json-string" }, JSON.stringify(cut ? value.slice(0, o.maxString) : value), cut ? h("span", { class: "rv-json-more" }, ` … ${grouped.format(value.length - o.maxString)} more characters`) : null);
  }
  if (typeof value === "number") return h("span", { class: "rv-json-number" }, Number.isFinite(value) ? String(value) : `${value} (not JSON)`);
  if (typeof value === "bigint") return h("span", { class: "rv-json-number" }, `${value}n`);
  if (typeof value === "boolean") return h("span", { class: "rv-json-bool" }, String(value));
  if (value === null) return h("span", { class: "rv-json-null" }, "null");
  if (value === undefined) return h("span", { class: "rv-json-null" }, "undefined");
  if (value instanceof Date) return h("span", { class: "rv-json-string" }, Number.isNaN(value.getTime()) ? "Invalid Date" : JSON.stringify(value.toISOString()));
  if (typeof value === "function") return h("span", { class: "rv-json-more" }, `ƒ ${value.name || "anonymous"}()`);
  return h("span", { class: "rv-json-more" }, String(value));
}

/** What JSON.stringify makes of a value with toJSON, read back; a marker if it throws. */
function sent(value: object): unknown {
  try {
    const text = JSON.stringify(value);
    return text === undefined ? undefined : JSON.parse(text);
  } catch (err) {
    return Symbol(`[toJSON threw: ${err instanceof Error ? err.message : String(err)}]`.slice(0, 120));
  }
}

/** Options of {@link image}. */
export interface ImageOptions {
  /** What the image shows, for who cannot see it; `""` for a purely decorative image. Required. */
  alt: string;
  /** Shown under the image. */
  caption?: string;
  /** The image's size in CSS pixels (it still shrinks to fit a narrow screen). Giving both keeps the page from jumping while it loads. */
  width?: number;
  height?: number;
  /** Default "lazy": loaded when it comes near the screen. */
  loading?: "lazy" | "eager";
}

/**
 * An image with its text alternative, an optional caption, and a size that
 * never overflows the screen. The URL is checked where it is written: a
 * `javascript:` or non-image `data:` URL is a {@link UsageError}, not a
 * missing image (base64 PNG, JPEG, GIF and WebP `data:` URLs are allowed).
 *
 * @example
 * import { image } from "revue/ui";
 * image("/img/chart.png", { alt: "Sales by month, rising from 10 k€ in January to 18 k€ in June", caption: "Sales, 2026", width: 640, height: 320 })
 */
export function image(src: string, options: ImageOptions): VNode {
  if (typeof src !== "string" || src === "") throw new UsageError(`image(src, { alt }): src must be the image's URL, got ${JSON.stringify(src)}.`);
  if (typeof options?.alt !== "string") {
    throw new UsageError(`image(${JSON.stringify(src.slice(0, 60))}): say what the image shows in { alt: "…" } (or alt: "" if it is only decoration): screen readers read it, and it shows when the image cannot load.`);
  }
  if (isUnsafeAttr("src", src)) throw new UsageError(`image(${JSON.stringify(src.slice(0, 60))}): this URL is refused (a script URL, or a data: URL that is not a base64 PNG, JPEG, GIF or WebP). Serve the image from a URL of your own.`);
  for (const dim of ["width", "height"] as const) {
    const v = options[dim];
    if (v !== undefined && (typeof v !== "number" || !Number.isFinite(v) || v <= 0)) throw new UsageError(`image(…, { ${dim} }): ${dim} must be a positive number of CSS pixels, got ${JSON.stringify(v)}.`);
  }
  const img = h("img", { src, alt: options.alt, width: options.width, height: options.height, loading: options.loading ?? "lazy", decoding: "async" });
  return h("figure", { class: "rv-image" }, img, options.caption ? h("figcaption", {}, options.caption) : null);
}

/** Options of {@link metric}. */
export interface MetricOptions {
  /** The change since the period before: a number (its sign gives the direction) or a text such as "+4.2%". */
  delta?: number | string;
  /** Shown after the value and a numeric delta: "%", "ms", "€". */
  unit?: string;
  /** Whether a rise is good news (green). False for costs, errors, latency. Default true. */
  higherIsBetter?: boolean;
  /** What the delta compares with, shown after it: "vs last week". */
  deltaLabel?: string;
  /** The value's text. Default: numbers grouped with up to 2 decimals. */
  format?: (value: number) => string;
}

const metricNumber = new Intl.NumberFormat("en-US", { maximumFractionDigits: 2 });
const withUnit = (text: string, unit: string | undefined) => (unit ? (unit === "%" ? `${text}%` : `${text} ${unit}`) : text);

/**
 * A key figure: a label, a big value and, optionally, how it changed: an
 * arrow and a colour (green for good news, red for bad; a cost going up is
 * bad with `higherIsBetter: false`), and words for screen readers ("up 4.2%",
 * not an arrow).
 *
 * @example
 * import { metric } from "revue/ui";
 * h("div", { class: "rv-metrics" },
 *   metric("Revenue", 12_400, { unit: "€", delta: 4.2, deltaLabel: "vs last week" }),
 *   metric("p95 latency", 182, { unit: "ms", delta: 12, higherIsBetter: false }))
 */
export function metric(label: string, value: number | string, options: MetricOptions = {}): VNode {
  if (typeof label !== "string") throw new UsageError(`metric(label, value): label must be a string, got ${typeof label}.`);
  if (typeof value !== "number" && typeof value !== "string") throw new UsageError(`metric(${JSON.stringify(label)}, value): value must be a number or a string, got ${value === null ? "null" : typeof value}.`);
  const { delta, unit } = options;
  const shown = typeof value === "number" ? withUnit((options.format ?? metricNumber.format)(value), unit) : value;
  let change: VNode | null = null;
  if (delta !== undefined && delta !== "") {
    const sign = typeof delta === "number" ? Math.sign(delta) : /^\s*[-−–]/.test(delta) ? -1 : /^\s*\+/.test(delta) ? 1 : 0;
    const amount = typeof delta === "number" ? withUnit(metricNumber.format(Math.abs(delta)), unit) : delta.replace(/^\s*[-−–+]\s*/, "");
    const good = sign === 0 ? "rv-flat" : (sign > 0) === (options.higherIsBetter ?? true) ? "rv-good" : "rv-bad";
    const words = sign > 0 ? "up" : sign < 0 ? "down" : "unchanged,";
    change = h("div", { class: `rv-metric-delta ${good}` },
      h("span", { "aria-hidden": "true" }, sign > 0 ? "▲ " : sign < 0 ? "▼ " : "■ "),
      h("span", { class: "rv-sr" }, `${words} `),
      amount,
      options.deltaLabel ? h("span", { class: "rv-metric-since" }, ` ${options.deltaLabel}`) : null);
  }
  return h("div", { class: "rv-metric", role: "group", "aria-label": label },
    h("div", { class: "rv-metric-label" }, label),
    h("div", { class: "rv-metric-value" }, shown),
    change);
}

/** Options of {@link download}. */
export interface DownloadOptions {
  /** The saved file's name, e.g. "orders.csv". */
  filename: string;
  /** The file's content: text (saved as UTF-8) or bytes. */
  data: string | Uint8Array;
  /** The most bytes the link may carry. Default {@link MAX_DOWNLOAD_BYTES}. */
  maxBytes?: number;
}

/**
 * The most a {@link download} link carries by default: 1 MB. The file travels
 * inside the page (a `data:` URL, about 4/3 of its size), in the first HTML and
 * in every snapshot of the page, so a bigger file belongs on a route of its own.
 */
export const MAX_DOWNLOAD_BYTES = 1_000_000;

const FILENAME = /^[^\\/:*?"<>|\0-\x1f]{1,200}$/;
const size = (n: number) => (n < 1_000 ? `${n} bytes` : n < 1_000_000 ? `${(n / 1_000).toFixed(1)} kB` : `${(n / 1_000_000).toFixed(1)} MB`);

/**
 * A link styled as a button that saves a file made on the server: the bytes
 * travel in the page as a `data:` URL, so the file needs no route and no
 * round trip. Up to `maxBytes` (1 MB by default); over that it throws,
 * saying how big the file is and what to do instead.
 *
 * @example
 * import { download } from "revue/ui";
 * download("Export CSV", { filename: "orders.csv", data: toCsv(this.orders) })
 */
export function download(label: Child, options: DownloadOptions): VNode {
  const where = `download(${typeof label === "string" ? JSON.stringify(label) : "label"})`;
  const { filename, data, maxBytes = MAX_DOWNLOAD_BYTES } = options ?? ({} as DownloadOptions);
  if (typeof filename !== "string" || !FILENAME.test(filename)) throw new UsageError(`${where}: filename must be a file name without a folder or the characters \\ / : * ? " < > |, e.g. "orders.csv"; got ${JSON.stringify(filename)?.slice(0, 60)}.`);
  let bytes: Uint8Array;
  if (typeof data === "string") bytes = new TextEncoder().encode(data);
  else if (data instanceof Uint8Array) bytes = data;
  else throw new UsageError(`${where}: data must be a string or a Uint8Array (a Buffer is one), got ${data === null ? "null" : typeof data}.`);
  if (bytes.length > maxBytes) {
    throw new UsageError(
      `${where}: "${filename}" is ${size(bytes.length)}, over the ${size(maxBytes)} a download link can carry: the file travels inside the page, in its HTML and every snapshot. ` +
        `Serve it from a route of your own (createServer's app is Koa: router.get("/exports/${filename}", …)) and link to it, or raise { maxBytes } if the page may weigh that much.`,
    );
  }
  // application/octet-stream: a browser only ever saves it (under `filename`), never shows it as a page; the page's URL rule lets this type through.
  const href = `data:application/octet-stream;base64,${Buffer.from(bytes.buffer, bytes.byteOffset, bytes.length).toString("base64")}`;
  return h("a", { class: "rv-button rv-download", href, download: filename, title: `${filename}, ${size(bytes.length)}` },
    h("span", { "aria-hidden": "true" }, "⤓"), label);
}

/** The stylesheet of code, JSON, image, metric and download: wire it after the theme. */
export const displayCss: string = `
.rv-sr{position:absolute;width:1px;height:1px;padding:0;margin:-1px;overflow:hidden;clip:rect(0,0,0,0);white-space:nowrap;border:0}
.rv-code{max-height:var(--rv-code-height,32rem);white-space:pre;tab-size:2;line-height:1.45}
.rv-json{font:.9em/1.5 var(--rv-mono);background:var(--rv-surface);border:1px solid var(--rv-border);border-radius:var(--rv-radius);padding:.6em .8em;margin:0 0 var(--rv-space);overflow-x:auto}
.rv-json-children{padding-left:1.2em;border-left:1px dotted var(--rv-border);margin-left:.3em}
.rv-json summary{cursor:pointer;list-style-position:outside}
.rv-json-row,.rv-json summary{white-space:pre-wrap;overflow-wrap:anywhere}
.rv-json-key{color:var(--rv-fg);font-weight:600}.rv-json-key::after{content:": ";font-weight:400;color:var(--rv-muted)}
.rv-json-string{color:var(--rv-ok)}.rv-json-number{color:var(--rv-accent)}.rv-json-bool,.rv-json-null{color:var(--rv-warn)}
.rv-json-punct,.rv-json-more{color:var(--rv-muted)}
.rv-image{margin:0 0 var(--rv-space)}.rv-image img{display:block;max-width:100%;height:auto;border-radius:var(--rv-radius)}
.rv-image figcaption{color:var(--rv-muted);font-size:.9em;margin-top:.4em}
.rv-metrics{display:grid;grid-template-columns:repeat(auto-fit,minmax(min(12rem,100%),1fr));gap:var(--rv-space);margin:0 0 var(--rv-space)}
.rv-metric{background:var(--rv-surface);border:1px solid var(--rv-border);border-radius:var(--rv-radius);padding:.8em 1em;min-width:0}
.rv-metric-label{color:var(--rv-muted);font-size:.9em}
.rv-metric-value{font-size:1.9rem;font-weight:650;line-height:1.2;font-variant-numeric:tabular-nums;overflow-wrap:anywhere}
.rv-metric-delta{font-size:.9em;font-weight:600;margin-top:.2em}
.rv-metric-delta.rv-good{color:var(--rv-ok)}.rv-metric-delta.rv-bad{color:var(--rv-danger)}.rv-metric-delta.rv-flat{color:var(--rv-muted)}
.rv-metric-since{color:var(--rv-muted);font-weight:400}
.rv-download{gap:.5em}
`.trim();
