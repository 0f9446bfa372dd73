import { mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { pathToFileURL } from "node:url";
import { EventSource } from "eventsource";
import type { ClientModule, Reply, Transport, UploadHandle } from "../../client/transport.js";

/**
 * The page runtime's transport over Node's fetch and the `eventsource`
 * package, carrying the browser's cookie, for tests that run the real runtime
 * (client/runtime.ts) in jsdom against a real server. It behaves as
 * `browserTransport` does: `Retry-After` in replies, the stream's last id with
 * each frame, and the status of a refused stream asked once more with fetch.
 * Every reply is pushed to `seen` when given.
 */
export function nodeTransport(origin: () => string, cookie: () => string, seen?: Reply[]): Transport {
  const dir = mkdtempSync(join(tmpdir(), "revue-client-"));
  return {
    async post(url, body) {
      const res = await fetch(origin() + url, { method: "POST", headers: { "content-type": "application/json", cookie: cookie() }, body: JSON.stringify(body) });
      const reply: Reply = { status: res.status, body: await res.json().catch(() => undefined), retryAfterMs: +res.headers.get("retry-after")! * 1000 || undefined };
      seen?.push(reply);
      return reply;
    },
    stream(url, on) {
      const es = new EventSource(origin() + url, {
        fetch: (input, init) => fetch(input, { ...init, headers: { ...(init?.headers as Record<string, string>), cookie: cookie() } } as RequestInit),
      });
      let live = true;
      es.onopen = () => live && on.open();
      for (const type of ["init", "patch", "call", "event", "error", "bye"]) {
        es.addEventListener(type, (ev) => {
          const data = (ev as MessageEvent).data;
          if (live && typeof data === "string") on.message(type, data, (ev as MessageEvent).lastEventId);
          else if (live && type === "error") {
            if (es.readyState !== es.CLOSED) on.drop();
            else {
              live = false;
              void fetch(origin() + url, { headers: { cookie: cookie() } }).then((r) => (void r.body?.cancel(), on.fail(r.status === 200 ? 0 : r.status)), () => on.fail(0));
            }
          }
        });
      }
      return { close: () => ((live = false), es.close()) };
    },
    /** One multipart POST with fetch (no progress events in Node: onProgress hears the end only). */
    async upload(url, files, options) {
      const form = new FormData();
      for (const f of files instanceof Blob ? [files] : Array.from(files as ArrayLike<Blob>)) form.append("file", f);
      const res = await fetch(origin() + url, { method: "POST", headers: { cookie: cookie() }, body: form, signal: options?.signal });
      const body = (await res.json().catch(() => undefined)) as { files?: UploadHandle[]; error?: { code: string; message: string } } | undefined;
      if (res.status !== 200 || !body?.files) throw Object.assign(new Error(body?.error?.message ?? `HTTP ${res.status}`), { name: "RevueError", code: body?.error?.code ?? `HTTP_${res.status}` });
      options?.onProgress?.({ loaded: 1, total: 1 });
      return body.files;
    },
    async load(url) {
      const code = await (await fetch(origin() + url)).text();
      const file = join(dir, url.split("/").pop()!.replace(/\.js$/, ".mjs"));
      writeFileSync(file, code);
      return ((await import(/* @vite-ignore */ pathToFileURL(file).href)) as { default: ClientModule }).default;
    },
  };
}
