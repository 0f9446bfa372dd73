import { createRequire } from "node:module";
import type { Context } from "koa";
import { RevueError, UsageError } from "../errors.js";
import type { AppStats, ServerStats } from "./stats.js";

/**
 * What Revue needs of a `prom-client` `Registry` (declared here so that
 * Revue's types do not require prom-client, an optional peer dependency).
 */
export interface MetricsRegistry {
  registerMetric(metric: any): void;
  removeSingleMetric(name: string): void;
  metrics(): Promise<string>;
  readonly contentType: string;
}

/** The `metrics` option: `true` for a registry of Revue's own, or your `prom-client` `Registry` to add Revue's metrics to. */
export type MetricsOption = boolean | MetricsRegistry;

/** What this file uses of prom-client (its types are not imported: the package may be missing). */
interface Metric {
  reset(): void;
}
interface GaugeLike extends Metric {
  set(labels: Record<string, string>, value: number): void;
}
interface CounterLike extends Metric {
  inc(labels: Record<string, string>, value: number): void;
}
type MetricClass<M> = new (config: { name: string; help: string; labelNames: string[]; registers: unknown[]; collect(): void }) => M;
interface PromClient {
  Registry: new () => MetricsRegistry;
  Gauge: MetricClass<GaugeLike>;
  Counter: MetricClass<CounterLike>;
}

/** Labels and value of one sample: a metric's `fill` gives one per app (and state, kind, type). */
type Sample = (labels: Record<string, string>, value: number) => void;

const SESSION_STATES = ["live", "pending", "hibernated"] as const;

/**
 * Revue's Prometheus metrics (through `prom-client`), served at `GET /metrics`:
 * gauges and counters mirroring `srv.stats()`, labelled by app (its mount
 * path). Their values are read from `srv.stats()` when scraped, once per
 * scrape however many metrics there are; nothing is counted twice.
 */
export class Metrics {
  readonly registry: MetricsRegistry;
  private readonly names: string[] = [];
  private cached: ServerStats | undefined;

  constructor(
    option: true | MetricsRegistry,
    private readonly read: () => ServerStats,
    /** How prom-client is loaded (a test gives one that fails, as for a missing package). */
    load: (id: string) => unknown = createRequire(import.meta.url),
  ) {
    const client = loadPromClient(load);
    this.registry = option === true ? new client.Registry() : option;
    const perApp = (value: (a: AppStats) => number) => (sample: Sample, s: ServerStats) => {
      for (const [app, a] of Object.entries(s.apps)) sample({ app }, value(a));
    };
    const gauge = (name: string, help: string, labelNames: string[], fill: (sample: Sample, s: ServerStats) => void) =>
      this.define(name, () => {
        const metric: GaugeLike = new client.Gauge({ name, help, labelNames, registers: [], collect: () => this.collect(metric, (l, v) => metric.set(l, v), fill) });
        return metric;
      });
    const counter = (name: string, help: string, labelNames: string[], fill: (sample: Sample, s: ServerStats) => void) =>
      this.define(name, () => {
        // A counter is mirrored from Revue's own count: reset, then set to it (counters only go up, and so does that count).
        const metric: CounterLike = new client.Counter({ name, help, labelNames, registers: [], collect: () => this.collect(metric, (l, v) => metric.inc(l, v), fill) });
        return metric;
      });

    gauge("revue_sessions", "Sessions held by this process, by app and state (live, pending, hibernated).", ["app", "state"], (sample, s) => {
      for (const [app, a] of Object.entries(s.apps)) for (const state of SESSION_STATES) sample({ app, state }, a.sessions[state]);
    });
    gauge("revue_streams_open", "SSE streams open now (connected pages), by app.", ["app"], perApp((a) => a.streams));
    gauge("revue_rooms", "Rooms with at least one member, by app.", ["app"], perApp((a) => a.rooms.count));
    gauge("revue_room_members", "Room memberships (a session in three rooms counts three), by app.", ["app"], perApp((a) => a.rooms.members));
    gauge("revue_queued_calls", "Page calls accepted and not finished yet, by app.", ["app"], perApp((a) => a.queuedCalls));
    counter("revue_messages_in_total", "Page calls accepted, by app and kind (realtime, rpc, emit).", ["app", "kind"], (sample, s) => {
      for (const [app, a] of Object.entries(s.apps)) for (const [kind, n] of Object.entries(a.messagesIn)) sample({ app, kind }, n);
    });
    counter("revue_messages_out_total", "Messages sent to pages, by app and type (init, patch, call, event, error, bye).", ["app", "type"], (sample, s) => {
      for (const [app, a] of Object.entries(s.apps)) for (const [type, n] of Object.entries(a.messagesOut)) sample({ app, type }, n);
    });
    counter("revue_bytes_sent_total", "Bytes written to SSE streams, by app.", ["app"], perApp((a) => a.bytesSent));
    gauge("revue_uptime_seconds", "Seconds since the server was created, labelled with its node id.", ["node"], (sample, s) => sample({ node: s.node }, s.uptime));
    gauge("revue_draining", "1 while the server shuts down (close() has started), else 0.", [], (sample, s) => sample({}, s.draining ? 1 : 0));
  }

