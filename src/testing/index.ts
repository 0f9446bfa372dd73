import { randomBytes } from "node:crypto";
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import type { App } from "../app.js";
import { RevueError, UsageError } from "../errors.js";
import { treeHash, type CallMessage } from "../protocol.js";
import { ANONYMOUS, Hub, type AppClass, type Logger, type Who } from "../session/hub.js";
import { firstValues, matchRoute } from "../session/address.js";
import { normalisePrefix } from "../server/mount.js";
import { rolesOf } from "../registry/entries.js";
import type { Session } from "../session/session.js";
import { generateClientModule } from "../server/client-module.js";
import { pageHead, renderPage } from "../server/page.js";
import { buildTestingRuntime, TESTING_RUNTIME_GLOBAL } from "../server/runtime-bundle.js";
import { ID_ATTR, ON_ATTR_PREFIX, type PatchOp } from "../vdom/types.js";
import type { createApplier } from "../../client/apply.js";
import type { createRuntime, Runtime } from "../../client/runtime.js";
import { Activity, hubTransport } from "./hub-transport.js";

/**
 * `revue/testing`: an app under test, in-process, driven through the very
 * runtime a browser runs (client/runtime.ts with its patch applier, event
 * delegation, call queue and stream), inside a jsdom window, over an
 * in-process transport to the app's {@link Hub} (no sockets). Clicks, typing
 * and submits are real DOM events that the runtime turns into calls; every
 * call and answer makes the JSON round trip; `@client` code runs in the
 * window, with its `document`, `FormData` and events, exactly as shipped.
 */

export interface MountOptions {
  /**
   * `"patched"` (default): the page applies each patch, as a browser does.
   * `"rendered"`: each patch reaches the page as a snapshot of the server's
   * tree instead, so the document is rebuilt from the tree every time (to
   * compare both paths).
   */
  dom?: "patched" | "rendered";
  /** Where the server's warnings and handler errors go. Default: collected in `logs`. */
  logger?: Logger;
  /** Debounce of typing into a field bound to a `@server.realtime` method, in ms (the page's default: 150). */
  typingMs?: number;
  /**
   * The signed-in user the page's requests come from (`this.user`), as
   * `createServer`'s `authenticate` would return it; its roles are
   * `user.roles` (or `[user.role]`). Default: nobody.
   * @example const t = await mount(Admin, { user: { name: "ada", roles: ["admin"] } });
   */
  user?: unknown;
  /** Upload limits, as in `createServer({ limits })`: one request's bytes and files, and what one session may keep. */
  limits?: { upload?: number; files?: number; sessionUploadBytes?: number; sessionUploadFiles?: number };
  /**
   * The app's route, as createServer's key (`"/items/:id"`). Default "/".
   * @example const t = await mount(Item, { route: "/items/:id", url: "/items/42?tab=reviews" });
   */
  route?: string;
  /** The address the page opens at (its params, query and `@url` fields): a path under `route`. Default: the route itself. */
  url?: string;
  /**
   * As createServer's `production`: an error that is a bug reaches the page
   * (and the kit's controls) without its message. Default: `NODE_ENV === "production"`.
   * @example const t = await mount(Checkout, { production: true });
   */
  production?: boolean;
}

/** Options of {@link TestSession.another}: where the second page differs from the first. */
export interface AnotherPage {
  /** Its signed-in user (`null`: nobody), instead of the first page's (`undefined`: the first page's). @example const bob = await ann.another({ user: { name: "bob" } }); */
  user?: unknown;
  /** Its address under the same route, instead of the first page's. @example await t.another({ url: "/items/43" }); */
  url?: string;
}

/** A file for {@link TestSession.upload}: what a user picks in a file input. */
export interface TestFile {
  name: string;
  /** MIME type. Default: "application/octet-stream". */
  type?: string;
  content: string | Uint8Array | ArrayBuffer;
}

