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
