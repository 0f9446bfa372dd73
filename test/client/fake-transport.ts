import { createApplier } from "../../client/apply.js";
import { createRuntime, type Boot, type Runtime } from "../../client/runtime.js";
import type { ClientModule, Reply, StreamHandlers, Transport, Uploadable, UploadHandle, UploadOptions } from "../../client/transport.js";
import { RECONNECTING } from "../../src/server/page.js";

/**
 * A scriptable Transport for the runtime's tests: records every POST, answers
 * them with `reply` (202 by default), hands out streams the test opens, feeds
 * and breaks by hand, and resolves the client module when the test says so.
 */

export interface FakeStream {
  url: string;
  on: StreamHandlers;
  closed: boolean;
  close(): void;
}

export interface Post {
  url: string;
  body: any;
}

export class FakeTransport implements Transport {
  readonly posts: Post[] = [];
  readonly streams: FakeStream[] = [];
  /** How POSTs are answered; throw (or reject) to simulate a network error. */
  reply: (url: string, body: any) => Reply | Promise<Reply> = () => ({ status: 202, body: { ok: true } });
  private resolveModule!: (m: ClientModule) => void;
  /** Makes the module fail to load. */
  failModule!: (err: Error) => void;
  private readonly module = new Promise<ClientModule>((resolve, reject) => ((this.resolveModule = resolve), (this.failModule = reject)));

  readonly uploads: Array<{ url: string; files: Uploadable; options?: UploadOptions }> = [];

  async upload(url: string, files: Uploadable, options?: UploadOptions): Promise<UploadHandle[]> {
    this.uploads.push({ url, files, options });
    return [];
  }

  async post(url: string, body: unknown): Promise<Reply> {
    this.posts.push({ url, body });
    return this.reply(url, body);
  }

  stream(url: string, on: StreamHandlers): FakeStream {
    const s: FakeStream = { url, on, closed: false, close: () => void (s.closed = true) };
    this.streams.push(s);
    return s;
  }

  load(): Promise<ClientModule> {
    return this.module;
  }

  /** Resolves the client module (an empty one unless given). */
  loadModule(mod: Partial<ClientModule> = {}): void {
    this.resolveModule({ methods: {}, kinds: {}, on: {}, calls: {}, rpc: {}, realtime: {}, ...mod });
  }

  /** The newest stream. */
  get last(): FakeStream {
    const s = this.streams.at(-1);
    if (!s) throw new Error("no stream was opened");
    return s;
  }

  /** Sends one server message on the newest stream, as the SSE frame would carry it. */
  send(msg: { type: string } & Record<string, unknown>): void {
    const { type, ...body } = msg;
    this.last.on.message(type, JSON.stringify(body));
  }

  /** The POSTs made to `path` (under the empty base). */
  to(path: string): any[] {
    return this.posts.filter((p) => p.url === path).map((p) => p.body);
  }
}

/** Server-rendered markup of a tiny app: `<main>` with a count and a +1 button. */
export const PAGE =
  '<main data-rv="w-0"><h1 data-rv="w-1"><!--w-2-->0</h1>' +
  '<button data-rv="w-3" data-rv-on-click="r:increment"><!--w-4-->+1</button></main>';

/** A page with `html` in `#rv-root` and a runtime over it, driven by a fake transport. */
export function page(html = PAGE, boot: Partial<Boot> = {}): { rv: Runtime; t: FakeTransport; root: HTMLElement } {
  // As the server writes a page (src/server/page.ts): the reconnecting flag, then the app's root.
  document.body.innerHTML = `${RECONNECTING}<div id="rv-root">${html}</div>`;
  const root = document.getElementById("rv-root")!;
  const t = new FakeTransport();
  const rv = createRuntime({ root, boot: { sid: "s1", rev: 1, base: "", module: "/rv/app.x.js", ...boot }, transport: t, applier: createApplier, backoffMs: 10 });
  return { rv, t, root };
}

/** Lets pending promise callbacks run. */
export const settle = () => new Promise((r) => setTimeout(r, 0));
