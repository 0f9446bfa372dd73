import { randomBytes } from "node:crypto";
import { existsSync, readFileSync } from "node:fs";
import type { ServerResponse } from "node:http";
import { join, sep } from "node:path";
import { fileURLToPath } from "node:url";
import type { Context, Middleware } from "koa";
import { loggedWhenExposed, RevueError } from "../errors.js";
import type { Logger } from "../session/logger.js";
import { contentSecurityPolicy } from "./page.js";

/**
 * Development mode: what `revue dev` adds to a server. Errors are printed in
 * the terminal and shown in the page, and the app's own `listen()` is served
 * once, on revue dev's port.
 *
 * - `GET /__revue/dev` — an event stream for open pages: a `boot` frame names
 *   this start of the server (and its startup error, if the app failed to
 *   start), `fault` frames carry server-side failures the page would not see
 *   otherwise (a re-bootstrap whose render threw).
 * - `GET /__revue/dev-overlay.js` — the overlay module (client/dev-overlay.ts),
 *   added to every page in development, outside the budgeted runtime.
 * - a page whose first render throws is answered with an error page (the
 *   error, its stack, and the overlay module that reloads it after the next
 *   good save) instead of JSON, and the error is printed.
 */

/** Routes of development mode. */
export const DEV_CHANNEL = "/__revue/dev";
export const DEV_OVERLAY = "/__revue/dev-overlay.js";

/**
 * What `revue dev` installs in the process it runs, before it imports the
 * app's entry. A global symbol, not a module variable: an entry that loads a
 * second copy of Revue still finds it.
 */
export interface DevHost {
  /** The port revue dev serves on, whatever port the app's own `listen()` asks for. */
  readonly port: number;
  /** This start of the process; open pages compare it to notice a restart. */
  readonly boot: string;
  /** The server whose `listen()` took the port: the first to listen in this process. */
  served?: { askedPort: number; listening: Promise<string>; close(): Promise<void> };
}

const HOST = Symbol.for("revue.dev.host");

/** The dev host of this process, when it runs under `revue dev`. */
export function devHost(): DevHost | undefined {
  return (globalThis as { [HOST]?: DevHost })[HOST];
}

/**
 * Marks this process as run by `revue dev` (src/cli/serve.ts calls it first).
 *
 * @example
 * const host = installDevHost(3000);
 * await import(entry);          // its createServer(App).listen(8080) serves on 3000
 * host.served?.listening;       // the URL, if the entry listened itself
 */
export function installDevHost(port: number): DevHost {
  const host: DevHost = { port, boot: randomBytes(6).toString("base64url") };
  (globalThis as { [HOST]?: DevHost })[HOST] = host;
  return host;
}

/**
 * Called by `listen(port)`: under `revue dev`, the first server to listen gets
 * revue dev's port (so an entry ending in `listen(3000)` is served once, where
 * revue dev said), and revue dev learns it need not start one itself.
 * `listening(port)` listens; the result is its promise of the URL.
 *
 * @example
 * listen(port, host) { return claimDevPort(port, (p) => listenOn(p, host), () => handle.close()); }
 */
export function claimDevPort(askedPort: number, listening: (port: number) => Promise<string>, close: () => Promise<void>): Promise<string> {
  const host = devHost();
  if (!host || host.served) return listening(askedPort);
  const served = { askedPort, listening: listening(host.port), close };
  host.served = served;
  return served.listening;
}

/** The boot id of a server in development mode outside `revue dev` (`createServer(App, { dev: true })`). */
const ownBoot = randomBytes(6).toString("base64url");

/** A failure as the overlay shows it. */
export interface DevFault {
  name: string;
  code?: string;
  message: string;
  /** The stack frames in the app's own code (not Node's, a dependency's or Revue's). */
  stack?: string;
  /** Where it happened, e.g. "GET /" or "revue dev: starting src/app.ts". */
  where?: string;
}

/**
 * @example
 * toFault(new RenderError("duplicate key"), "GET /") // { name: "RenderError", code: "RENDER_ERROR", ... }
 */
export function toFault(err: unknown, where?: string): DevFault {
  const e = err instanceof Error ? err : new Error(String(err));
  // The app's own frames: not Node's, not a dependency's, not Revue's (whose message already says where).
  const stack = (e.stack ?? "")
    .split("\n")
    .filter((line) => /^\s+at /.test(line) && !/\(node:|\bnode:internal|[\\/]node_modules[\\/]/.test(line) && !ownFrames.some((dir) => line.includes(dir)))
    .map((line) => line.trim())
    .join("\n");
  return { name: e.name, code: err instanceof RevueError ? err.code : undefined, message: e.message, stack: stack || undefined, where };
}

const escapeHtml = (s: string) => s.replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);

