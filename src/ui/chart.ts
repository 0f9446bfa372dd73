import { scaleBand, scaleLinear, scaleUtc } from "d3-scale";
import { area as d3area, curveLinear, curveMonotoneX, line as d3line, type CurveFactory } from "d3-shape";
import { UsageError } from "../errors.js";
import { h } from "../vdom/h.js";
import { keptByValues } from "./facts.js";
import { grouped } from "./numbers.js";
import type { VNode } from "../vdom/types.js";

/** One point of a series: x (a number, or a `Date` for a time axis) and y; a y that is not finite leaves a gap. */
export type Point = readonly [x: number | Date, y: number];

/** A named series of points, for line, area and scatter charts. */
export interface Series {
  name: string;
  points: readonly Point[];
  /** Any CSS color. Default: the next color of the palette. */
  color?: string;
}

/** A named series of bars: one value per category. */
export interface BarSeries {
  name: string;
  values: readonly (readonly [category: string, value: number])[];
  color?: string;
}

/** One axis of a chart. */
export interface AxisOptions {
  /** The axis title, shown beside it (with the unit in parentheses). */
  label?: string;
  /** Shown after each tick value and in hover titles: "%", "ms", "MB". */
  unit?: string;
  /** Fixed bounds; default: the data's, extended to round numbers. */
  domain?: readonly [number | Date, number | Date];
  /** Tick and hover text of a value. Default: d3's format for the ticks' precision (UTC dates for a time axis). */
  format?: (value: number) => string;
  /** About how many ticks. Default: 6 on x, 5 on y. */
  ticks?: number;
}

/** Options of every chart. */
export interface ChartOptions {
  /** Said by screen readers and shown on hover over the chart. */
  title?: string;
  /** Width and height of the drawing, in CSS pixels (it scales down with `max-width: 100%`). Default 640 × 260. */
  width?: number;
  height?: number;
  /** x axis; `time: true` reads x as milliseconds since the epoch (implied by `Date` x values). */
  x?: AxisOptions & { time?: boolean };
  y?: AxisOptions & {
    /** Whether the y axis starts at zero. Default: true for area, bar and histogram, false for line and scatter. */
    zero?: boolean;
  };
  /** Show the series' names above the plot. Default: when there are several series. */
  legend?: boolean;
  /** `"smooth"` draws lines and areas through a monotone curve. Default `"linear"`. */
  curve?: "linear" | "smooth";
  /** Up to this many points get a hover title of their own (more would weigh on the page). Default 500. */
  hover?: number;
  /** Extra class on the `<svg>`, after `rv-chart`. */
  class?: string;
}

/** The default series colors (Tableau 10), in order. */
export const PALETTE: readonly string[] = ["#4e79a7", "#f28e2b", "#e15759", "#76b7b2", "#59a14f", "#edc948", "#b07aa1", "#ff9da7", "#9c755f", "#bab0ac"];

const MARGIN = { top: 14, right: 18, bottom: 34, left: 56 };
const LEGEND_H = 20;
/** Coordinates of a data layer are integers on a grid of 2^k data units with about this many cells per plot width. */
const GRID = 4096;
/** A line or area is cut into one path per this many grid cells, so a point added redraws one piece, not the series. */
const PIECE = 256;

/** An axis's domain and the integer grid its data layer is drawn on (see {@link layer}). */
interface Grid {
  d0: number;
  d1: number;
  /** Data units per grid cell: a power of two, so it changes only when the span doubles or halves. */
  res: number;
  /** The data value of grid cell 0: a multiple of 65,536 cells, so it stays put while the data moves along. */
  origin: number;
}

function grid(d0: number, d1: number): Grid {
  const span = d1 - d0 || Math.abs(d0) || 1;
  const res = 2 ** Math.floor(Math.log2(span / GRID));
  const block = res * 65_536;
  return { d0, d1, res, origin: Math.floor(d0 / block) * block };
}

/** Smallest and largest of finite values (a loop: spreading 100,000 values into Math.min overflows the stack). */
function extent(values: readonly number[]): [number, number] {
  let lo = Infinity;
  let hi = -Infinity;
  for (const v of values) if (v < lo) lo = v;
  for (const v of values) if (v > hi) hi = v;
  return [lo, hi];
}

