import { RegistryError } from "../errors.js";
import { isSchema, type Schema, type SchemaOutputs } from "./schema.js";
import { accessProblem, ALLOWED_OPTIONS, classBeingDefined, type Access, record, recordFieldMark, recordTransient, describeSite, type DecorationSite, type MethodKind, type MethodOptions } from "./entries.js";

// TS emits TC39 decorator metadata only when `Symbol.metadata` exists, and Node 20
// does not define it. esbuild falls back to `Symbol.for("Symbol.metadata")`, so
// polyfilling with that same symbol makes both compilers agree. This runs when
// "revue" is imported, i.e. before any user class is evaluated.
(Symbol as { metadata?: symbol }).metadata ??= Symbol.for("Symbol.metadata");

/**
 * A method decorator usable under both conventions: legacy
 * `experimentalDecorators` `(target, key, descriptor)` and TC39 standard
 * `(value, context)`.
 */
export interface MethodDecorator {
  (value: Function, context: ClassMethodDecoratorContext): void;
  (target: object, propertyKey: string | symbol, descriptor: PropertyDescriptor): void;
}

/** A decorator that can also be called with options first: `@server.rpc` or `@server.rpc({ name })`. */
export interface MethodDecoratorWithOptions<O> extends MethodDecorator {
  (options?: O): MethodDecorator;
}

/** A method decorator that checks the method's parameters against schemas' outputs. */
export interface ValidatedDecorator<Params extends readonly unknown[]> {
  (value: (this: any, ...args: Params) => any, context: ClassMethodDecoratorContext): void;
  (target: object, propertyKey: string | symbol, descriptor: TypedPropertyDescriptor<(...args: Params) => any>): void;
}

/**
 * `@server.rpc` / `@server.realtime`: bare, with options, and with one
 * Standard Schema per positional parameter (`@server.rpc(z.string())`), whose
 * outputs type the parameters. A realtime method may take more parameters
 * than it has schemas (a bound element's event summary comes last).
 */
export interface ServerMethodDecorator<O, Rest extends readonly unknown[] = []> extends MethodDecoratorWithOptions<O> {
  <S extends readonly [Schema, ...Schema[]]>(...schemas: S): ValidatedDecorator<[...SchemaOutputs<S>, ...Rest]>;
  <S extends readonly [Schema, ...Schema[]]>(options: O, ...schemas: S): ValidatedDecorator<[...SchemaOutputs<S>, ...Rest]>;
}

/**
 * Server lifecycle events; `start`/`stop` need static methods, the per-session
 * ones instance methods. `load` runs for a new session before its first
 * render, awaited (data from a database in the first page's HTML), and again
 * on each live move within the app (before `params` handlers); what it
 * throws is the page load's answer. `resume` runs when a session comes back
 * from a snapshot (after a restart, on another node, out of hibernation),
 * after its state is restored and before it handles anything else: it
 * rebuilds `@transient` fields.
 */
export const SERVER_LIFECYCLE = ["start", "stop", "load", "connect", "disconnect", "resume", "params"] as const;
/** The server lifecycle events that run for one session, on an instance method. */
const PER_SESSION = new Set<string>(["load", "connect", "disconnect", "resume", "params"]);
/** Browser lifecycle events. */
export const CLIENT_LIFECYCLE = ["ready", "connect", "disconnect"] as const;
/** Every lifecycle name: a page may not `rv.emit` any of these. */
export const LIFECYCLE_EVENTS: ReadonlySet<string> = new Set<string>([...SERVER_LIFECYCLE, ...CLIENT_LIFECYCLE]);

/** Names an app's own API uses; decorating them would shadow the framework. */
/** The App's own members a field of an app's would hide (`user = "guest"` replaces `this.user`): refused when the first instance is made (see `constructApp`). */
export const APP_MEMBERS: ReadonlySet<string> = new Set(["emit", "to", "join", "leave", "client", "server", "rooms", "sid", "signal", "user", "params", "query", "presence", "navigate", "redirect", "setCookie", "clearCookie"]);
const RESERVED = new Set(["constructor", "render", "recoverForms", ...APP_MEMBERS]);
const NAME_RE = /^[A-Za-z_$][\w$-]*$/;

