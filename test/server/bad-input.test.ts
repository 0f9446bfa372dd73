import { tmpdir } from "node:os";
import http from "node:http";
import net from "node:net";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { App, h, server, type UploadedFile } from "revue";
import { Browser, serve } from "./harness.js";

class Store extends App {
  count = 0;
  files: string[] = [];
  @server.realtime increment() { this.count++; }
  @server.rpc get() { return this.count; }
  @server.rpc async receive(file: UploadedFile) {
    const text = (await file.read()).toString("utf8");
    return { name: file.name, type: file.type, size: file.size, text };
  }
  @server.rpc echo(file: UploadedFile) {
    return file;
  }
  override render() {
    return h("main", {}, String(this.count));
  }
}

let srv: Awaited<ReturnType<typeof serve>>;
let b: Browser;
beforeAll(async () => {
  srv = await serve(Store, { limits: { event: 1024, upload: 2048, files: 2 } });
  b = await srv.browser().start();
});
afterAll(() => srv.close());

const raw = (path: string, body: string, headers: Record<string, string> = {}) =>
  b.request(path, { method: "POST", body, headers: { "content-type": "application/json", ...headers } });

describe("bad input gets a JSON error with a stable code and changes nothing", () => {
  const rows: Array<[string, () => Promise<{ status: number; body: any; headers: Headers }>, number, string]> = [
    ["unknown session", () => b.request("/api/event", { method: "POST", json: { sid: "nope-nope-nope", seq: 1, method: "increment", args: [] } }), 404, "SESSION_NOT_FOUND"],
    ["unknown realtime method", () => b.event("nothing"), 404, "METHOD_NOT_FOUND"],
    ["unknown rpc method", () => b.rpc("nothing"), 404, "METHOD_NOT_FOUND"],
    ["a realtime method called as rpc", () => b.rpc("increment"), 404, "METHOD_NOT_FOUND"],
    ["an rpc method called as realtime", () => b.event("get"), 404, "METHOD_NOT_FOUND"],
    ["malformed JSON", () => raw("/api/event", "{bad"), 400, "BAD_REQUEST"],
    ["a scalar body", () => raw("/api/event", "42"), 400, "BAD_REQUEST"],
    ["an array body", () => raw("/api/event", "[1]"), 400, "BAD_REQUEST"],
    ["args that are not an array", () => b.request("/api/event", { method: "POST", json: { sid: b.sid, seq: 99, method: "increment", args: "x" } }), 400, "BAD_REQUEST"],
    ["a seq that is not a positive integer", () => b.request("/api/event", { method: "POST", json: { sid: b.sid, seq: -1, method: "increment" } }), 400, "BAD_REQUEST"],
    ["a malformed gzip body", () => raw("/api/event", "not gzip at all", { "content-encoding": "gzip" }), 400, "BAD_REQUEST"],
    ["an unknown content encoding", () => raw("/api/event", "{}", { "content-encoding": "zip-zap" }), 415, "UNSUPPORTED_MEDIA_TYPE"],
    ["an unknown charset", () => raw("/api/event", JSON.stringify({ sid: b.sid, seq: 92, method: "increment" }), { "content-type": "application/json; charset=bogus" }), 415, "UNSUPPORTED_MEDIA_TYPE"],
    ["a non-JSON content type", () => b.request("/api/event", { method: "POST", body: "sid=x", headers: { "content-type": "application/x-www-form-urlencoded" } }), 415, "UNSUPPORTED_MEDIA_TYPE"],
    ["an oversized body", () => raw("/api/event", JSON.stringify({ sid: b.sid, seq: 98, method: "increment", args: ["x".repeat(2000)] })), 413, "PAYLOAD_TOO_LARGE"],
    ["a __proto__ key", () => raw("/api/event", `{"sid":"${b.sid}","seq":97,"method":"increment","args":[{"__proto__":{"polluted":1}}]}`), 400, "BAD_REQUEST"],
    ["a nested constructor key", () => raw("/api/event", `{"sid":"${b.sid}","seq":96,"method":"increment","args":[{"a":{"constructor":{"prototype":1}}}]}`), 400, "BAD_REQUEST"],
    ["a cross-site request", () => b.request("/api/event", { method: "POST", json: { sid: b.sid, seq: 95, method: "increment" }, headers: { "sec-fetch-site": "cross-site" } }), 403, "FORBIDDEN"],
    ["a foreign Origin", () => b.request("/api/event", { method: "POST", json: { sid: b.sid, seq: 94, method: "increment" }, headers: { origin: "https://evil.example" } }), 403, "FORBIDDEN"],
    ["a session id without its cookie", () => b.request("/api/event", { method: "POST", json: { sid: b.sid, seq: 93, method: "increment" }, headers: { cookie: "rv_token=someone-elses-token-123456" } }), 403, "FORBIDDEN"],
    ["a client emit of a lifecycle name", () => b.emit("connect"), 400, "BAD_REQUEST"],
    ["a stream of an unknown session", () => b.request("/api/sse/not-a-session"), 404, "SESSION_NOT_FOUND"],
    ["a new session's sid that is a number", () => b.request("/api/session", { method: "POST", json: { sid: 42 } }), 400, "BAD_REQUEST"],
    ["a new session's sid that is null", () => b.request("/api/session", { method: "POST", json: { sid: null } }), 400, "BAD_REQUEST"],
    ["a new session's url that is a number", () => b.request("/api/session", { method: "POST", json: { url: 42 } }), 400, "BAD_REQUEST"],
    ["a new session's url that is a list", () => b.request("/api/session", { method: "POST", json: { url: ["/"] } }), 400, "BAD_REQUEST"],
    ["a new session's url of another site", () => b.request("/api/session", { method: "POST", json: { url: "//evil.example/x" } }), 400, "BAD_REQUEST"],
  ];

  for (const [name, send, status, code] of rows) {
    it(`${name}: ${status} ${code}`, async () => {
      const before = (await b.rpc("get")).body.result;
      const r = await send();
      expect(r.status).toBe(status);
      expect(r.body.error.code).toBe(code);
      expect(r.headers.get("x-content-type-options")).toBe("nosniff");
      expect(typeof r.body.error.message).toBe("string");
      expect(r.body.error.message.length).toBeGreaterThan(20);
      expect((await b.rpc("get")).body.result).toBe(before);
      expect(({} as Record<string, unknown>).polluted).toBeUndefined();
    });
  }

  it("an oversized body streamed without a declared length is cut off at the limit: 413 PAYLOAD_TOO_LARGE", async () => {
    const before = (await b.rpc("get")).body.result;
    const { status, body } = await new Promise<{ status: number; body: string }>((resolve, reject) => {
      const req = http.request(`${srv.url}/api/event`, { method: "POST", headers: { "content-type": "application/json" } }, (res) => {
        let text = "";
        res.setEncoding("utf8");
        res.on("data", (c: string) => (text += c));
        res.on("end", () => resolve({ status: res.statusCode!, body: text }));
      });
      req.on("error", reject);
      // Chunked: no Content-Length to refuse it by, only the bytes that come.
      req.write(`{"sid":"${b.sid}","seq":90,"method":"increment","args":["${"x".repeat(800)}`);
      req.end(`${"y".repeat(800)}"]}`);
    });
    expect(status).toBe(413);
    expect(JSON.parse(body).error.code).toBe("PAYLOAD_TOO_LARGE");
    expect((await b.rpc("get")).body.result).toBe(before);
  });

  it("a JSON content type on a request with no body (no length, no transfer encoding) is 415 UNSUPPORTED_MEDIA_TYPE", async () => {
    const { port } = new URL(srv.url);
    const answer = await new Promise<string>((resolve, reject) => {
      const socket = net.connect(Number(port), "127.0.0.1", () => socket.write(`POST /api/event HTTP/1.1\r\nHost: localhost:${port}\r\nContent-Type: application/json\r\nConnection: close\r\n\r\n`));
      let text = "";
      socket.setEncoding("utf8");
      socket.on("data", (c: string) => (text += c));
      socket.on("end", () => resolve(text));
      socket.on("error", reject);
    });
    expect(answer).toMatch(/^HTTP\/1\.1 415 /);
    expect(answer).toContain('"code":"UNSUPPORTED_MEDIA_TYPE"');
  });

  it("a method called as the other kind says how the page calls it", async () => {
    expect((await b.rpc("increment")).body.error.message).toMatch(/"increment" is @server\.realtime, which answers nothing: call it as this\.server\.increment\(…\) in @client code, or bind it to an event/);
    expect((await b.event("get")).body.error.message).toMatch(/"get" is @server\.rpc: call it as this\.server\.get\(…\) or rv\.rpc\("get", …\) in the page \(POST \/api\/rpc\/get on the wire\)/);
  });

  it("a same-origin request with a matching Origin passes", async () => {
    const r = await b.request("/api/event", { method: "POST", json: { sid: b.sid, seq: ++b.seq, method: "increment" }, headers: { origin: srv.url } });
    expect(r.status).toBe(202);
  });
});

