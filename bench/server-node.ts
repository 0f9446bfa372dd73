/**
 * The servers of `npm run bench server`, in a process of their own (started
 * by bench/server.ts with an IPC channel), so that their CPU time is theirs
 * alone and the client's work (parsing thousands of streams) runs beside
 * them, as a server's pages run on other machines. Servers, by kind:
 *
 * - `raw`: a `node:http` SSE server holding its responses, broadcasting
 *   Revue's exact frame bytes (see {@link rawBroadcast});
 * - `unhandled`: a Revue counter app; a broadcast `tick` has no handler;
 * - `rawPatch`: `raw` sending, per broadcast, the same two frames as `handled`;
 * - `handled`: a Revue app whose `@server.on("tick")` handler changes what it
 *   renders, so each session gets an `event` frame and a `patch` frame;
 * - `echo`: Koa + koa-body echoing a JSON body, with the options of Revue's `jsonBody()`;
 * - `counter`: a Revue counter app for the event → patch round trip;
 * - `rows`: a Revue page of 500 rows (2,000 elements) for the same round trip
 *   on a page whose render and diff outweigh the HTTP (`vote(i)` changes one row).
 *
 * Messages from the parent: `{ make: kind }` starts a fresh server of that
 * kind and answers `{ port }`; `{ drop: kind }` closes it (answers `{ dropped }`);
 * `{ emit: n, to: kind }` broadcasts tick `n`; `{ cpu: true }` answers
 * `{ cpuUs }`, the CPU time (user + system, or only one with `BENCH_CPU=user` or
 * `BENCH_CPU=system`) this process has used; `{ stop: true }` exits.
 */
import http, { type Server, type ServerResponse } from "node:http";
import type { AddressInfo } from "node:net";
import Koa from "koa";
import { koaBody } from "koa-body";
import { App, createServer, h, handler, server } from "../src/index.js";

export class Counter extends App {
  count = 0;
  @server.realtime increment() {
    this.count++;
  }
  override render() {
    return h("main", {}, h("h1", { id: "count" }, String(this.count)), h("button", { onClick: this.increment }, "+1"));
  }
}

/** Shows the last tick it handled: every broadcast changes one text in every session's page. */
export class Ticker extends App {
  tick = 0;
  @server.on("tick") onTick(data: { n: number }) {
    this.tick = data.n;
  }
  override render() {
    return h("main", {}, h("h1", { id: "tick" }, String(this.tick)), h("p", {}, "last broadcast"));
  }
}

/** 500 rows of a list, four elements each, a vote button bound with its row's index; `vote(i)` changes that row's count. */
export class Rows extends App {
  votes: number[] = Array.from({ length: 500 }, () => 0);
  @server.realtime vote(i: number) {
    this.votes = this.votes.slice();
    this.votes[i]!++;
  }
  override render() {
    return h("main", {}, h("h1", {}, "Rows"), h("ul", { class: "rows" }, this.votes.map((v, i) =>
      h("li", { key: i, class: v % 2 ? "row odd" : "row" }, h("span", { class: "name" }, `Row ${i}`), h("b", {}, String(v)), h("button", { onClick: handler(this.vote, { args: [i] }) }, "+1")))));
  }
}

const HOST = "127.0.0.1";
const quiet = { warn() {}, error() {} };

/** A raw SSE stream: the response, the id of its last frame, and the revision of its page. */
export interface RawStream {
  res: ServerResponse;
  id: number;
  rev: number;
}

/**
 * The least an SSE broadcast can do, with Revue's exact frame bytes: the
 * body stringified once, one id counter per stream, one `write` per frame.
 * With `patch` (the ops every page gets, as JSON), each stream also gets a
 * `patch` frame with its own next revision, as Revue sends after a handler
 * changed what every session renders.
 */
export function rawBroadcast(streams: Iterable<RawStream>, event: string, data: unknown, patch?: string): void {
  const body = JSON.stringify({ event, data });
  for (const s of streams) {
    s.res.write(`id: ${++s.id}\nevent: event\ndata: ${body}\n\n`);
    if (patch !== undefined) s.res.write(`id: ${++s.id}\nevent: patch\ndata: {"rev":${++s.rev},"ops":${patch},"ack":0}\n\n`);
  }
}

