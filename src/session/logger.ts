/**
 * Where Revue reports handler failures and contract warnings. Defaults to `console`.
 *
 * @example
 * createServer(App, { logger: { warn: (m, ...r) => log.warn(m, ...r), error: (m, ...r) => log.error(m, ...r) } });
 */
export interface Logger {
  warn(message: string, ...rest: unknown[]): void;
  error(message: string, ...rest: unknown[]): void;
}

/**
 * Keeps one failure that repeats from filling the log: per kind (the same
 * method failing with the same class of error: a message may name the
 * session or quote input), `perWindow` (10) are logged each
 * `windowMs` (a minute); later ones are counted, and the first one logged in
 * the next window says how many were not. A page clicking a button whose
 * handler throws wrote 720 bytes of stack per click, unbounded.
 *
 * @example
 * const repeats = new RepeatedErrors(logger);
 * repeats.error("Shop.buy\0TypeError", "[revue] Shop.buy failed (error 1f2e):", err);
 */
export class RepeatedErrors {
  private readonly kinds = new Map<string, { since: number; logged: number; hidden: number }>();

  constructor(
    private readonly logger: Logger,
    private readonly now: () => number = Date.now,
    private readonly windowMs = 60_000,
    private readonly perWindow = 10,
  ) {}

  error(kind: string, message: string, err: unknown): void {
    const t = this.now();
    let k = this.kinds.get(kind);
    if (!k || t - k.since >= this.windowMs) {
      const hidden = k?.hidden ?? 0;
      if (!k && this.kinds.size >= 1_000) this.kinds.delete(this.kinds.keys().next().value!); // the oldest kind
      this.kinds.set(kind, (k = { since: t, logged: 0, hidden: 0 }));
      if (hidden > 0) message += ` (${hidden} more like it in the ${Math.round(this.windowMs / 1000)} s before were not logged)`;
    }
    if (k.logged >= this.perWindow) {
      if (++k.hidden === 1) this.logger.error(`${message.replace(/:$/, "")}; more like it in the next ${Math.round((this.windowMs - (t - k.since)) / 1000)} s are counted, not logged:`, err);
      return;
    }
    k.logged++;
    this.logger.error(message, err);
  }
}
