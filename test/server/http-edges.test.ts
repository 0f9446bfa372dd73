import { connect } from "node:net";
import { gzipSync } from "node:zlib";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { App, createServer, h, server, type ServerOptions } from "revue";
import { Browser, serve, until } from "./harness.js";
import { selfSignedCert, send, startProxy } from "./proxy.js";

class Store extends App {
  count = 0;
  @server.realtime increment() { this.count++; }
  @server.rpc get() { return this.count; }
  override render() {
    return h("main", {}, String(this.count));
  }
}

const quiet = { logger: { warn() {}, error() {} } };
const KEY = "a-test-key-of-enough-length-1";
const OTHER_KEY = "a-test-key-of-enough-length-2";

/** The session id a served page boots with. */
const sidOf = (html: string) => /"sid":"([^"]+)"/.exec(html)![1]!;
/** `name=value` of the first Set-Cookie, and its attributes, lowercased. */
function cookieOf(setCookie: string | string[] | undefined | null): { pair: string; name: string; attrs: string[] } | undefined {
  const first = Array.isArray(setCookie) ? setCookie[0] : setCookie;
  if (!first) return undefined;
  const [pair, ...attrs] = first.split(";").map((s) => s.trim());
  return { pair: pair!, name: pair!.split("=")[0]!, attrs: attrs.map((a) => a.toLowerCase()) };
}

/** What a browser sends when the user follows a link from another site. */
const crossSiteVisit = { "sec-fetch-site": "cross-site", "sec-fetch-mode": "navigate", "sec-fetch-dest": "document", "sec-fetch-user": "?1" };

describe("a link to the app from another site", () => {
  let srv: Awaited<ReturnType<typeof serve>>;
  beforeAll(async () => void (srv = await serve(Store)));
  afterAll(() => srv.close());

  it("is served as a normal visit, and the page's session then works same-origin", async () => {
    const page = await send(`${srv.url}/`, { headers: crossSiteVisit });
    expect(page.status).toBe(200);
    expect(page.headers["content-type"]).toContain("text/html");
    const cookie = cookieOf(page.headers["set-cookie"])!;
    expect(cookie.attrs).toContain("samesite=lax");
    expect([page.headers["set-cookie"]].flat()).toHaveLength(1); // the token only: it carries its own MAC
    const sid = sidOf(page.body);
    // What the page's runtime then sends: same-origin, with the cookie of that visit.
    const same = { "sec-fetch-site": "same-origin", "sec-fetch-mode": "cors", origin: srv.url, cookie: cookie.pair };
    expect((await send(`${srv.url}/api/event`, { method: "POST", json: { sid, seq: 1, method: "increment" }, headers: same })).status).toBe(202);
    expect((await send(`${srv.url}/api/rpc/get`, { method: "POST", json: { sid, seq: 2, args: [] }, headers: same })).body).toEqual({ result: 1 });
    expect((await send(`${srv.url}/`, { method: "HEAD", headers: crossSiteVisit })).status).toBe(200);
  });

  it("is refused to another site's fetch() and frames, and creates nothing for them", async () => {
    const asFetch = await send(`${srv.url}/`, { headers: { "sec-fetch-site": "cross-site", "sec-fetch-mode": "cors", "sec-fetch-dest": "empty" } });
    expect(asFetch.status).toBe(403);
    expect(asFetch.body.error.code).toBe("FORBIDDEN");
    expect(asFetch.body.error.message).toContain("top-level navigation");
    const asFrame = await send(`${srv.url}/`, { headers: { ...crossSiteVisit, "sec-fetch-dest": "iframe" } });
    expect(asFrame.status).toBe(403);
    const asPost = await send(`${srv.url}/`, { method: "POST", body: "a=1", headers: { ...crossSiteVisit, "content-type": "application/x-www-form-urlencoded" } });
    expect(asPost.status).toBe(405);
    for (const r of [asFetch, asFrame, asPost]) expect(r.headers["set-cookie"]).toBeUndefined();
  });

  it("cannot reach the API: sessions, calls, streams and uploads stay refused cross-site, even as navigations", async () => {
    const b = await srv.browser().start();
    const upload = new FormData();
    upload.append("file", new Blob(["x"]), "x.txt");
    const multipart = new Response(upload);
    const as = (mode: string) => ({ ...crossSiteVisit, "sec-fetch-mode": mode, cookie: b.cookie });
    const attempts: Array<[string, () => ReturnType<typeof send>]> = [
      ["POST /api/session", () => send(`${srv.url}/api/session`, { method: "POST", json: {}, headers: as("navigate") })],
      ["POST /api/event (a form posted from another site)", () => send(`${srv.url}/api/event`, { method: "POST", json: { sid: b.sid, seq: 1, method: "increment" }, headers: as("navigate") })],
      ["POST /api/rpc/get (another site's fetch)", () => send(`${srv.url}/api/rpc/get`, { method: "POST", json: { sid: b.sid, seq: 2, args: [] }, headers: as("cors") })],
      ["GET /api/sse/<sid> navigated to", () => send(`${srv.url}/api/sse/${b.sid}`, { headers: as("navigate") })],
      ["POST /api/upload", async () => send(`${srv.url}/api/upload?sid=${b.sid}`, { method: "POST", body: Buffer.from(await multipart.arrayBuffer()), headers: { ...as("navigate"), "content-type": multipart.headers.get("content-type")! } })],
    ];
    for (const [what, attempt] of attempts) {
      const r = await attempt();
      expect({ what, status: r.status, code: r.body.error?.code }).toEqual({ what, status: 403, code: "FORBIDDEN" });
    }
    expect((await b.rpc("get")).body.result).toBe(0);
  });

  it("may load the runtime: assets are public, the same for everyone, and change nothing", async () => {
    const html = (await send(`${srv.url}/`)).body as string;
    const runtime = /src="(\/rv\/runtime\.[^"]+)"/.exec(html)![1]!;
    const r = await send(`${srv.url}${runtime}`, { headers: { "sec-fetch-site": "cross-site", "sec-fetch-mode": "no-cors", "sec-fetch-dest": "script" } });
    expect(r.status).toBe(200);
    expect(r.headers["content-type"]).toContain("javascript");
  });
});