/** The page shown instead of the app when it cannot be rendered (or did not start), in development only. */
export function devErrorPage(fault: DevFault, nonce: string, boot: string): string {
  const css =
    "body{margin:0;background:#0f0f14;color:#eee;font:14px/1.5 ui-monospace,Menlo,Consolas,monospace}" +
    "#rv-dev-overlay{max-width:60em;margin:6vh auto;background:#1d1d22;border-top:4px solid #e5484d;border-radius:6px;padding:1.2em 1.5em}" +
    "h1{margin:0 0 .4em;font-size:18px;color:#ff8f8f}h1 span{margin-left:.6em;font-size:13px;color:#aaa}" +
    ".where,.hint{color:#aaa}pre{white-space:pre-wrap;margin:0 0 1em}.stack{color:#999;font-size:12px}";
  return (
    `<!doctype html><html lang="en"><head><meta charset="utf-8"><title>${escapeHtml(fault.name)} · revue dev</title>` +
    `<style nonce="${nonce}">${css}</style></head><body>` +
    `<div id="rv-dev-overlay" role="alert"><h1>${escapeHtml(fault.name)}${fault.code ? `<span>${escapeHtml(fault.code)}</span>` : ""}</h1>` +
    (fault.where ? `<div class="where">${escapeHtml(fault.where)}</div>` : "") +
    `<pre class="message">${escapeHtml(fault.message)}</pre>` +
    (fault.stack ? `<pre class="stack">${escapeHtml(fault.stack)}</pre>` : "") +
    `<p class="hint">Fix the code and save: this page updates by itself (revue dev).</p></div>` +
    `<script type="module" nonce="${nonce}" src="${DEV_OVERLAY}?boot=${encodeURIComponent(boot)}"></script>` +
    `</body></html>`
  );
}

/** The revue package (this file is src/server/… in a checkout, dist/src/server/… when built). */
const root = (() => {
  const url = new URL(".", import.meta.url);
  const here = url.protocol === "file:" ? fileURLToPath(url) : ((import.meta as { dirname?: string }).dirname ?? process.cwd());
  return here.replace(/[\\/](?:dist[\\/])?src[\\/]server[\\/]?$/, "");
})();
const ownFrames = ["src", "dist", "client"].map((d) => join(root, d) + sep);

let overlayCode: Promise<string> | undefined;

/** The overlay module's code: client/dev-overlay.ts in a checkout (types stripped by esbuild), dist/client/dev-overlay.js when installed. */
export function overlayModule(): Promise<string> {
  overlayCode ??= (async () => {
    const source = `${root}/client/dev-overlay.ts`;
    if (existsSync(source)) {
      try {
        const esbuild = await import("esbuild");
        return (await esbuild.transform(readFileSync(source, "utf8"), { loader: "ts", format: "esm", target: "es2020" })).code;
      } catch {} // no esbuild: fall back to the built file
    }
    const built = `${root}/dist/client/dev-overlay.js`;
    if (existsSync(built)) return readFileSync(built, "utf8");
    throw new Error(`revue dev: the error overlay is missing (${built}). Run "npm run build" in the revue package, or reinstall it.`);
  })();
  overlayCode.catch(() => (overlayCode = undefined));
  return overlayCode;
}

/** Whether a request asks for a page (not the API, not an asset), so an error page can answer it. */
function wantsPage(ctx: Context): boolean {
  return ctx.method === "GET" && !/\/(?:api|rv)\//.test(ctx.path) && ctx.accepts("html", "json") === "html";
}

/**
 * Development mode of one server (see the top of this file).
 *
 * @example
 * const dev = new DevMode(console);
 * koa.use(jsonErrors(logger));
 * koa.use(dev.middleware());   // inside jsonErrors, before the router
 */
export class DevMode {
  private readonly channels = new Set<ServerResponse>();
  readonly boot: string;

  /** `startup`: the app failed to start, and this server only shows why. */
  constructor(
    private readonly logger: Logger,
    private readonly startup?: DevFault,
  ) {
    this.boot = devHost()?.boot ?? ownBoot;
  }

