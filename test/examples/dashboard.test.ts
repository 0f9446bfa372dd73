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

const T0 = Date.UTC(2026, 10, 29, 12, 0, 0);
const sample = (load: number, rss: number, rps: number, at = T0): Sample => ({ at, load, rss, rps });
/** The hover titles of one metric's chart: one per point. */
const titles = (s: TestSession<Dashboard>, metric: string) => s.findAll(`#chart-${metric} .rv-hover title`).map((e) => e.textContent);

describe("examples/dashboard", () => {
  it("shows a sample from its first page on: the one the server took when it started", async () => {
    t = await mount(Dashboard);
    expect(Dashboard.history).toHaveLength(1);
    expect(t.app.samples).toEqual(Dashboard.history);
    expect(t.text("#latest-rss .rv-metric-value")).toMatch(/^\d+\.\d MB$/);
    for (const m of ["load", "rss", "rps"]) expect(titles(t, m)).toHaveLength(1);
    expect(t.findAll("svg.rv-chart").map((s) => s.getAttribute("aria-label"))).toEqual(["Load average (1 min), last minute", "Memory (resident set), last minute", "Requests (simulated), last minute"]);
  });

  it("draws pushed samples with a time axis, units and a hover title per point", async () => {
    t = await mount(Dashboard);
    t.app.samples = [];
    await t.emit("metrics", sample(1, 50, 100, T0));
    await t.emit("metrics", sample(2, 100.25, 50, T0 + 1000));
    expect(titles(t, "rss")).toEqual(["Memory (resident set): 2026-11-29 12:00:00, 50 MB", "Memory (resident set): 2026-11-29 12:00:01, 100.25 MB"]);
    expect(titles(t, "rps")).toEqual(["Requests (simulated): 2026-11-29 12:00:00, 100 req/s", "Requests (simulated): 2026-11-29 12:00:01, 50 req/s"]);
    expect(t.findAll("#chart-rps .rv-axis-y text").at(-1)!.textContent).toBe("100 req/s");
    expect(t.findAll("#chart-rps .rv-axis-y text")[0]!.textContent).toBe("0 req/s"); // requests start at zero
    expect(t.text("#latest-load .rv-metric-value")).toBe("2.00");
    expect(t.text("#latest-rps .rv-metric-value")).toBe("50 req/s");
  });

  it("patches a tick as the new piece of each line and a few attributes: never a replace, a small part of the page", async () => {
    t = await mount(Dashboard);
    t.app.samples = [];
    for (let i = 0; i < WINDOW; i++) await t.emit("metrics", sample(1 + (i % 3), 100 + i, 80 + (i % 7), T0 + i * 1000));
    const page = t.html().length;
    const from = t.ops.length;
    await t.emit("metrics", sample(2, 130, 84, T0 + WINDOW * 1000));
    const ops = t.ops.slice(from).flat();
    expect(ops.some((op) => op.op === "replace")).toBe(false);
    expect(JSON.stringify(ops).length).toBeLessThan(page / 5);
  });

  it("keeps only the last minute of samples", async () => {
    t = await mount(Dashboard);
    for (let i = 1; i <= WINDOW + 5; i++) await t.emit("metrics", sample(i, i, i, T0 + i * 1000));
    expect(t.app.samples).toHaveLength(WINDOW);
    expect(t.app.samples[0]!.at).toBe(T0 + 6000);
    expect(titles(t, "load")).toHaveLength(WINDOW);
  });

  it("ignores malformed samples", async () => {
    t = await mount(Dashboard);
    const before = t.app.samples.length;
    await t.emit("metrics", { load: "x" });
    await t.emit("metrics", null);
    expect(t.app.samples).toHaveLength(before);
  });

  it("the start handler runs one ticker that pushes a real sample to every dashboard session each second; stop clears it", async () => {
    t = await mount(Dashboard);
    const other = await t.another();
    expect(Dashboard.timer).toBeDefined();
    const start = t.app.samples.length;
    vi.advanceTimersByTime(1000);
    await t.settle();
    vi.advanceTimersByTime(1000);
    await t.settle();
    for (const s of [t, other]) {
      expect(s.app.samples.length).toBeGreaterThanOrEqual(start + 2);
      expect(s.text("#latest-rss .rv-metric-value")).toMatch(/^\d+\.\d MB$/);
    }
    expect(Dashboard.history.length).toBe(start + 2);
    const rps = t.app.samples.map((s) => s.rps);
    expect(rps.every((v) => v >= 0 && v <= 200)).toBe(true);
    await other.unmount();
    await t.unmount();
    t = undefined;
    expect(Dashboard.timer).toBeUndefined();
    expect(Dashboard.history).toEqual([]);
    expect(vi.getTimerCount()).toBe(0);
  });
});
