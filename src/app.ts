import { errorIdOf, RegistryError, RevueError, UsageError } from "./errors.js";
import { APP_MEMBERS } from "./registry/decorators.js";
import { recoverBoundFields, type RecoveredForms } from "./registry/fields.js";
import type { Access, MethodEntry } from "./registry/entries.js";
import { h } from "./vdom/h.js";
import type { VNode } from "./vdom/types.js";
import type { UploadedFile, UploadHandle } from "./session/uploads.js";
import type { SessionPresence } from "./session/presence.js";

/**
 * What an {@link App} instance talks to: its session. The framework attaches
 * one while constructing the instance (so `this.emit` works even in field
 * initialisers); an instance made with plain `new` is detached and says so.
 */
export interface SessionLink {
  readonly sid: string;
  /** Whether the server runs in production (errors that are bugs are not shown to the page). */
  readonly production: boolean;
  /** Who the page's latest request came from (createServer's `authenticate`). */
  readonly user: unknown;
  /** Where the page is: its route's params and its query. */
  readonly url: { readonly params: Readonly<Record<string, string>>; readonly query: Readonly<Record<string, string>> };
  readonly rooms: ReadonlySet<string>;
  emit(event: string, data: unknown, room?: string): void;
  join(room: string): void;
  leave(room: string): void;
  callClient(method: string, args: unknown[]): void;
  /** The signal of the handler running now. */
  signal(): AbortSignal;
  /** This session's presences, and everyone's. */
  readonly presence: SessionPresence;
  /** Sends the page to `url` once the handler is done (live when it is one of this server's routes; `anySite`: an http(s) address of another site too). */
  navigate(url: string, options: { replace: boolean; anySite: boolean }, what: string): void;
  /** Sets (`value` a string) or clears (`undefined`) a cookie through the page's next round trip. */
  cookie(name: string, value: string | undefined, options: CookieOptions | undefined, what: string): void;
  /** Throws the 401/403 a call of `entry` from this page would get from the app's and the method's `auth` (`what` names the call). */
  admit(entry: MethodEntry, what: string): void;
}

/**
 * How {@link App.setCookie} writes a cookie. Defaults: `httpOnly`, `sameSite:
 * "lax"`, `path: "/"`, `secure` when the page came over HTTPS, and `signed`
 * (with createServer's `keys`; without them, with a key made at start, which a
 * restart forgets).
 */
export interface CookieOptions {
  /** Lifetime in milliseconds; without it the cookie ends with the browser session. */
  maxAge?: number;
  path?: string;
  domain?: string;
  sameSite?: "lax" | "strict" | "none";
  secure?: boolean;
  /** Hidden from the page's scripts. Default true. */
  httpOnly?: boolean;
  /** Signed with createServer's `keys` (a `<name>.sig` cookie beside it), so a forged value reads as no cookie with `ctx.cookies.get(name, { signed: true })`. Default true. */
  signed?: boolean;
}

const LINK = Symbol("revue:link");
let pendingLink: SessionLink | undefined;

/** Constructs an app instance attached to `link`. Internal: used by the session layer. */
export function constructApp<T extends App>(ctor: new () => T, link: SessionLink): T {
  const outer = pendingLink;
  pendingLink = link;
  let app: T;
  try {
    app = new ctor();
  } finally {
    pendingLink = outer;
  }
  if (!checkedFields.has(ctor)) {
    for (const name of APP_MEMBERS) {
      // tsc refuses such a field (TS2610), but tsx and vitest compile without checking types.
      if (Object.hasOwn(app, name)) {
        throw new RegistryError(`${ctor.name}.${name}: a field of that name hides the App's own \`this.${name}\`, which Revue sets and reads (README: Pages, URLs and users). Rename the field (e.g. ${name}Value).`);
      }
    }
    checkedFields.add(ctor);
  }
  return app;
}

/** Classes whose first instance showed no field hiding an App member. */
const checkedFields = new WeakSet<object>();

/** One detached link per class: an instance made with `new` (in a test, a benchmark) carries no closures of its own. */
const detachedLinks = new Map<string, SessionLink>();

function detached(name: string): SessionLink {
  let link = detachedLinks.get(name);
  if (!link) detachedLinks.set(name, (link = detachedLink(name)));
  return link;
}