describe("behind an https reverse proxy", () => {
  const tls = selfSignedCert();
  let trusting: Awaited<ReturnType<typeof serve>>;
  let untrusting: Awaited<ReturnType<typeof serve>>;
  let proxy: Awaited<ReturnType<typeof startProxy>>;
  let plainProxy: Awaited<ReturnType<typeof startProxy>>;
  beforeAll(async () => {
    trusting = await serve(Store, { trustProxy: true });
    untrusting = await serve(Store);
    proxy = await startProxy(trusting.url, tls);
    plainProxy = await startProxy(untrusting.url, tls);
  });
  afterAll(async () => {
    await proxy.close();
    await plainProxy.close();
    await trusting.close();
    await untrusting.close();
  });

  /** A page load through `via`, then the page's calls, as Chromium sends them (Origin on POST). */
  async function visit(via: string) {
    const page = await send(`${via}/`, { ca: tls.cert, headers: { "sec-fetch-site": "none", "sec-fetch-mode": "navigate", "sec-fetch-dest": "document" } });
    expect(page.status).toBe(200);
    const cookie = cookieOf(page.headers["set-cookie"])!;
    const sid = sidOf(page.body);
    const call = (path: string, json: unknown) => send(`${via}${path}`, { ca: tls.cert, method: "POST", json, headers: { cookie: cookie.pair, origin: via, "sec-fetch-site": "same-origin" } });
    return { cookie, sid, call };
  }

  it("with trustProxy, the page's POSTs pass and its cookie is Secure (__Host-rv_token)", async () => {
    const { cookie, sid, call } = await visit(proxy.url);
    expect(cookie.name).toBe("__Host-rv_token");
    expect(cookie.attrs).toEqual(expect.arrayContaining(["secure", "httponly", "path=/", "samesite=lax"]));
    expect(cookie.attrs.some((a) => a.startsWith("domain"))).toBe(false);
    expect((await call("/api/event", { sid, seq: 1, method: "increment" })).status).toBe(202);
    expect((await call("/api/rpc/get", { sid, seq: 2, args: [] })).body).toEqual({ result: 1 });
    const fresh = await send(`${proxy.url}/api/session`, { ca: tls.cert, method: "POST", json: {}, headers: { origin: proxy.url } });
    expect(fresh.status).toBe(201);
  });

  it("with trustProxy, a foreign Origin is still refused", async () => {
    const { sid, cookie } = await visit(proxy.url);
    const r = await send(`${proxy.url}/api/event`, { ca: tls.cert, method: "POST", json: { sid, seq: 1, method: "increment" }, headers: { cookie: cookie.pair, origin: "https://evil.example" } });
    expect(r.status).toBe(403);
    expect(r.body.error.code).toBe("FORBIDDEN");
  });

  it("without trustProxy the forwarded headers are ignored: no Secure cookie, POSTs refused with the fix in the message", async () => {
    const { cookie, sid, call } = await visit(plainProxy.url);
    expect(cookie.name).toBe("rv_token");
    expect(cookie.attrs).not.toContain("secure");
    const r = await call("/api/event", { sid, seq: 1, method: "increment" });
    expect(r.status).toBe(403);
    expect(r.body.error.message).toContain("trustProxy: true");
    // Sent straight to the server, the same headers claim nothing either.
    const direct = await send(`${untrusting.url}/api/session`, { method: "POST", json: {}, headers: { "x-forwarded-proto": "https", "x-forwarded-host": "app.example", origin: "https://app.example" } });
    expect(direct.status).toBe(403);
  });

  it("with trustProxy, the forwarded host and protocol are what Origin is compared with (default ports ignored)", async () => {
    for (const host of ["app.example", "app.example:443"]) {
      const r = await send(`${trusting.url}/api/session`, { method: "POST", json: {}, headers: { "x-forwarded-proto": "https", "x-forwarded-host": host, origin: "https://app.example" } });
      expect({ host, status: r.status }).toEqual({ host, status: 201 });
      expect(cookieOf(r.headers["set-cookie"])!.attrs).toContain("secure");
    }
    const wrong = await send(`${trusting.url}/api/session`, { method: "POST", json: {}, headers: { "x-forwarded-proto": "https", "x-forwarded-host": "app.example", origin: "https://other.example" } });
    expect(wrong.status).toBe(403);
  });

  it("refuses a trustProxy that is not a boolean", () => {
    expect(() => createServer(Store, { ...quiet, trustProxy: "yes" as unknown as boolean })).toThrow(/trustProxy must be true or false/);
  });
});

