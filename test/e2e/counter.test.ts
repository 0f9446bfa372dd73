import { expect, it } from "vitest";
import type { Page } from "playwright-core";
import { Counter } from "../../examples/counter/app.js";
import { connected, describeE2E, sleep } from "./browser.js";

/** Marks this page load: a reload or navigation would lose it. */
const mark = (page: Page) => page.evaluate(() => ((window as any).__e2eMark = "kept"));
const sameLoad = (page: Page) =>
  page.evaluate(() => ({ mark: (window as any).__e2eMark, navigations: performance.getEntriesByType("navigation").length }));

const count = (page: Page) => page.locator("#count");

describeE2E("counter in Chromium", (e2e) => {
  /** A counter page, connected, marked, at 1. */
  const openAtOne = async () => {
    const server = await e2e.serve(Counter);
    const page = await e2e.page();
    await page.goto(server.url);
    await connected(page);
    await mark(page);
    await page.click("#inc");
    await expect.poll(() => count(page).textContent()).toBe("1");
    return { ...server, page };
  };

  it("counts clicks on #inc and resets through the rpc", async () => {
    const { url } = await e2e.serve(Counter);
    const page = await e2e.page();
    await page.goto(url);
    await expect.poll(() => count(page).textContent()).toBe("0");
    await connected(page);
    for (let i = 0; i < 3; i++) await page.click("#inc");
    await expect.poll(() => count(page).textContent()).toBe("3");
    await page.click("#reset");
    await expect.poll(() => count(page).textContent()).toBe("0");
  });

  it("keeps a click made while the network is down for longer than its first tries, and it counts once when the network is back", async () => {
    const { url } = await e2e.serve(Counter);
    const context = await e2e.context();
    const page = await context.newPage();
    await page.goto(url);
    await connected(page);
    const cdp = await context.newCDPSession(page);
    await cdp.send("Network.enable");
    await cdp.send("Network.emulateNetworkConditions", { offline: true, latency: 0, downloadThroughput: -1, uploadThroughput: -1 });
    await page.click("#inc");
    await sleep(8_000); // the first five tries (250 ms doubling) are over after 4 s
    await cdp.send("Network.emulateNetworkConditions", { offline: false, latency: 0, downloadThroughput: -1, uploadThroughput: -1 });
    await expect.poll(() => count(page).textContent(), { timeout: 15_000 }).toBe("1");
    await page.click("#inc");
    await expect.poll(() => count(page).textContent()).toBe("2");
  });

  it("recovers a stream killed by the server without a reload and without losing a message", async () => {
    const { srv, page } = await openAtOne();
    // What the page hears: lifecycle changes and a custom event sent during the outage.
    await page.evaluate(() => {
      const log: string[] = ((window as any).__e2eLog = []);
      window.rv.on("disconnect", () => log.push("disconnect"));
      window.rv.on("connect", () => log.push("connect"));
      window.rv.on("tick", (d: unknown) => log.push(`tick ${(d as { n: number }).n}`));
    });

    expect(srv.dropStreams()).toBe(1);
    // Sent while the page has no stream: it must come back through Last-Event-ID replay.
    srv.emit("tick", { n: 1 });
    // One click at once (the page may not have noticed yet), one once it has (buffered until reconnected).
    await page.click("#inc");
    await page.waitForFunction(() => !window.rv.connected, undefined, { timeout: 5000 });
    expect(await page.locator(".rv-reconnecting").isVisible()).toBe(true);
    await page.click("#inc");
    srv.emit("tick", { n: 2 });

    await expect.poll(() => count(page).textContent(), { timeout: 15_000 }).toBe("3");
    await expect.poll(() => page.evaluate(() => window.rv.connected)).toBe(true);
    const log = await page.evaluate(() => (window as any).__e2eLog as string[]);
    expect(log.filter((e) => e.startsWith("tick"))).toEqual(["tick 1", "tick 2"]);
    expect(log).toContain("disconnect");
    expect(log.lastIndexOf("connect")).toBeGreaterThan(log.indexOf("disconnect"));
    expect(await sameLoad(page)).toEqual({ mark: "kept", navigations: 1 });
    await expect(page.locator(".rv-reconnecting:visible").count()).resolves.toBe(0);

    // Still live after the recovery, and nothing is applied twice.
    await page.click("#inc");
    await expect.poll(() => count(page).textContent()).toBe("4");
    await sleep(300);
    expect(await count(page).textContent()).toBe("4");
  });

  it("replays what it missed when a reconnect was refused with an HTTP error (a proxy's 502)", async () => {
    const { srv, page } = await openAtOne();
    await page.evaluate(() => {
      const log: string[] = ((window as any).__e2eLog = []);
      window.rv.on("tick", (d: unknown) => log.push(`tick ${(d as { n: number }).n}`));
    });
    // The stream's reconnects get a 502, which closes the EventSource for good: the runtime opens a fresh one.
    let refused = 0;
    await page.route("**/api/sse/**", (route) => (refused++, route.fulfill({ status: 502, body: "bad gateway" })));
    srv.dropStreams();
    await page.waitForFunction(() => !window.rv.connected);
    srv.emit("tick", { n: 1 });
    await page.click("#inc");
    await expect.poll(() => refused).toBeGreaterThan(0);
    await page.unroute("**/api/sse/**");

    await expect.poll(() => page.evaluate(() => window.rv.connected), { timeout: 15_000 }).toBe(true);
    await expect.poll(() => count(page).textContent()).toBe("2");
    await expect.poll(() => page.evaluate(() => (window as any).__e2eLog)).toEqual(["tick 1"]);
    expect(await sameLoad(page)).toEqual({ mark: "kept", navigations: 1 });
  });

  it("re-bootstraps a new session in place after a server restart", async () => {
    const { page, ...first } = await openAtOne();
    const oldSid = await page.evaluate(() => window.rv.session);

    await e2e.stop(first.srv);
    await e2e.serve(Counter, first.port);

    // The old session is gone: the page gets a new one, rendered from fresh state.
    await expect.poll(() => page.evaluate(() => window.rv.session), { timeout: 20_000 }).not.toBe(oldSid);
    await expect.poll(() => count(page).textContent()).toBe("0");
    await expect.poll(() => page.evaluate(() => window.rv.connected), { timeout: 15_000 }).toBe(true);
    expect(await sameLoad(page)).toEqual({ mark: "kept", navigations: 1 });
    expect(page.url()).toBe(first.url + "/");

    await page.click("#inc");
    await expect.poll(() => count(page).textContent()).toBe("1");
  });

  it("runs clicks made while the server is down in the new session, once each", async () => {
    const { page, ...first } = await openAtOne();

    await e2e.stop(first.srv);
    await page.click("#inc");
    await page.click("#inc");
    await sleep(300);
    await e2e.serve(Counter, first.port);

    // The queued calls are re-sent to the new session (fresh state: 0 + 2).
    await expect.poll(() => count(page).textContent(), { timeout: 20_000 }).toBe("2");
    await sleep(500);
    expect(await count(page).textContent()).toBe("2");
    expect(await sameLoad(page)).toEqual({ mark: "kept", navigations: 1 });
  });

  /** Records `ready`, `connect` and the app's own ready hook, from before the runtime runs. */
  const recordLifecycle = (page: Page) =>
    page.addInitScript(() => {
      const order: string[] = ((window as any).__e2eOrder = []);
      const log = console.log.bind(console);
      console.log = (...args: unknown[]) => {
        if (args[0] === "counter hydrated") order.push("hydrated");
        log(...args);
      };
      Object.defineProperty(window, "rv", {
        configurable: true,
        get: () => undefined,
        set(rv) {
          Object.defineProperty(window, "rv", { value: rv, writable: true, configurable: true, enumerable: true });
          rv.on("ready", () => order.push("ready"));
          rv.on("connect", () => order.push("connect"));
        },
      });
    });

  const lifecycleOrder = async (page: Page) => {
    await connected(page);
    await sleep(200);
    return page.evaluate(() => (window as any).__e2eOrder as string[]);
  };

  it("fires ready before connect", async () => {
    const { url } = await e2e.serve(Counter);
    const page = await e2e.page();
    await recordLifecycle(page);
    await page.goto(url);
    expect(await lifecycleOrder(page)).toEqual(["ready", "hydrated", "connect"]);
  });

  it("fires ready before connect on a throttled network", async () => {
    const { url } = await e2e.serve(Counter);
    const context = await e2e.context();
    const page = await context.newPage();
    const cdp = await context.newCDPSession(page);
    await cdp.send("Network.enable");
    await cdp.send("Network.emulateNetworkConditions", { offline: false, latency: 300, downloadThroughput: 50_000, uploadThroughput: 50_000 });
    await recordLifecycle(page);
    await page.goto(url);
    expect(await lifecycleOrder(page)).toEqual(["ready", "hydrated", "connect"]);
    // The throttled page is fully usable.
    await page.click("#inc");
    await expect.poll(() => count(page).textContent(), { timeout: 10_000 }).toBe("1");
  });
});
