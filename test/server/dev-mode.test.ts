import { request as httpRequest } from "node:http";
import { EventSource } from "eventsource";
import { afterEach, describe, expect, it } from "vitest";
import { App, createServer, h, server, type ServerHandle, type ServerOptions } from "revue";
import { DEV_CHANNEL, DEV_OVERLAY, devHost, installDevHost } from "../../src/server/dev-mode.js";
import { until } from "./harness.js";

class Counter extends App<Counter> {
  count = 0;
  @server.realtime increment() {
    this.count++;
  }
  override render() {
    return h("main", {}, h("h1", { id: "count" }, String(this.count)), h("button", { onClick: this.increment }, "+1"));
  }
}

/** Its render binds an arrow: a BindError at every first render. */
class Broken extends App<Broken> {
  override render() {
    return h("main", {}, h("button", { onClick: () => 1 }, "x"));
  }
}

/** Its render reads a field that is not there: a TypeError, not a Revue error. */
class Crashing extends App<Crashing> {
  profile: { name: string } | undefined;
  override render() {
    return h("p", {}, this.profile!.name);
  }
}

const logs: string[] = [];
const logger = { warn: (m: string) => void logs.push(m), error: (m: string, ...rest: unknown[]) => void logs.push([m, ...rest.map(String)].join(" ")) };
const servers: ServerHandle[] = [];
const channels: EventSource[] = [];
afterEach(async () => {
  channels.splice(0).forEach((c) => c.close());
  await Promise.all(servers.splice(0).map((s) => s.close()));
  delete (globalThis as Record<symbol, unknown>)[Symbol.for("revue.dev.host")];
  logs.length = 0;
});

async function serve(app: Parameters<typeof createServer>[0], options: ServerOptions = {}): Promise<string> {
  const srv = createServer(app, { logger, ...options });
  servers.push(srv);
  return srv.listen(0, "127.0.0.1");
}

const page = (url: string) => fetch(url + "/", { headers: { accept: "text/html,application/xhtml+xml" } });

/** Frames of the dev channel, as a page's EventSource receives them. */
function channel(url: string): Array<{ type: string; data: any }> {
  const got: Array<{ type: string; data: any }> = [];
  const es = new EventSource(url + DEV_CHANNEL);
  channels.push(es);
  for (const type of ["boot", "fault"]) es.addEventListener(type, (e) => got.push({ type, data: JSON.parse(e.data) }));
  return got;
}

/** A GET with the Host header given (fetch sets its own). */
function getAs(url: string, host: string, path = "/"): Promise<{ status: number; body: string }> {
  return new Promise((resolve, reject) => {
    const req = httpRequest(url + path, { headers: { host, accept: "application/json" } }, (res) => {
      let body = "";
      res.setEncoding("utf8").on("data", (c) => (body += c)).on("end", () => resolve({ status: res.statusCode!, body }));
    });
    req.on("error", reject).end();
  });
}