describe("the rv_token cookie", () => {
  /** A token of the right shape that this server never issued. */
  const planted = `rv_token=${"A".repeat(22)}.${"B".repeat(22)}`;

  let srv: Awaited<ReturnType<typeof serve>>;
  beforeAll(async () => void (srv = await serve(Store, { keys: [KEY] })));
  afterAll(() => srv.close());

  it("a planted token is replaced by a fresh one, which alone owns the new session", async () => {
    for (const cookie of [planted, "rv_token=an-old-style-token-of-22", "rv_token=x"]) {
      const page = await send(`${srv.url}/`, { headers: { cookie } });
      const fresh = cookieOf(page.headers["set-cookie"]);
      expect(fresh?.name).toBe("rv_token");
      expect(fresh?.pair).not.toBe(cookie);
      const sid = sidOf(page.body);
      const call = (c: string) => send(`${srv.url}/api/event`, { method: "POST", json: { sid, seq: 1, method: "increment" }, headers: { cookie: c } });
      expect((await call(cookie)).status).toBe(403);
      expect((await call(fresh!.pair)).status).toBe(202);
    }
  });

  it("a token it issued is kept: the next page load sets no cookie", async () => {
    const b = srv.browser();
    await b.request("/");
    const again = await b.request("/");
    expect(again.status).toBe(200);
    expect(again.headers.get("set-cookie")).toBeNull();
  });

  it("a cookie planted for the parent domain, sent next to the real one, does not hide it", async () => {
    const b = await srv.browser().start();
    const both = `${planted}; ${b.cookie}`;
    const page = await b.request("/", { headers: { cookie: both } });
    expect(page.headers.get("set-cookie")).toBeNull();
    expect((await b.request("/api/event", { method: "POST", json: { sid: b.sid, seq: 1, method: "increment" }, headers: { cookie: both } })).status).toBe(202);
  });

  it("a token signed with other keys is replaced", async () => {
    const other = await serve(Store, { keys: [OTHER_KEY] });
    try {
      const theirs = await other.browser().start();
      const page = await send(`${srv.url}/`, { headers: { cookie: theirs.cookie } });
      expect(cookieOf(page.headers["set-cookie"])?.pair).not.toBe(theirs.cookie);
    } finally {
      await other.close();
    }
  });

  it("over https, only __Host-rv_token counts: an rv_token planted by a sibling subdomain is ignored even when validly signed", async () => {
    const secure = await serve(Store, { keys: [KEY], trustProxy: true });
    try {
      const issued = await secure.browser().start(); // over http: a valid rv_token
      const forwarded = { "x-forwarded-proto": "https", "x-forwarded-host": "app.example" };
      const page = await send(`${secure.url}/`, { headers: { ...forwarded, cookie: issued.cookie } });
      const fresh = cookieOf(page.headers["set-cookie"])!;
      expect(fresh.name).toBe("__Host-rv_token");
      const sid = sidOf(page.body);
      const call = (cookie: string) => send(`${secure.url}/api/event`, { method: "POST", json: { sid, seq: 1, method: "increment" }, headers: { ...forwarded, origin: "https://app.example", cookie } });
      expect((await call(issued.cookie)).status).toBe(403);
      expect((await call(fresh.pair)).status).toBe(202);
    } finally {
      await secure.close();
    }
  });

  it("refuses empty or short keys, saying how to make one", () => {
    expect(() => createServer(Store, { ...quiet, keys: [] })).toThrow(/keys must be a non-empty array/);
    expect(() => createServer(Store, { ...quiet, keys: ["short"] })).toThrow(/keys\[0\] must be a secret string of at least 16 characters.*openssl rand/);
  });
});

