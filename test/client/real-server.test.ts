import { JSDOM } from "jsdom";
import { afterEach, describe, expect, it } from "vitest";
import { App, client, createServer, h, server, type ServerHandle } from "revue";
import { createApplier } from "../../client/apply.js";
import { createRuntime, type Runtime } from "../../client/runtime.js";
import { nodeTransport } from "./node-transport.js";

class Counter extends App {
  count = 0;
  @server.realtime increment() { this.count++; }
  @server.rpc async add(n: number) { this.count += n; return this.count; }
  @client.realtime shown(_n: number) {}
  @client.callback async onAdd() { await this.server.add(10); }
  override render() {
    return h("main", {}, h("h1", { id: "count" }, String(this.count)), h("button", { id: "inc", onClick: this.increment }, "+1"), h("button", { id: "add", onClick: this.onAdd }, "+10"));
  }
}


/** Loads the server's page into this jsdom document and starts the real runtime on it. */
async function openPage(url: string, cookieJar: { cookie: string }): Promise<Runtime> {
  const res = await fetch(url + "/", { headers: cookieJar.cookie ? { cookie: cookieJar.cookie } : {} });
  cookieJar.cookie ||= res.headers.get("set-cookie")!.split(";")[0]!;
  const html = await res.text();
  if (!html.includes("<body>")) throw new Error(`GET / answered ${res.status}: ${html.slice(0, 300)}`);
  // The server runs in this Node process; the page gets its own jsdom window
  // (a jsdom test environment would break esbuild, which bundles the runtime).
  document = new JSDOM(html.replace(/<script type="module"[^>]*><\/script>/, "")).window.document;
  const boot = JSON.parse(document.getElementById("rv-boot")!.textContent!);
  return createRuntime({ root: document.getElementById("rv-root")!, boot, transport: nodeTransport(() => url, () => cookieJar.cookie), applier: createApplier, backoffMs: 20 });
}

let document: Document;

const until = async (cond: () => boolean, what: string) => {
  for (let i = 0; i < 400 && !cond(); i++) await new Promise((r) => setTimeout(r, 10));
  if (!cond()) throw new Error(`timed out waiting for ${what}`);
};

let srv: ServerHandle | undefined;
let rt: Runtime | undefined;
afterEach(async () => {
  rt?.close();
  await srv?.close();
  srv = rt = undefined;
});

describe("the runtime against a real server", () => {
  it("hydrates, connects, and turns clicks into patches", async () => {
    srv = createServer(Counter, { logger: { warn() {}, error: (...a: unknown[]) => console.error(...a) } });
    const url = await srv.listen(0, "127.0.0.1");
    rt = await openPage(url, { cookie: "" });
    const order: string[] = [];
    rt.on("ready", () => order.push("ready"));
    rt.on("connect", () => order.push("connect"));
    await rt.ready;
    await until(() => rt!.connected, "the stream to connect");
    (document.getElementById("inc") as HTMLButtonElement).click();
    (document.getElementById("inc") as HTMLButtonElement).click();
    await until(() => document.getElementById("count")!.textContent === "2", "two clicks to show");
    (document.getElementById("add") as HTMLButtonElement).click();
    await until(() => document.getElementById("count")!.textContent === "12", "the callback's rpc to show");
    expect(await rt.rpc("add", 1)).toBe(13);
    expect(order.indexOf("ready")).toBeLessThan(order.indexOf("connect") === -1 ? Infinity : order.indexOf("connect"));
  });

  it("re-bootstraps a new session without reloading after the server restarts", async () => {
    // nodeTransport's cookie jar ignores Set-Cookie, so both processes share their keys to keep
    // the first cookie valid; with a key per process a browser stores the fresh cookie the
    // re-bootstrap sets (test/e2e/counter.test.ts, in Chromium).
    const options = { logger: { warn() {}, error() {} }, keys: ["the same key in both processes"] };
    srv = createServer(Counter, options);
    const url = await srv.listen(0, "127.0.0.1");
    const port = Number(new URL(url).port);
    rt = await openPage(url, { cookie: "" });
    await until(() => rt!.connected, "the stream to connect");
    const firstSid = rt.session;
    (document.getElementById("inc") as HTMLButtonElement).click();
    await until(() => document.getElementById("count")!.textContent === "1", "the click to show");
    await srv.close();
    srv = createServer(Counter, options);
    await srv.listen(port, "127.0.0.1");
    await until(() => rt!.session !== firstSid && rt!.connected, "a new session");
    expect(document.getElementById("count")!.textContent).toBe("0");
    (document.getElementById("inc") as HTMLButtonElement).click();
    await until(() => document.getElementById("count")!.textContent === "1", "a click on the new session");
  });
});
