import { afterEach, beforeEach, describe, expect, it, vi } from "vitest";
import { mount, type TestSession } from "revue/testing";
import { Dashboard, WINDOW, type Sample } from "../../examples/dashboard/app.js";

let t: TestSession<Dashboard> | undefined;
beforeEach(() => {
  // Only the ticker's interval is faked: the harness still settles on real setImmediate.
  vi.useFakeTimers({ toFake: ["setInterval", "clearInterval"] });
});
afterEach(async () => {
  await t?.unmount();
  t = undefined;
  vi.useRealTimers();
});

const sample = (load: number, rss: number, rps: number, at = 0): Sample => ({ at, load, rss, rps });
const points = (s: TestSession<Dashboard>, series: string) => s.find(`svg#chart polyline.${series}`)!.getAttribute("points");

describe("examples/dashboard", () => {
  it("first shows an empty chart, waiting for data", async () => {
    t = await mount(Dashboard);
    expect(t.text("#latest")).toBe("waiting for data…");
    expect(t.find("svg#chart")!.getAttribute("viewBox")).toBe("0 0 300 100");
    expect(t.findAll("svg#chart polyline").map((p) => p.getAttribute("class"))).toEqual(["load", "rss", "rps"]);
    for (const s of ["load", "rss", "rps"]) expect(points(t, s)).toBe("");
  });

  it("draws pushed samples: newest at the right edge, each series scaled to its own maximum", async () => {
    t = await mount(Dashboard);
    await t.emit("metrics", sample(1, 50, 100));
    await t.emit("metrics", sample(2, 100, 50));
    expect(points(t, "load")).toBe("294.9,50 300,5");
    expect(points(t, "rss")).toBe("294.9,50 300,5");
    expect(points(t, "rps")).toBe("294.9,5 300,50");
    expect(t.text("#latest")).toBe("load 2.00 · rss 100.0 MB · 50 req/s");
  });

  it("updates the lines in place: a tick is attrs and text ops, never a replace", async () => {
    t = await mount(Dashboard);
    await t.emit("metrics", sample(1, 1, 1));
    const from = t.ops.length;
    await t.emit("metrics", sample(2, 2, 2));
    const kinds = new Set(t.ops.slice(from).flat().map((op) => op.op));
    expect([...kinds].sort()).toEqual(["attrs", "text"]);
  });

  it("keeps only the last minute of samples", async () => {
    t = await mount(Dashboard);
    for (let i = 1; i <= WINDOW + 5; i++) await t.emit("metrics", sample(i, i, i, i));
    expect(t.app.samples).toHaveLength(WINDOW);
    expect(t.app.samples[0]!.at).toBe(6);
    expect(points(t, "load")!.split(" ")).toHaveLength(WINDOW);
    expect(points(t, "load")!.split(" ")[0]).toMatch(/^0,/);
  });

  it("ignores malformed samples", async () => {
    t = await mount(Dashboard);
    await t.emit("metrics", { load: "x" });
    await t.emit("metrics", null);
    expect(t.app.samples).toEqual([]);
    expect(t.text("#latest")).toBe("waiting for data…");
  });

  it("the start handler runs one ticker that pushes a real sample to every dashboard session each second; stop clears it", async () => {
    t = await mount(Dashboard);
    const other = await t.another();
    expect(Dashboard.timer).toBeDefined();
    vi.advanceTimersByTime(1000);
    await t.settle();
    vi.advanceTimersByTime(1000);
    await t.settle();
    for (const s of [t, other]) {
      expect(s.app.samples).toHaveLength(2);
      expect(s.text("#latest")).toMatch(/^load \d+\.\d\d · rss \d+\.\d MB · \d+ req\/s$/);
      expect(points(s, "rps")!.split(" ")).toHaveLength(2);
    }
    const rps = t.app.samples.map((s) => s.rps);
    expect(rps.every((v) => v >= 0 && v <= 200)).toBe(true);
    await other.unmount();
    await t.unmount();
    t = undefined;
    expect(Dashboard.timer).toBeUndefined();
    expect(vi.getTimerCount()).toBe(0);
  });
});