describe("long names and paths", () => {
  it("are cut in the answer's message, not echoed whole", async () => {
    const long = "A".repeat(15_000);
    for (const r of [
      await b.request(`/api/sse/${long}`),
      await b.request(`/api/rpc/${long}`, { method: "POST", json: { sid: b.sid, seq: ++b.seq, args: [] } }),
      await b.request(`/api/${long}`, { method: "POST", json: {} }),
    ]) {
      expect(r.status).toBeGreaterThanOrEqual(400);
      expect(r.body.error.message.length).toBeLessThanOrEqual(1_001);
    }
  });
});

describe("uploads", () => {
  it("round-trips a file into an rpc argument", async () => {
    const form = new FormData();
    form.append("file", new Blob(["hello revue"], { type: "text/plain" }), "note.txt");
    const up = await b.request(`/api/upload?sid=${b.sid}`, { method: "POST", body: form });
    expect(up.status).toBe(200);
    const handle = up.body.files[0];
    expect(handle).toMatchObject({ name: "note.txt", type: "text/plain", size: 11 });
    const r = await b.rpc("receive", [handle]);
    expect(r.body.result).toEqual({ name: "note.txt", type: "text/plain", size: 11, text: "hello revue" });
  });

  it("keeps of a sent file name its last segment, without control characters or marks that reorder text, at most 255 characters; a handle's JSON shows no server path", async () => {
    const sent: Array<[string, string]> = [
      ["../../../../tmp/pwned.txt", "pwned.txt"],
      ["..\\..\\evil.txt", "evil.txt"],
      ["a\u0000b\u001bc.txt", "abc.txt"],
      ["..", "upload"],
      ["n".repeat(5_000), "n".repeat(255)],
      ["invoice\u202Egpj.exe", "invoicegpj.exe"],
      ["\u2067a\u200fb\u2069.txt", "ab.txt"],
      ["n".repeat(254) + "😀", "n".repeat(254)],
    ];
    for (const [name, kept] of sent) {
      const form = new FormData();
      form.append("file", new Blob(["x"]), name);
      const up = await b.request(`/api/upload?sid=${b.sid}`, { method: "POST", body: form });
      expect(up.status).toBe(200);
      expect(up.body.files[0].name).toBe(kept);
      const r = await b.rpc("echo", [up.body.files[0]]);
      expect(r.body.result).toEqual({ id: expect.any(String), name: kept, type: "application/octet-stream", size: 1 });
      expect(JSON.stringify(r.body)).not.toContain(tmpdir());
    }
  });

  it("keeps a file's claimed type when it reads as a MIME type of at most 255 characters, else application/octet-stream", async () => {
    const claimed: Array<[string, string]> = [
      ["text/plain", "text/plain"],
      ["text/csv; charset=utf-8", "text/csv; charset=utf-8"],
      ["text/" + "x".repeat(1_500), "application/octet-stream"],
      ["not a type", "application/octet-stream"],
    ];
    for (const [type, kept] of claimed) {
      const form = new FormData();
      form.append("file", new Blob(["x"], { type }), "f.txt");
      const up = await b.request(`/api/upload?sid=${b.sid}`, { method: "POST", body: form });
      expect(up.status).toBe(200);
      expect(up.body.files[0].type).toBe(kept);
    }
  });

  it("takes an empty file as any other, and says what is wrong with a form of too many fields", async () => {
    const form = new FormData();
    form.append("file", new Blob([]), "empty.txt");
    const up = await b.request(`/api/upload?sid=${b.sid}`, { method: "POST", body: form });
    expect(up.status).toBe(200);
    expect(up.body.files[0]).toMatchObject({ name: "empty.txt", size: 0 });
    const fields = new FormData();
    for (let i = 0; i < 21; i++) fields.append(`f${i}`, "x");
    fields.append("file", new Blob(["x"]), "f.txt");
    const refused = await b.request(`/api/upload?sid=${b.sid}`, { method: "POST", body: fields });
    expect(refused.status).toBe(400);
    expect(refused.body.error.message).toContain("more than 20 fields other than files");
  });

  it("refuses an upload over the size cap with 413", async () => {
    const form = new FormData();
    form.append("file", new Blob(["x".repeat(10_000)]), "big.bin");
    const up = await b.request(`/api/upload?sid=${b.sid}`, { method: "POST", body: form });
    expect(up.status).toBe(413);
    expect(up.body.error.code).toBe("PAYLOAD_TOO_LARGE");
  });

  it("logs nothing for uploads whose client went away mid-body (a closed tab, a cancelled upload)", async () => {
    const before = srv.logs.length;
    const port = new URL(srv.url).port;
    for (let i = 0; i < 5; i++) {
      await new Promise<void>((done) => {
        const socket = net.connect(Number(port), "127.0.0.1", () => {
          const boundary = "----rvabort";
          socket.write(
            `POST /api/upload?sid=${b.sid} HTTP/1.1\r\nHost: 127.0.0.1:${port}\r\nCookie: ${b.cookie}\r\nContent-Type: multipart/form-data; boundary=${boundary}\r\nContent-Length: 1500\r\n\r\n` +
              `--${boundary}\r\nContent-Disposition: form-data; name="file"; filename="a.bin"\r\n\r\n` + "x".repeat(200),
          );
          // Gone halfway: the tab closed.
          setTimeout(() => (i % 2 ? socket.destroy() : socket.end()), 50);
          setTimeout(() => socket.destroy(), 1000);
        });
        socket.on("close", () => done());
        socket.on("error", () => {});
      });
    }
    await new Promise((r) => setTimeout(r, 200));
    expect(srv.logs.slice(before)).toEqual([]);
    // And the session may still upload.
    const form = new FormData();
    form.append("file", new Blob(["after"]), "after.txt");
    expect((await b.request(`/api/upload?sid=${b.sid}`, { method: "POST", body: form })).status).toBe(200);
  });

  it("refuses more files than the cap, and an unknown handle", async () => {
    const form = new FormData();
    for (let i = 0; i < 3; i++) form.append(`f${i}`, new Blob(["a"]), `${i}.txt`);
    const up = await b.request(`/api/upload?sid=${b.sid}`, { method: "POST", body: form });
    expect(up.status).toBe(413);
    expect(up.body.error.message).toMatch(/an upload carries at most 2 files/);
    const r = await b.rpc("receive", [{ $upload: "forged" }]);
    expect(r.status).toBe(400);
    expect(r.body.error.message).toContain('upload handle "forged" is unknown for this session');
  });
});

