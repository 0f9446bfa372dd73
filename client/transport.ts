/**
 * The runtime's only contact with the network. Everything the runtime does
 * over HTTP goes through a {@link Transport}, so tests drive it with a fake
 * one and the page wires {@link browserTransport} (fetch + EventSource).
 */

/** The answer to a POST: its status, parsed JSON body (`undefined` if it had none) and `Retry-After` in ms (NaN or undefined when not given). */
export interface Reply {
  status: number;
  body: any;
  retryAfterMs?: number;
}

/** What a stream tells the runtime. */
export interface StreamHandlers {
  /** The stream is open (first time or after an automatic reconnect). */
  open(): void;
  /** One SSE frame: its `event:` name, raw `data:` text and the stream's last `id:`. */
  message(type: string, data: string, id?: string): void;
  /** The connection dropped; the stream is reconnecting by itself (sending Last-Event-ID). */
  drop(): void;
  /**
   * The stream is closed for good: the server answered with a non-200 status
   * (`404` means the session is gone), or `0` when the status is unknown.
   */
  fail(status: number): void;
}

/** An open stream; `close()` stops it for good and silences its handlers. */
export interface StreamHandle {
  close(): void;
}

/** The shape of the generated client module's default export (see src/server/client-module.ts). */
export interface ClientModule {
  /** Every `@client` method by method name. */
  methods: Record<string, (...args: any[]) => unknown>;
  /** Each method's kind: client | callback | client-realtime | client-on. */
  kinds: Record<string, string>;
  /** `@client.on` handlers: event name → method names. */
  on: Record<string, string[]>;
  /** `@client.realtime` public name → method name (what `call` messages name). */
  calls: Record<string, string>;
  /** The server's `@server.rpc` methods: method name → public (route) name. */
  rpc: Record<string, string>;
  /** The server's `@server.realtime` methods: method name → public name. */
  realtime: Record<string, string>;
}

/**
 * What `POST /api/upload` answers for each file, and what an `@server.rpc` /
 * `@server.realtime` method gets back as an `UploadedFile` when the page passes
 * it as an argument. (The server's `UploadHandle` has the same shape.)
 */
export interface UploadHandle {
  $upload: string;
  name: string;
  type: string;
  size: number;
}

/** Options of `rv.upload`. */
export interface UploadOptions {
  /** Called as the bytes leave: `loaded` of `total` bytes of the whole request (form encoding included). */
  onProgress?: (progress: { loaded: number; total: number }) => void;
  /** Aborts the upload; the promise rejects with code `ABORTED`. */
  signal?: AbortSignal;
}

/** Files as the page holds them: an `<input type=file>`'s `files`, an array of `File`s or `Blob`s, or one. */
export type Uploadable = Blob | ArrayLike<Blob> | Iterable<Blob>;

/**
 * Network access for the runtime.
 *
 * @example
 * const rt = createRuntime({ root, boot, transport: browserTransport() });
 */
export interface Transport {
  /** POSTs `body` as JSON; resolves with any status, rejects only on a network error. */
  post(url: string, body: unknown): Promise<Reply>;
  /** Opens a fresh stream (no Last-Event-ID: a fresh EventSource never sends one). */
  stream(url: string, on: StreamHandlers): StreamHandle;
  /** Loads the generated client module. */
  load(url: string): Promise<ClientModule>;
  /**
   * Uploads files to `url` (`POST {base}/api/upload?sid=…`) as one multipart form;
   * resolves with a handle per file, rejects with an error carrying the server's `code`.
   */
  upload(url: string, files: Uploadable, options?: UploadOptions): Promise<UploadHandle[]>;
}

/** Server message names: EventSource only dispatches named events to listeners for that name. */
const TYPES = ["init", "patch", "call", "event", "error", "bye"];

/**
 * The real transport: `fetch`, `EventSource` (same-origin: cookies go along), and
 * `import()` (allowed by the page's `'strict-dynamic'` CSP).
 *
 * @example
 * const t = browserTransport();
 * await t.post("/api/emit", { sid, seq: 1, event: "hi", data: null });
 */
export function browserTransport(): Transport {
  // The watchdog (see `stream`): the keep-alive interval the server last announced (none yet: no
  // watchdog), and how many intervals a stream may stay silent, doubled each time it gives up on
  // one without a message (a frame too big to arrive in time over a slow link then arrives).
  let beat = 0,
    patience = 2.5,
    // While the page goes away (this listener runs before the runtime's own, which sends what is pending):
    // only then do calls go with keepalive, whose 64 KB for all requests in flight would refuse bigger ones.
    leaving = false;
  addEventListener("pagehide", () => {
    leaving = true;
    setTimeout(() => (leaving = false));
  });
  return {
    // fetch's default credentials mode is "same-origin": the session cookie goes along.
    async post(url, body) {
      // keepalive: a call made as the page goes away still arrives.
      const res = await fetch(url, { method: "POST", headers: { "content-type": "application/json" }, body: JSON.stringify(body), keepalive: leaving });
      return { status: res.status, body: await res.json().catch(() => undefined), retryAfterMs: +res.headers.get("retry-after")! * 1000 };
    },

    stream(url, on) {
      const es = new EventSource(url);
      let live = true;
      // The server's keep-alive frames (unnamed, their data the interval in ms) come every
      // interval: a stream that sends nothing for `patience` intervals (a dead connection a
      // proxy or a changed network keeps open, or a request that never gets an answer) is
      // dropped and reopened. Armed from the start with the last interval known.
      let dog: ReturnType<typeof setTimeout> | 0;
      const pet = (..._: unknown[]) => {
        clearTimeout(dog);
        dog = beat && setTimeout(() => live && ((live = false), (patience *= 2), es.close(), on.fail(0)), beat * patience);
      };
      pet();
      es.onopen = () => live && on.open();
      // The first keep-alive comes as the stream opens; a second one means the stream flows: patience is back to 2.5.
      let beats = 0;
      es.onmessage = (ev) => pet((beat = +ev.data), beats++ && (patience = 2.5));
      for (const type of TYPES) {
        es.addEventListener(type, (ev) => {
          // The server's `error` frames and the connection's own `error` event share
          // one name; only the former carry data.
          const data = (ev as MessageEvent).data;
          if (live && typeof data === "string") pet((patience = 2.5)), on.message(type, data, (ev as MessageEvent).lastEventId);
          else if (live && type === "error") lost();
        });
      }
      const lost = () => {
        if (es.readyState < 2 /* CLOSED */) return on.drop();
        // EventSource hides the status of a refused connection; ask once more with a HEAD (a GET
        // would open a stream there, its session connected and at once disconnected) and abort as soon as the headers are in.
        live = false;
        const abort = new AbortController();
        // No answer in 5 s (a proxy holding the request): a network failure, retried, rather than a page waiting forever.
        setTimeout(() => abort.abort(), 5e3);
        fetch(url, { method: "HEAD", signal: abort.signal })
          .then((r) => (abort.abort(), r.status), () => 0)
          .then((status) => closed || on.fail(status === 200 ? 0 : status));
      };
      let closed = false;
      return {
        close() {
          closed = true;
          live = false;
          es.close();
        },
      };
    },

    load: (url) => import(/* @vite-ignore */ url).then((m: { default: ClientModule }) => m.default),

    // XMLHttpRequest (fetch reports no upload progress) in a module of its own, fetched on
    // first use: pages that never upload never load it (see src/server/runtime-bundle.ts).
    upload: (url, files, options) => import("./upload.js").then((m) => m.upload(url, files, options)),
  };
}