function detachedLink(name: string): SessionLink {
  const fail = (what: string): never => {
    throw new UsageError(
      `${name}.${what}: this instance is not attached to a session (it was created with "new"). ` +
        `Let Revue create instances: createServer(${name}) for real sessions, or mount(${name}) from "revue/testing" in tests.`,
    );
  };
  return {
    sid: "",
    get production() {
      return process.env.NODE_ENV === "production";
    },
    user: undefined,
    url: { params: {}, query: {} },
    rooms: new Set(),
    emit: () => fail("emit"),
    join: () => fail("join"),
    leave: () => fail("leave"),
    callClient: (m) => fail(`client.${m}`),
    signal: () => fail("signal"),
    navigate: () => fail("navigate"),
    cookie: () => fail("setCookie"),
    admit: (entry) => fail(entry.method),
    presence: { track: () => fail("presence.track"), update: () => fail("presence.update"), untrack: () => fail("presence.untrack"), list: () => fail("presence.list") },
  };
}

/**
 * Refuses, as a call of `entry` from the page would be refused (401/403
 * SessionError), unless the session's user may call it. For code that runs an
 * app's method for the page without a call of it: the kit's form, chat input
 * and upload. Internal.
 */
export function admitCall(app: App, entry: MethodEntry, what: string): void {
  app[LINK].admit(entry, what);
}

/**
 * What a kit control (a form, a chat input, an upload) shows for an error its
 * method threw: a `RevueError`'s message, written for the visitor; any other
 * error is a bug, shown as `fallback`, with its message in development (as
 * the page's console has it, see README "Security defaults") and in
 * production the id the server's log holds it under. Internal.
 *
 * @example
 * shownFailure(app, new Error("Pick a card first"), "Could not process a.txt.") // in development: "Could not process a.txt. (Pick a card first)"
 */
export function shownFailure(app: App, err: unknown, fallback: string): string {
  if (err instanceof RevueError) return err.message;
  // In production the id the log holds it under, which a visitor can quote; in development its message, if any.
  if (app[LINK].production) return `${fallback} (error ${errorIdOf(err)})`;
  return err instanceof Error && err.message ? `${fallback} (${err.message})` : fallback;
}

/** What a kit component tells the visitor of a call its `auth` refused: plain words, and in development the rule that refused it. */
export function shownRefusal(app: App, err: RevueError): string {
  const plain = err.code === "UNAUTHORIZED" ? "Please sign in to do this." : "You are not allowed to do this.";
  return app[LINK].production ? plain : `${plain} (${err.message})`;
}

/**
 * Where an application declares its types for Revue, once, by module
 * augmentation: `user` types `this.user`.
 *
 * @example
 * declare module "revue" {
 *   interface Register { user: { name: string; roles: string[] } }
 * }
 */
export interface Register {}

/** The type of `this.user`: what {@link Register} declares, else `unknown`. */
export type User = Register extends { user: infer U } ? U : unknown;

/**
 * The params of a route pattern: `Params<"/items/:id">` is `{ id: string }`;
 * any other string gives a record of strings.
 */
export type Params<Route extends string> = string extends Route
  ? Readonly<Record<string, string>>
  : { readonly [K in ParamNames<Route>]: string };
type ParamNames<R extends string> = R extends `${string}:${infer P}/${infer Rest}` ? P | ParamNames<`/${Rest}`> : R extends `${string}:${infer P}` ? P : never;

/** Method names of `T` other than the App API itself. */
export type MethodKeys<T> = {
  [K in keyof T]: K extends keyof App ? never : T[K] extends (...args: any[]) => any ? K : never;
}[keyof T];

type AnyFn = (...args: any[]) => any;

/**
 * Which methods of an app the typed stubs offer, by kind: the names of its
 * `@server.rpc`, `@server.realtime` and `@client.realtime` methods. Decorators
 * cannot change a class's type, so the kinds are named once more here, in the
 * type: `class Todo extends App<Todo, { rpc: "save"; realtime: "add" | "toggle"; client: "toast" }>`.
 * Then `this.server` offers exactly the rpc and realtime methods and
 * `this.client` exactly the `@client.realtime` ones; anything else is a
 * compile error. (A name listed under the wrong kind is not caught: the
 * registry knows the kinds only at run time.)
 */