describe("the page", () => {
  it("carries a CSP with a per-response nonce for the runtime script", async () => {
    const one = await b.request("/");
    const two = await b.request("/");
    const nonceOf = (csp: string) => /'nonce-([^']+)'/.exec(csp)![1]!;
    const n1 = nonceOf(one.headers.get("content-security-policy")!);
    expect(n1).not.toBe(nonceOf(two.headers.get("content-security-policy")!));
    expect(one.body).toContain(`<script type="module" nonce="${n1}" src="/rv/runtime.`);
    expect(one.body).toContain('id="rv-boot"');
    expect(one.body).toContain('data-rv="');
  });

  it("keeps other sites' windows away from it (COOP), and over HTTPS asks the browser to stay on HTTPS (HSTS)", async () => {
    const plain = await b.request("/");
    expect(plain.headers.get("cross-origin-opener-policy")).toBe("same-origin");
    expect(plain.headers.get("strict-transport-security")).toBeNull(); // said over http, it would mean nothing
    const proxied = await serve(Store);
    proxied.handle.koa.proxy = true; // behind a proxy that terminates TLS
    try {
      const secure = await fetch(proxied.url + "/", { headers: { "x-forwarded-proto": "https" } });
      expect(secure.headers.get("strict-transport-security")).toBe("max-age=31536000");
    } finally {
      await proxied.close();
    }
  });
});