type Rule = (site: DecorationSite, decorator: string) => void;

const instanceOnly: Rule = (site, decorator) => {
  if (site.isStatic)
    throw new RegistryError(
      `${describeSite(site)}: ${decorator} needs an instance method, not a static one, because it runs for one session. ` +
        `Remove "static".`,
    );
};

function isContext(x: unknown): x is DecoratorContext {
  return typeof x === "object" && x !== null && typeof (x as { kind?: unknown }).kind === "string" && "name" in x;
}

/** Normalises either convention into a {@link DecorationSite}, or throws for non-methods. */
export function siteOf(args: unknown[], decorator: string): DecorationSite {
  const [first, second, third] = args;
  if (isContext(second)) {
    const ctx = second;
    const name = String(ctx.name);
    if (ctx.kind !== "method") {
      throw new RegistryError(
        `${classBeingDefined()}.${name}: ${decorator} was applied to ${/^[aeiou]/.test(ctx.kind) ? "an" : "a"} ${ctx.kind}, but it decorates methods only. ` +
          `Turn "${name}" into a method: ${name}(...) { ... }.`,
      );
    }
    const mctx = ctx as ClassMethodDecoratorContext;
    if (mctx.private || typeof mctx.name !== "string") {
      throw new RegistryError(`${classBeingDefined()}.${name}: ${decorator} cannot decorate a private or symbol-named method; give it a plain public name.`);
    }
    if (!mctx.metadata) {
      throw new RegistryError(
        `${classBeingDefined()}.${name}: decorator metadata is unavailable (Symbol.metadata is missing). ` +
          `Import "revue" before defining the class so its polyfill runs.`,
      );
    }
    return { store: mctx.metadata, className: undefined, method: mctx.name, isStatic: mctx.static, fn: first as Function };
  }
  if ((typeof first === "object" || typeof first === "function") && first !== null && (typeof second === "string" || typeof second === "symbol")) {
    const isStatic = typeof first === "function";
    const cls = (isStatic ? first : (first as { constructor: Function }).constructor) as Function;
    const method = String(second);
    const className = cls.name || "<anonymous class>";
    const desc = third as PropertyDescriptor | undefined;
    if (!desc || typeof desc.value !== "function") {
      const what = desc && (desc.get || desc.set) ? "an accessor" : "a field";
      throw new RegistryError(
        `${className}.${method}: ${decorator} was applied to ${what}, but it decorates methods only. ` +
          `Turn "${method}" into a method: ${method}(...) { ... }.`,
      );
    }
    if (typeof second === "symbol") {
      throw new RegistryError(`${className}.${method}: ${decorator} cannot decorate a symbol-named method; give it a plain public name.`);
    }
    return { store: cls, className, method, isStatic, fn: desc.value as Function };
  }
  throw new RegistryError(
    `${decorator} was applied to something that is not a class method. Put it directly above a method: ${decorator} name() { ... }.`,
  );
}

function checkOptions(kind: MethodKind, options: unknown, decorator: string): MethodOptions {
  if (options === undefined) return {};
  if (typeof options !== "object" || options === null || Array.isArray(options)) {
    throw new RegistryError(`${decorator}(...) takes an options object, got ${typeof options}. Example: ${decorator}({ name: "save" }).`);
  }
  const allowed = ALLOWED_OPTIONS[kind];
  for (const key of Object.keys(options)) {
    if (!(allowed as string[]).includes(key)) {
      throw new RegistryError(
        `${decorator}: unknown option "${key}". ` + (allowed.length ? `Allowed: ${allowed.join(", ")}.` : `It takes no options.`),
      );
    }
  }
  const o = options as MethodOptions;
  if (o.name !== undefined && (typeof o.name !== "string" || !NAME_RE.test(o.name))) {
    throw new RegistryError(`${decorator}: option name must be an identifier-like string (letters, digits, _, $, -), got ${JSON.stringify(o.name)}.`);
  }
  if (o.debounce !== undefined && (typeof o.debounce !== "number" || !Number.isFinite(o.debounce) || o.debounce < 0)) {
    throw new RegistryError(`${decorator}: option debounce must be a number of milliseconds ≥ 0, got ${JSON.stringify(o.debounce)}.`);
  }
  const wrongAccess = accessProblem(o.auth);
  if (wrongAccess) throw new RegistryError(`${decorator}: option auth ${wrongAccess}.`);
  return { ...o };
}