export interface AppApi {
  rpc?: string;
  realtime?: string;
  client?: string;
}

/** The names listed under `kind` in an {@link AppApi}. */
type Listed<Api, Kind extends keyof AppApi> = Api extends { [P in Kind]: infer N } ? N & string : never;
/** Whether an {@link AppApi} was given at all (an empty one is "not given": loose stubs). */
type HasApi<Api> = [keyof Api] extends [never] ? false : true;
/** `App` without `Self` (`any`): stubs that accept anything. */
type IsAny<T> = 0 extends 1 & T ? true : false;

/** An argument as the page holds it: an uploaded file is the handle `rv.upload` returned. */
export type PageArg<V> = V extends UploadedFile ? UploadHandle : V extends readonly UploadedFile[] ? UploadHandle[] : V;
type PageArgs<P extends unknown[]> = { [I in keyof P]: PageArg<P[I]> };

/**
 * A value as it reaches the page through JSON, as an rpc's result does: a
 * `Date` (anything with `toJSON`) becomes what `toJSON` returns (a string), a
 * `Map` or `Set` an empty object, a typed array (`Uint8Array`) an object of
 * numbers by index, and methods, functions and `undefined`
 * properties are left out. So `await this.server.when()` of a method returning
 * a `Date` is typed `string`, as it is at run time.
 *
 * @example
 * type Sent = Jsonified<{ at: Date; tags: Set<string>; total(): number }>; // { at: string; tags: Record<string, never> }
 */
export type Jsonified<T> = IsAny<T> extends true
  ? any
  : T extends string | number | boolean | null
  ? T
  : T extends { toJSON(): infer J }
  ? J extends string | number | boolean | null ? J : unknown
  : T extends undefined | symbol | bigint | AnyFn
  ? never
  : T extends ReadonlyMap<unknown, unknown> | ReadonlySet<unknown>
  ? Record<string, never>
  : T extends ArrayBufferView
  ? Record<string, number>
  : T extends readonly unknown[]
  ? { [I in keyof T]: T[I] extends undefined | symbol | AnyFn ? null : Jsonified<T[I]> }
  : T extends object
  ? { [K in keyof T as T[K] extends AnyFn ? never : undefined extends T[K] ? never : K]: Jsonified<T[K]> } & { [K in keyof T as T[K] extends AnyFn ? never : undefined extends T[K] ? K : never]?: Jsonified<T[K]> }
  : unknown;

/** What an rpc's caller gets: its result through JSON, `undefined` (a method that returns nothing) as `null`. */
export type RpcResult<R> = IsAny<R> extends true ? any : R extends undefined | void ? null : Jsonified<R>;

/** An rpc stub: the method's arguments (as the page holds them), its result as a promise (as JSON brings it). */
type RpcStub<F> = F extends AnyFn ? (...args: PageArgs<Parameters<F>>) => Promise<RpcResult<Awaited<ReturnType<F>>>> : never;
/** A realtime stub: fire-and-forget, nothing to await. */
type RealtimeStub<F> = F extends AnyFn ? (...args: PageArgs<Parameters<F>>) => void : never;

/**
 * `this.client`: reverse calls to the app's `@client.realtime` methods, typed
 * from the class given to `App<Self, Api>`: only the methods `Api.client`
 * names. Without an `Api`, every method of `Self` (loosely typed).
 */
export type ClientCalls<T, Api extends AppApi = {}> = IsAny<T> extends true
  ? any
  : HasApi<Api> extends true
  ? { readonly [K in Listed<Api, "client"> & keyof T]: T[K] extends AnyFn ? (...args: Parameters<T[K]>) => void : never }
  : { readonly [K in keyof T]: T[K] extends AnyFn ? (...args: Parameters<T[K]>) => void : never };

/**
 * `this.server` inside `@client` methods: stubs of the app's server methods,
 * typed from the class given to `App<Self, Api>`: rpc stubs resolve to the
 * method's result, realtime stubs return nothing. Without an `Api`, every
 * method of `Self` as a promise-returning stub (loosely typed).
 */