const cell = (g: Grid, v: number) => Math.round((v - g.origin) / g.res);
const num = (v: number) => String(Number(v.toPrecision(7)));
const xOf = (p: Point) => (p[0] instanceof Date ? p[0].getTime() : p[0]);

/** The plot's frame: size, margins and the pixel box of the plot area. */
interface Frame {
  width: number;
  height: number;
  left: number;
  top: number;
  right: number;
  bottom: number;
}

function frame(options: ChartOptions, legend: boolean): Frame {
  const width = positive(options.width ?? 640, "width");
  const height = positive(options.height ?? 260, "height");
  const top = MARGIN.top + (legend ? LEGEND_H : 0);
  const left = MARGIN.left + (options.y?.label ? 16 : 0);
  const bottom = height - MARGIN.bottom - (options.x?.label ? 16 : 0);
  const right = width - MARGIN.right;
  if (right - left < 20 || bottom - top < 20) throw new UsageError(`chart: ${width} × ${height} leaves no room for the plot; make it at least ${left + MARGIN.right + 20} × ${height - bottom + top + 20}.`);
  return { width, height, left, top, right, bottom };
}

function positive(v: unknown, name: string): number {
  if (typeof v !== "number" || !Number.isFinite(v) || v <= 0) throw new UsageError(`chart: option ${name} must be a positive number of pixels, got ${JSON.stringify(v)}.`);
  return v;
}

function checkSeries(kind: string, input: Series | readonly Series[]): readonly Series[] {
  const list = Array.isArray(input) ? (input as readonly Series[]) : [input as Series];
  for (const s of list) {
    if (!s || typeof s.name !== "string" || !Array.isArray(s.points)) {
      throw new UsageError(`${kind}(series): each series is { name: string, points: [x, y][] }, got ${JSON.stringify(s)?.slice(0, 80)}. Example: ${kind}({ name: "CPU", points: [[0, 12], [1, 15]] }).`);
    }
  }
  return list;
}

/**
 * A hover title's number: six significant digits, grouped ("1,234.57"). One
 * formatter for all (`toLocaleString` with options builds one per call: half
 * the time a chart of 1,000 points took to draw), and most numbers grouped
 * without it (numbers.ts).
 */
const sixDecimals = new Intl.NumberFormat("en-US", { maximumFractionDigits: 6 });
const exact = (v: number) => grouped(Number(v.toPrecision(6)), 6, sixDecimals);
/** A hover title's time: "2026-11-29 12:00:30" (UTC, as the axis), milliseconds when there are some. */
const utc = (v: number) => new Date(v).toISOString().replace("T", " ").replace(/(\.000)?Z$/, "");

/** Formats a tick or hover value with its unit. */
function formatter(axis: AxisOptions | undefined, fallback: (v: number) => string): (v: number) => string {
  const f = axis?.format ?? fallback;
  const unit = axis?.unit;
  return unit ? (v) => `${f(v)}${unit === "%" ? "" : " "}${unit}` : f;
}

function axisTitle(axis: AxisOptions | undefined): string | undefined {
  if (!axis?.label) return undefined;
  return axis.unit ? `${axis.label} (${axis.unit})` : axis.label;
}

/** The x scale of a line, area or scatter chart, its ticks and its formatter. */
function xAxis(points: readonly Point[], options: ChartOptions, f: Frame) {
  const time = options.x?.time ?? points.some((p) => p[0] instanceof Date);
  let d0 = Infinity;
  let d1 = -Infinity;
  for (const p of points) {
    const x = xOf(p);
    if (Number.isFinite(x)) (d0 = Math.min(d0, x)), (d1 = Math.max(d1, x));
  }
  if (options.x?.domain) [d0, d1] = options.x.domain.map((v) => (v instanceof Date ? v.getTime() : v)) as [number, number];
  if (!Number.isFinite(d0)) (d0 = 0), (d1 = 1);
  if (d0 === d1) (d0 -= time ? 30_000 : 0.5), (d1 += time ? 30_000 : 0.5);
  const count = options.x?.ticks ?? 6;
  if (time) {
    const scale = scaleUtc().domain([d0, d1]).range([f.left, f.right]);
    const fmt = scale.tickFormat(count);
    return { scale: (v: number) => scale(v), d0, d1, ticks: scale.ticks(count).map((d) => d.getTime()), format: formatter(options.x, (v) => fmt(new Date(v))), exact: formatter(options.x, utc) };
  }
  const scale = scaleLinear().domain([d0, d1]).range([f.left, f.right]);
  if (!options.x?.domain) scale.nice(count);
  const [n0, n1] = scale.domain() as [number, number];
  return { scale: (v: number) => scale(v), d0: n0, d1: n1, ticks: scale.ticks(count), format: formatter(options.x, scale.tickFormat(count)), exact: formatter(options.x, exact) };
}