async function listen(srv: Server): Promise<number> {
  await new Promise<void>((r) => srv.listen(0, HOST, r));
  return (srv.address() as AddressInfo).port;
}

/** A `node:http` server that holds its SSE responses and broadcasts with {@link rawBroadcast}. */
export function rawSseServer(): { srv: Server; streams: Set<RawStream> } {
  const streams = new Set<RawStream>();
  const srv = http.createServer((req, res) => {
    req.socket.setNoDelay(true);
    req.socket.setTimeout(0);
    res.writeHead(200, { "Content-Type": "text/event-stream; charset=utf-8", "Cache-Control": "no-cache, no-transform", Connection: "keep-alive", "X-Accel-Buffering": "no" });
    const s = { res, id: 1, rev: 1 };
    // The same first bytes as Revue: retry, then a (tiny) init the client waits for.
    res.write(`retry: 1000\n\nid: 1\nevent: init\ndata: {"rev":1}\n\n`);
    streams.add(s);
    res.on("close", () => streams.delete(s));
  });
  return { srv, streams };
}

/** Koa + koa-body with the options Revue's jsonBody() uses, echoing the parsed body. */
function echoServer(): Server {
  const koa = new Koa();
  koa.use(koaBody({ json: true, urlencoded: false, text: false, multipart: false, jsonLimit: 64 * 1024, jsonStrict: true, patchKoa: true }));
  koa.use((ctx) => {
    ctx.body = ctx.request.body;
  });
  const srv = http.createServer(koa.callback());
  srv.keepAliveTimeout = 5_000; // as Revue's listen()
  return srv;
}

/** The ops of the patch a `Ticker` page gets for tick `n` (what `handled` sends, for the raw server to send too). */
const tickerOps = (n: number) => JSON.stringify([{ op: "text", id: "w-2", text: String(n) }]);

type Kind = "raw" | "rawPatch" | "unhandled" | "handled" | "echo" | "counter" | "rows";

interface Running {
  port: number;
  emit?: (n: number) => void;
  close(): Promise<void>;
}

async function closeHttp(srv: Server): Promise<void> {
  const closed = new Promise<void>((r) => srv.close(() => r()));
  srv.closeAllConnections();
  await closed;
}

async function make(kind: Kind): Promise<Running> {
  if (kind === "raw" || kind === "rawPatch") {
    const { srv, streams } = rawSseServer();
    const emit = kind === "raw" ? (n: number) => rawBroadcast(streams, "tick", { n }) : (n: number) => rawBroadcast(streams, "tick", { n }, tickerOps(n));
    return { port: await listen(srv), emit, close: () => closeHttp(srv) };
  }
  if (kind === "echo") {
    const srv = echoServer();
    return { port: await listen(srv), close: () => closeHttp(srv) };
  }
  const srv = createServer(kind === "handled" ? Ticker : kind === "rows" ? Rows : Counter, { logger: quiet, maxSessions: 100_000 });
  const port = Number(new URL(await srv.listen(0, HOST)).port);
  return { port, emit: (n) => srv.emit("tick", { n }), close: () => srv.close() };
}

if (process.send) {
  const send = (msg: unknown) => process.send!(msg);
  const running = new Map<Kind, Running>();
  process.on("message", async (msg: { make?: Kind; drop?: Kind; emit?: number; to?: Kind; cpu?: true; stop?: true }) => {
    if (msg.make) {
      const r = await make(msg.make);
      running.set(msg.make, r);
      send({ port: r.port });
    }
    if (msg.drop) {
      await running.get(msg.drop)?.close();
      running.delete(msg.drop);
      send({ dropped: msg.drop });
    }
    if (msg.emit !== undefined) running.get(msg.to!)!.emit!(msg.emit);
    if (msg.cpu) {
      const { user, system } = process.cpuUsage();
      send({ cpuUs: process.env.BENCH_CPU === "system" ? system : process.env.BENCH_CPU === "user" ? user : user + system });
    }
    if (msg.stop) {
      await Promise.all([...running.values()].map((r) => r.close()));
      process.exit(0);
    }
  });
  send({ ready: true });
}