/** Builds a decorator that records `kind` after running `rules`, usable bare or with options. */
function methodDecorator(kind: MethodKind, label: string, rules: Rule[], events: readonly string[] = []): MethodDecoratorWithOptions<MethodOptions> {
  const apply = (args: unknown[], options: MethodOptions, decorator: string): void => {
    const site = siteOf(args, decorator);
    if (RESERVED.has(site.method)) {
      throw new RegistryError(`${describeSite(site)}: "${site.method}" is part of the App API and cannot carry ${decorator}. Rename the method.`);
    }
    for (const rule of rules) rule(site, decorator);
    record(site, kind, events, options, decorator);
  };
  return function decorate(...args: unknown[]): any {
    // Applied bare (`@server.rpc` above a method): (target, key, descriptor) or (method, context).
    if (args.length >= 2 && !isSchema(args[0]) && !isSchema(args[1]) && (isContext(args[1]) || typeof args[1] === "string" || typeof args[1] === "symbol")) return apply(args, {}, label);
    // Called first: `(options?, ...schemas)`.
    const [first, ...more] = args;
    const withOptions = args.length > 0 && !isSchema(first);
    const schemas = withOptions ? more : args;
    const bad = schemas.findIndex((x) => !isSchema(x));
    if (bad >= 0) {
      const at = bad + (withOptions ? 2 : 1);
      throw new RegistryError(
        `${label}(...): argument ${at} is not a Standard Schema validator (zod, valibot, arktype…: an object with "~standard"). ` +
          `Write ${label}(schema, ...) with one schema per parameter, or ${label}({ name }) for options.`,
      );
    }
    if (schemas.length && kind !== "rpc" && kind !== "realtime") throw new RegistryError(`${label} takes no argument schemas; only @server.rpc and @server.realtime validate their arguments.`);
    const options = checkOptions(kind, withOptions ? first : undefined, label);
    if (schemas.length) options.schemas = Object.freeze([...schemas]) as Schema[];
    const shown = [withOptions && first !== undefined ? JSON.stringify(first) : "", schemas.length ? `<${schemas.length} schema${schemas.length > 1 ? "s" : ""}>` : ""].filter(Boolean).join(", ");
    const decorator = `${label}(${shown})`;
    return (...inner: unknown[]) => apply(inner, options, decorator);
  } as MethodDecoratorWithOptions<MethodOptions>;
}

/** Why `event` cannot be an event name, or undefined when it can. */
function badEventName(event: unknown, label: string): string | undefined {
  if (typeof event === "string" && event.trim() !== "") return undefined;
  const got = typeof event === "string" ? JSON.stringify(event) : typeof event === "object" || typeof event === "function" ? "a method (did you forget the event name?)" : String(event);
  return `${label}(name) needs a non-empty event name string, got ${got}. Example: ${label}("connect").`;
}

/** The lifecycle name `event` is one edit (or one swap) away from, if any: a likely typo. */
function nearMiss(event: string, names: readonly string[]): string | undefined {
  const close = (a: string, b: string): boolean => {
    if (Math.abs(a.length - b.length) > 1) return false;
    let i = 0;
    while (i < a.length && a[i] === b[i]) i++;
    const swap = a.length === b.length && a[i] === b[i + 1] && a[i + 1] === b[i] && a.slice(i + 2) === b.slice(i + 2);
    return swap || a.slice(i + 1) === b.slice(i + 1) || a.slice(i + 1) === b.slice(i) || a.slice(i) === b.slice(i + 1);
  };
  return event.length > 2 ? names.find((name) => name !== event && close(event.toLowerCase(), name)) : undefined;
}

const warnedTypos = new Set<string>();

/**
 * The rules of `@server.on(event)` / `@client.on(event)` that depend on the
 * event: checked when the decorator is applied, so that the error names the
 * class and the method (a factory alone knows neither). A name one edit away
 * from a lifecycle name of that side warns, once: it is a custom event then,
 * which nothing emits.
 */
