import http, { type ServerResponse } from "node:http";
import net, { type AddressInfo } from "node:net";
import { afterEach, describe, expect, it } from "vitest";
import { sseSink } from "../../src/server/sse-sink.js";
import { SessionStream, type Sink } from "../../src/session/stream.js";

const FRAMES = ["retry: 1000\n\n", 'id: 1\nevent: event\ndata: {"text":"é € 😀"}\n\n', `id: 2\nevent: patch\ndata: ${"x".repeat(70_000)}\n\n`];

let server: http.Server | undefined;
afterEach(() => new Promise<void>((r) => (server ? server.close(() => r()) : r())));

/** A server whose one route writes FRAMES through sseSink(res) (after `prepare`), then ends with a bye. */
async function serve(prepare: (res: ServerResponse) => void = () => {}): Promise<{ port: number; sinks: Sink[] }> {
  const sinks: Sink[] = [];
  server = http.createServer((_req, res) => {
    prepare(res);
    res.writeHead(200, { "Content-Type": "text/event-stream" });
    const sink = sseSink(res);
    sinks.push(sink);
    for (const f of FRAMES) sink.write(f);
    sink.end("event: bye\ndata: {}\n\n");
  });
  await new Promise<void>((r) => server!.listen(0, "127.0.0.1", r));
  return { port: (server.address() as AddressInfo).port, sinks };
}

function get(port: number): Promise<{ text: string; chunked: boolean }> {
  return new Promise((resolve, reject) => {
    http.get({ host: "127.0.0.1", port, path: "/" }, (res) => {
      let text = "";
      res.setEncoding("utf8");
      res.on("data", (d: string) => (text += d));
      res.on("end", () => resolve({ text, chunked: res.headers["transfer-encoding"] === "chunked" }));
      res.on("error", reject);
    }).on("error", reject);
  });
}