describe("development mode", () => {
  it("answers only requests addressed to localhost, an IP address or an allowed name: a rebound DNS name gets 403", async () => {
    const url = await serve(Counter, { dev: true });
    const port = new URL(url).port;
    for (const host of [`localhost:${port}`, `localhost.:${port}`, `app.localhost:${port}`, `127.0.0.1:${port}`, `[::1]:${port}`, `192.168.1.20:${port}`]) {
      expect((await getAs(url, host)).status, host).toBe(200);
    }
    const refused = await getAs(url, `evil.example:${port}`, "/api/status");
    expect(refused.status).toBe(403);
    expect(JSON.parse(refused.body).error.message).toMatch(/came for "evil\.example:\d+".*allowedHosts: \["evil\.example"\]/);
    const allowed = await serve(Counter, { dev: true, allowedHosts: ["myapp.test"] });
    expect((await getAs(allowed, `myapp.test:${new URL(allowed).port}`)).status).toBe(200);
    expect((await getAs(allowed, `other.test:${new URL(allowed).port}`)).status).toBe(403);
    const any = await serve(Counter, { dev: true, allowedHosts: true });
    expect((await getAs(any, "other.test")).status).toBe(200);
    // Production: a proxy decides which names reach the server.
    const prod = await serve(Counter);
    expect((await getAs(prod, "evil.example")).status).toBe(200);
    expect(() => createServer(Counter, { allowedHosts: "myapp.test" as never })).toThrow(/allowedHosts must be a list of host names/);
  });

  it("adds the overlay module to every page, signed with the page's nonce, and serves it", async () => {
    const url = await serve(Counter, { dev: true });
    const res = await page(url);
    const html = await res.text();
    const nonce = /'nonce-([^']+)'/.exec(res.headers.get("content-security-policy")!)![1];
    const tag = new RegExp(`<script type="module" nonce="${nonce!.replace(/[+/=]/g, "\\$&")}" src="${DEV_OVERLAY}\\?boot=([\\w-]+)"></script></body>`).exec(html);
    expect(tag, html).not.toBeNull();
    const overlay = await fetch(url + DEV_OVERLAY);
    expect(overlay.headers.get("content-type")).toContain("application/javascript");
    const code = await overlay.text();
    expect(code).toContain(`new EventSource("${DEV_CHANNEL}")`);
    expect(code).not.toMatch(/:\s*Fault\b/); // types stripped: the browser runs it as is
    const frames = channel(url);
    await until(() => frames.length > 0, "the boot frame");
    expect(frames[0]).toEqual({ type: "boot", data: { id: tag![1], error: null } });
  });

  it("answers a page whose render throws with an error page, not JSON, and prints the error", async () => {
    const url = await serve(Broken, { dev: true });
    const res = await page(url);
    expect(res.status).toBe(500);
    expect(res.headers.get("content-type")).toContain("text/html");
    const html = await res.text();
    expect(html).toContain("<h1>BindError<span>BIND_ERROR</span></h1>");
    expect(html).toContain("&#60;button onClick&#62; in Broken.render(): got an inline function");
    // Revue's own frames are left out: its message already says where (class, method, element).
    expect(html).not.toContain("src/vdom");
    expect(html).toContain(`src="${DEV_OVERLAY}?boot=`);
    expect(res.headers.get("content-security-policy")).toContain("script-src 'nonce-");
    expect(logs.join("\n")).toMatch(/\[revue\] GET \/ failed; the page shows the error: BindError: <button onClick> in Broken\.render\(\)/);
  });

  it("shows errors Revue did not raise too (a TypeError in render)", async () => {
    const url = await serve(Crashing, { dev: true });
    const html = await (await page(url)).text();
    expect(html).toContain("<h1>TypeError</h1>");
    expect(html).toContain("Cannot read properties of undefined (reading &#39;name&#39;)");
    // The stack points into the app (this file), not into Revue.
    expect(html).toMatch(/<pre class="stack">at Crashing\.render \([^)]*dev-mode\.test\.ts:\d+/);
  });

  it("tells open pages when a new session cannot be rendered (a re-bootstrap after a restart)", async () => {
    const url = await serve(Broken, { dev: true });
    const frames = channel(url);
    await until(() => frames.length > 0, "the boot frame");
    const res = await fetch(url + "/api/session", { method: "POST", headers: { "content-type": "application/json" }, body: "{}" });
    expect(res.status).toBe(500);
    expect((await res.json()).error.code).toBe("BIND_ERROR");
    await until(() => frames.length > 1, "a fault frame");
    expect(frames[1]).toMatchObject({ type: "fault", data: { name: "BindError", code: "BIND_ERROR", where: "POST /api/session" } });
    // Printed once, with the error id the page was given.
    const printed = logs.filter((l) => l.includes("POST /api/session failed"));
    expect(printed).toHaveLength(1);
    expect(printed[0]).toMatch(/^\[revue\] POST \/api\/session failed \(error [0-9a-f]{8}\): BindError/);
  });

  it("is off by default: no overlay, the dev routes do not exist, a failed page is a plain error page (JSON for the API)", async () => {
    const url = await serve(Counter);
    expect(await (await page(url)).text()).not.toContain(DEV_OVERLAY);
    expect((await fetch(url + DEV_OVERLAY)).status).toBe(404);
    expect((await fetch(url + DEV_CHANNEL)).status).toBe(404);
    const broken = await serve(Broken);
    const res = await page(broken);
    expect(res.status).toBe(500);
    expect(res.headers.get("content-type")).toContain("text/html");
    const html = await res.text();
    expect(html).toContain("<h1>Something went wrong</h1>");
    expect(html).toContain("Broken.render(): got an inline function");
    expect(html).not.toContain(DEV_OVERLAY);
    expect(html).not.toContain("<script");
    const api = await fetch(broken + "/", { headers: { accept: "application/json" } });
    expect(api.headers.get("content-type")).toContain("application/json");
  });
});

describe("under revue dev", () => {
  it("the first server to listen takes revue dev's port, whatever port it asks for, and is in development mode", async () => {
    const probe = createServer(Counter, { logger });
    servers.push(probe);
    const devPort = Number(new URL(await probe.listen(0, "127.0.0.1")).port);
    await probe.close();
    const host = installDevHost(devPort);
    expect(devHost()).toBe(host);
    const url = await serve(Counter, {});
    expect(new URL(url).port).toBe(String(devPort));
    expect(host.served?.askedPort).toBe(0);
    expect(await host.served!.listening).toBe(url);
    expect(await (await page(url)).text()).toContain(DEV_OVERLAY);
    // A second server in the same process listens where it asked.
    const other = await serve(Counter);
    expect(new URL(other).port).not.toBe(String(devPort));
  });
});