export type ServerCalls<T, Api extends AppApi = {}> = IsAny<T> extends true
  ? any
  : HasApi<Api> extends true
  ? { readonly [K in Listed<Api, "rpc"> & keyof T]: RpcStub<T[K]> } & { readonly [K in Listed<Api, "realtime"> & keyof T]: RealtimeStub<T[K]> }
  : { readonly [K in keyof T]: T[K] extends AnyFn ? (...args: PageArgs<Parameters<T[K]>>) => Promise<RpcResult<Awaited<ReturnType<T[K]>>>> : never };

/** Something `this.to(room)` returns: the same `emit`, narrowed to one room. */
export interface RoomEmitter {
  emit(event: string, data?: unknown): void;
}

/**
 * Base class of every Revue app. Fields are one browser session's state;
 * decorated methods are the ways in and out; `render()` returns the page.
 *
 * Pass the class itself as `Self`, and name its methods by kind as `Api`
 * (`class Counter extends App<Counter, { rpc: "reset"; realtime: "increment"; client: "toast" }>`),
 * to get `this.server` and `this.client` typed from it: a wrong argument, or a
 * method of another kind, is a compile error. (TypeScript cannot check calls
 * typed from the polymorphic `this` inside a class body, hence `Self`; and
 * decorators cannot change types, hence `Api`.) With `Self` alone every
 * method is offered; with neither, the stubs accept anything.
 *
 * @example
 * class Counter extends App<Counter, { rpc: "reset"; realtime: "increment" }> {
 *   count = 0;
 *   @server.realtime increment() { this.count++; }
 *   @server.rpc async reset(to: number) { this.count = to; return to; }
 *   @client.callback async onReset() { const n: number = await this.server.reset(0); }
 *   render() { return h("button", { onClick: this.increment }, String(this.count)); }
 * }
 */
export class App<Self = any, Api extends AppApi = {}, Route extends string = string> {
  declare private [LINK]: SessionLink;

  /**
   * The page's `<title>`. Default: the class name. A function of the app
   * makes it follow the session's state: evaluated after every render (the
   * first page's included), the page's title changes when its text does.
   * @example static title = "Todos";
   * @example static title = (app: BookPage) => `${app.book?.name ?? "Not found"} · Library`;
   */
  declare static title?: string | ((app: any) => string);

  /**
   * CSS for the page, written in a `<style>` in its `<head>` that carries the
   * page's CSP nonce. (A `style` prop and `h("style", {}, css)` in `render()`
   * work too, in the first page and in patches.)
   * @example static css = "body { font: 16px system-ui } .done { opacity: .5 }";
   */
  declare static css?: string;

  /**
   * More of the page's `<head>`: `<meta>` and `<link>` elements built with
   * `h()`, checked like any rendered tree (no scripts, no `http-equiv`, no
   * `on*` handlers) when the app is mounted. The page already has a charset
   * and a viewport `<meta>`.
   * @example
   * static head = [
   *   h("meta", { name: "description", content: "Things to do" }),
   *   h("link", { rel: "icon", href: "data:image/png;base64,iVBORw0KGgo…" }),
   * ];
   */
  declare static head?: readonly VNode[];

  /**
   * Who may use this app: `true` (any signed-in user), a role, or a list of
   * roles (a user with any of them); the user comes from createServer's
   * `authenticate`. A page load without one is answered 401 (or sent to
   * createServer's `signIn` page), without the role 403; so is every call.
   * A single method can require more: `@server.rpc({ auth: "admin" })`.
   * @example static auth = true;            // signed-in users only
   * @example static auth = ["admin", "editor"];
   */
  // `| boolean`: an initializer `= true` is typed boolean, and an override must accept it; false is no rule.
  declare static auth?: Access | boolean;

  constructor() {
    Object.defineProperty(this, LINK, { value: pendingLink ?? detached(new.target.name), enumerable: false });
  }

  /**
   * Who is using this page: what `createServer(apps, { authenticate })`
   * returned for its latest request (a page load, its stream, a call), or
   * `undefined` when nobody is signed in. Type it once with {@link Register}.
   *
   * @example
   * render() { return h("p", {}, this.user ? `Signed in as ${this.user.name}` : "Not signed in"); }
   */
  get user(): User | undefined {
    return this[LINK].user as User | undefined;
  }