/** The y scale: the data's range (with zero when asked), extended to round numbers. */
function yAxis(values: Iterable<number>, options: ChartOptions, f: Frame, zero: boolean) {
  let d0 = Infinity;
  let d1 = -Infinity;
  let whole = true;
  for (const v of values) if (Number.isFinite(v)) (d0 = Math.min(d0, v)), (d1 = Math.max(d1, v)), (whole &&= Number.isInteger(v));
  if (!Number.isFinite(d0)) (d0 = 0), (d1 = 1);
  if (options.y?.zero ?? zero) (d0 = Math.min(0, d0)), (d1 = Math.max(0, d1));
  if (options.y?.domain) [d0, d1] = options.y.domain.map(Number) as [number, number];
  // One value everywhere: a range around it, or from 0 up when it is 0 (all-zero counts have no negative ticks).
  if (d0 === d1) d0 === 0 ? (d1 = 1) : ((d0 -= 1), (d1 += 1));
  const count = options.y?.ticks ?? 5;
  const scale = scaleLinear().domain([d0, d1]).range([f.bottom, f.top]);
  if (!options.y?.domain) scale.nice(count);
  const [n0, n1] = scale.domain() as [number, number];
  // Counts (every value whole) get whole ticks: an axis of votes read "0.2, 0.4, …" between 0 and 1.
  const ticks = whole ? scale.ticks(count).filter(Number.isInteger) : scale.ticks(count);
  return { scale: (v: number) => scale(v), d0: n0, d1: n1, ticks, format: formatter(options.y, whole ? scale.tickFormat(count, ",d") : scale.tickFormat(count)), exact: formatter(options.y, exact) };
}

type AxisInfo = ReturnType<typeof yAxis>;

/** Both axes: lines, ticks keyed by value (a moved tick is an attribute change), labels and titles. */
function axes(f: Frame, x: AxisInfo | { band: true; scale: (c: string) => number; categories: readonly string[]; width: number }, y: AxisInfo, options: ChartOptions): VNode[] {
  const out: VNode[] = [];
  out.push(
    h("g", { key: "y-axis", class: "rv-axis rv-axis-y" },
      h("line", { x1: f.left, x2: f.left, y1: f.top, y2: f.bottom, stroke: "currentColor", "stroke-opacity": "0.35" }),
      y.ticks.map((t) => {
        const py = num(y.scale(t));
        return h("g", { key: String(t), transform: `translate(0,${py})` },
          h("line", { x1: f.left, x2: f.right, stroke: "currentColor", "stroke-opacity": "0.1" }),
          h("text", { x: f.left - 6, dy: "0.32em", "text-anchor": "end" }, y.format(t)));
      }),
    ),
  );
  const xTicks =
    "band" in x
      ? x.categories.map((c) => ({ key: c, at: x.scale(c) + x.width / 2, text: c }))
      : x.ticks.map((t) => ({ key: String(t), at: x.scale(t), text: x.format(t) }));
  out.push(
    h("g", { key: "x-axis", class: "rv-axis rv-axis-x" },
      h("line", { x1: f.left, x2: f.right, y1: f.bottom, y2: f.bottom, stroke: "currentColor", "stroke-opacity": "0.35" }),
      xTicks.map((t) =>
        h("g", { key: t.key, transform: `translate(${num(t.at)},${f.bottom})` },
          h("line", { y2: 5, stroke: "currentColor", "stroke-opacity": "0.35" }),
          h("text", { y: 18, "text-anchor": "middle" }, t.text)),
      ),
    ),
  );
  const xTitle = axisTitle(options.x);
  if (xTitle) out.push(h("text", { key: "x-title", class: "rv-axis-title", x: (f.left + f.right) / 2, y: f.height - 6, "text-anchor": "middle" }, xTitle));
  const yTitle = axisTitle(options.y);
  if (yTitle) out.push(h("text", { key: "y-title", class: "rv-axis-title", transform: `translate(14,${(f.top + f.bottom) / 2}) rotate(-90)`, "text-anchor": "middle" }, yTitle));
  return out;
}