/** A mounted page under test. */
export interface TestSession<A extends App> {
  /** The app instance of the page's session (its fields are the state). */
  readonly app: A;
  /** The page's session id (it changes if the page had to start a new session). */
  readonly sid: string;
  /**
   * The page's jsdom window: where `@client` code runs. Its constructors make
   * the page's own events: `new t.window.KeyboardEvent("keydown", { key: "Enter", bubbles: true })`.
   */
  readonly window: Window & typeof globalThis;
  /** The page's document. */
  readonly document: Document;
  /** The page's runtime, `window.rv`: `rv.on(…)`, `rv.rpc(…)`, `rv.upload(…)`. */
  readonly rv: Runtime;
  /**
   * The app's hub, shared by the pages `another()` opens: for a test that acts
   * as the server, e.g. `t.hub.emit("news", data)` or `t.hub.get(t.sid)`.
   */
  readonly hub: Hub<A>;
  /** Every patch's ops the page received, in order. */
  readonly ops: PatchOp[][];
  /** The page's revision: the server-rendered one, then after each patch or snapshot. */
  readonly revisions: number[];
  /** Reverse calls (`this.client.name()`) the page received. */
  readonly calls: Array<Omit<CallMessage, "type">>;
  /** Custom events the page received. */
  readonly events: Array<{ event: string; data: unknown }>;
  /** Errors the page was told about: a realtime handler threw, a click or an emit was refused (`auth`, bad arguments). */
  readonly errors: Array<{ code: string; message: string; seq?: number }>;
  /** The server's warnings and errors, then the page's console warnings and errors (prefixed "page"). */
  readonly logs: string[];
  /** The page's HTML (the app's root element, ids included). */
  html(): string;
  /** The text content of the first element matching `selector`. */
  text(selector: string): string;
  find(selector: string): Element | null;
  findAll(selector: string): Element[];
  /**
   * Clicks the element, a real `click` in the page: its `onClick` binding (or
   * an ancestor's) runs, a checkbox ticks and fires `change`, and so on.
   * Rejects if no binding or browser behaviour would answer it, if it is
   * disabled, or if a `@client` method it ran threw.
   */
  click(selector: string): Promise<void>;
  /** Types `value` into a field (focusing it): fires `input`, then `change`. */
  input(selector: string, value: string): Promise<void>;
  /**
   * Fills the form's named fields, then submits it (a `submit` event).
   * Rejects if nothing prevented the browser's own submission (a browser would leave the page).
   */
  submit(selector: string, fields?: Record<string, string>): Promise<void>;
  /**
   * Picks files in an `<input type=file>`, as a user does: its `files` are
   * set and `input` and `change` fire. The app's own code then uploads them
   * (`rv.upload(input.files)`), in-process, into the session's uploads.
   *
   * @example
   * await t.upload("#file", [{ name: "a.txt", type: "text/plain", content: "hello" }]);
   * await t.click("#send");
   */
  upload(selector: string, files: TestFile[]): Promise<void>;
  /** `rv.emit(event, data)` from the page. */
  emit(event: string, data?: unknown): Promise<void>;
  /** `rv.rpc(name, ...args)` from the page: an `@server.rpc` method by public name; resolves to its result. */
  rpc(name: string, ...args: unknown[]): Promise<unknown>;
  /** Waits until every call ran, every message reached the page, and the page's short timers (debounces) fired. */
  settle(): Promise<void>;
  /**
   * Puts the page's session at rest, as `restAfterMs` of idle does on a
   * server: its tree is packed until its next event or broadcast. What the
   * page shows after a rest must not differ from what it shows without one.
   *
   * @example
   * await t.rest();
   * await t.input("#filter", "gear");
   * expect(t.findAll("tr")).toHaveLength(3);
   */
  rest(): Promise<void>;
  /**
   * Opens one more page of the same app on the same hub, with its own window
   * and session: pages opened this way share statics, rooms and events, the
   * way several browsers on one server do (a chat room under test).
   *
   * @example
   * const ann = await mount(Chat);
   * const bob = await ann.another();
   * await bob.submit("#join", { name: "bob", room: "a" });
   */
  another(options?: AnotherPage): Promise<TestSession<A>>;
  /**
   * The page's address (path and query), as its `@url` fields and navigations
   * left it. A navigation out of the app (`this.navigate("/elsewhere")`, a
   * link to another app) shows here too, though no other page is loaded: the
   * page stays as it was.
   */
  readonly url: string;
  /**
   * Moves the page to another address of its app, as a link with `navigate`
   * or Back does (`rv.navigate`): new params, query and `@url` fields, and
   * `@server.on("params")` handlers. (A click on a link with `navigate` does the same.)
   *
   * @example
   * await t.navigate("/items/43");
   * expect(t.text("h1")).toBe("Item 43");
   */
  navigate(path: string): Promise<void>;
  /**
   * Closes the page (its stream closes: `disconnect` handlers run) and ends
   * its session. The last page of a hub to unmount also stops the hub (runs
   * the static `stop` handlers).
   */
  unmount(): Promise<void>;
}

