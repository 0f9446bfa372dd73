import { existsSync, mkdirSync } from "node:fs";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { chromium, type Browser, type BrowserContext, type BrowserContextOptions, type Page } from "playwright-core";
import { afterAll, afterEach, beforeAll, describe, it } from "vitest";
import { createServer, type AppClass, type ServerHandle } from "revue";

/**
 * Shared plumbing of the end-to-end tests: one headless Chromium per test
 * file, contexts and servers closed after every test, a screenshot of every
 * open page when a test fails, and the skip policy when Chromium is missing.
 *
 * @example
 * describeE2E("counter", (e2e) => {
 *   it("counts", async () => {
 *     const { url } = await e2e.serve(Counter);
 *     const page = await e2e.page();
 *     await page.goto(url);
 *   });
 * });
 */

/** Debian's Chromium; `REVUE_CHROMIUM` points elsewhere (or nowhere, to try the skip path). */
export const chromiumPath = process.env.REVUE_CHROMIUM ?? "/usr/bin/chromium";
export const hasChromium = existsSync(chromiumPath);
/** CI sets `REVUE_E2E=required`: a missing browser is then a failure, not a skip. */
export const e2eRequired = process.env.REVUE_E2E === "required";
export const installHint = "Install it with: apt-get install -y chromium";

const here = dirname(fileURLToPath(import.meta.url));
export const screenshotDir = join(here, "__screenshots__");

const launchArgs = [
  "--headless",
  "--no-sandbox",
  "--disable-gpu",
  "--disable-background-networking",
  "--disable-component-update",
  "--no-first-run",
  "--disable-quic",
  "--disable-sync",
];

/** Servers started by tests don't log expected noise (dropped streams, refused calls). */
const quiet = { logger: { warn() {}, error() {} } };

type Apps = AppClass | Record<string, AppClass>;

export interface E2E {
  /** The file's browser (launched in `beforeAll`). */
  readonly browser: Browser;
  /** A new context (own cookies), closed after the test. */
  context(options?: BrowserContextOptions): Promise<BrowserContext>;
  /** A page in a new context. */
  page(options?: BrowserContextOptions): Promise<Page>;
  /** Starts an in-process server (closed after the test); `port` reuses a port, e.g. after a simulated restart. */
  serve(apps: Apps, port?: number): Promise<{ srv: ServerHandle; url: string; port: number }>;
  /** Closes a server now (a restart), and forgets it. */
  stop(srv: ServerHandle): Promise<void>;
  /** Runs `fn` after this test, once failure screenshots are taken (e.g. to stop a child process). */
  defer(fn: () => unknown): void;
}

/** A file-safe version of a test's full name. */
export function screenshotName(name: string): string {
  return name.replace(/[^\w.-]+/g, "_").replace(/^_+|_+$/g, "").slice(0, 150) || "test";
}

/**
 * `describe` for tests that drive Chromium. Without Chromium it reports the
 * suite as skipped with a banner (or fails it when `REVUE_E2E=required`).
 */
export function describeE2E(name: string, body: (e2e: E2E) => void): void {
  if (!hasChromium) {
    const why = `e2e skipped: Chromium not found. ${installHint} (looked for ${chromiumPath})`;
    if (e2eRequired) {
      describe(name, () => {
        it("needs Chromium (REVUE_E2E=required)", () => {
          throw new Error(`REVUE_E2E=required but Chromium was not found at ${chromiumPath}. ${installHint}`);
        });
      });
      return;
    }
    const bar = "=".repeat(why.length);
    console.warn(`\n${bar}\n${why}\n${bar}\n`);
    describe.skip(`${name} (skipped: Chromium not found)`, () => body(unavailable()));
    return;
  }

  let browser: Browser | undefined;
  let contexts: BrowserContext[] = [];
  let servers: ServerHandle[] = [];
  let deferred: Array<() => unknown> = [];

  const e2e: E2E = {
    get browser() {
      if (!browser) throw new Error("the browser is launched in beforeAll");
      return browser;
    },
    async context(options) {
      const ctx = await e2e.browser.newContext(options);
      contexts.push(ctx);
      return ctx;
    },
    async page(options) {
      return (await e2e.context(options)).newPage();
    },
    async serve(apps, port = 0) {
      const srv = createServer(apps, quiet);
      servers.push(srv);
      const url = await srv.listen(port, "127.0.0.1");
      return { srv, url, port: Number(new URL(url).port) };
    },
    async stop(srv) {
      servers = servers.filter((s) => s !== srv);
      await srv.close();
    },
    defer(fn) {
      deferred.push(fn);
    },
  };

  describe(name, () => {
    beforeAll(async () => {
      browser = await chromium.launch({ executablePath: chromiumPath, args: launchArgs });
    });

    afterEach(async (ctx) => {
      const failed = ctx.task.result?.state === "fail";
      if (failed) await screenshotAll(contexts, screenshotName(ctx.task.name));
      const open = contexts;
      contexts = [];
      await Promise.all(open.map((c) => c.close().catch(() => {})));
      const running = servers;
      servers = [];
      await Promise.all(running.map((s) => s.close().catch(() => {})));
      for (const fn of deferred.splice(0).reverse()) await fn();
    });

    afterAll(async () => {
      await browser?.close();
    });

    body(e2e);
  });
}

/** Saves `<name>.png` (and `<name>-<n>.png` for further pages) into `__screenshots__`. */
async function screenshotAll(contexts: BrowserContext[], name: string): Promise<void> {
  const pages = contexts.flatMap((c) => c.pages()).filter((p) => !p.isClosed());
  if (!pages.length) return;
  mkdirSync(screenshotDir, { recursive: true });
  await Promise.all(pages.map(async (page, i) => {
    const path = join(screenshotDir, `${name}${i ? `-${i + 1}` : ""}.png`);
    await page.screenshot({ path, fullPage: true, timeout: 5000 }).then(
      () => console.warn(`[e2e] failure screenshot: ${path}`),
      (err: Error) => console.warn(`[e2e] no screenshot for ${name}: ${err.message}`),
    );
  }));
}

/** The E2E of a skipped suite: its tests never run, so nothing here is reached. */
function unavailable(): E2E {
  const fail = () => {
    throw new Error(`Chromium not found. ${installHint}`);
  };
  return { get browser(): Browser { return fail(); }, context: fail, page: fail, serve: fail, stop: fail, defer: fail };
}

/** Resolves after `ms`. For asserting that something does *not* happen. */
export const sleep = (ms: number) => new Promise<void>((r) => setTimeout(r, ms));

/** Waits until the page's runtime is hydrated and its stream is open. */
export async function connected(page: Page): Promise<void> {
  await page.waitForFunction(() => !!window.rv && window.rv.connected, undefined, { timeout: 15_000 });
  await page.evaluate(() => window.rv.ready);
}
