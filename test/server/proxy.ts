import { execFileSync } from "node:child_process";
import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { createServer as createHttp, request as httpRequest, type IncomingMessage, type Server } from "node:http";
import { createServer as createHttps, request as httpsRequest } from "node:https";
import type { AddressInfo } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";

/** A self-signed certificate for localhost and 127.0.0.1, made with openssl (valid one day). */
export function selfSignedCert(): { key: string; cert: string } {
  const dir = mkdtempSync(join(tmpdir(), "revue-tls-"));
  try {
    execFileSync("openssl", [
      "req", "-x509", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1", "-nodes",
      "-keyout", join(dir, "key.pem"), "-out", join(dir, "cert.pem"), "-days", "1",
      "-subj", "/CN=localhost", "-addext", "subjectAltName=DNS:localhost,IP:127.0.0.1",
    ], { stdio: "pipe" });
    return { key: readFileSync(join(dir, "key.pem"), "utf8"), cert: readFileSync(join(dir, "cert.pem"), "utf8") };
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

/**
 * A reverse proxy as nginx's `proxy_pass http://upstream` would be: it
 * terminates TLS (with `tls`), sends the request on with the upstream's own
 * `Host`, and says where it came from in `X-Forwarded-Proto` and
 * `X-Forwarded-Host`. Responses are piped as they come, so SSE streams through.
 */
export async function startProxy(upstream: string, tls?: { key: string; cert: string }): Promise<{ url: string; close(): Promise<void> }> {
  const target = new URL(upstream);
  const handler = (req: IncomingMessage, res: import("node:http").ServerResponse) => {
    const headers = { ...req.headers, host: target.host, "x-forwarded-proto": tls ? "https" : "http", "x-forwarded-host": req.headers.host ?? "" };
    const out = httpRequest({ host: target.hostname, port: target.port, method: req.method, path: req.url, headers }, (up) => {
      res.writeHead(up.statusCode ?? 502, up.headers);
      up.pipe(res);
    });
    out.on("error", () => res.headersSent ? res.destroy() : res.writeHead(502).end());
    res.on("close", () => out.destroy());
    req.pipe(out);
  };
  const server: Server = tls ? createHttps(tls, handler) : createHttp(handler);
  await new Promise<void>((r) => server.listen(0, "127.0.0.1", r));
  const url = `${tls ? "https" : "http"}://localhost:${(server.address() as AddressInfo).port}`;
  return {
    url,
    close: () => new Promise<void>((r) => {
      server.closeAllConnections();
      server.close(() => r());
    }),
  };
}

/** One answer of {@link send}. */
export interface Answer {
  status: number;
  headers: IncomingMessage["headers"];
  body: any;
}

/**
 * An http(s) request trusting `ca`, with a JSON body if `json` is given; the
 * answer's body is parsed when it is JSON. Unlike fetch(), which always says
 * `Sec-Fetch-Mode: cors`, it sends the headers as given, so a test can send
 * what a browser sends for a navigation.
 */
export function send(url: string, init: { method?: string; headers?: Record<string, string>; json?: unknown; body?: string | Buffer; ca?: string } = {}): Promise<Answer> {
  const u = new URL(url);
  const body = init.json === undefined ? init.body : JSON.stringify(init.json);
  const headers: Record<string, string> = { ...(body === undefined ? {} : { "content-type": "application/json" }), ...init.headers };
  const request = u.protocol === "https:" ? httpsRequest : httpRequest;
  return new Promise((resolve, reject) => {
    const req = request(u, { method: init.method ?? "GET", headers, ca: init.ca }, (res) => {
      const chunks: Buffer[] = [];
      res.on("data", (c: Buffer) => chunks.push(c));
      res.on("end", () => {
        const text = Buffer.concat(chunks).toString("utf8");
        let parsed: unknown = text;
        try {
          parsed = JSON.parse(text);
        } catch {}
        resolve({ status: res.statusCode ?? 0, headers: res.headers, body: parsed });
      });
    });
    req.on("error", reject);
    // A request the server should have refused but answered with a stream must fail the test, not hang it.
    req.setTimeout(5_000, () => req.destroy(new Error(`${init.method ?? "GET"} ${url}: no complete answer within 5 s`)));
    req.end(body);
  });
}