  /**
   * The params of the page's route: `createServer({ "/items/:id": Item })`
   * serves `/items/42` with `this.params.id === "42"` (decoded). Typed when
   * the class names its route: `class Item extends App<Item, {}, "/items/:id">`.
   *
   * @example
   * render() { return h("h1", {}, `Item ${this.params.id}`); }
   */
  get params(): Params<Route> {
    return this[LINK].url.params as Params<Route>;
  }

  /**
   * The page's query string, the first value of each name: `/items?sort=name`
   * gives `{ sort: "name" }`. It comes from the page's address: check it as
   * any input.
   *
   * @example
   * const page = Math.max(1, Number(this.query.page) || 1);
   */
  get query(): Readonly<Record<string, string>> {
    return this[LINK].url.query;
  }

  /** This session's id. */
  get sid(): string {
    return this[LINK].sid;
  }

  /**
   * The signal of the handler running now: it aborts when the handler runs
   * past `handlerTimeoutMs` (the caller then got `HANDLER_TIMEOUT` and the
   * session moved on) or when the session ends. Read it at the start of the
   * handler and pass it to whatever may take long.
   *
   * @example
   * @server.rpc async search(q: string) {
   *   const signal = this.signal;
   *   return (await fetch(`https://api.example/?q=${q}`, { signal })).json();
   * }
   */
  get signal(): AbortSignal {
    return this[LINK].signal();
  }

  /** The rooms this session has joined. */
  get rooms(): ReadonlySet<string> {
    return this[LINK].rooms;
  }

  /**
   * Emits a custom event to every live session: their `@server.on(event)`
   * handlers (static ones once) and every page's `@client.on(event)` / `rv.on(event)`.
   * @example this.emit("message", { from: this.name, text });
   */
  emit(event: string, data?: unknown): void {
    this[LINK].emit(event, data);
  }

  /**
   * Narrows the next `emit` to the sessions in `room`.
   * @example this.to("lobby").emit("message", { text: "hi" });
   */
  to(room: string): RoomEmitter {
    const link = this[LINK];
    return { emit: (event, data) => link.emit(event, data, room) };
  }

  /**
   * Joins a room (a session may be in at most `maxRoomsPerSession`, default 64).
   * @example @server.on("connect") enter() { this.join("lobby"); }
   */
  join(room: string): void {
    this[LINK].join(room);
  }

  /** Leaves a room; leaving a room you are not in does nothing. @example this.leave("lobby"); */
  leave(room: string): void {
    this[LINK].leave(room);
  }

  /**
   * Who is here, on every node: `track(topic, key, meta)`, `update`,
   * `untrack` this session's presences, `list(topic)` everyone's as
   * `{ [key]: { metas: [...] } }` (one key, several metas: tabs, devices).
   * Joins and leaves of a topic reach the `@server.on("presence")` handlers
   * and pages' `rv.on("presence")` of the sessions that track in it or are
   * in the room of its name, as `{ topic, joins, leaves }`, batched. A session's
   * presences leave when it ends; a dead node's after `presence.downPeriodMs`.
   *
   * @example
   * @server.on("connect") online() { this.presence.track("lobby", this.name, { since: Date.now() }); }
   * @server.on("disconnect") offline() { this.presence.untrack("lobby", this.name); }
   * @server.on("presence") changed() { this.online = Object.keys(this.presence.list("lobby")); }
   */
  get presence(): SessionPresence {
    return this[LINK].presence;
  }

  /**
   * Reverse RPC: calls this session's `@client.realtime` methods in the page.
   * @example this.client.toast("Saved!");
   */
  get client(): ClientCalls<Self, Api> {
    const link = this[LINK];
    const name = this.constructor.name;
    return new Proxy({} as ClientCalls<Self, Api>, {
      get(_, method) {
        if (typeof method !== "string") return undefined;
        return (...args: unknown[]) => link.callClient(method, args);
      },
      set() {
        throw new TypeError(`${name}.client is read-only: it calls @client.realtime methods in the page.`);
      },
    });
  }

  /**
   * Inside `@client` methods (in the browser), calls this app's server methods.
   * On the server, call the method directly instead.
   * @example @client.callback async onReset() { await this.server.reset(0); }
   */
  get server(): ServerCalls<Self, Api> {
    throw new UsageError(
      `${this.constructor.name}.server is only available inside @client methods, which run in the browser. ` +
        `On the server, call the method directly: this.reset(0).`,
    );
  }

