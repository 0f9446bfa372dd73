import { createServer as createHttpServer, request, type IncomingMessage, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { JSDOM } from "jsdom";
import { afterEach, describe, expect, it } from "vitest";
import { App, createServer, h, server, type ServerHandle, type ServerOptions } from "revue";
import { createApplier } from "../../client/apply.js";
import { createRuntime, type Runtime } from "../../client/runtime.js";
import type { Reply } from "../../client/transport.js";
import { nodeTransport } from "./node-transport.js";

/**
 * Issue 12 items 2 and 3 with the real page runtime (client/runtime.ts in a
 * jsdom document) against a real server: a call held back by the network
 * still runs once and resolves with its own result, and 429s are waited out
 * without losing or reordering calls.
 */

/** What handlers ran, in order (reset per test). */
let ran: string[] = [];
let gate = door();

function door() {
  let open!: () => void;
  const promise = new Promise<void>((resolve) => (open = resolve));
  return { promise, open };
}

class Tally extends App {
  total = 0;
  @server.rpc add(n: number) { ran.push(`add ${n}`); this.total += n; return this.total; }
  @server.realtime bump() { ran.push("bump"); this.total += 1000; }
  @server.rpc async hold() { ran.push("hold"); await gate.promise; return "released"; }
  @server.on("tick") tick(i: number) { ran.push(`tick ${i}`); }
  override render() {
    return h("main", {}, h("h1", { id: "total" }, String(this.total)), h("button", { id: "bump", onClick: this.bump }, "+1000"));
  }
}


/**
 * A node:http proxy in front of `target` that forwards everything as it comes
 * (the SSE stream streamed through), except the requests `hold` picks: those
 * wait until the test calls `release()`.
 */
async function delayingProxy(target: string, hold: (req: IncomingMessage) => boolean) {
  const held: (() => void)[] = [];
  const proxy: Server = createHttpServer((req, res) => {
    const forward = () => {
      const up = request(target + req.url, { method: req.method, headers: req.headers }, (answer) => {
        res.writeHead(answer.statusCode!, answer.headers);
        answer.pipe(res);
      });
      up.on("error", () => res.destroy());
      res.on("close", () => up.destroy());
      req.pipe(up);
    };
    if (hold(req)) held.push(forward);
    else forward();
  });
  await new Promise<void>((resolve) => proxy.listen(0, "127.0.0.1", resolve));
  return {
    url: `http://127.0.0.1:${(proxy.address() as AddressInfo).port}`,
    held,
    release: () => held.splice(0).forEach((go) => go()),
    close: () => new Promise<void>((resolve) => (proxy.closeAllConnections(), proxy.close(() => resolve()))),
  };
}

let document: Document;
let srv: ServerHandle | undefined;
let rt: Runtime | undefined;
const cleanup: (() => Promise<void> | void)[] = [];
afterEach(async () => {
  gate.open();
  rt?.close();
  for (const fn of cleanup.splice(0)) await fn();
  await srv?.close();
  srv = rt = undefined;
  ran = [];
  gate = door();
});

/** Loads the page at `url` into a jsdom document and starts the real runtime on it; `replies` records every POST's answer. */
async function openPage(url: string, replies: Reply[] = []): Promise<Runtime> {
  const res = await fetch(url + "/");
  const cookie = res.headers.get("set-cookie")!.split(";")[0]!;
  const html = await res.text();
  document = new JSDOM(html.replace(/<script type="module"[^>]*><\/script>/, "")).window.document;
  const boot = JSON.parse(document.getElementById("rv-boot")!.textContent!);
  const runtime = createRuntime({ root: document.getElementById("rv-root")!, boot, transport: nodeTransport(() => url, () => cookie, replies), applier: createApplier, backoffMs: 20 });
  await runtime.ready;
  await until(() => runtime.connected, "the stream to connect");
  return runtime;
}

async function startServer(options: ServerOptions = {}): Promise<string> {
  srv = createServer(Tally, { logger: { warn() {}, error: (...a: unknown[]) => console.error(...a) }, ...options });
  return srv.listen(0, "127.0.0.1");
}

const sessionOf = (runtime: Runtime) => srv!.hubs.get("")!.get(runtime.session)! as unknown as { instance: Tally; calls: { pending: number } };

async function until(cond: () => boolean, what: string, ms = 6_000): Promise<void> {
  const end = Date.now() + ms;
  while (!cond()) {
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 10));
  }
}

describe("the real runtime behind a delaying proxy", () => {
  it("resolves an rpc held back past the gap with its own result once it arrives; it runs once, late, and later calls ran too", async () => {
    const direct = await startServer();
    let rpcs = 0;
    const proxy = await delayingProxy(direct, (req) => req.method === "POST" && req.url!.startsWith("/api/rpc/") && ++rpcs === 1);
    cleanup.push(proxy.close);
    rt = await openPage(proxy.url);

    const first = rt.rpc("add", 1); // seq 1: the proxy holds it back
    await until(() => proxy.held.length === 1, "the proxy to hold the first rpc");
    const second = rt.rpc("add", 10); // seq 2: the server waits the gap for seq 1, then runs it
    (document.getElementById("bump") as HTMLButtonElement).click(); // seq 3, a realtime call
    expect(await second).toBe(10);
    await until(() => ran.includes("bump"), "the realtime call after the skipped gap");
    expect(ran).toEqual(["add 10", "bump"]);

    proxy.release(); // seq 1 arrives now, after its turn was skipped
    expect(await first).toBe(1011); // its own result, run late, on the state it found
    expect(await rt.rpc("add", 100)).toBe(1111);
    expect(ran).toEqual(["add 10", "bump", "add 1", "add 100"]);
    expect(sessionOf(rt).instance.total).toBe(1111);
    await until(() => document.getElementById("total")!.textContent === "1111", "the page to show every call's effect");
  });
});

describe("the real runtime against a full call queue", () => {
  it("waits out 429 TOO_MANY_CALLS and sends the refused calls again: none lost, none reordered, none run twice", async () => {
    const url = await startServer({ maxQueuedCalls: 4 });
    const replies: Reply[] = [];
    rt = await openPage(url, replies);
    const held = rt.rpc("hold"); // seq 1 runs and blocks: 3 more calls fit
    await until(() => ran.includes("hold"), "the blocking rpc to run");
    for (let i = 0; i < 12; i++) rt.emit("tick", i);
    const added = rt.rpc("add", 5);
    await until(() => replies.some((r) => r.status === 429), "a 429");
    expect(replies.find((r) => r.status === 429)).toMatchObject({ body: { error: { code: "TOO_MANY_CALLS" } }, retryAfterMs: 1000 });
    expect(ran).toEqual(["hold"]);
    gate.open();
    expect(await held).toBe("released");
    expect(await added).toBe(5);
    await until(() => sessionOf(rt!).calls.pending === 0, "every call to finish");
    expect(ran).toEqual(["hold", ...Array.from({ length: 12 }, (_, i) => `tick ${i}`), "add 5"]);
  });
});