function eventRule(event: unknown, label: string, check: (event: string, site: DecorationSite, decorator: string) => void, lifecycle: readonly string[]): Rule {
  return (site, decorator) => {
    const bad = badEventName(event, label);
    if (bad) throw new RegistryError(`${describeSite(site)}: ${bad}`);
    check(event as string, site, decorator);
    const typo = nearMiss(event as string, lifecycle);
    const key = `${label}(${String(event)})`;
    if (typo && !warnedTypos.has(key)) {
      warnedTypos.add(key);
      console.warn(
        `[revue] ${describeSite(site)}: ${decorator} listens for a custom event "${String(event)}", which nothing emits by itself. ` +
          `Did you mean the lifecycle event "${typo}"? Write ${label}(${JSON.stringify(typo)}).`,
      );
    }
  };
}

function serverOn(event: string): MethodDecorator {
  const decorator = `@server.on(${JSON.stringify(event) ?? String(event)})`;
  const rule = eventRule(event, "@server.on", (event, site) => {
    if ((CLIENT_LIFECYCLE as readonly string[]).includes(event) && !(SERVER_LIFECYCLE as readonly string[]).includes(event)) {
      throw new RegistryError(`${describeSite(site)}: ${decorator}: "${event}" is a browser lifecycle event. Use @client.on(${JSON.stringify(event)}) on a method that runs in the page.`);
    }
    if ((event === "start" || event === "stop") && !site.isStatic) {
      throw new RegistryError(
        `${describeSite(site)}: ${decorator} needs a static method: "${event}" runs once per process, not per session. ` +
          `Write: @server.on(${JSON.stringify(event)}) static ${site.method}(server) { ... }.`,
      );
    }
    if (PER_SESSION.has(event) && site.isStatic) {
      throw new RegistryError(`${describeSite(site)}: ${decorator} needs an instance method: "${event}" runs for each session. Remove "static".`);
    }
  }, SERVER_LIFECYCLE);
  return methodDecorator("server-on", decorator, [rule], [event]);
}

function clientOn(event: string): MethodDecorator {
  const decorator = `@client.on(${JSON.stringify(event) ?? String(event)})`;
  const rule = eventRule(event, "@client.on", (event, site) => {
    if (event === "start" || event === "stop") {
      throw new RegistryError(`${describeSite(site)}: ${decorator}: "${event}" is a server lifecycle event (once per process). Use @server.on(${JSON.stringify(event)}) on a static method.`);
    }
    if (event === "resume") {
      throw new RegistryError(
        `${describeSite(site)}: ${decorator}: "resume" is a server lifecycle event (a session restored from its snapshot); the page is not told. ` +
          `Use @server.on("resume") on an instance method, or @client.on("connect") for the page's side.`,
      );
    }
  }, CLIENT_LIFECYCLE);
  return methodDecorator("client-on", decorator, [instanceOnly, rule], [event]);
}

/** Wraps a decorator factory so that using it bare (`@server.on` above a method) explains itself, naming the method. */
function needsName<F extends (event: string) => MethodDecorator>(factory: F, label: string): F {
  return ((...args: unknown[]) => {
    if (args.length >= 2) {
      const site = siteOf(args, label);
      throw new RegistryError(`${describeSite(site)}: ${badEventName(args[0], label)}`);
    }
    return factory(args[0] as string);
  }) as F;
}

/**
 * Decorators for methods that run on the server.
 *
 * @example
 * class Counter extends App {
 *   count = 0;
 *   @server.realtime increment() { this.count++; }                 // POST /api/event, answered 202
 *   @server.rpc async reset(to: number) { this.count = to; return to; } // POST /api/rpc/reset
 *   @server.rpc(z.string().email()) invite(email: string) { … }      // validated: 400 INVALID_ARGS
 *   @server.on("load") async fetch() { this.rows = await db.rows(); } // awaited before the first render
 *   @server.on("connect") hello() { this.emit("joined", {}); }      // per session
 *   @server.on("start") static boot() { console.log("up"); }        // once per process
 *   @server.on("resume") reopen() { this.db = openPool(); }        // restored from a snapshot
 * }
 */