describe("the rv_token cookie across a restart", () => {
  /** A session with count 1 saved from a first process, and the cookie of its browser. */
  async function savedSession(options: ServerOptions) {
    const first = await serve(Store, options);
    const b = await first.browser().start();
    await b.event("increment");
    const hub = first.handle.hubs.get("")!;
    await new Promise((r) => setTimeout(r, 50)); // the realtime call is answered 202 before it runs
    const snapshot = hub.snapshot(hub.get(b.sid)!);
    await first.close();
    return { snapshot, cookie: b.cookie, sid: b.sid };
  }

  /** A second process that restores the session, and the saved page's next call. */
  async function resumeOn(options: ServerOptions, saved: Awaited<ReturnType<typeof savedSession>>, cookie = saved.cookie) {
    const second = await serve(Store, options);
    try {
      await second.handle.hubs.get("")!.restore(saved.snapshot, { record: true });
      return await send(`${second.url}/api/rpc/get`, { method: "POST", json: { sid: saved.sid, seq: 2, args: [] }, headers: { cookie } });
    } finally {
      await second.close();
    }
  }

  it("with the same keys, the browser keeps its session on the next process", async () => {
    const saved = await savedSession({ keys: [KEY] });
    const r = await resumeOn({ keys: [KEY] }, saved);
    expect(r.status).toBe(200);
    expect(r.body).toEqual({ result: 1 });
  });

  it("with a key per process (the default), the restored session refuses the old cookie, so a store that outlives the process needs keys", async () => {
    const saved = await savedSession({});
    const r = await resumeOn({}, saved);
    expect(r.status).toBe(403);
  });

  it("after a key rotation the old token still verifies, and a page load re-signs it with the new key, keeping its sessions", async () => {
    const saved = await savedSession({ keys: [KEY] });
    const rotated = { keys: [OTHER_KEY, KEY] };
    expect((await resumeOn(rotated, saved)).status).toBe(200);
    const second = await serve(Store, rotated);
    try {
      await second.handle.hubs.get("")!.restore(saved.snapshot, { record: true });
      const page = await send(`${second.url}/`, { headers: { cookie: saved.cookie } });
      const resigned = cookieOf(page.headers["set-cookie"])!;
      expect(resigned.pair).not.toBe(saved.cookie);
      expect(resigned.pair.split(".")[0]).toBe(saved.cookie.split(".")[0]); // same id, new signature
      const r = await send(`${second.url}/api/rpc/get`, { method: "POST", json: { sid: saved.sid, seq: 2, args: [] }, headers: { cookie: resigned.pair } });
      expect(r.body).toEqual({ result: 1 });
    } finally {
      await second.close();
    }
    // A server that no longer has the old key replaces it.
    const r = await resumeOn({ keys: [OTHER_KEY] }, saved);
    expect(r.status).toBe(403);
  });
});