function legend(f: Frame, names: readonly { name: string; color: string }[]): VNode {
  let at = f.left;
  return h("g", { key: "legend", class: "rv-legend", transform: `translate(0,${MARGIN.top - 2})` },
    names.map((s) => {
      const x = at;
      at += 28 + s.name.length * 7;
      return h("g", { key: s.name, transform: `translate(${x},0)` },
        h("rect", { width: 12, height: 12, rx: 2, fill: s.color }),
        h("text", { x: 17, y: 10 }, s.name));
    }));
}

function svg(kind: string, f: Frame, options: ChartOptions, children: unknown[]): VNode {
  const title = options.title;
  return h("svg",
    { class: options.class ? `rv-chart rv-chart-${kind} ${options.class}` : `rv-chart rv-chart-${kind}`, viewBox: `0 0 ${f.width} ${f.height}`, width: f.width, height: f.height, role: "img", "aria-label": title ?? `${kind} chart`, "font-size": "11", style: "max-width:100%;height:auto" },
    title ? h("title", {}, title) : null,
    ...(children as VNode[]));
}

const colorOf = (s: { color?: string }, i: number) => s.color ?? PALETTE[i % PALETTE.length]!;

/**
 * The data layer of a line, area or scatter chart. Points are drawn on an
 * integer grid in data units, and one transform maps the grid to pixels: when
 * the domain moves (a point added, a window sliding), the transform changes
 * and the drawn points do not, so a live chart's patch is the new piece and
 * one attribute, not the whole series (measured in test/ui/chart.test.ts).
 */
function layer(kind: "line" | "area" | "scatter", list: readonly Series[], x: AxisInfo, y: AxisInfo, f: Frame, options: ChartOptions): VNode[] {
  const gx = grid(x.d0, x.d1);
  const gy = grid(y.d0, y.d1);
  const kx = (f.right - f.left) / (x.d1 - x.d0);
  const ky = (f.bottom - f.top) / (y.d1 - y.d0);
  const matrix = `matrix(${num(gx.res * kx)},0,0,${num(-gy.res * ky)},${num(f.left + (gx.origin - x.d0) * kx)},${num(f.bottom - (gy.origin - y.d0) * ky)})`;
  const curve: CurveFactory = options.curve === "smooth" ? curveMonotoneX : curveLinear;
  const base = cell(gy, Math.max(y.d0, Math.min(0, y.d1)));
  const total = list.reduce((n, s) => n + s.points.length, 0);
  const hover = total <= (options.hover ?? 500);
  const out: VNode[] = [];
  list.forEach((s, i) => {
    const color = colorOf(s, i);
    const cells: Array<[number, number] | null> = s.points.map((p) => {
      const px = xOf(p);
      return Number.isFinite(px) && Number.isFinite(p[1]) ? [cell(gx, px), cell(gy, p[1])] : null;
    });
    const pieces: VNode[] = [];
    if (kind === "scatter") {
      const byBlock = new Map<number, string>();
      for (const c of cells) {
        if (!c) continue;
        const b = Math.floor(c[0] / PIECE);
        byBlock.set(b, `${byBlock.get(b) ?? ""}M${c[0]},${c[1]}h0`);
      }
      for (const [b, d] of byBlock) pieces.push(h("path", { key: String(b), d, "vector-effect": "non-scaling-stroke" }));
    } else {
      const line = d3line<[number, number]>().curve(curve);
      const fill = d3area<[number, number]>().curve(curve).y0(base);
      // Each piece starts at the last point of the one before, so the pieces join into one line.
      let run: Array<[number, number]> = [];
      let block = NaN;
      const flush = () => {
        if (run.length < 2) return;
        const key = keyOf(block);
        // An area's fill is drawn without a stroke (the pieces' edges would show) and its top line over it.
        if (kind === "area") pieces.push(h("path", { key: `f${key}`, d: fill(run) ?? "", stroke: "none" }));
        pieces.push(h("path", { key, d: line(run) ?? "", fill: "none", "vector-effect": "non-scaling-stroke" }));
      };
      let prev: [number, number] | null = null;
      // A block the line comes back to (x not in order, or after a gap) gets a key of its own.
      const keyOf = uniqueKeys();
      for (const c of cells) {
        if (!c) {
          flush(), (run = []), (prev = null), (block = NaN);
          continue;
        }
        const b = Math.floor(c[0] / PIECE);
        if (b !== block) flush(), (run = prev ? [prev] : []), (block = b);
        run.push(c);
        prev = c;
      }
      flush();
    }
    const paint =
      kind === "area"
        ? { fill: color, "fill-opacity": "0.25", stroke: color, "stroke-width": 2, "stroke-linejoin": "round" }
        : kind === "line"
          ? { fill: "none", stroke: color, "stroke-width": 2, "stroke-linejoin": "round" }
          : { fill: "none", stroke: color, "stroke-width": 7, "stroke-linecap": "round" };
    out.push(h("g", { key: `s${i}`, class: "rv-series", ...paint }, h("title", {}, s.name), pieces));
    if (hover) {
      const keyOf = uniqueKeys();
      out.push(h("g", { key: `h${i}`, class: "rv-hover", fill: "none", stroke: "transparent", "stroke-width": 12, "stroke-linecap": "round" },
        s.points.map((p, j) => {
          const c = cells[j];
          return c ? h("path", { key: keyOf(c[0]), d: `M${c[0]},${c[1]}h0`, "vector-effect": "non-scaling-stroke" }, h("title", {}, `${s.name}: ${x.exact(xOf(p))}, ${y.exact(p[1])}`)) : null;
        })));
    }
  });
  return [h("g", { key: "plot", class: "rv-plot", transform: matrix }, out)];
}

