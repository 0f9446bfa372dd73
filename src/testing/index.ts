import type { App } from "../app.js";
import { RevueError } from "../errors.js";
import type { CallMessage, EventMessage, ServerMessage } from "../protocol.js";
import { Hub, pageCall, type AppClass, type Logger, type PageCall } from "../session/hub.js";
import type { Session } from "../session/session.js";
import { renderToString } from "../vdom/html.js";
import { ID_ATTR, ON_ATTR_PREFIX, type PatchOp } from "../vdom/types.js";
import { createApplier, type Applier } from "../../client/apply.js";

/**
 * `revue/testing`: drive a real session in-process, the way Phoenix's
 * LiveViewTest does, but speaking Revue's own protocol. Every interaction goes
 * through the same hub, queue, seq numbers, render and diff as over HTTP; the
 * resulting ops are applied to a jsdom document by the browser's own applier
 * (or, with `dom: "rendered"`, the document is re-rendered from the server's
 * tree after each patch).
 */

export interface MountOptions {
  /** `"patched"` (default): apply each patch with the real applier. `"rendered"`: re-render the server tree. */
  dom?: "patched" | "rendered";
  /** Where warnings and handler errors go. Default: collected in `logs`. */
  logger?: Logger;
}

/** A mounted session under test. */
export interface TestSession<A extends App> {
  /** The session's app instance (its fields are the state). */
  readonly app: A;
  readonly sid: string;
  /** The jsdom document the page lives in. */
  readonly document: Document;
  /** Every patch's ops, in order. */
  readonly ops: PatchOp[][];
  /** The revision after each message that changed the page. */
  readonly revisions: number[];
  /** Reverse calls (`this.client.name()`) received. */
  readonly calls: Array<Omit<CallMessage, "type">>;
  /** Custom events received. */
  readonly events: Array<{ event: string; data: unknown }>;
  /** Errors the page was told about (e.g. a realtime handler threw). */
  readonly errors: Array<{ code: string; message: string; seq?: number }>;
  /** Warnings and errors logged by the framework. */
  readonly logs: string[];
  /** The page's HTML (the app's root element, ids included). */
  html(): string;
  /** The text content of the first element matching `selector`. */
  text(selector: string): string;
  find(selector: string): Element | null;
  findAll(selector: string): Element[];
  /** Clicks the element: runs its `onClick` binding (or its nearest bound ancestor's). */
  click(selector: string): Promise<void>;
  /** Types `value` into an input and fires its `input` and `change` bindings. */
  input(selector: string, value: string): Promise<void>;
  /** Fills the form's named fields and fires its `submit` binding. */
  submit(selector: string, fields?: Record<string, string>): Promise<void>;
  /** `rv.emit(event, data)` from the page. */
  emit(event: string, data?: unknown): Promise<void>;
  /** Calls an `@server.rpc` method as the page would; resolves to its result. */
  rpc(name: string, ...args: unknown[]): Promise<unknown>;
  /** Waits until every queued call ran and the page caught up. */
  settle(): Promise<void>;
  /**
   * Opens one more session of the same app on the same hub, with its own
   * document: sessions opened this way share statics, rooms and events, the way
   * several browsers on one server do (a chat room under test).
   *
   * @example
   * const ann = await mount(Chat);
   * const bob = await ann.another();
   * await bob.submit("#join", { name: "bob", room: "a" });
   */
  another(): Promise<TestSession<A>>;
  /**
   * Closes the session (runs its `disconnect` handlers). The last session of a
   * hub to unmount also stops the hub (runs the static `stop` handlers).
   */
  unmount(): Promise<void>;
}

/**
 * Mounts an app in-process, connected, rendered into a jsdom document.
 *
 * @example
 * const t = await mount(Counter);
 * await t.click("#inc");
 * expect(t.text("#count")).toBe("1");
 * await t.unmount();
 */