describe("what no route serves answers JSON with a code", () => {
  let srv: Awaited<ReturnType<typeof serve>>;
  let b: Browser;
  beforeAll(async () => {
    srv = await serve({ "/": Store, "/chat": Store });
    b = await srv.browser().start();
  });
  afterAll(() => srv.close());

  const rows: Array<[string, string, number, string, string?]> = [
    ["GET", "/api/nope", 404, "NOT_FOUND"],
    ["POST", "/api/nope/deeper", 404, "NOT_FOUND"],
    ["GET", "/chat/api/nope", 404, "NOT_FOUND"],
    ["GET", "/no-such-page", 404, "NOT_FOUND"],
    ["GET", "/rv/no-such-asset.js", 404, "NOT_FOUND"],
    ["GET", "/api/event", 405, "METHOD_NOT_ALLOWED", "POST"],
    ["DELETE", "/api/rpc/get", 405, "METHOD_NOT_ALLOWED", "POST"],
    ["PUT", "/", 405, "METHOD_NOT_ALLOWED", "HEAD, GET"],
    ["PUT", "/chat/api/session", 405, "METHOD_NOT_ALLOWED", "POST"],
    ["PROPFIND", "/api/emit", 405, "METHOD_NOT_ALLOWED", "POST"],
  ];
  for (const [method, path, status, code, allow] of rows) {
    it(`${method} ${path}: ${status} ${code}`, async () => {
      const r = await b.request(path, { method });
      expect(r.status).toBe(status);
      expect(r.headers.get("content-type")).toMatch(/^application\/json/);
      expect(r.headers.get("x-content-type-options")).toBe("nosniff");
      expect(r.body.error.code).toBe(code);
      expect(r.body.error.message).toContain(`${method} ${path}`);
      if (allow) expect(r.headers.get("allow")).toBe(allow);
    });
  }

  it("names the mount paths in the 404", async () => {
    const r = await b.request("/api/nope");
    expect(r.body.error.message).toContain('"/", "/chat"');
  });

  it("answers another version's app module (a page served by it in a rolling deploy) with this version's, not cached under that name", async () => {
    const page = await b.request("/");
    const mine = /"module":"\/rv\/(app\.[0-9a-f]{12}\.js)"/.exec(page.body as string)![1]!;
    const own = await fetch(`${srv.url}/rv/${mine}`);
    expect(own.headers.get("cache-control")).toContain("immutable");
    const code = await own.text();
    const other = await fetch(`${srv.url}/rv/app.${"0".repeat(12)}.js`);
    expect(other.status).toBe(200);
    expect(other.headers.get("cache-control")).toBe("no-store");
    expect(other.headers.get("content-type")).toMatch(/^application\/javascript/);
    expect(await other.text()).toBe(code);
    expect((await fetch(`${srv.url}/rv/runtime.${"0".repeat(12)}.js`)).status).toBe(404); // the runtime's and its chunks' are Revue's own
  });
});