  /** Tells every open page about a server-side failure. */
  broadcast(fault: DevFault): void {
    const frame = `event: fault\ndata: ${JSON.stringify(fault)}\n\n`;
    for (const res of this.channels) res.write(frame);
  }

  /** Ends every open page's channel (EventSource reconnects to the next start). */
  close(): void {
    for (const res of this.channels) res.end();
    this.channels.clear();
  }

  middleware(): Middleware {
    return async (ctx, next) => {
      if (ctx.method === "GET" && ctx.path === DEV_CHANNEL) return this.openChannel(ctx);
      if (ctx.method === "GET" && ctx.path === DEV_OVERLAY) {
        ctx.type = "application/javascript; charset=utf-8";
        ctx.set("Cache-Control", "no-store");
        ctx.set("X-Content-Type-Options", "nosniff");
        ctx.body = await overlayModule();
        return;
      }
      if (this.startup) return this.refuse(ctx, this.startup);
      try {
        await next();
      } catch (err) {
        const status = err instanceof RevueError ? err.status : ((err as { status?: number }).status ?? 500);
        if (status < 500) throw err;
        const fault = toFault(err, `${ctx.method} ${ctx.path}`);
        if (wantsPage(ctx)) {
          this.logger.error(`[revue] ${ctx.method} ${ctx.path} failed; the page shows the error:`, err);
          return this.errorPage(ctx, fault, 500);
        }
        // jsonErrors prints the bugs (a render that threw, with its error id); the rest is printed here, in development only.
        if (!loggedWhenExposed(err)) this.logger.error(`[revue] ${ctx.method} ${ctx.path} failed:`, err);
        this.broadcast(fault);
        throw err;
      }
      // A page is served as bytes (src/server/page.ts); in development, decoding it again costs nothing that matters.
      const body: unknown = ctx.body;
      if (ctx.method === "GET" && (typeof body === "string" || Buffer.isBuffer(body)) && ctx.response.is("html")) ctx.body = this.withOverlay(ctx, body.toString());
    };
  }

  /** Adds the overlay module to a page, signed with the page's CSP nonce. */
  private withOverlay(ctx: Context, html: string): string {
    const nonce = /'nonce-([^']+)'/.exec(ctx.response.get("Content-Security-Policy"))?.[1];
    const tag = `<script type="module"${nonce ? ` nonce="${nonce}"` : ""} src="${DEV_OVERLAY}?boot=${encodeURIComponent(this.boot)}"></script>`;
    const at = html.lastIndexOf("</body>");
    return at < 0 ? html : html.slice(0, at) + tag + html.slice(at);
  }

  private errorPage(ctx: Context, fault: DevFault, status: number): void {
    const nonce = randomBytes(16).toString("base64");
    ctx.status = status;
    ctx.type = "html";
    ctx.set("Content-Security-Policy", contentSecurityPolicy(nonce));
    ctx.set("X-Content-Type-Options", "nosniff");
    ctx.set("Cache-Control", "no-store");
    ctx.body = devErrorPage(fault, nonce, this.boot);
  }

  /**
   * While the app cannot start: pages get the error page; calls and streams get
   * 503 SERVER_CLOSING, which the runtime retries (on the next start, its
   * session is gone and it re-bootstraps).
   */
  private refuse(ctx: Context, fault: DevFault): void {
    if (wantsPage(ctx)) return this.errorPage(ctx, fault, 500);
    ctx.status = 503;
    ctx.set("Retry-After", "1");
    ctx.body = { error: { code: "SERVER_CLOSING", message: `revue dev: the app failed to start (${fault.name}: ${fault.message}). Fix it and save.` } };
  }

  private openChannel(ctx: Context): void {
    if (ctx.get("sec-fetch-site") === "cross-site") {
      ctx.status = 403;
      ctx.body = { error: { code: "FORBIDDEN", message: `GET ${DEV_CHANNEL} refused: Sec-Fetch-Site is "cross-site".` } };
      return;
    }
    const res: ServerResponse = ctx.res;
    ctx.respond = false;
    ctx.req.socket.setTimeout(0);
    res.writeHead(200, { "Content-Type": "text/event-stream; charset=utf-8", "Cache-Control": "no-cache, no-transform", Connection: "keep-alive" });
    // A short retry: after a restart, pages learn of the new start within a moment.
    res.write(`retry: 300\nevent: boot\ndata: ${JSON.stringify({ id: this.boot, error: this.startup ?? null })}\n\n`);
    this.channels.add(res);
    res.on("close", () => this.channels.delete(res));
  }
}
