import type { Context } from "koa";
import type { Logger } from "../session/logger.js";
import type { PubSub } from "../session/pubsub.js";
import type { SessionStore } from "../session/store.js";

/** How long `GET /api/status` waits for the store's and the pubsub's `ping()` before it answers 503. */
export const PING_TIMEOUT_MS = 2_000;

/** The body of `GET /api/status` (docs/protocol.md §7). */
export interface StatusBody {
  /** `ok` (200); `draining` (503: `close()` has started); `unavailable` (503: the store or the pubsub does not answer). */
  status: "ok" | "draining" | "unavailable";
  /** This process's node id (the `node` option). */
  node: string;
  /** Seconds since the server was created. */
  uptime: number;
  /** Sessions this process holds: live, hibernated and pending. */
  sessions: number;
  /** What is wrong, when `status` is `unavailable`. */
  reason?: string;
  /**
   * Present when new sessions were refused at `maxSessions` in the last 10 s
   * (pages already open go on; the status stays `ok`, so a balancer does not
   * take those pages' node away): a sign to add capacity, or of a flood from
   * one client (cap it at the proxy).
   */
  full?: true;
}

/**
 * Whether this process should get traffic, as a balancer's health check asks
 * it: not while it drains (`close()` started), nor while the session store or
 * the pubsub (Redis, in a cluster) cannot be reached — a node that cannot
 * read sessions would only answer errors. Each backend is asked with its
 * optional `ping()`; concurrent checks share one round of pings, so a burst
 * of checks costs one round trip to each.
 */
export class Health {
  private draining = false;
  private round: Promise<string | undefined> | undefined;
  /** The last problem seen, so that a failure and the recovery are each logged once. */
  private problem: string | undefined;

  constructor(
    private readonly backends: { store: SessionStore; pubsub: PubSub },
    private readonly logger: Logger,
    private readonly timeoutMs = PING_TIMEOUT_MS,
  ) {}

  /** From now on the node answers 503 `draining` (it is shutting down). */
  drain(): void {
    this.draining = true;
  }

  get isDraining(): boolean {
    return this.draining;
  }

  /** Undefined while both backends answer; else what is wrong, in a few words. */
  check(): Promise<string | undefined> {
    return (this.round ??= this.ping().finally(() => (this.round = undefined)));
  }

  /** The `GET /api/status` handler (HEAD too): no cookie, no session, no origin check. */
  route(describe: () => Omit<StatusBody, "status" | "reason">): (ctx: Context) => Promise<void> {
    return async (ctx) => {
      const problem = this.draining ? undefined : await this.check();
      const status: StatusBody["status"] = this.draining ? "draining" : problem ? "unavailable" : "ok";
      ctx.set("Cache-Control", "no-store");
      ctx.status = status === "ok" ? 200 : 503;
      ctx.body = { status, ...describe(), ...(problem ? { reason: problem } : {}) } satisfies StatusBody;
    };
  }

  private async ping(): Promise<string | undefined> {
    const { store, pubsub } = this.backends;
    const [storeErr, pubsubErr] = await Promise.all([this.reach(store.ping?.bind(store)), this.reach(pubsub.ping?.bind(pubsub))]);
    // The reason a balancer's log shows: which backend, not its error (which may name hosts or credentials); the server's log has the error.
    const problem = storeErr ? "the session store does not answer" : pubsubErr ? "the pubsub does not answer" : undefined;
    if (problem && problem !== this.problem) {
      this.logger.error(`[revue] GET /api/status answers 503 while ${problem} (its ping failed: ${String((storeErr ?? pubsubErr) as unknown)}). Check that Redis (or your backend) is up and reachable from this process.`);
    } else if (!problem && this.problem) {
      this.logger.warn(`[revue] GET /api/status answers 200 again: the session store and the pubsub answer.`);
    }
    this.problem = problem;
    return problem;
  }

  /** Undefined when `ping` resolves within the timeout (or is not implemented); else the error. */
  private async reach(ping: (() => Promise<void>) | undefined): Promise<unknown> {
    if (!ping) return undefined;
    let timer: ReturnType<typeof setTimeout> | undefined;
    const late = new Promise<Error>((resolve) => (timer = setTimeout(() => resolve(new Error(`no answer within ${this.timeoutMs} ms`)), this.timeoutMs)));
    try {
      // (then: a ping that throws instead of rejecting is a failure too, not a 500)
      return await Promise.race([Promise.resolve().then(ping).then(() => undefined, (err: unknown) => err ?? new Error("ping rejected")), late]);
    } finally {
      clearTimeout(timer);
    }
  }
}