/** Keys from numbers, unique among siblings: a number seen again gets a suffix. */
function uniqueKeys(): (n: number) => string {
  const seen = new Map<number, number>();
  return (n) => {
    const k = seen.get(n) ?? 0;
    seen.set(n, k + 1);
    return k ? `${n}.${k}` : String(n);
  };
}

function xyChart(kind: "line" | "area" | "scatter", label: string, input: Series | readonly Series[], options: ChartOptions): VNode {
  const list = checkSeries(label, input);
  const showLegend = options.legend ?? list.length > 1;
  const f = frame(options, showLegend);
  const all = list.flatMap((s) => s.points);
  const x = xAxis(all, options, f);
  const y = yAxis(all.map((p) => p[1]), options, f, kind === "area");
  return svg(kind, f, options, [
    ...axes(f, x, y, options),
    ...layer(kind, list, x, y, f, options),
    showLegend ? legend(f, list.map((s, i) => ({ name: s.name, color: colorOf(s, i) }))) : null,
  ]);
}

/*
 * Charts are memoised on what they draw (facts.ts): a click elsewhere on a
 * page showing a line chart of 1,000 points cost the chart's drawing again
 * (≈ 0.5 ms); now a walk of its data.
 */

const Chart = keptByValues();

/** `draw()`, or the subtree the last render drew for the same kind of chart, data and options (see above). */
function drawnOnce(kind: string, data: unknown, options: unknown, draw: () => VNode): VNode {
  return h(Chart, { values: [kind, data, options], kept: { facts: null }, draw });
}

/**
 * A line chart drawn on the server as SVG: axes with ticks and units, a
 * legend when there are several series, a hover title per point. A point
 * added to a live chart is patched as the new piece of line and one
 * transform, not the whole drawing.
 *
 * @example
 * import { lineChart } from "revue/ui";
 * lineChart({ name: "CPU", points: this.samples.map((s) => [new Date(s.at), s.cpu]) },
 *   { title: "CPU over the last minute", y: { label: "CPU", unit: "%", domain: [0, 100] } })
 */
export function lineChart(series: Series | readonly Series[], options: ChartOptions = {}): VNode {
  return drawnOnce("line", series, options, () => xyChart("line", "lineChart", series, options));
}

/**
 * An area chart: as {@link lineChart}, filled down to zero (the y axis
 * includes zero unless `y.zero` is false).
 *
 * @example
 * areaChart({ name: "requests", points: hours.map((h) => [h.start, h.count]) }, { y: { label: "requests", unit: "/h" } })
 */