export const server: {
  /**
   * Request/response call from the page: `POST /api/rpc/<name>`; the browser
   * awaits the JSON result. Given Standard Schemas (zod, valibot, arktype…),
   * one per parameter, the arguments are validated before the call runs: a
   * failure answers `400 INVALID_ARGS` with each issue and its path.
   */
  rpc: ServerMethodDecorator<{ name?: string; auth?: Access }>;
  /** Fire-and-forget call, bindable to DOM events; its return value is dropped (with a warning). Validates its leading arguments as `rpc` does. */
  realtime: ServerMethodDecorator<{ name?: string; debounce?: number; auth?: Access }, any[]>;
  /** Handles a lifecycle event (`start`, `stop`, `load`, `connect`, `disconnect`, `resume`, `params`) or a custom emitted event. */
  on: (event: string) => MethodDecorator;
} = Object.freeze({
  rpc: methodDecorator("rpc", "@server.rpc", [instanceOnly]),
  realtime: methodDecorator("realtime", "@server.realtime", [instanceOnly]),
  on: needsName(serverOn, "@server.on"),
});

const clientHelper = methodDecorator("client", "@client", [instanceOnly]);

/**
 * Decorators for methods shipped to and run in the browser. Bare `@client`
 * marks a helper callable from other client code as `this.name()`.
 *
 * @example
 * class Counter extends App {
 *   @client format(n: number) { return n.toLocaleString(); }
 *   @client.callback async onReset(ev: Event) { await this.server.reset(0); }
 *   @client.realtime toast(msg: string) { alert(msg); }     // server: this.client.toast("hi")
 *   @client.on("ready") ready() { console.log("hydrated"); }
 * }
 */
export const client: MethodDecorator & {
  /** A DOM event handler run in the page; receives the real DOM `Event`. */
  callback: MethodDecoratorWithOptions<{ debounce?: number }>;
  /** Reverse RPC: the server calls it with `this.client.name(...args)`; fire-and-forget. */
  realtime: MethodDecoratorWithOptions<{ name?: string }>;
  /** Runs on a browser lifecycle event (`ready`, `connect`, `disconnect`) or a custom event. */
  on: (event: string) => MethodDecorator;
} = Object.assign(((...args: unknown[]) => (clientHelper as (...a: unknown[]) => unknown)(...args)) as MethodDecorator, {
  callback: methodDecorator("callback", "@client.callback", [instanceOnly]),
  realtime: methodDecorator("client-realtime", "@client.realtime", [instanceOnly]),
  on: needsName(clientOn, "@client.on"),
});
Object.freeze(client);

/**
 * A field decorator usable under both conventions: legacy
 * `experimentalDecorators` `(target, key)` and TC39 standard `(undefined, context)`.
 */
export interface FieldDecorator {
  (value: undefined, context: ClassFieldDecoratorContext): void;
  (target: object, propertyKey: string | symbol, descriptor?: undefined): void;
}

/** "a method", "an accessor": what a non-field decoration was applied to, for messages. */
function article(kind: string): string {
  return `${/^[aeiou]/.test(kind) ? "an" : "a"} ${kind}`;
}

/** What a field decorator's misuses say: its name, an example, and why its rules are what they are. */
interface FieldRules {
  notAField(where: string, what: string): RegistryError;
  staticField(where: string): RegistryError;
  unsaved(where: string, what: string): RegistryError;
  misuse(args: unknown[]): RegistryError;
}

const TRANSIENT_RULES: FieldRules = {
  notAField: (where, what) =>
    new RegistryError(
      `${where}: @transient was applied to ${what}, but it marks instance fields only. ` +
        `Only an instance's own fields are saved in a session snapshot, so there is nothing to leave out: remove @transient, ` +
        `or put it on the field that holds the value (@transient db = openPool();).`,
    ),
  staticField: (where) =>
    new RegistryError(
      `${where}: @transient was applied to a static field. Static fields are shared by every session of the process and never ` +
        `saved in a session snapshot: remove @transient, or remove "static" if each session needs its own value.`,
    ),
  unsaved: (where, what) =>
    new RegistryError(
      `${where}: @transient cannot mark ${what}: only public string-named fields are saved in a session snapshot, so this one ` +
        `already keeps its constructor value when a session resumes. Remove @transient.`,
    ),
  misuse: (args) =>
    new RegistryError(
      `@transient was applied to something that is not a class field${args.length === 0 ? " (it takes no arguments)" : ""}. ` +
        `Put it, without parentheses, directly before an instance field: @transient db = openPool();`,
    ),
};

