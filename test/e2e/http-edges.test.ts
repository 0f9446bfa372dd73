import { createServer as createHttpServer, type IncomingHttpHeaders, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { expect, it } from "vitest";
import { createServer, type ServerOptions } from "revue";
import { Counter } from "../../examples/counter/app.js";
import { selfSignedCert, startProxy } from "../server/proxy.js";
import { connected, describeE2E } from "./browser.js";

const quiet = { logger: { warn() {}, error() {} } };

/** Listens on 127.0.0.1 with `handler`; closed after the test. */
async function listen(handler: Parameters<typeof createHttpServer>[1]): Promise<{ server: Server; port: number }> {
  const server = createHttpServer(handler);
  await new Promise<void>((r) => server.listen(0, "127.0.0.1", r));
  return { server, port: (server.address() as AddressInfo).port };
}

const close = (server: Server) => new Promise<void>((r) => (server.closeAllConnections(), server.close(() => r())));

describeE2E("HTTP edges in Chromium", (e2e) => {
  /** The counter app, with the headers of every request it received. */
  async function app(options: ServerOptions = {}) {
    const srv = createServer(Counter, { ...quiet, ...options });
    const seen: Array<{ method: string; url: string; headers: IncomingHttpHeaders; status?: number }> = [];
    const handler = srv.callback();
    const { server, port } = await listen((req, res) => {
      const entry: (typeof seen)[number] = { method: req.method!, url: req.url!, headers: req.headers };
      seen.push(entry);
      res.on("finish", () => (entry.status = res.statusCode));
      handler(req, res);
    });
    e2e.defer(async () => {
      await close(server);
      await srv.close();
    });
    return { srv, seen, port };
  }

  it("follows a link from another site to the app, and the page then works", async () => {
    const { seen, port } = await app();
    // Another site: "localhost" and "127.0.0.1" are different sites to the browser.
    const other = await listen((_req, res) => {
      res.writeHead(200, { "content-type": "text/html" });
      res.end(`<!doctype html><title>elsewhere</title><a id="go" href="http://127.0.0.1:${port}/">the counter</a>`);
    });
    e2e.defer(() => close(other.server));

    const page = await e2e.page();
    await page.goto(`http://localhost:${other.port}/`);
    await page.click("#go");
    await page.waitForURL(`http://127.0.0.1:${port}/`);
    const visit = seen.find((r) => r.url === "/")!;
    expect(visit.headers["sec-fetch-site"]).toBe("cross-site");
    expect(visit.headers["sec-fetch-mode"]).toBe("navigate");

    await connected(page);
    await page.click("#inc");
    await page.click("#inc");
    await expect.poll(() => page.locator("#count").textContent()).toBe("2");
    // The page's own calls were same-origin, with the cookie set by the cross-site visit.
    const call = seen.find((r) => r.url === "/api/event")!;
    expect(call.headers["sec-fetch-site"]).toBe("same-origin");
    expect(call.headers.cookie).toMatch(/rv_token=/);
  });

  it("another site's fetch() of the page or of the API is refused, and creates no session", async () => {
    const { srv, seen, port } = await app();
    const other = await listen((_req, res) => res.writeHead(200, { "content-type": "text/html" }).end("<!doctype html><title>elsewhere</title>"));
    e2e.defer(() => close(other.server));
    const page = await e2e.page();
    await page.goto(`http://localhost:${other.port}/`);
    await page.evaluate(async (base) => {
      // no-cors: the page cannot read the answers; the server's side is checked below.
      await fetch(base + "/", { mode: "no-cors", credentials: "include" });
      await fetch(base + "/api/session", { method: "POST", body: "{}", headers: { "content-type": "text/plain" }, mode: "no-cors", credentials: "include" });
    }, `http://127.0.0.1:${port}`);
    expect(seen.map((r) => [r.method, r.url, r.headers["sec-fetch-site"], r.status])).toEqual([
      ["GET", "/", "cross-site", 403],
      ["POST", "/api/session", "cross-site", 403],
    ]);
    expect([...srv.hubs.get("")!.sessions()]).toHaveLength(0);
  });

  it("behind an https proxy with trustProxy, the page calls, streams and gets a Secure __Host- cookie", async () => {
    const { port } = await app({ trustProxy: true });
    const proxy = await startProxy(`http://127.0.0.1:${port}`, selfSignedCert());
    e2e.defer(() => proxy.close());
    const context = await e2e.context({ ignoreHTTPSErrors: true });
    const page = await context.newPage();
    await page.goto(`${proxy.url}/`);
    await connected(page);
    await page.click("#inc");
    await expect.poll(() => page.locator("#count").textContent()).toBe("1");
    await page.click("#reset"); // an rpc, awaited by a @client.callback
    await expect.poll(() => page.locator("#count").textContent()).toBe("0");
    const cookies = await context.cookies(proxy.url);
    expect(cookies.map((c) => ({ name: c.name, secure: c.secure, httpOnly: c.httpOnly }))).toEqual([{ name: "__Host-rv_token", secure: true, httpOnly: true }]);
  });

  it("behind an https proxy without trustProxy, the page's calls are refused (the option is needed)", async () => {
    const { port } = await app();
    const proxy = await startProxy(`http://127.0.0.1:${port}`, selfSignedCert());
    e2e.defer(() => proxy.close());
    const context = await e2e.context({ ignoreHTTPSErrors: true });
    const page = await context.newPage();
    await page.goto(`${proxy.url}/`);
    await connected(page);
    const answer = page.waitForResponse((r) => r.url().endsWith("/api/event"));
    await page.click("#inc");
    expect((await answer).status()).toBe(403);
    expect((await context.cookies(proxy.url)).map((c) => ({ name: c.name, secure: c.secure }))).toEqual([{ name: "rv_token", secure: false }]);
  });
});