describe("request bodies", () => {
  let srv: Awaited<ReturnType<typeof serve>>;
  let b: Browser;
  beforeAll(async () => {
    srv = await serve(Store);
    b = await srv.browser().start();
  });
  afterAll(() => srv.close());

  it("a valid gzip body is read, so only a broken one is refused", async () => {
    const body = gzipSync(JSON.stringify({ sid: b.sid, seq: ++b.seq, method: "increment" }));
    const r = await b.request("/api/event", { method: "POST", body, headers: { "content-type": "application/json", "content-encoding": "gzip" } });
    expect(r.status).toBe(202);
    const broken = await b.request("/api/event", { method: "POST", body: "not gzip", headers: { "content-type": "application/json", "content-encoding": "gzip" } });
    expect(broken.status).toBe(400);
    expect(broken.body.error.message).toContain('does not decompress as "content-encoding: gzip"');
    expect(srv.logs.filter((l) => l.startsWith("error"))).toEqual([]); // a client's mistake is not logged as a server failure
  });

  it("answers to POSTs (a new session's id and tree, an rpc's result, an accepted event) and errors are kept by no cache", async () => {
    const answers = [
      await b.request("/api/session", { method: "POST", json: {} }),
      await b.rpc("get", []),
      await b.request("/api/event", { method: "POST", json: { sid: b.sid, seq: ++b.seq, method: "increment" } }),
      await b.request("/api/rpc/nope", { method: "POST", json: { sid: b.sid, seq: ++b.seq, args: [] } }),
    ];
    expect(answers.map((r) => [r.status, r.headers.get("cache-control")])).toEqual([[201, "no-store"], [200, "no-store"], [202, "no-store"], [404, "no-store"]]);
    // Nor an error answering a GET: a route that is not there, a stream of no session.
    const gets = [await b.request("/api/nothing"), await b.request("/api/sse/not-a-session")];
    expect(gets.map((r) => [r.status, r.headers.get("cache-control")])).toEqual([[404, "no-store"], [404, "no-store"]]);
  });

  it("a declared UTF-8 charset is accepted in any spelling; any other is 415", async () => {
    for (const charset of ["utf-8", "UTF-8", "utf8", '"utf-8"']) {
      const r = await b.request("/api/event", { method: "POST", body: JSON.stringify({ sid: b.sid, seq: ++b.seq, method: "increment" }), headers: { "content-type": `application/json; charset=${charset}` } });
      expect({ charset, status: r.status }).toEqual({ charset, status: 202 });
    }
    const r = await b.request("/api/event", { method: "POST", body: JSON.stringify({ sid: b.sid, seq: b.seq + 1, method: "increment" }), headers: { "content-type": "application/json; charset=iso-8859-1" } });
    expect(r.status).toBe(415);
    expect(r.body.error.message).toContain('must be UTF-8, got charset "iso-8859-1"');
  });
});

