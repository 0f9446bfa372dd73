import { afterEach, expect, it } from "vitest";
import { App, h, server, type VNode } from "revue";
import { areaChart, barChart, histogram, lineChart, scatterChart, sparkline, type Point } from "revue/ui";
import { mount, type TestSession } from "revue/testing";

let t: TestSession<App> | undefined;
afterEach(async () => {
  await t?.unmount();
  t = undefined;
});

/** Mounts a page showing `draw()`. */
async function page(draw: () => VNode): Promise<TestSession<App>> {
  class Page extends App {
    override render() {
      return h("main", {}, draw());
    }
  }
  t = (await mount(Page)) as TestSession<App>;
  return t;
}

const texts = (s: TestSession<App>, selector: string) => s.findAll(selector).map((e) => e.textContent);
const T0 = Date.UTC(2026, 10, 29, 12, 0, 0);

it("draws a line chart with axes, ticks with units, axis titles, a legend and a hover title per point", async () => {
  const cpu: Point[] = [[new Date(T0), 20], [new Date(T0 + 30_000), 45], [new Date(T0 + 60_000), 30]];
  const io: Point[] = [[new Date(T0), 5], [new Date(T0 + 60_000), 10]];
  const s = await page(() => lineChart([{ name: "CPU", points: cpu }, { name: "IO", points: io, color: "#123456" }], { title: "Load", x: { label: "time (UTC)" }, y: { label: "usage", unit: "%" } }));
  const svg = s.find("svg.rv-chart")!;
  expect(svg.getAttribute("aria-label")).toBe("Load");
  expect(svg.querySelector(":scope > title")!.textContent).toBe("Load");
  expect(texts(s, ".rv-axis-y text")).toEqual(["0%", "10%", "20%", "30%", "40%", "50%"]);
  expect(texts(s, ".rv-axis-x text")).toEqual(["12 PM", ":15", ":30", ":45", "12:01"]);
  expect(texts(s, ".rv-axis-title")).toEqual(["time (UTC)", "usage (%)"]);
  expect(texts(s, ".rv-legend text")).toEqual(["CPU", "IO"]);
  expect(s.findAll(".rv-legend rect").map((r) => r.getAttribute("fill"))).toEqual(["#4e79a7", "#123456"]);
  expect(texts(s, ".rv-hover title")).toEqual(["CPU: 2026-11-29 12:00:00, 20%", "CPU: 2026-11-29 12:00:30, 45%", "CPU: 2026-11-29 12:01:00, 30%", "IO: 2026-11-29 12:00:00, 5%", "IO: 2026-11-29 12:01:00, 10%"]);
  expect(s.findAll(".rv-series path").every((p) => p.getAttribute("vector-effect") === "non-scaling-stroke")).toBe(true);
});

it("draws area, scatter, bar, histogram and sparkline with what each shows on hover", async () => {
  const s = await page(() =>
    h("div", {},
      areaChart({ name: "rps", points: [[0, 1], [1, 3], [2, 2]] }, { y: { unit: "/s" } }),
      scatterChart({ name: "cars", points: [[1000, 30], [1500, 22], [1000, 31]] }, { x: { unit: "kg" } }),
      barChart([{ name: "2025", values: [["Jan", 120], ["Feb", 98]] }, { name: "2026", values: [["Jan", 130], ["Feb", 110]] }], { y: { unit: "k€" } }),
      histogram([1, 2, 2, 3, 3, 3, 9], { bins: 4, x: { unit: "ms" } }),
      sparkline([3, 5, 4, 8], { title: "visits" })));
  expect(s.find(".rv-chart-area .rv-axis-y text")!.textContent).toBe("0 /s"); // an area starts at zero; whole values get whole ticks
  expect(s.findAll(".rv-chart-area .rv-series path[stroke=none]").length).toBeGreaterThan(0); // its fill, under its line
  expect(texts(s, ".rv-chart-scatter .rv-hover title")).toEqual(["cars: 1,000 kg, 30", "cars: 1,500 kg, 22", "cars: 1,000 kg, 31"]); // two points at one x: both kept
  expect(texts(s, ".rv-chart-bar rect title")).toEqual(["2025, Jan: 120 k€", "2025, Feb: 98 k€", "2026, Jan: 130 k€", "2026, Feb: 110 k€"]);
  expect(texts(s, ".rv-chart-bar .rv-axis-x text")).toEqual(["Jan", "Feb"]);
  const bins = texts(s, ".rv-chart-histogram rect title");
  expect(bins).toEqual(["0 ms – 2 ms: 1 value", "2 ms – 4 ms: 5 values", "4 ms – 6 ms: 0 values", "6 ms – 8 ms: 0 values", "8 ms – 10 ms: 1 value"]);
  expect(s.find(".rv-sparkline title")!.textContent).toBe("visits: min 3, max 8, last 8");
});

it("draws small counts as counts: hover titles without a decimal the ticks needed, and all-zero counts from 0 up", async () => {
  const s = await page(() =>
    h("div", {},
      barChart({ name: "votes", values: [["Rust", 1], ["Go", 2]] }),
      barChart({ name: "none yet", values: [["Rust", 0], ["Go", 0]] }, { class: "zero" })));
  // The ticks of 0–2 are 0.0, 0.2, … and were the titles' format too ("Rust: 1.0").
  expect(texts(s, ".rv-chart-bar rect title").slice(0, 2)).toEqual(["Rust: 1", "Go: 2"]);
  const zero = s.findAll(".rv-chart-bar")[1]!;
  const ticks = [...zero.querySelectorAll(".rv-axis-y text")].map((e) => Number(e.textContent));
  expect(Math.min(...ticks)).toBe(0);
  expect(Math.max(...ticks)).toBe(1);
});

