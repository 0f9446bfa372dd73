import type { Applier } from "./apply.js";
import { createBus, type Bus } from "./bus.js";
import type { ClientContext } from "./context.js";
import { delegateEvents } from "./events.js";
import { createQueue, RevueError } from "./queue.js";
import { createStream } from "./stream.js";
import type { ClientModule, Transport, Uploadable, UploadHandle, UploadOptions } from "./transport.js";
import type { CallMessage, EventMessage } from "../src/protocol.js";

/**
 * `window.rv`: the bus, plus the state and wiring of one page. Lifecycle
 * order is state, not timing (compare Socket.IO's `onconnect`):
 *
 * 1. `ready` — once per page load, when the server-rendered DOM is hydrated,
 *    the event listeners are bound and the client module is loaded. Server
 *    `call`/`event` messages that arrive earlier wait, then run right after it.
 * 2. `connect` — after `ready`, each time the stream opens. If the stream opens
 *    first, `connect` waits for `ready`. Outgoing calls are buffered while the
 *    stream is closed and flushed, in order, before `connect` fires.
 * 3. `disconnect` — when a stream that was announced with `connect` drops.
 */

/** The data block the server renders in `<script type="application/json" id="rv-boot">`. */
export interface Boot {
  sid: string;
  rev: number;
  /** Prefix of every route, e.g. "" or "/chat". */
  base: string;
  /** URL of the generated client module, under `{base}/rv/`. */
  module?: string;
  /** `treeHash` of the server-rendered tree (the server compares it when the page connects). */
  hash?: string;
  /** The app's `@synced` fields (`rv.state`). */
  s?: Record<string, unknown>;
  /** Who the page is of (a hash of the signed-in user), sent when it asks for a session again. */
  u?: string;
}

/** Everything a runtime needs; `transport` and `applier` are injectable for tests. */
export interface RuntimeOptions {
  /** The container of the server-rendered app (`#rv-root`). */
  root: Element;
  boot: Boot;
  transport: Transport;
  /** Builds the patch applier over `root` (it hydrates the DOM there). */
  applier: (root: Element) => Applier;
  /** Default debounce of text-input events bound to realtime methods, in ms. */
  typingMs?: number;
  /** Stream retry tuning; defaults suit a browser. */
  backoffMs?: number;
}

/** `window.rv`: the bus plus the page's connection state. */
export interface Runtime extends Bus {
  /** Resolves once, when `ready` fires. */
  readonly ready: Promise<void>;
  /** The session id (it changes when a lost session is replaced). */
  readonly session: string;
  /** The revision of the DOM shown. */
  readonly revision: number;
  /** Whether the stream is open. */
  readonly connected: boolean;
  /**
   * The app's `@synced` fields as the page last got them (each patch that
   * changes one brings its new value; `rv.on("state", (changed) => …)` hears
   * which). Only fields the app marks `@synced` are here.
   */
  readonly state: Readonly<Record<string, unknown>>;
  /**
   * Goes to `url` the way a link with `navigate` does: without a page load
   * when it is one of this server's routes (the same app's session gets its
   * new params and query; another app's page replaces this one, and
   * `window.rv` becomes that page's runtime), with one otherwise. Back
   * returns here unless `replace`.
   *
   * @example rv.navigate("/items/42");
   */
  navigate(url: string, replace?: boolean): Promise<void>;
  /**
   * Calls a `@server.rpc` method by public name; resolves with its result,
   * rejects with a `RevueError` carrying the server's `code`.
   */
  rpc(name: string, ...args: unknown[]): Promise<unknown>;
  /**
   * Uploads files to this session (`POST {base}/api/upload`) and resolves with
   * a handle per file, to pass as an argument to an `@server.rpc` or
   * `@server.realtime` method, which receives it as an `UploadedFile`. Rejects
   * with an error carrying the server's `code` (`PAYLOAD_TOO_LARGE`,
   * `UPLOAD_QUOTA`, …), `NETWORK_ERROR` or `ABORTED`. The code that sends the
   * request is fetched on the first upload, so pages that never upload never load it.
   *
   * @example
   * const input = document.getElementById("file") as HTMLInputElement;
   * const [handle] = await rv.upload(input.files!, { onProgress: (p) => (bar.value = (100 * p.loaded) / p.total) });
   * await this.server.received(handle);
   */
  upload(files: Uploadable, options?: UploadOptions): Promise<UploadHandle[]>;
  /** Stops the stream and its retries (for tests and teardown). */
  close(): void;
}

/** What the navigation chunk (client/nav.ts) reaches of a runtime. */
export interface Internals {
  rv: Runtime;
  rpc(name: string, args: unknown[]): Promise<unknown>;
  opts: RuntimeOptions;
  /** createRuntime, for the page of another app (a chunk importing it would split the runtime in two files). */
  make(opts: RuntimeOptions): Runtime;
}