export async function mount<A extends App>(cls: AppClass<A>, options: MountOptions = {}): Promise<TestSession<A>> {
  let JSDOM: typeof import("jsdom").JSDOM;
  try {
    ({ JSDOM } = await import("jsdom"));
  } catch {
    throw new RevueError("INTERNAL_ERROR", 'revue/testing needs jsdom to build the page: install it with "npm install --save-dev jsdom".');
  }
  const logs: string[] = [];
  const logger: Logger = options.logger ?? {
    warn: (m, ...rest) => void logs.push(`warn ${m}${rest.length ? " " + rest.map(String).join(" ") : ""}`),
    error: (m, ...rest) => void logs.push(`error ${m}${rest.length ? " " + rest.map(String).join(" ") : ""}`),
  };
  const mode = options.dom ?? "patched";
  const pages = new Map<string, (m: ServerMessage) => void>();
  const hub = new Hub(cls, { logger, deliver: (s, m) => pages.get(s.sid)?.(m) });
  // What static `@server.on("start")` handlers receive: the `emit`/`to` of a real server handle.
  await hub.start({
    emit: (event: string, data?: unknown) => hub.emit(event, data),
    to: (room: string) => ({ emit: (event: string, data?: unknown) => hub.emit(event, data, room) }),
  });
  let open = 0;

  const openPage = async (): Promise<TestSession<A>> => {
    const ops: PatchOp[][] = [];
    const revisions: number[] = [];
    const calls: Array<{ method: string; args: unknown[] }> = [];
    const events: Array<{ event: string; data: unknown }> = [];
    const errors: Array<{ code: string; message: string; seq?: number }> = [];

    let applier: Applier | undefined;
    const session: Session<A> = await hub.createSession();
    const receive = (m: ServerMessage) => {
      if (m.type === "patch") {
        ops.push(m.ops);
        revisions.push(m.rev);
        if (mode === "patched") applier!.apply(m.ops);
        else root.innerHTML = renderToString(session.view.current()!);
      } else if (m.type === "init") {
        revisions.push(m.rev);
        applier!.init(m.tree);
      } else if (m.type === "call") calls.push({ method: m.method, args: m.args });
      else if (m.type === "event") events.push({ event: m.event, data: m.data } satisfies Omit<EventMessage, "type">);
      else if (m.type === "error") errors.push({ code: m.code, message: m.message, seq: m.seq });
    };
    pages.set(session.sid, receive);
    open++;
    const first = hub.snapshotTree(session);
    const dom = new JSDOM(`<!doctype html><html><body><div id="rv-root">${renderToString(first.tree)}</div></body></html>`);
    const document = dom.window.document;
    const root = document.getElementById("rv-root")!;
    applier = createApplier(root);
    revisions.push(first.rev);
    await hub.lifecycle(session, "connect");
    await hub.settle();

    let seq = 0;
    const settle = () => hub.settle();
    /** A call as the page sends it: the next seq, arguments through JSON. */
    const send = (kind: PageCall["kind"], name: string, args: unknown[], data?: unknown): Promise<unknown> => hub.call(session, pageCall(kind, name, ++seq, args, data));
    const rpcResult = async (name: string, args: unknown[]) => (JSON.parse((await send("rpc", name, args)) as string) as { result: unknown }).result;
    const mustFind = (selector: string): Element => {
      const el = root.querySelector(selector);
      if (!el) throw new RevueError("BAD_REQUEST", `No element matches ${JSON.stringify(selector)} in ${hub.spec.name}'s page. It has:\n${root.innerHTML.slice(0, 500)}`);
      return el;
    };

    /** The client context `this` of a `@client` method under test. */
    const clientThis = (): Record<string, unknown> => {
      const ctx: Record<string, unknown> = {
        server: new Proxy({}, {
          get: (_t, name) => (...args: unknown[]) => {
            if (typeof name !== "string") return undefined;
            if (hub.spec.rpc.has(name)) return rpcResult(name, args);
            void send("realtime", name, args);
            return undefined;
          },
        }),
        emit: (event: string, data?: unknown) => void send("emit", event, [], data),
      };
      for (const e of hub.spec.client) ctx[e.method] = (...a: unknown[]) => (cls.prototype as unknown as Record<string, Function>)[e.method]!.apply(ctx, a);
      return ctx;
    };

    /** Runs the binding for `type` on `el` or its nearest bound ancestor, as the page's delegation does. */
    const fire = async (el: Element, type: string, summary: Record<string, unknown>, event: Event): Promise<void> => {
      const attr = ON_ATTR_PREFIX + type;
      const bound = el.closest(`[${attr.replace(/:/g, "\\:")}]`);
      if (!bound || !root.contains(bound)) {
        throw new RevueError("BAD_REQUEST", `<${el.localName}> has no ${type} binding (no on${type[0]!.toUpperCase()}${type.slice(1)} prop on it or its ancestors).`);
      }
      const m = /^([rc]):([^/]+)/.exec(bound.getAttribute(attr) ?? "");
      if (!m) throw new RevueError("BAD_REQUEST", `<${bound.localName} ${attr}="${bound.getAttribute(attr)}"> is not a Revue binding.`);
      if (m[1] === "r") await send("realtime", m[2]!, [summary]);
      else await (cls.prototype as unknown as Record<string, Function>)[m[2]!]!.call(clientThis(), event);
      await settle();
    };
    const valueOf = (el: Element) => ((el as HTMLInputElement).value === undefined ? undefined : (el as HTMLInputElement).value);

    const t: TestSession<A> = {
      app: session.instance,
      sid: session.sid,
      document,
      ops,
      revisions,
      calls,
      events,
      errors,
      logs,
      html: () => root.innerHTML,
      text: (selector) => mustFind(selector).textContent ?? "",
      find: (selector) => root.querySelector(selector),
      findAll: (selector) => [...root.querySelectorAll(selector)],
      async click(selector) {
        const el = mustFind(selector);
        await fire(el, "click", { type: "click", value: valueOf(el) }, new dom.window.MouseEvent("click", { bubbles: true }));
      },
      async input(selector, value) {
        const el = mustFind(selector) as HTMLInputElement;
        el.value = value;
        const summary = { type: "input", value, ...(el.type === "checkbox" || el.type === "radio" ? { checked: el.checked } : {}) };
        const attrs = [ON_ATTR_PREFIX + "input", ON_ATTR_PREFIX + "change"].filter((a) => el.closest(`[${a}]`));
        if (attrs.length === 0) throw new RevueError("BAD_REQUEST", `<${el.localName}> matching ${JSON.stringify(selector)} has no onInput or onChange binding.`);
        for (const a of attrs) {
          const type = a.slice(ON_ATTR_PREFIX.length);
          await fire(el, type, { ...summary, type }, new dom.window.Event(type, { bubbles: true }));
        }
      },
      async submit(selector, fields = {}) {
        const form = mustFind(selector) as HTMLFormElement;
        for (const [name, value] of Object.entries(fields)) {
          const input = form.querySelector(`[name="${name.replace(/"/g, '\\"')}"]`) as HTMLInputElement | null;
          if (!input) throw new RevueError("BAD_REQUEST", `The form ${JSON.stringify(selector)} has no field named "${name}".`);
          input.value = value;
        }
        const data: Record<string, string | string[]> = {};
        for (const [name, v] of new dom.window.FormData(form)) {
          if (typeof v !== "string") continue;
          const prior = data[name];
          data[name] = prior === undefined ? v : Array.isArray(prior) ? [...prior, v] : [prior, v];
        }
        await fire(form, "submit", { type: "submit", form: data }, new dom.window.Event("submit", { bubbles: true, cancelable: true }));
      },
      async emit(event, data) {
        await send("emit", event, [], data);
        await settle();
      },
      async rpc(name, ...args) {
        const result = await rpcResult(name, args);
        await settle();
        return result;
      },
      settle,
      another: openPage,
      async unmount() {
        if (!pages.has(session.sid)) return;
        await hub.lifecycle(session, "disconnect");
        await settle();
        pages.delete(session.sid);
        await hub.end(session, "expired");
        if (--open === 0) await hub.stop();
        dom.window.close();
      },
    };
    return t;
  };
  return openPage();
}

export { ID_ATTR };
