import { loadavg } from "node:os";
import { App, h, server } from "revue";
import { lineChart, metric, theme } from "revue/ui";
import { backLink } from "../nav.js";

/** One sample of the process's metrics, broadcast every second. */
export interface Sample {
  at: number;
  /** 1-minute load average. */
  load: number;
  /** Resident set size, MB. */
  rss: number;
  /** A simulated requests/s: a bounded random walk. */
  rps: number;
}

export const SERIES = ["load", "rss", "rps"] as const;
type Metric = (typeof SERIES)[number];
/** Each metric's chart: title, unit, and how its latest value reads. */
const METRICS: Record<Metric, { title: string; unit: string; latest: (v: number) => string; zero: boolean }> = {
  load: { title: "Load average (1 min)", unit: "", latest: (v) => v.toFixed(2), zero: true },
  rss: { title: "Memory (resident set)", unit: "MB", latest: (v) => `${v.toFixed(1)} MB`, zero: false },
  rps: { title: "Requests (simulated)", unit: "req/s", latest: (v) => `${Math.round(v)} req/s`, zero: true },
};
/** How many samples a chart shows: the last minute. */
export const WINDOW = 60;
/** Sessions showing the dashboard: the ticker emits to this room only, not to every app's sessions. */
const ROOM = "dashboard";

/** What `@server.on("start")` receives: the server handle (`createServer`'s, or the test harness's). */
interface Broadcaster {
  to(room: string): { emit(event: string, data?: unknown): void };
}

/**
 * Live server-pushed metrics, one chart each (`lineChart` from `revue/ui`:
 * server-side SVG with a time axis, units and a hover title per point). One
 * timer per process (started by the static `@server.on("start")`, cleared by
 * `"stop"`) samples the metrics every second, keeps the last minute in
 * {@link Dashboard.history} and emits each sample; a new session starts from
 * that history, so its first page already shows data. A tick patches the new
 * piece of each line and a few attributes, not the charts.
 */
export class Dashboard extends App {
  static override title = "Revue · dashboard";
  static override css =
    theme +
    ".charts{display:grid;gap:var(--rv-space)}.charts h2{font-size:1rem;margin:0 0 .3rem}";

  static timer: ReturnType<typeof setInterval> | undefined;
  /** The last minute of samples this process took: what a new session starts from. */
  static history: Sample[] = [];
  private static walk = 100;

  samples: Sample[] = [...Dashboard.history];

  @server.on("start") static begin(srv: Broadcaster | undefined) {
    if (!srv) return;
    clearInterval(Dashboard.timer);
    Dashboard.record(Dashboard.sample());
    Dashboard.timer = setInterval(() => srv.to(ROOM).emit("metrics", Dashboard.record(Dashboard.sample())), 1000);
    Dashboard.timer.unref?.();
  }

  /** Keeps `s` in the history (the last {@link WINDOW}); returns it. */
  static record(s: Sample): Sample {
    Dashboard.history = [...Dashboard.history.slice(-(WINDOW - 1)), s];
    return s;
  }

  @server.on("stop") static end() {
    clearInterval(Dashboard.timer);
    Dashboard.timer = undefined;
    Dashboard.history = [];
  }

  /** Takes one sample of this process. */
  static sample(): Sample {
    Dashboard.walk = Math.min(200, Math.max(0, Dashboard.walk + (Math.random() - 0.5) * 30));
    return { at: Date.now(), load: loadavg()[0] ?? 0, rss: process.memoryUsage().rss / 1048576, rps: Dashboard.walk };
  }

  @server.on("connect") subscribe() {
    this.join(ROOM);
  }

  @server.on("metrics") received(s: Sample) {
    if (!s || !SERIES.every((k) => Number.isFinite(s[k]))) return;
    this.samples.push({ at: Number(s.at) || Date.now(), load: s.load, rss: s.rss, rps: s.rps });
    if (this.samples.length > WINDOW) this.samples.splice(0, this.samples.length - WINDOW);
  }

  override render() {
    const last = this.samples.at(-1);
    // A fixed minute ending at the newest sample: a tick slides it by one second (one transform per chart moves).
    const domain = last ? ([last.at - (WINDOW - 1) * 1000, last.at] as const) : undefined;
    return h("main", {},
      backLink(this),
      h("h1", {}, "Dashboard"),
      h("div", { class: "rv-metrics", id: "latest" },
        SERIES.map((k) => {
          const prev = this.samples.at(-2);
          const change = last && prev ? last[k] - prev[k] : undefined;
          return h("div", { key: k, id: `latest-${k}` },
            metric(METRICS[k].title, last ? METRICS[k].latest(last[k]) : "–", {
              delta: change === undefined ? undefined : `${change < 0 ? "−" : "+"}${METRICS[k].latest(Math.abs(change))}`,
              deltaLabel: "in the last second",
              higherIsBetter: k === "rps",
            }));
        })),
      h("div", { class: "charts" },
        SERIES.map((k) =>
          h("section", { key: k, id: `chart-${k}` },
            h("h2", {}, METRICS[k].title),
            lineChart(
              { name: METRICS[k].title, points: this.samples.map((s) => [s.at, s[k]] as const) },
              { title: `${METRICS[k].title}, last minute`, height: 200, x: { time: true, domain }, y: { unit: METRICS[k].unit || undefined, zero: METRICS[k].zero }, hover: WINDOW },
            )))),
      h("p", { class: "rv-muted" }, last ? `Updated every second · times in UTC` : "Waiting for the first sample…"));
  }
}