/** A live chart: a sliding window of `n` samples, one more per tick. */
function live(n: number) {
  class Live extends App {
    samples: Point[] = Array.from({ length: n }, (_, i) => [T0 + i * 1000, 50 + 30 * Math.sin(i / 7)] as Point);
    @server.rpc tick() {
      const i = this.samples.length ? Number(this.samples.at(-1)![0]) / 1000 - T0 / 1000 + 1 : 0;
      this.samples = [...this.samples.slice(1), [T0 + i * 1000, 50 + 30 * Math.sin(i / 7)]];
    }
    override render() {
      return h("main", {}, lineChart({ name: "rps", points: this.samples }, { x: { time: true }, y: { unit: "/s", domain: [0, 100] } }));
    }
  }
  return Live;
}

it("patches a live chart that gains a point (and drops its oldest) with a small part of the drawing, not the whole SVG", async () => {
  for (const n of [200, 1000]) {
    const s = await mount(live(n));
    const whole = s.find("svg")!.outerHTML.length;
    const sizes: number[] = [];
    for (let k = 0; k < 10; k++) {
      const before = s.ops.length;
      await s.rpc("tick");
      await s.settle();
      sizes.push(JSON.stringify(s.ops.slice(before)).length);
    }
    sizes.sort((a, b) => a - b);
    const median = sizes[5]!;
    console.log(`[live chart] ${n} points${n <= 500 ? " with hover titles" : ""}: SVG ${whole} B, patch per point median ${median} B (${((median / whole) * 100).toFixed(1)} %), max ${sizes.at(-1)} B`);
    expect(median).toBeLessThan(whole / 10);
    expect(median).toBeLessThan(3000);
    await s.unmount();
  }
});

it("says what is wrong with the data or the size", () => {
  expect(() => lineChart([{ name: "a" } as never])).toThrow('lineChart(series): each series is { name: string, points: [x, y][] }, got {"name":"a"}. Example: lineChart({ name: "CPU", points: [[0, 12], [1, 15]] }).');
  expect(() => barChart({ name: "a", values: 3 } as never)).toThrow(/barChart\(series\): each series is \{ name: string, values: \[category, value\]\[\] \}/);
  expect(() => lineChart({ name: "a", points: [] }, { width: -5 })).toThrow("chart: option width must be a positive number of pixels, got -5.");
  expect(() => lineChart({ name: "a", points: [] }, { width: 60 })).toThrow(/chart: 60 × 260 leaves no room for the plot; make it at least/);
  expect(() => histogram("1,2" as never)).toThrow(/histogram\(values\): values must be an array of numbers/);
});

it("labels a bar chart of counts with whole numbers only (a poll's 0 and 1 votes read 0.2, 0.4, … between)", async () => {
  const s = await page(() => barChart({ name: "votes", values: [["Vue", 1], ["Svelte", 0], ["React", 1]] }, { y: { label: "votes", zero: true } }));
  expect(texts(s, ".rv-axis-y text")).toEqual(["0", "1"]);
  const big = await page(() => barChart({ name: "visits", values: [["Mon", 1200], ["Tue", 3400]] }));
  expect(texts(big, ".rv-axis-y text")).toEqual(["0", "500", "1,000", "1,500", "2,000", "2,500", "3,000", "3,500"]);
  const fractions = await page(() => barChart({ name: "load", values: [["a", 0.3], ["b", 0.9]] }));
  expect(texts(fractions, ".rv-axis-y text")[1]).toBe("0.2");
});

it("draws a chart again only when its data or options changed, value by value: points pushed in place and a date moved are seen", async () => {
  const { MemoCache } = await import("../../src/vdom/index.js");
  const cache = new MemoCache();
  const text = (v: VNode): string => (v.type === "text" ? v.text : (v.text ?? "") + v.children.map(text).join(""));
  const titles = (v: VNode): string[] => (v.type === "text" ? [] : [...(v.tag === "title" ? [text(v)] : []), ...v.children.flatMap(titles)]);
  const points: Point[] = [[0, 1], [1, 3]];
  const line = (title = "CPU") => cache.render(() => lineChart({ name: "cpu", points }, { title, y: { unit: "%" } }));
  const first = line();
  // The same data and options, in new objects: last render's subtree, which the diff does not walk.
  expect(line()).toBe(first);
  points.push([2, 7]);
  const grown = line();
  expect(grown).not.toBe(first);
  expect(titles(grown)).toContain("cpu: 2, 7%");
  (points[2] as [number, number])[1] = 8;
  expect(titles(line())).toContain("cpu: 2, 8%");
  expect(titles(line("Load"))).toContain("Load");

  const at = new Date(Date.UTC(2026, 10, 29, 12));
  const timed = () => cache.render(() => lineChart({ name: "t", points: [[at, 1], [new Date(at.getTime() + 60_000), 2]] }));
  const before = timed();
  expect(timed()).toBe(before);
  at.setUTCHours(13);
  expect(titles(timed()).join(" ")).toContain("13:00");

  const bars = (v: number) => cache.render(() => barChart({ name: "votes", values: [["yes", v], ["no", 2]] }));
  const one = bars(1);
  expect(bars(1)).toBe(one);
  expect(titles(bars(5))).toContain("yes: 5");
  const spark = (values: number[]) => cache.render(() => sparkline(values, { title: "visits" }));
  const s1 = spark([1, 2, 3]);
  expect(spark([1, 2, 3])).toBe(s1);
  expect(spark([1, 2, 4])).not.toBe(s1);
});