describe("a request body that comes too slowly (limits.bodyMs)", () => {
  let srv: Awaited<ReturnType<typeof serve>>;
  let b: Browser;
  beforeAll(async () => {
    srv = await serve(Store, { limits: { bodyMs: 300 } });
    b = await srv.browser().start();
  });
  afterAll(() => srv.close());

  /** Sends a call's body in `parts`, `gapMs` apart, on a socket of its own; resolves with the answer once the server closes it or answers. */
  function paced(body: string, parts: number, gapMs: number, sendAll = true): Promise<{ text: string; closed: boolean }> {
    const socket = connect(Number(new URL(srv.url).port), "127.0.0.1");
    const { host } = new URL(srv.url);
    socket.write(`POST /api/event HTTP/1.1\r\nHost: ${host}\r\nOrigin: ${srv.url}\r\nCookie: ${b.cookie}\r\nContent-Type: application/json\r\nContent-Length: ${Buffer.byteLength(body)}\r\n\r\n`);
    const size = Math.ceil(body.length / parts);
    let sent = 0;
    const timer = setInterval(() => {
      if (sent >= (sendAll ? parts : 1)) return clearInterval(timer);
      socket.write(body.slice(sent * size, ++sent * size));
    }, gapMs);
    let text = "";
    socket.on("data", (d) => (text += d));
    return new Promise((resolve) => {
      const done = (closed: boolean) => (clearInterval(timer), resolve({ text, closed }));
      socket.on("close", () => done(true));
      socket.on("error", () => {});
      // An answer that keeps the connection: done once the whole JSON came.
      socket.on("data", () => /\r\n\r\n\{.*\}$/s.test(text) && !/connection: close/i.test(text) && (socket.destroy(), done(false)));
    });
  }

  const call = (seq: number) => JSON.stringify({ sid: b.sid, seq, method: "increment" }).padEnd(1_000, " ");

  it("is answered 400 naming the setting, its connection closed, and the call does not run", async () => {
    const started = Date.now();
    const cut = await paced(call(b.seq + 1), 100, 50, false); // 10 bytes, then nothing
    expect(Date.now() - started).toBeLessThan(5_000);
    expect(cut.closed).toBe(true);
    expect(cut.text).toMatch(/^HTTP\/1\.1 400/);
    expect(cut.text).toContain("limits.bodyMs");
    expect(cut.text.toLowerCase()).toContain("connection: close");
    expect((await b.rpc("get", [])).body.result).toBe(0);
  });

  it("is cut as soon as it stalls, however much came before: bytes sent early buy no time later", async () => {
    const started = Date.now();
    const cut = await paced(call(b.seq + 1), 1.1, 10, false); // 910 of 1,000 bytes at once, then nothing
    expect(cut.text).toMatch(/^HTTP\/1\.1 400/);
    expect(cut.text).toContain("0 bytes in the last 0.3 s");
    expect(Date.now() - started).toBeLessThan(1_500); // a credit of 2 ms per byte sent cut it after 2.1 s
  });

  it("is read when it keeps coming at 500 bytes a second or more, however long it takes", async () => {
    const slow = await paced(call(++b.seq), 8, 100); // 800 ms for 1,000 bytes: past 300 ms, but every 300 ms bring 375 bytes
    expect(slow.text).toMatch(/^HTTP\/1\.1 202/);
    expect((await b.rpc("get", [])).body.result).toBe(1);
  });
});

describe("a client that goes away mid-write", () => {
  it("is not logged as the server's error; any other error still is", async () => {
    const srv = await serve(Store);
    try {
      srv.handle.koa.emit("error", Object.assign(new Error("write EPIPE"), { code: "EPIPE" }));
      srv.handle.koa.emit("error", Object.assign(new Error("read ECONNRESET"), { code: "ECONNRESET" }));
      expect(srv.logs.filter((l) => l.startsWith("error"))).toEqual([]);
      srv.handle.koa.emit("error", new Error("a bug"));
      expect(srv.logs.filter((l) => l.startsWith("error"))).toEqual(["error [revue] unhandled error:"]);
    } finally {
      await srv.close();
    }
  });
});

describe("HEAD on a session's stream", () => {
  it("answers the stream's headers at once and leaves the open stream attached", async () => {
    const srv = await serve(Store);
    try {
      const b = srv.browser();
      b.sid = sidOf((await b.request("/")).body);
      const s = b.stream(1);
      await until(() => s.es.readyState === 1, "the page's stream open");
      // As a script on a raw socket sends it (fetch's HEAD hides what the socket got).
      const url = new URL(srv.url);
      const socket = connect(Number(url.port), url.hostname);
      let got = "";
      socket.on("data", (d) => (got += d));
      socket.write(`HEAD /api/sse/${b.sid} HTTP/1.1\r\nHost: ${url.host}\r\nCookie: ${b.cookie}\r\n\r\n`);
      await until(() => got.includes("\r\n\r\n"), "the HEAD answer's headers");
      socket.destroy();
      expect(got).toMatch(/^HTTP\/1\.1 200 /);
      expect(got).toMatch(/content-type: text\/event-stream/i);
      expect((await b.event("increment")).status).toBe(202);
      await s.waitFor((m) => m.type === "patch", "a patch on the stream that was open");
      expect(s.got.some((m) => m.type === "bye")).toBe(false);
    } finally {
      await srv.close();
    }
  });
});