/**
 * Creates a page runtime: hydrates `root`, opens the stream and loads the
 * client module. (Closures rather than a class: local names minify, property
 * names do not, and the runtime has a size budget.)
 *
 * @example
 * window.rv = createRuntime({ root, boot, transport: browserTransport(), applier: createApplier });
 * rv.on("ready", () => console.log("hydrated"));
 * const n = await rv.rpc("reset", 0);
 */
export function createRuntime(opts: RuntimeOptions): Runtime {
  const { root, boot, transport } = opts;
  let isReady = false;
  let open = false;
  let announced = false;
  /** The client module did not load: the page says to reload, whatever its stream does. */
  let broken = false;
  let markReady!: () => void;
  let mod: ClientModule | void;
  let ctx: ClientContext | undefined;
  /** client/context.js, loaded with the page's client module. */
  let chunk: typeof import("./context.js") | undefined;
  const inbox: (CallMessage | EventMessage)[] = [];

  // Every call sends the debounced typing first: a save made right after typing sees what was typed.
  const send = (path: string, body: Record<string, unknown>, awaited?: boolean) => (events.flush(), queue.push(path, body, awaited));
  const bus = createBus((event, data) => send("/api/emit", { event, data }));
  const state: Record<string, unknown> = { ...boot.s };
  // Navigation, addresses and cookies (client/nav.ts) load on first use: pages that never navigate never fetch them.
  // One import for all: Chromium resolves two import() calls made while the chunk loads in either order, and two clicks must go in theirs.
  // A chunk that did not load (the server down, or a new version deployed) is never fetched again by
  // Chromium, which keeps the failure under its URL: the page goes by page loads instead (`orElse`),
  // as links without `navigate` do; every navigation was dead until a reload (new-user probe).
  let navChunk: Promise<typeof import("./nav.js")> | undefined;
  const nav = (f: (m: typeof import("./nav.js"), i: Internals) => unknown, orElse: () => unknown) =>
    (navChunk ??= import("./nav.js")).then((m) => f(m, internals), () => ((navChunk = undefined), orElse()));
  const report = (err: unknown) => bus.local("error", err) || console.error("[revue]", err);
  const announce = () => open && isReady && !announced && (announced = true) && bus.local("connect");
  const upload = (files: Uploadable, o?: UploadOptions) => transport.upload(boot.base + "/api/upload?sid=" + stream.sid, files, o);
  const rpc = (name: string, args: unknown[]) => send(`/api/rpc/${encodeURIComponent(name)}`, { args }, true);

  /** Sends a `@server.realtime` call (a stub call or a bound DOM event); resolves once the patch that answers it is applied. */
  const call = (method: string, args: unknown[]) => send("/api/event", { method, args });

  /** Runs a shipped client method; its errors, sync or async, are reported, not thrown into the runtime. */
  const run = (method: string, args: unknown[]) => {
    const fn = ctx?.[method];
    if (typeof fn !== "function") return void console.warn(`[revue] no @client method ${method}`);
    // Runs now (a callback may preventDefault); a throw or a rejection is reported.
    new Promise((resolve) => resolve(fn(...args))).catch(report);
  };

  const deliver = (msg: CallMessage | EventMessage) => {
    if (msg.type === "event") return void bus.local(msg.event, msg.data);
    // (A page without a client module has no @client method: the server's types offer none to call.)
    const method = chunk?.calledMethod(mod!, msg.method);
    if (method) run(method, msg.args);
  };

  /**
   * Shows or hides the flag the server wrote in the page (`#rv-rc`, before the app's root, so no element of
   * the app's takes its id), saying `say`: its `data-rc` words while the stream is down, its `data-gone` words
   * once the stream gives up, or a failure of the server's own (a bug: its error has an id) in the server's words.
   */
  const indicate = (on: boolean, say = "gone") => {
    const flag = root.ownerDocument.getElementById("rv-rc");
    if (flag && !(flag.hidden = !on)) flag.textContent = flag.dataset[say] ?? say;
  };

  const queue = createQueue({
    post: (path, body) => transport.post(boot.base + path, body),
    sid: () => stream.sid,
    gone: () => stream.renew(),
    failed: report,
    unheard: () => stream.start(),
  });

  const applier = opts.applier(root);
  const events = delegateEvents(root, {
    realtime: call,
    callback: run,
    // revue/ui's fileUpload: its part lives with rv.upload's, fetched on the first upload.
    // Its chunk not loading (the server down, or a new version deployed) fails the upload as DISCONNECTED, which the
    // method hears once the server answers: the browser keeps that failure, so only a reload lets the page upload again.
    upload: (name, args, input, done = (outcome: object) => call(name, [...args, outcome])) =>
      import("./upload.js").then((m) => m.uploadBound(input, upload, done), () => done({ type: "upload", error: "DISCONNECTED" })),
  }, opts.typingMs);
  events.scan(root.outerHTML);
  // Leaving the page (a reload, a closed tab, a link): what the visitor typed in the last moments
  // (debounced, typingMs) goes now, in requests that outlive the page (the transport's keepalive).
  // Removed by close: a runtime live navigation replaced is not kept alive by it, nor the view it showed.
  const win = root.ownerDocument.defaultView!;
  win.addEventListener("pagehide", events.flush);

  const stream = createStream(transport, {
    init(tree) {
      applier.init(tree);
      events.scan(JSON.stringify(tree));
    },
    apply(ops) {
      applier.apply(ops);
      events.scan(JSON.stringify(ops));
    },
    acked: (ack, resend) => queue.acked(ack, !!resend),
    extra(m) {
      if (m.s) {
        // An init carries every field (a new process after a failover): only those whose value differs are news.
        const changed: Record<string, unknown> = {};
        let any = 0;
        for (const k in m.s) if (JSON.stringify(m.s[k]) !== JSON.stringify(state[k])) (changed[k] = state[k] = m.s[k]), (any = 1);
        if (any) bus.local("state", changed);
      }
      // Without the chunk: the handlers' cookies, then where a handler sent the page.
      const x = m.x;
      if (x) nav((n, i) => n.follow(x, i), async () => (x.c && (await transport.post(boot.base + "/api/cookie", { sid: stream.sid, ticket: x.c }).catch(() => {})), x.g && location[x.r ? "replace" : "assign"](x.g)));
      if (m.t != null) root.ownerDocument.title = m.t;
    },
    message(msg) {
      // A bug's error (a render or a handler that threw): the visitor is told, not left with a page that does not move.
      if (msg.type === "error") report(new RevueError(msg.code, msg.message)), msg.id && indicate(true, msg.message);
      else if (isReady) deliver(msg);
      else inbox.push(msg);
    },
    opened() {
      open = true;
      indicate(broken);
      queue.connect();
      announce();
    },
    dropped() {
      indicate(true, "rc");
      if (!open) return;
      open = false;
      queue.disconnect();
      if (announced) (announced = false), bus.local("disconnect");
    },
    // Form recovery: what the old page's named fields hold goes first to the new session (App.recoverForms).
    // Read before the new tree replaces them (the stream waits); a chunk that cannot load recovers nothing.
    renewed: (same) =>
      import("./recover.js").then((m) => m.recoveredForms(root), () => undefined).then((forms) => {
        // The same session keeps its sequence (what it ran is not run again); a new one starts at 1.
        same || queue.reset();
        if (forms) void queue.push("/api/event", { method: "rv.recover", args: [forms] }, false, true);
      }),
    gaveUp: (why) => (indicate(true), report(new RevueError("DISCONNECTED", `gave up: ${why}; reload the page`))),
  }, { ...boot, backoffMs: opts.backoffMs });

  const hydrated = (loaded: [ClientModule?, (typeof import("./context.js"))?] | void) => {
    mod = loaded?.[0];
    if (mod) {
      ctx = (chunk = loaded![1]!).createContext(mod, { rpc, realtime: call, emit: (e, d) => bus.emit(e, d) });
      for (const [event, methods] of Object.entries(mod.on)) for (const m of methods) bus.on(event, (...args: unknown[]) => run(m, args));
    }
    isReady = true;
    markReady();
    bus.local("ready");
    for (const msg of inbox.splice(0)) deliver(msg);
    announce();
  };

  // The bus's methods copied in: they share its listeners, and return `this` (rv) to chain.
  const rv = Object.assign({
    ready: new Promise<void>((resolve) => (markReady = resolve)),
    state,
    navigate: (url: string, replace?: boolean) => nav((n, i) => n.go(url, replace, i), () => location[replace ? "replace" : "assign"](url)),
    rpc: (name: string, ...args: unknown[]) => rpc(name, args),
    upload,
    close: () => (stream.stop(), win.removeEventListener("pagehide", events.flush)),
    get session() {
      return stream.sid;
    },
    get revision() {
      return stream.rev;
    },
    get connected() {
      return open;
    },
  }, bus) as Runtime;

  const internals: Internals = { rv, rpc, opts, make: createRuntime };
  stream.start();
  const url = boot.module;
  // The module's `this` is built by a chunk of its own, loaded with it: a page without @client methods never needs it (Promise.all([]) resolves at once).
  Promise.all(url ? [transport.load(url), import("./context.js")] as const : [])
    // A module or chunk that cannot load (a 502 while a node fails over) is reported (the browser's error names its URL) and the
    // page says to reload: the browser keeps a failed module for the page's life, and without it every @client method is missing.
    .catch((err) => void (indicate((broken = true)), report(err)))
    .then(hydrated);
  return rv;
}