  /**
   * Moves the page to another address of this server once the handler is
   * done: without a page load when `path` is one of this server's routes
   * (the same app gets new `this.params`/`this.query` and its
   * `@server.on("params")` handlers run; another app's page replaces this
   * one), with one otherwise. Back returns here unless `replace`.
   *
   * @example
   * @server.rpc async create() { const id = await db.insert(this.draft); this.navigate(`/items/${id}`); }
   */
  navigate(path: string, options: { replace?: boolean } = {}): void {
    this[LINK].navigate(path, { replace: options.replace === true, anySite: false }, `${this.constructor.name}.navigate`);
  }

  /**
   * Sends the page to `url` once the handler is done: a path or an address of
   * this server goes there live (as {@link navigate}), another site's
   * `https://` address with a page load. Only `http(s)` addresses and paths
   * are taken: a `javascript:` or `data:` URL is refused. An address from the
   * visitor (`?next=`) may name another site: check it is a path of yours.
   *
   * @example
   * @server.rpc async signIn(name: string, password: string) {
   *   const user = await users.check(name, password);
   *   if (!user) throw new RevueError("FORBIDDEN", "Wrong name or password.");
   *   this.setCookie("session", user.token, { maxAge: 7 * 86_400_000 });
   *   const next = this.query.next;
   *   this.redirect(next?.startsWith("/") && !next.startsWith("//") && !next.startsWith("/\\") ? next : "/"); // only paths of this site
   * }
   */
  redirect(url: string): void {
    this[LINK].navigate(url, { replace: true, anySite: true }, `${this.constructor.name}.redirect`);
  }

  /**
   * Sets a cookie in the browser. A handler has no HTTP response of its own
   * to set it on (its answer may go out over the page's stream), so the page
   * fetches it: the next patch carries a one-time ticket, which the runtime
   * trades at once for the `Set-Cookie` (`POST {base}/api/cookie`, same-origin,
   * this session's browser only, within 60 s). A navigation the same handler
   * asks for waits for it, so a sign-in can set its cookie and go to the
   * members' page. Defaults are the safe ones (see {@link CookieOptions}). A
   * handler that throws sets none of the cookies it set; `rv_token` is Revue's
   * own and refused.
   *
   * @example this.setCookie("theme", "dark", { maxAge: 365 * 86_400_000, httpOnly: false });
   */
  setCookie(name: string, value: string, options?: CookieOptions): void {
    this[LINK].cookie(name, value, options, `${this.constructor.name}.setCookie`);
  }

  /**
   * Clears a cookie (the way {@link setCookie} sets one); give the `path` and
   * `domain` it was set with, if not the defaults.
   *
   * @example @server.rpc signOut() { this.clearCookie("session"); this.navigate("/"); }
   */
  clearCookie(name: string, options?: Pick<CookieOptions, "path" | "domain">): void {
    this[LINK].cookie(name, undefined, options, `${this.constructor.name}.clearCookie`);
  }

  /** The page. Override it; the default renders an empty `<main>`. @example render() { return h("p", {}, "hi"); } */
  render(): VNode {
    return h("main", {});
  }

  /**
   * Form recovery: after the page had to start a new session (the server
   * restarted, the session expired or could not move), the runtime sends what
   * the old page's named fields held (`{ [formId]: { [name]: value } }`, `""`
   * for fields outside a form; passwords, hidden and file fields are left
   * out), before any call the visitor made meanwhile. The default gives
   * `revue/ui` forms and controls their values back through their own rules.
   * Override it to recover fields of your own; the values come from the page,
   * so check them as you would any input. A form the new session does not
   * show (one an edit mode or a `dialog()` shows) gets its values back once
   * the override sets that state back before calling this.
   *
   * @example
   * override recoverForms(forms: Record<string, Record<string, string | string[]>>) {
   *   if (forms["edit-note"]) this.editing = true; // the form was open: show it again, then it is refilled
   *   super.recoverForms(forms); // the kit's controls
   *   const name = forms["join"]?.["name"];
   *   if (typeof name === "string") this.name = name.slice(0, 40);
   * }
   */
  recoverForms(forms: RecoveredForms): void {
    // A form the state shows (an edit mode, a dialog) is bound when rendered: an override that set that state back first gets it bound here.
    recoverBoundFields(this, forms, () => void this.render());
  }
}