/** Timers of the page shorter than this are waited for by `settle()` (debounces, retries, `setTimeout(…, 0)`). */
const SHORT_TIMER_MS = 1000;
/** How long `settle()` waits for the page to be quiet before it says why not. */
const SETTLE_LIMIT_MS = 5000;

/** The runtime's exports, as the testing script leaves them on the window. */
interface PageRuntime {
  createRuntime: typeof createRuntime;
  createApplier: typeof createApplier;
}

type TestWindow = Window & typeof globalThis & { eval(code: string): unknown; rv?: Runtime } & Record<string, unknown>;

/**
 * Mounts an app in-process: the server-rendered page in a jsdom window, the
 * real page runtime started in it, connected, `ready` handlers run.
 *
 * @example
 * const t = await mount(Counter);
 * await t.click("#inc");
 * expect(t.text("#count")).toBe("1");
 * await t.unmount();
 */
export async function mount<A extends App>(cls: AppClass<A>, options: MountOptions = {}): Promise<TestSession<A>> {
  let jsdom: typeof import("jsdom");
  try {
    jsdom = await import("jsdom");
  } catch {
    throw new UsageError('revue/testing runs the page in jsdom: install it with "npm install --save-dev jsdom".');
  }
  const script = await buildTestingRuntime();
  const logs: string[] = [];
  const line = (level: string, m: unknown, rest: unknown[]) => `${level} ${[m, ...rest].map((x) => (x instanceof Error ? x.stack ?? x.message : String(x))).join(" ")}`;
  const logger: Logger = options.logger ?? {
    warn: (m, ...rest) => void logs.push(line("warn", m, rest)),
    error: (m, ...rest) => void logs.push(line("error", m, rest)),
  };
  const limits = options.limits ?? {};
  const uploadQuota = limits.sessionUploadBytes !== undefined || limits.sessionUploadFiles !== undefined
    ? { uploads: { bytes: limits.sessionUploadBytes ?? 50 * 1024 * 1024, files: limits.sessionUploadFiles ?? 50 } }
    : {};
  const route = normalisePrefix(options.route ?? "/");
  /** A page's address and its params, checked against the route (`where` names the call, for the error). */
  const placed = (url: string | undefined, where: string) => {
    if (url !== undefined && (typeof url !== "string" || !url.startsWith("/") || url.startsWith("//"))) {
      throw new UsageError(`${where}: url must be a path of this app, starting with "/" (such as ${JSON.stringify(route.replace(/:\w+/g, "1") || "/")}), got ${JSON.stringify(url)}.`);
    }
    const address = new URL(url ?? (route || "/"), "http://localhost");
    const params = matchRoute(route, address.pathname);
    if (!params) throw new UsageError(`${where}: that path is not one of the route ${JSON.stringify(route || "/")}'s. Give a url such as ${JSON.stringify(route.replace(/:\w+/g, "1") || "/")}, or the route it belongs to.`);
    return { address, params };
  };
  const opening = placed(options.url, `mount(${cls.name}, { url: ${JSON.stringify(options.url)} })`);
  const hub = new Hub(cls, { logger, limits: uploadQuota, prefix: route, production: options.production });
  // What the routes serve, checked (and failing) before anything starts: the
  // client module, and static title, css and head, as createServer checks them.
  const module = generateClientModule(hub.spec);
  const head = pageHead(cls);
  // What static `@server.on("start")` handlers receive: the `emit`/`to` of a real server handle.
  await hub.start({
    emit: (event: string, data?: unknown) => hub.emit(event, data),
    to: (room: string) => ({ emit: (event: string, data?: unknown) => hub.emit(event, data, room) }),
  });
  const uploadDir = await mkdtemp(join(tmpdir(), "revue-testing-"));
  let open = 0;
  const release = async () => {
    if (open > 0) return;
    await hub.stop();
    await rm(uploadDir, { recursive: true, force: true });
  };

  const openPage = async (other: AnotherPage = {}): Promise<TestSession<A>> => {
    const { address, params } = other.url === undefined ? opening : placed(other.url, `another({ url: ${JSON.stringify(other.url)} })`);
    const user = other.user !== undefined ? other.user : options.user;
    const ops: PatchOp[][] = [];
    const revisions: number[] = [];
    const calls: Array<{ method: string; args: unknown[] }> = [];
    const events: Array<{ event: string; data: unknown }> = [];
    const errors: Array<{ code: string; message: string; seq?: number }> = [];
    const failures: Array<{ method: string; error: unknown }> = [];
    const activity = new Activity();
    const owner = randomBytes(16).toString("hex");

    // The page as GET / serves it (its scripts do not run: the runtime is started below).
    const who: Who = user === undefined || user === null ? ANONYMOUS : { user, roles: rolesOf(user) };
    const { session: first, page, state, title } = await hub
      .open(owner, (view) => view.firstPage("test"), { who, url: { params, query: firstValues(address.searchParams) } })
      .catch((err: unknown) => {
        // The server's words say how a browser signs in; a test passes the user.
        if (err instanceof RevueError && err.code === "UNAUTHORIZED" && who === ANONYMOUS) {
          err.message += ` In a test, open the page as someone: mount(${cls.name}, { user: { id: "ann" } }).`;
        }
        throw err;
      });
    const html = renderPage({
      head: title !== undefined ? { ...head, title } : head,
      html: page.html,
      nonce: "test",
      boot: { sid: first.sid, rev: page.rev, base: "", module: `/rv/${module.file}`, ...(state ? { s: state } : {}), ...(first.userKey !== undefined ? { u: first.userKey } : {}) },
      runtimeUrl: "/rv/runtime.js",
    }).toString();
    revisions.push(page.rev);

    const virtualConsole = new jsdom.VirtualConsole();
    for (const level of ["warn", "error"] as const) virtualConsole.on(level, (m: unknown, ...rest: unknown[]) => void logs.push(line(`page ${level}`, m, rest)));
    for (const level of ["log", "info", "debug"] as const) virtualConsole.on(level, (...args: unknown[]) => console[level]("[page]", ...args));
    virtualConsole.on("jsdomError", (err: Error) => void logs.push(line("page jsdom", err.message, [])));
    const dom = new jsdom.JSDOM(html, { url: address.href, runScripts: "outside-only", pretendToBeVisual: true, virtualConsole });
    const win = dom.window as unknown as TestWindow;
    // jsdom does not lay out pages: a move's scroll to the top (or back) does nothing, rather than put "Not implemented" in t.logs.
    win.scrollTo = () => {};
    const document = win.document;
    const root = document.getElementById("rv-root")!;
    const timers = trackTimers(win);

    let lastFrame = 0;
    /** Where a navigation out of the app sent the page (a page load jsdom does not make). */
    let leftFor: string | undefined;
    const transport = hubTransport({
      hub: hub as unknown as Hub,
      who,
      owner,
      window: dom.window,
      module,
      activity,
      limits: { upload: limits.upload ?? 10 * 1024 * 1024, files: limits.files ?? 5 },
      uploadDir,
      received(type, data, id) {
        // A replay repeats frames the page had; count each message once.
        if (id !== 0 && id <= lastFrame) return;
        if (id !== 0) lastFrame = id;
        const m = JSON.parse(data) as Record<string, unknown>;
        if (type === "patch") {
          ops.push(m.ops as PatchOp[]);
          revisions.push(m.rev as number);
        } else if (type === "init") revisions.push(m.rev as number);
        else if (type === "call") calls.push({ method: m.method as string, args: m.args as unknown[] });
        else if (type === "event") events.push({ event: m.event as string, data: m.data });
        else if (type === "error") errors.push({ code: m.code as string, message: m.message as string, seq: m.seq as number | undefined });
      },
      rewrite: options.dom === "rendered" ? (session, type, data) => (type === "patch" ? asSnapshot(session, data) : undefined) : undefined,
      refused(code, message, seq) {
        errors.push({ code, message, seq });
      },
      left(path) {
        leftFor = path;
      },
      clientError(method, error) {
        failures.push({ method, error });
      },
    });

    win.eval(script);
    const { createRuntime, createApplier } = win[TESTING_RUNTIME_GLOBAL] as PageRuntime;
    const boot = JSON.parse(document.getElementById("rv-boot")!.textContent!);
    const rv = createRuntime({ root, boot, transport, applier: createApplier, typingMs: options.typingMs, backoffMs: 10 });
    win.rv = rv;
    open++;

    /** Waits until the hub, the transport and the page's short timers are all quiet (within {@link SETTLE_LIMIT_MS}). */
    const settle = async (): Promise<void> => {
      const deadline = Date.now() + SETTLE_LIMIT_MS;
      while (Date.now() < deadline) {
        const before = activity.generation;
        await hub.settle();
        await activity.idle();
        const due = timers.nextDue();
        if (due !== undefined) {
          await new Promise((r) => setTimeout(r, Math.max(0, due - Date.now()) + 1));
          continue;
        }
        await new Promise((r) => setImmediate(r));
        if (!activity.busy && activity.generation === before && timers.nextDue() === undefined && [...hub.sessions()].every((s) => s.calls.idle)) return;
      }
      throw new RevueError(
        "INTERNAL_ERROR",
        `${hub.spec.name}'s page did not settle within ${SETTLE_LIMIT_MS / 1000} s: ` +
          (timers.nextDue() !== undefined ? "its code keeps setting timers under a second (a polling loop in @client code?)." : "calls or messages are still in flight.") +
          ` Logs:\n${logs.slice(-10).join("\n")}`,
      );
    };

    /** Runs a user action, waits for what it set off, and fails if `@client` code it ran threw. */
    const act = async (what: string, action: () => void): Promise<void> => {
      const from = failures.length;
      action();
      await settle();
      const failed = failures[from];
      if (failed) {
        const err = failed.error as Error;
        throw new Error(`${what}: ${hub.spec.name}.${failed.method} (@client, in the page) threw: ${err?.message ?? String(err)}`, { cause: err });
      }
    };

    const mustFind = (selector: string): HTMLElement => {
      const el = root.querySelector(selector);
      if (!el) throw new UsageError(`No element matches ${JSON.stringify(selector)} in ${hub.spec.name}'s page. It has:\n${root.innerHTML.slice(0, 500)}`);
      return el as HTMLElement;
    };
    const boundTo = (el: Element, type: string) => {
      const bound = el.closest(`[${ON_ATTR_PREFIX}${type}]`);
      return bound !== null && root.contains(bound);
    };
    const describe = (el: Element) => `<${el.localName}${el.id ? "#" + el.id : ""}>`;

    try {
      await rv.ready;
      await settle();
      if (!rv.connected) throw new RevueError("INTERNAL_ERROR", `${hub.spec.name}'s page did not connect. Logs:\n${logs.join("\n")}`);
      const failed = failures[0];
      if (failed) throw new Error(`${hub.spec.name}.${failed.method} (@client, in the page) threw while the page loaded: ${(failed.error as Error)?.message ?? String(failed.error)}`, { cause: failed.error });
    } catch (err) {
      rv.close();
      dom.window.close();
      open--;
      await release();
      throw err;
    }

    let closed = false;
    const t: TestSession<A> = {
      get app() {
        return (hub.get(rv.session) ?? first).instance as A;
      },
      get sid() {
        return rv.session;
      },
      window: win,
      document,
      rv,
      hub,
      ops,
      revisions,
      calls,
      events,
      errors,
      logs,
      html: () => root.innerHTML,
      get url() {
        return leftFor ?? win.location.pathname + win.location.search;
      },
      navigate: (path) => act(`navigate ${path}`, () => void rv.navigate(path)),
      text: (selector) => mustFind(selector).textContent ?? "",
      find: (selector) => root.querySelector(selector),
      findAll: (selector) => [...root.querySelectorAll(selector)],

      async click(selector) {
        const el = mustFind(selector);
        if (!boundTo(el, "click") && !actsOnClick(el)) {
          throw new UsageError(`<${el.localName}> has no click binding (no onClick prop on it or its ancestors), and a click on it does nothing else.`);
        }
        if ((el as HTMLButtonElement).disabled) throw new UsageError(`${describe(el)} matching ${JSON.stringify(selector)} is disabled: a user cannot click it.`);
        // (The page's own link listener is the browser entry's, which jsdom does not run.)
        const live = el.closest("a[navigate]") as HTMLAnchorElement | null;
        if (live) return act(`click ${selector}`, () => void rv.navigate(live.href));
        await act(`click ${selector}`, () => (typeof el.click === "function" ? el.click() : el.dispatchEvent(new win.MouseEvent("click", { bubbles: true, cancelable: true }))));
      },

      async input(selector, value) {
        const el = mustFind(selector) as HTMLInputElement;
        const editable = el.isContentEditable;
        if (!editable && !["input", "textarea", "select"].includes(el.localName)) throw new UsageError(`${describe(el)} matching ${JSON.stringify(selector)} is not a field: type into an input, textarea, select or contenteditable element.`);
        if (el.type === "checkbox" || el.type === "radio") throw new UsageError(`${describe(el)} is a ${el.type}: tick it with t.click(${JSON.stringify(selector)}).`);
        if (el.type === "file") throw new UsageError(`${describe(el)} is a file input: pick files with t.upload(${JSON.stringify(selector)}, [{ name, type, content }]).`);
        await act(`input ${selector}`, () => {
          el.focus();
          if (editable) el.textContent = value;
          else el.value = value;
          el.dispatchEvent(new win.Event("input", { bubbles: true }));
          if (!editable) el.dispatchEvent(new win.Event("change", { bubbles: true }));
        });
      },

      async submit(selector, fields = {}) {
        const found = mustFind(selector);
        const form = (found.localName === "form" ? found : found.closest("form")) as HTMLFormElement | null;
        if (!form) throw new UsageError(`${describe(found)} matching ${JSON.stringify(selector)} is not a form nor inside one.`);
        for (const [name, value] of Object.entries(fields)) {
          const inputs = [...form.querySelectorAll(`[name="${name.replace(/["\\]/g, "\\$&")}"]`)] as HTMLInputElement[];
          if (inputs.length === 0) throw new UsageError(`The form ${JSON.stringify(selector)} has no field named "${name}".`);
          for (const input of inputs) {
            if (input.type === "checkbox" || input.type === "radio") input.checked = input.value === value || (input.type === "checkbox" && value === "on");
            else input.value = value;
          }
        }
        let sent = true;
        await act(`submit ${selector}`, () => {
          sent = form.dispatchEvent(new win.Event("submit", { bubbles: true, cancelable: true }));
        });
        if (sent) {
          throw new UsageError(
            `submit ${selector}: nothing prevented the browser's own submission, so a browser would leave the page. ` +
              `Bind onSubmit to a @server.realtime method (Revue prevents it), or call ev.preventDefault() in your @client.callback.`,
          );
        }
      },

      async upload(selector, files) {
        const input = mustFind(selector) as HTMLInputElement;
        if (input.localName !== "input" || input.type !== "file") throw new UsageError(`${describe(input)} matching ${JSON.stringify(selector)} is not an <input type="file">.`);
        if (files.length > 1 && !input.multiple) throw new UsageError(`${describe(input)} takes one file (it has no "multiple" attribute), got ${files.length}.`);
        const picked = files.map((f) => new win.File([toPageBytes(win, f.content)], f.name, { type: f.type ?? "application/octet-stream" }));
        Object.defineProperty(input, "files", { configurable: true, get: () => fileList(picked) });
        await act(`upload ${selector}`, () => {
          input.dispatchEvent(new win.Event("input", { bubbles: true }));
          input.dispatchEvent(new win.Event("change", { bubbles: true }));
        });
      },

      async emit(event, data) {
        await act(`emit ${event}`, () => void rv.emit(event, data));
      },

      async rpc(name, ...args) {
        try {
          const result = await rv.rpc(name, ...args);
          return result === undefined ? undefined : JSON.parse(JSON.stringify(result));
        } finally {
          await settle();
        }
      },

      settle,
      async rest() {
        await settle();
        hub.get(rv.session)?.rest(false);
      },
      another: openPage,

      async unmount() {
        if (closed) return;
        closed = true;
        rv.close();
        await settle();
        for (const s of [...hub.sessions()]) if (s.owner === owner) await hub.end(s, "expired");
        dom.window.close();
        open--;
        await release();
      },
    };
    return t;
  };
  return openPage();
}