describe("sseSink", () => {
  it("delivers every frame intact over HTTP/1.1, multi-byte characters and a large frame included", async () => {
    const { port, sinks } = await serve();
    const { text, chunked } = await get(port);
    expect(chunked).toBe(true);
    expect(text).toBe(FRAMES.join("") + "event: bye\ndata: {}\n\n");
    expect(sinks[0]).not.toBeInstanceOf(http.ServerResponse); // the frames went to the socket
  });

  it("writes through the response when middleware replaced its write", async () => {
    const seen: string[] = [];
    const { port, sinks } = await serve((res) => {
      const write = res.write.bind(res) as (chunk: string) => boolean;
      res.write = ((chunk: string) => (seen.push(chunk), write(chunk))) as typeof res.write;
    });
    expect((await get(port)).text).toBe(FRAMES.join("") + "event: bye\ndata: {}\n\n");
    expect(seen).toEqual(FRAMES);
    expect(sinks[0]).toBeInstanceOf(http.ServerResponse);
  });

  it("writes through the response to an HTTP/1.0 client (no chunked body)", async () => {
    const { port, sinks } = await serve();
    const raw = await new Promise<string>((resolve, reject) => {
      let text = "";
      const socket = net.connect(port, "127.0.0.1", () => socket.write("GET / HTTP/1.0\r\n\r\n"));
      socket.setEncoding("utf8");
      socket.on("data", (d: string) => (text += d));
      socket.on("end", () => resolve(text));
      socket.on("error", reject);
    });
    expect(raw.slice(raw.indexOf("\r\n\r\n") + 4)).toBe(FRAMES.join("") + "event: bye\ndata: {}\n\n");
    expect(sinks[0]).toBeInstanceOf(http.ServerResponse);
  });

  it("writes through the response to a HEAD request, which has no body", async () => {
    const { port, sinks } = await serve();
    const status = await new Promise<number>((resolve, reject) => {
      const req = http.request({ host: "127.0.0.1", port, path: "/", method: "HEAD" }, (res) => {
        res.resume();
        res.on("end", () => resolve(res.statusCode ?? 0));
      });
      req.on("error", reject);
      req.end();
    });
    expect(status).toBe(200);
    expect(sinks[0]).toBeInstanceOf(http.ServerResponse);
  });

  it("carries a session stream's frames, with the sizes the stream counted: broadcasts, patches, corked pairs, a replay", async () => {
    const stream = new SessionStream({ replayBytes: 100_000, maxPendingBytes: 1_000_000, retryMs: 1000, heartbeatMs: 15_000 });
    const broadcast = { type: "event" as const, event: "tick", data: { text: "é € 😀" } };
    stream.send(broadcast); // before the page connects: replayed on attach
    server = http.createServer((_req, res) => {
      res.writeHead(200, { "Content-Type": "text/event-stream" });
      stream.attach(sseSink(res), 0);
      stream.send(broadcast);
      stream.cork();
      stream.send(broadcast);
      stream.send({ type: "patch", rev: 2, ops: [{ op: "text", id: "w-2", text: "ünïcödé" }], ack: 0 });
      stream.uncork();
      stream.end({ type: "bye", reason: "shutdown" });
    });
    await new Promise<void>((r) => server!.listen(0, "127.0.0.1", r));
    const { text } = await get((server.address() as AddressInfo).port);
    const event = 'event: event\ndata: {"event":"tick","data":{"text":"é € 😀"}}\n\n';
    expect(text).toBe(
      "retry: 1000\ndata:15000\n\n" + `id: 1\n${event}id: 2\n${event}id: 3\n${event}` + 'id: 4\nevent: patch\ndata: {"rev":2,"ops":[{"op":"text","id":"w-2","text":"ünïcödé"}],"ack":0}\n\n' + 'event: bye\ndata: {"reason":"shutdown"}\n\n',
    );
  });

  it("takes nothing more once the client half-closed the connection (Node ended the socket): no write-after-end error", async () => {
    const errors: unknown[] = [];
    let sink: Sink | undefined;
    let ended!: () => void;
    const socketEnded = new Promise<void>((r) => (ended = r));
    server = http.createServer((req, res) => {
      res.writeHead(200, { "Content-Type": "text/event-stream" });
      sink = sseSink(res);
      sink.write(FRAMES[0]!);
      res.on("error", (e) => errors.push(e));
      req.socket.on("error", (e) => errors.push(e));
      req.socket.on("finish", ended);
    });
    await new Promise<void>((r) => server!.listen(0, "127.0.0.1", r));
    const port = (server.address() as AddressInfo).port;
    const client = net.connect(port, "127.0.0.1", () => client.write("GET / HTTP/1.1\r\nHost: x\r\n\r\n"));
    client.on("error", () => {});
    await new Promise<void>((r) => client.once("data", () => r()));
    client.end(); // a proxy closing its side
    await socketEnded;
    expect(sink!.destroyed).toBe(true); // the session's stream lets it go
    expect(sink!.writeFrame!(FRAMES[1]!, Buffer.byteLength(FRAMES[1]!))).toBe(false);
    await new Promise((r) => setTimeout(r, 50));
    expect(errors).toEqual([]);
    client.destroy();
  });

  it("sends the frames of one tick as one chunk", async () => {
    server = http.createServer((_req, res) => {
      res.writeHead(200, { "Content-Type": "text/event-stream" });
      const sink = sseSink(res);
      sink.write(FRAMES[0]!);
      sink.write(FRAMES[1]!); // two broadcasts handled in the same tick
      setTimeout(() => {
        sink.write(FRAMES[1]!); // the next tick's
        sink.end("event: bye\ndata: {}\n\n");
      }, 20);
    });
    await new Promise<void>((r) => server!.listen(0, "127.0.0.1", r));
    const raw = await new Promise<string>((resolve, reject) => {
      let text = "";
      const socket = net.connect((server!.address() as AddressInfo).port, "127.0.0.1", () => socket.write("GET / HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n"));
      socket.setEncoding("latin1");
      socket.on("data", (d: string) => (text += d));
      socket.on("end", () => resolve(text));
      socket.on("error", reject);
    });
    // The chunked body, chunk by chunk (sizes in bytes: latin1 keeps one character per byte).
    const chunks: string[] = [];
    for (let at = raw.indexOf("\r\n\r\n") + 4; ; ) {
      const eol = raw.indexOf("\r\n", at);
      const size = parseInt(raw.slice(at, eol), 16);
      if (size === 0) break;
      chunks.push(Buffer.from(raw.slice(eol + 2, eol + 2 + size), "latin1").toString("utf8"));
      at = eol + 2 + size + 2;
    }
    expect(chunks).toEqual([FRAMES[0]! + FRAMES[1]!, FRAMES[1]!, "event: bye\ndata: {}\n\n"]);
  });

  it("replays a buffer larger than the slow-reader cap on reconnect, in one tick, without cutting the reader off", async () => {
    const slow: string[] = [];
    const stream = new SessionStream({ replayBytes: 100_000, maxPendingBytes: 1_000, retryMs: 1000, heartbeatMs: 15_000 }, (why) => slow.push(why));
    for (let n = 0; n < 50; n++) stream.send({ type: "event", event: "tick", data: { n, pad: "x".repeat(80) } });
    expect(stream.bytes).toBeGreaterThan(5_000); // five times the cap
    server = http.createServer((_req, res) => {
      res.writeHead(200, { "Content-Type": "text/event-stream" });
      stream.attach(sseSink(res), 0);
      setTimeout(() => stream.end({ type: "bye", reason: "shutdown" }), 20);
    });
    await new Promise<void>((r) => server!.listen(0, "127.0.0.1", r));
    const { text } = await get((server.address() as AddressInfo).port);
    expect(slow).toEqual([]);
    expect(text.match(/^id: /gm)).toHaveLength(50);
  });
});