export function areaChart(series: Series | readonly Series[], options: ChartOptions = {}): VNode {
  return drawnOnce("area", series, options, () => xyChart("area", "areaChart", series, options));
}

/**
 * A scatter chart: one dot per point, a hover title each (up to `hover`).
 *
 * @example
 * scatterChart({ name: "cars", points: cars.map((c) => [c.weight, c.mpg]) }, { x: { label: "weight", unit: "kg" }, y: { label: "consumption", unit: "mpg" } })
 */
export function scatterChart(series: Series | readonly Series[], options: ChartOptions = {}): VNode {
  return drawnOnce("scatter", series, options, () => xyChart("scatter", "scatterChart", series, options));
}

/**
 * A bar chart: one bar per category, grouped side by side when there are
 * several series; the y axis starts at zero; each bar has a hover title.
 *
 * @example
 * barChart({ name: "sales", values: [["Jan", 120], ["Feb", 98], ["Mar", 143]] }, { y: { label: "sales", unit: "k€" } })
 */
export function barChart(series: BarSeries | readonly BarSeries[], options: ChartOptions = {}): VNode {
  return drawnOnce("bar", series, options, () => drawBars(series, options));
}

function drawBars(series: BarSeries | readonly BarSeries[], options: ChartOptions): VNode {
  const list = Array.isArray(series) ? (series as readonly BarSeries[]) : [series as BarSeries];
  for (const s of list) {
    if (!s || typeof s.name !== "string" || !Array.isArray(s.values)) {
      throw new UsageError(`barChart(series): each series is { name: string, values: [category, value][] }, got ${JSON.stringify(s)?.slice(0, 80)}. Example: barChart({ name: "sales", values: [["Jan", 120], ["Feb", 98]] }).`);
    }
  }
  const showLegend = options.legend ?? list.length > 1;
  const f = frame(options, showLegend);
  const categories = [...new Set(list.flatMap((s) => s.values.map((v) => String(v[0]))))];
  const outer = scaleBand<string>().domain(categories).range([f.left, f.right]).paddingInner(0.2).paddingOuter(0.1);
  const inner = scaleBand<string>().domain(list.map((s) => s.name)).range([0, outer.bandwidth()]).padding(list.length > 1 ? 0.08 : 0);
  const y = yAxis(list.flatMap((s) => s.values.map((v) => v[1])), options, f, true);
  const zero = y.scale(Math.max(y.d0, Math.min(0, y.d1)));
  const bars = list.map((s, i) =>
    h("g", { key: `s${i}`, class: "rv-series", fill: colorOf(s, i) },
      s.values.map(([c, v]) => {
        if (!Number.isFinite(v)) return null;
        const top = y.scale(v);
        return h("rect", { key: String(c), x: num(outer(String(c))! + inner(s.name)!), y: num(Math.min(top, zero)), width: num(inner.bandwidth()), height: num(Math.abs(zero - top)) },
          h("title", {}, `${list.length > 1 ? `${s.name}, ` : ""}${c}: ${y.exact(v)}`));
      })));
  return svg("bar", f, options, [
    ...axes(f, { band: true, scale: (c: string) => outer(c)!, categories, width: outer.bandwidth() }, y, options),
    h("g", { key: "plot", class: "rv-plot" }, bars),
    showLegend ? legend(f, list.map((s, i) => ({ name: s.name, color: colorOf(s, i) }))) : null,
  ]);
}

/**
 * A histogram of `values`: about `bins` bins (default 20) on round
 * boundaries, counts on the y axis, a hover title per bin.
 *
 * @example
 * histogram(this.latencies, { bins: 30, x: { label: "latency", unit: "ms" }, y: { label: "requests" } })
 */
export function histogram(values: readonly number[], options: ChartOptions & { bins?: number; name?: string; color?: string } = {}): VNode {
  return drawnOnce("histogram", values, options, () => drawHistogram(values, options));
}