/** The rules of `@url` and `@synced`: they mark one session's own public fields. */
function markRules(decorator: string, example: string, leaves: string): FieldRules {
  return {
    notAField: (where, what) => new RegistryError(`${where}: ${decorator} was applied to ${what}, but it marks instance fields only: put it before the field that holds the value (${example}).`),
    staticField: (where) => new RegistryError(`${where}: ${decorator} was applied to a static field. It marks a field of each session (${leaves}); a static field is shared by all of them. Remove "static".`),
    unsaved: (where, what) => new RegistryError(`${where}: ${decorator} cannot mark ${what}: only public string-named fields ${leaves === "" ? "can" : "can be " + leaves}. Use a public field.`),
    misuse: () => new RegistryError(`${decorator} was applied to something that is not a class field. Put it directly before an instance field: ${example}`),
  };
}

/**
 * Normalises either convention into the metadata store and field name, or
 * throws for anything that is not a public, string-named instance field.
 */
function fieldSite(args: unknown[], rules: FieldRules = TRANSIENT_RULES): { store: object; field: string } {
  const [first, second, third] = args;
  if (isContext(second)) {
    const ctx = second;
    const where = `${classBeingDefined()}.${String(ctx.name)}`;
    if (ctx.kind !== "field") throw rules.notAField(where, article(ctx.kind));
    const fctx = ctx as ClassFieldDecoratorContext;
    if (fctx.static) throw rules.staticField(where);
    if (fctx.private) throw rules.unsaved(where, "a private (#) field");
    if (typeof fctx.name !== "string") throw rules.unsaved(where, "a symbol-named field");
    if (!fctx.metadata) {
      throw new RegistryError(
        `${where}: decorator metadata is unavailable (Symbol.metadata is missing). Import "revue" before defining the class so its polyfill runs.`,
      );
    }
    return { store: fctx.metadata, field: fctx.name };
  }
  if ((typeof first === "object" || typeof first === "function") && first !== null && (typeof second === "string" || typeof second === "symbol")) {
    const isStatic = typeof first === "function";
    const cls = (isStatic ? first : (first as { constructor: Function }).constructor) as Function;
    const where = `${cls.name || "<anonymous class>"}.${String(second)}`;
    // TypeScript passes no descriptor (or undefined) for a field; Babel's legacy
    // plugin passes one with an `initializer`. A method or accessor has a real one.
    const desc = third as (PropertyDescriptor & { initializer?: unknown }) | undefined;
    if (desc && !("initializer" in desc)) throw rules.notAField(where, typeof desc.value === "function" ? "a method" : "an accessor");
    if (isStatic) throw rules.staticField(where);
    if (typeof second === "symbol") throw rules.unsaved(where, "a symbol-named field");
    return { store: cls, field: second };
  }
  throw rules.misuse(args);
}

/**
 * Leaves an instance field out of the session's snapshot: a database pool, a
 * timer, a cache, anything that cannot (or should not) be saved as data. When
 * the session is restored from its snapshot (after a restart, on another node,
 * out of hibernation) the field keeps the value its initialiser gave it; rebuild
 * what depends on the session in a `@server.on("resume")` handler.
 *
 * @example
 * class Report extends App {
 *   rows: Row[] = [];
 *   @transient db = openPool();              // not saved; re-created by the constructor
 *   @transient timer: NodeJS.Timeout | undefined;
 *   @server.on("resume") reopen() { this.timer = setInterval(() => this.refresh(), 5000); }
 * }
 */
export const transient: FieldDecorator = function transient(...args: unknown[]): void {
  const { store, field } = fieldSite(args);
  recordTransient(store, field);
} as FieldDecorator;

/** Options of {@link url}. */
export interface UrlOptions {
  /** The query parameter's name. Default: the field's name. */
  param?: string;
  /** A change adds a history entry, so Back returns to the previous value. Default: false (the address is replaced). */
  push?: boolean;
  /** The only values the address may give the field (`["all", "open", "done"]`); any other leaves it at its initial value. */
  choices?: readonly (string | number)[];
}

