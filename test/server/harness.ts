import { EventSource } from "eventsource";
import { createServer, type AppClass, type ServerHandle, type ServerOptions } from "revue";

/** One SSE message as the page sees it. */
export interface Received {
  id: number;
  type: string;
  data: any;
}

const TYPES = ["init", "patch", "call", "event", "error", "bye"];

/** Polls `cond` until it holds, or fails after `ms` with `what`. */
export async function until(cond: () => boolean, what: string, ms = 5_000): Promise<void> {
  const end = Date.now() + ms;
  while (!cond()) {
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 5));
  }
}

/** A browser stand-in: a cookie jar, JSON calls with seq numbers, and a real EventSource. */
export class Browser {
  cookie = "";
  sid = "";
  seq = 0;
  streams: EventSource[] = [];

  constructor(public url: string) {}

  async request(path: string, init: RequestInit & { json?: unknown } = {}): Promise<{ status: number; body: any; headers: Headers }> {
    const headers = new Headers(init.headers);
    if (this.cookie && !headers.has("cookie")) headers.set("cookie", this.cookie);
    if (init.json !== undefined) {
      headers.set("content-type", "application/json");
      init.body = JSON.stringify(init.json);
    }
    const res = await fetch(this.url + path, { ...init, headers });
    const setCookie = res.headers.get("set-cookie");
    if (setCookie) this.cookie = setCookie.split(";")[0]!;
    const text = await res.text();
    let body: unknown = text;
    try {
      body = JSON.parse(text);
    } catch {}
    return { status: res.status, body, headers: res.headers };
  }

  /** Starts a session the way a re-bootstrapping page does. */
  async start(): Promise<this> {
    const r = await this.request("/api/session", { method: "POST", json: {} });
    if (r.status !== 201) throw new Error(`POST /api/session answered ${r.status}: ${JSON.stringify(r.body)}`);
    this.sid = r.body.sid;
    return this;
  }

  event(method: string, args: unknown[] = [], seq = ++this.seq) {
    return this.request("/api/event", { method: "POST", json: { sid: this.sid, seq, method, args } });
  }

  rpc(name: string, args: unknown[] = [], seq = ++this.seq) {
    return this.request(`/api/rpc/${name}`, { method: "POST", json: { sid: this.sid, seq, args } });
  }

  emit(event: string, data?: unknown, seq = ++this.seq) {
    return this.request("/api/emit", { method: "POST", json: { sid: this.sid, seq, event, data } });
  }

  /** Opens the session's stream with a real EventSource; `lastEventId` resumes. */
  stream(lastEventId?: number): { es: EventSource; got: Received[]; waitFor(pred: (m: Received) => boolean, what: string): Promise<Received> } {
    const got: Received[] = [];
    const cookie = this.cookie;
    const es = new EventSource(`${this.url}/api/sse/${this.sid}`, {
      fetch: (input, init) => {
        const headers = new Headers(init?.headers as HeadersInit);
        headers.set("cookie", cookie);
        if (lastEventId !== undefined && !headers.has("last-event-id")) headers.set("last-event-id", String(lastEventId));
        return fetch(input, { ...init, headers } as RequestInit);
      },
    });
    for (const type of TYPES) {
      es.addEventListener(type, (e) => {
        // EventSource fires its own "error" events (connection trouble) with no data.
        const data = (e as MessageEvent).data;
        if (typeof data === "string") got.push({ id: Number((e as MessageEvent).lastEventId), type, data: JSON.parse(data) });
      });
    }
    this.streams.push(es);
    return {
      es,
      got,
      async waitFor(pred, what) {
        await until(() => got.some(pred), what);
        return got.find(pred)!;
      },
    };
  }

  close(): void {
    for (const es of this.streams) es.close();
  }
}

/** Starts a server on an ephemeral port, with logs captured. */
export async function serve(apps: AppClass | Record<string, AppClass>, options: ServerOptions = {}) {
  const logs: string[] = [];
  const logger = { warn: (m: string) => void logs.push(`warn ${m}`), error: (m: string) => void logs.push(`error ${m}`) };
  const handle: ServerHandle = createServer(apps, { logger, ...options });
  const url = await handle.listen(0, "127.0.0.1");
  const browsers: Browser[] = [];
  return {
    handle,
    url,
    logs,
    browser(prefix = "") {
      const b = new Browser(url + prefix);
      browsers.push(b);
      return b;
    },
    async close() {
      for (const b of browsers) b.close();
      await handle.close();
    },
  };
}

/** The text of the first `text` op in a message, if any. */
export function textOf(m: Received): string | undefined {
  return m.data.ops?.find((o: { op: string }) => o.op === "text")?.text;
}
