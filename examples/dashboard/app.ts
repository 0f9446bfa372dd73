import { loadavg } from "node:os";
import { App, h, server } from "revue";

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
const UNITS: Record<(typeof SERIES)[number], (v: number) => string> = {
  load: (v) => `load ${v.toFixed(2)}`,
  rss: (v) => `rss ${v.toFixed(1)} MB`,
  rps: (v) => `${Math.round(v)} req/s`,
};
/** How many samples the chart shows: the last minute. */
export const WINDOW = 60;
const W = 300, H = 100, PAD = 5;
/** Sessions showing the dashboard: the ticker emits to this room only, not to every app's sessions. */
const ROOM = "dashboard";

/** What `@server.on("start")` receives: the server handle (`createServer`'s, or the test harness's). */
interface Broadcaster {
  to(room: string): { emit(event: string, data?: unknown): void };
}

/**
 * Live server-pushed metrics drawn as an inline SVG chart. One timer per
 * process (started by the static `@server.on("start")`, cleared by `"stop"`)
 * samples the metrics every second and emits them; each session keeps the
 * last {@link WINDOW} samples and re-renders, so each tick is one `attrs`
 * patch per line plus the text of `#latest`.
 */
export class Dashboard extends App {
  static override title = "Revue · dashboard";
  static override css =
    "body{font:15px system-ui,sans-serif;max-width:40em;margin:2em auto}" +
    "#chart{width:100%;height:auto;border:1px solid #ddd;background:#fcfcfc}#chart polyline{fill:none;stroke-width:1.5}" +
    ".load{stroke:#d33;color:#d33}.rss{stroke:#36c;color:#36c}.rps{stroke:#2a2;color:#2a2}.legend span{margin-right:1em}";

  static timer: ReturnType<typeof setInterval> | undefined;
  private static walk = 100;

  samples: Sample[] = [];

  @server.on("start") static begin(srv: Broadcaster | undefined) {
    if (!srv) return;
    clearInterval(Dashboard.timer);
    Dashboard.timer = setInterval(() => srv.to(ROOM).emit("metrics", Dashboard.sample()), 1000);
    Dashboard.timer.unref?.();
  }

  @server.on("stop") static end() {
    clearInterval(Dashboard.timer);
    Dashboard.timer = undefined;
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

  /** The polyline of one series: newest at the right edge, scaled to the series' own maximum in the window. */
  points(series: (typeof SERIES)[number]): string {
    const n = this.samples.length;
    const max = Math.max(...this.samples.map((s) => s[series]), 1e-9);
    return this.samples
      .map((s, i) => `${round(W - ((n - 1 - i) * W) / (WINDOW - 1))},${round(H - PAD - (s[series] / max) * (H - 2 * PAD))}`)
      .join(" ");
  }

  override render() {
    const last = this.samples.at(-1);
    return h("main", {},
      h("h1", {}, "Dashboard"),
      h("svg", { id: "chart", viewBox: `0 0 ${W} ${H}`, role: "img", "aria-label": "metrics over the last minute" },
        SERIES.map((k) => h("polyline", { key: k, class: k, points: this.points(k) }))),
      h("p", { class: "legend" }, SERIES.map((k) => h("span", { key: k, class: k }, `— ${k}`))),
      h("p", { id: "latest" }, last ? SERIES.map((k) => UNITS[k](last[k])).join(" · ") : "waiting for data…"));
  }
}

const round = (v: number) => Math.round(v * 10) / 10;