/** Whether a click on `el` does something in a browser without any binding. */
function actsOnClick(el: Element): boolean {
  const type = (el as HTMLInputElement).type;
  if (el.localName === "input") return ["checkbox", "radio", "submit", "image", "reset", "file"].includes(type);
  if (el.localName === "button") return (type === "submit" || type === "reset") && (el as HTMLButtonElement).form !== null;
  return ["a", "label", "summary", "option"].includes(el.localName);
}

/** A patch as a snapshot of the server's tree (`dom: "rendered"`): the page rebuilds its DOM from the tree. */
function asSnapshot(session: Session, data: string): { type: string; data: string } {
  const { rev, ack } = JSON.parse(data) as { rev: number; ack?: number };
  const json = JSON.stringify(session.view.current());
  return { type: "init", data: `{"rev":${rev},"tree":${json},"hash":"${treeHash(json)}"${ack === undefined ? "" : `,"ack":${ack}`}}` };
}

/** Bytes as the page's own `Uint8Array` (jsdom's Blob takes its window's buffers). */
function toPageBytes(win: TestWindow, content: TestFile["content"]): BlobPart {
  if (typeof content === "string") return content;
  const bytes = content instanceof ArrayBuffer ? new Uint8Array(content) : content;
  const copy = new win.Uint8Array(bytes.length);
  copy.set(bytes);
  return copy;
}