/** `@url`, bare or with options. */
export interface UrlDecorator extends FieldDecorator {
  (options: UrlOptions): FieldDecorator;
}

const URL_RULES = markRules("@url", '@url filter = "all";', "kept in the page's address");
const SYNCED_RULES = markRules("@synced", "@synced count = 0;", "pushed to the page");
/** A query parameter name: what needs no escaping in an address and reads as a name. */
const PARAM = /^[A-Za-z0-9_.~-]{1,64}$/;

/**
 * Keeps a field in the page's address: `@url filter = "all"` makes
 * `/todos?filter=done` open with `filter === "done"`, and when a handler
 * changes the field the page's address follows (replaced, or a new history
 * entry with `push: true`), so a reload, a shared link and Back/Forward show
 * the same view. A field at its initial value is left out of the address.
 *
 * The field holds a string, a number or a boolean (its initial value says
 * which); a value in the address that does not read as one (`?page=abc` for a
 * number), or is not one of `choices` when given, leaves the field at its
 * initial value. Values come from the address: check them as any input
 * (`this.page = Math.max(1, this.page)`), or name them with `choices`.
 *
 * @example
 * class Todos extends App {
 *   @url({ choices: ["all", "open", "done"] }) filter: "all" | "open" | "done" = "all";
 *   @url({ param: "q" }) search = "";
 *   @url({ push: true }) page = 1;
 * }
 */
export const url: UrlDecorator = function url(...args: unknown[]): unknown {
  const bare = args.length >= 2;
  if (!bare) {
    const [options] = args;
    if (args.length > 1 || (options !== undefined && (typeof options !== "object" || options === null || Array.isArray(options)))) throw URL_RULES.misuse(args);
    const o = (options ?? {}) as UrlOptions;
    for (const key of Object.keys(o)) {
      if (key !== "param" && key !== "push" && key !== "choices") throw new RegistryError(`@url({ ${key} }): unknown option "${key}". The options are param (the query parameter's name), push (true: a change adds a history entry) and choices (the values the address may give).`);
    }
    if (o.param !== undefined && (typeof o.param !== "string" || !PARAM.test(o.param))) {
      throw new RegistryError(`@url({ param: ${JSON.stringify(o.param)} }): a query parameter name is 1–64 letters, digits, "_", ".", "~" or "-".`);
    }
    if (o.push !== undefined && typeof o.push !== "boolean") throw new RegistryError(`@url({ push: ${JSON.stringify(o.push)} }): push is true or false.`);
    if (o.choices !== undefined && (!Array.isArray(o.choices) || o.choices.length === 0 || !o.choices.every((c) => typeof c === "string" || (typeof c === "number" && Number.isFinite(c))))) {
      throw new RegistryError(`@url({ choices: ${JSON.stringify(o.choices)?.slice(0, 80)} }): choices is a non-empty array of strings or numbers, such as ["all", "open", "done"].`);
    }
    return (...inner: unknown[]) => markUrl(inner, o);
  }
  markUrl(args, {});
  return undefined;
} as UrlDecorator;

function markUrl(args: unknown[], options: UrlOptions): void {
  const { store, field } = fieldSite(args, URL_RULES);
  const param = options.param ?? field;
  if (!PARAM.test(param)) throw new RegistryError(`@url ${field}: "${field}" cannot be a query parameter name as it is; give one: @url({ param: "name" }).`);
  recordFieldMark(store, { field, kind: "url", options: { param, push: options.push === true, ...(options.choices ? { choices: Object.freeze([...options.choices]) } : {}) } });
}

/**
 * Pushes a field to the page: its value is in `rv.state` from the first page
 * on, and every patch that follows a change carries the new value, so
 * `@client` code reads server state without an rpc (and `rv.on("state", …)`
 * hears each change). Only marked fields leave the server; their values must
 * be JSON.
 *
 * @example
 * class Player extends App {
 *   @synced position = 0;           // the page reads rv.state.position
 *   @client.on("state") follow() { video.currentTime = rv.state.position as number; }
 * }
 */
export const synced: FieldDecorator = function synced(...args: unknown[]): void {
  const { store, field } = fieldSite(args, SYNCED_RULES);
  recordFieldMark(store, { field, kind: "synced" });
} as FieldDecorator;