function drawHistogram(values: readonly number[], options: ChartOptions & { bins?: number; name?: string; color?: string }): VNode {
  if (!Array.isArray(values)) throw new UsageError(`histogram(values): values must be an array of numbers, got ${typeof values}. Example: histogram([12, 15, 9, 22]).`);
  const finite = values.filter((v) => Number.isFinite(v));
  const f = frame(options, false);
  const bins = options.bins ?? 20;
  const xs = scaleLinear().range([f.left, f.right]);
  const [lo = 0, hi = 1] = options.x?.domain?.map(Number) ?? (finite.length ? extent(finite) : [0, 1]);
  xs.domain([lo, hi === lo ? lo + 1 : hi]);
  if (!options.x?.domain) xs.nice(bins);
  const edges = xs.ticks(bins);
  const [d0, d1] = xs.domain() as [number, number];
  if (edges[0]! > d0) edges.unshift(d0);
  if (edges.at(-1)! < d1) edges.push(d1);
  const counts = new Array<number>(edges.length - 1).fill(0);
  for (const v of finite) {
    if (v < d0 || v > d1) continue;
    let i = edges.findIndex((e, k) => k > 0 && v < e) - 1;
    if (i < 0) i = counts.length - 1;
    counts[i]!++;
  }
  const y = yAxis(counts, options, f, true);
  const fx = formatter(options.x, xs.tickFormat(bins));
  const x = { scale: (v: number) => xs(v), d0, d1, ticks: xs.ticks(Math.min(bins, options.x?.ticks ?? 8)), format: fx, exact: fx };
  const name = options.name ?? "count";
  return svg("histogram", f, options, [
    ...axes(f, x, y, options),
    h("g", { key: "plot", class: "rv-plot rv-series", fill: options.color ?? PALETTE[0] },
      counts.map((n, i) => {
        const x0 = xs(edges[i]!) + 0.5;
        const x1 = xs(edges[i + 1]!) - 0.5;
        return h("rect", { key: String(edges[i]!), x: num(x0), y: num(y.scale(n)), width: num(Math.max(0, x1 - x0)), height: num(y.scale(0) - y.scale(n)) },
          h("title", {}, `${fx(edges[i]!)} – ${fx(edges[i + 1]!)}: ${n} ${name === "count" ? (n === 1 ? "value" : "values") : name}`));
      })),
  ]);
}

/**
 * A word-sized line without axes, for a table cell or a KPI: the last value
 * marked, min, max and last in its hover title.
 *
 * @example
 * h("td", {}, sparkline(row.history, { title: "visits, last 30 days" }))
 */
export function sparkline(values: readonly number[], options: SparklineOptions = {}): VNode {
  return drawnOnce("sparkline", values, options, () => drawSparkline(values, options));
}

/** Options of {@link sparkline}. */
export interface SparklineOptions {
  width?: number;
  height?: number;
  color?: string;
  title?: string;
  unit?: string;
}

function drawSparkline(values: readonly number[], options: SparklineOptions): VNode {
  if (!Array.isArray(values)) throw new UsageError(`sparkline(values): values must be an array of numbers, got ${typeof values}. Example: sparkline([3, 5, 4, 8]).`);
  const width = positive(options.width ?? 120, "width");
  const height = positive(options.height ?? 28, "height");
  const finite = values.filter((v) => Number.isFinite(v));
  const [lo, hi] = extent(finite);
  const x = scaleLinear().domain([0, Math.max(1, values.length - 1)]).range([2, width - 4]);
  const y = scaleLinear().domain(lo === hi ? [lo - 1, hi + 1] : [lo, hi]).range([height - 3, 3]);
  const pts = values.map((v, i) => [i, v] as [number, number]);
  const d = d3line<[number, number]>().defined((p) => Number.isFinite(p[1])).x((p) => x(p[0])).y((p) => y(p[1])).digits(1)(pts) ?? "";
  const last = values.length ? values[values.length - 1]! : NaN;
  const color = options.color ?? PALETTE[0]!;
  const unit = options.unit ? ` ${options.unit}` : "";
  const summary = finite.length ? `min ${num(lo)}${unit}, max ${num(hi)}${unit}, last ${Number.isFinite(last) ? num(last) + unit : "none"}` : "no data";
  return h("svg", { class: "rv-sparkline", viewBox: `0 0 ${width} ${height}`, width, height, role: "img", "aria-label": options.title ? `${options.title}: ${summary}` : summary },
    h("title", {}, options.title ? `${options.title}: ${summary}` : summary),
    h("path", { d, fill: "none", stroke: color, "stroke-width": 1.5, "stroke-linejoin": "round" }),
    Number.isFinite(last) ? h("circle", { cx: num(x(values.length - 1)), cy: num(y(last)), r: 2, fill: color }) : null);
}
