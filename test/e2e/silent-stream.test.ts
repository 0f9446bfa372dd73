import { createServer as createTcp, connect, type Server, type Socket } from "node:net";
import type { AddressInfo } from "node:net";
import { expect, it } from "vitest";
import { App, createServer, h, server } from "revue";
import { connected, describeE2E } from "./browser.js";

class News extends App {
  // A page's CSS that gives every div a display: the reconnecting flag must stay hidden all the same.
  static override css = "div { display: flex }";
  headline = "none yet";
  @server.on("news") heard(text: string) {
    this.headline = text;
  }
  override render() {
    return h("main", {}, h("p", { id: "headline" }, this.headline));
  }
}

/**
 * A TCP proxy in front of the server that can go silent on the page's open
 * streams while keeping their connections open, as a proxy whose upstream
 * died (or a network that changed under a laptop) may: no byte, no close.
 * Connections opened after `silence()` pass through as before.
 */
async function silencingProxy(upstream: number): Promise<{ port: number; silence(): number; close(): Promise<void> }> {
  const streams = new Set<{ up: Socket; down: Socket }>();
  const all = new Set<Socket>();
  const proxy: Server = createTcp((down) => {
    const up = connect(upstream, "127.0.0.1");
    all.add(down).add(up);
    const pair = { up, down };
    // A kept-alive connection may carry the page's other requests first: any request on it for a stream marks it.
    down.on("data", (chunk: Buffer) => {
      if (/(^|\r\n)GET [^ ]*\/api\/sse\//.test(chunk.toString("latin1"))) streams.add(pair);
    });
    down.pipe(up);
    up.pipe(down);
    const end = () => {
      streams.delete(pair);
      up.destroy();
      down.destroy();
    };
    up.on("error", end).on("close", end);
    down.on("error", end).on("close", end);
  });
  await new Promise<void>((r) => proxy.listen(0, "127.0.0.1", r));
  return {
    port: (proxy.address() as AddressInfo).port,
    silence() {
      // What the server writes from now on is read and dropped; the page's side stays open.
      for (const { up, down } of streams) {
        up.unpipe(down);
        up.on("data", () => {});
      }
      const n = streams.size;
      streams.clear();
      return n;
    },
    close: () =>
      new Promise<void>((r) => {
        for (const s of all) s.destroy();
        proxy.close(() => r());
      }),
  };
}

describeE2E("a stream gone silent in Chromium", (e2e) => {
  it("is reopened by the page's watchdog after 2.5 keep-alive intervals, and the page gets what it missed", async () => {
    const srv = createServer(News, { heartbeatMs: 400, logger: { warn() {}, error() {} } });
    const url = new URL(await srv.listen(0, "127.0.0.1"));
    const proxy = await silencingProxy(Number(url.port));
    e2e.defer(async () => {
      await proxy.close();
      await srv.close();
    });
    const page = await e2e.page();
    await page.goto(`http://127.0.0.1:${proxy.port}/`);
    await connected(page);
    const sid = await page.evaluate(() => window.rv.session);
    expect(await page.locator("#rv-rc").isVisible()).toBe(false);

    expect(proxy.silence()).toBe(1);
    srv.emit("news", "sent while the stream was silent");
    // The keep-alive every 400 ms stops reaching the page: it gives up on the stream after 1 s and
    // opens another, which replays the patch from the last id it had.
    await expect.poll(() => page.locator("#headline").textContent(), { timeout: 10_000 }).toBe("sent while the stream was silent");
    expect(await page.evaluate(() => window.rv.session)).toBe(sid);
    srv.emit("news", "and after");
    await expect.poll(() => page.locator("#headline").textContent(), { timeout: 5_000 }).toBe("and after");
    expect(await page.locator("#rv-rc").isVisible()).toBe(false);
    // The server gone: the flag shows.
    await srv.close();
    await expect.poll(() => page.locator("#rv-rc").isVisible(), { timeout: 5_000 }).toBe(true);
  });
});