  /** The `GET /metrics` handler: the registry in the Prometheus text format. */
  route(): (ctx: Context) => Promise<void> {
    return async (ctx) => {
      ctx.body = await this.registry.metrics();
      ctx.set("Content-Type", this.registry.contentType);
      ctx.set("Cache-Control", "no-store");
    };
  }

  /** Takes Revue's metrics out of the registry (a registry given by the app outlives this server). */
  close(): void {
    for (const name of this.names.splice(0)) this.registry.removeSingleMetric(name);
  }

  private define(name: string, make: () => Metric): void {
    const metric = make();
    try {
      this.registry.registerMetric(metric);
    } catch (err) {
      this.close();
      throw new RevueError(
        "BAD_REQUEST",
        `createServer({ metrics }): the registry already has a metric named "${name}" (${(err as Error).message}) — another Revue server in this process registered it. ` +
          `Give each server its own Registry (or metrics: true), or close() the other server first.`,
        { cause: err },
      );
    }
    this.names.push(name);
  }

  /**
   * Refills one metric from the stats. One scrape collects every metric in
   * the same tick, so they share one `stats()` (one walk over the sessions);
   * the next scrape reads afresh.
   */
  private collect(metric: Metric, sample: Sample, fill: (sample: Sample, s: ServerStats) => void): void {
    if (!this.cached) {
      this.cached = this.read();
      queueMicrotask(() => (this.cached = undefined));
    }
    metric.reset();
    fill(sample, this.cached);
  }
}

/** prom-client, or a UsageError saying how to install it. */
function loadPromClient(load: (id: string) => unknown): PromClient {
  try {
    return load("prom-client") as PromClient;
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== "MODULE_NOT_FOUND") throw err;
    throw new UsageError(
      "createServer({ metrics }): Prometheus metrics are served through prom-client, which is not installed. Install it (npm install prom-client), or leave the metrics option out.",
      { cause: err },
    );
  }
}

/** Whether `value` is a usable `metrics` option; throws a RevueError naming what was passed otherwise. */
export function checkMetricsOption(value: unknown): value is true | MetricsRegistry {
  if (value === undefined || value === false) return false;
  if (value === true) return true;
  const r = value as Partial<MetricsRegistry> | null;
  if (typeof r === "object" && r !== null && typeof r.registerMetric === "function" && typeof r.metrics === "function" && typeof r.removeSingleMetric === "function") return true;
  throw new RevueError(
    "BAD_REQUEST",
    `createServer options: metrics must be true, false or a prom-client Registry (new Registry() from "prom-client"), got ${typeof value === "object" ? "an object that is not a Registry" : JSON.stringify(value)}.`,
  );
}