/** A `FileList`-like list: indexable, `item(i)`, iterable. */
function fileList(files: File[]): FileList {
  const list: Record<number | string | symbol, unknown> = { length: files.length, item: (i: number) => files[i] ?? null, [Symbol.iterator]: () => files[Symbol.iterator]() };
  files.forEach((f, i) => (list[i] = f));
  return list as unknown as FileList;
}

/**
 * Counts the page's pending timers: `settle()` waits for the short ones (a
 * debounce, a retry, `setTimeout(fn, 0)`), not for long ones (a poll every minute).
 */
function trackTimers(win: TestWindow): { nextDue(): number | undefined } {
  const due = new Map<unknown, number>();
  const set = win.setTimeout.bind(win);
  const clear = win.clearTimeout.bind(win);
  win.setTimeout = ((fn: unknown, ms?: number, ...args: unknown[]) => {
    if (typeof fn !== "function") return set(fn as TimerHandler, ms, ...args);
    const wait = Math.max(0, Number(ms) || 0);
    const handle = set(() => {
      due.delete(handle);
      (fn as (...a: unknown[]) => void)(...args);
    }, wait);
    if (wait <= SHORT_TIMER_MS) due.set(handle, Date.now() + wait);
    return handle;
  }) as typeof win.setTimeout;
  win.clearTimeout = ((handle?: number) => {
    due.delete(handle);
    clear(handle);
  }) as typeof win.clearTimeout;
  return {
    nextDue: () => (due.size ? Math.min(...due.values()) : undefined),
  };
}

export { ID_ATTR };
