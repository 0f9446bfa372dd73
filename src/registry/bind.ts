import { BindError } from "../errors.js";
import { originOf, type MethodEntry } from "./entries.js";
import { publicName, type AppSpec } from "./spec.js";
import type { Binder } from "../vdom/types.js";

/**
 * Bind-time validation: the only things `render()` may put in an `on*` prop
 * are this app's `@client.callback` and `@server.realtime` methods (optionally
 * wrapped by {@link handler}). Everything else throws a {@link BindError}
 * during that render, so it never reaches the browser.
 *
 * The value stored in `data-rv-on-<event>` is `r:<name>` (server realtime) or
 * `c:<method>` (client callback), followed by `/<ms>` when debounced, then by
 * a space and the JSON array of the binding's args when it has some
 * (`r:toggle [7]`). The method is called with those args first, then the
 * event: `(...args, summary)` on the server, `(...args, event)` in the page.
 */

const HANDLER = Symbol.for("revue:handler");

/** The realtime method name the page calls for a field binding (registry/fields.ts): a dot, so it cannot clash with a method name. */
export const SET_FIELD_NAME = "rv.set";

/** The marker function a field binding binds: the binder writes it as the built-in {@link SET_FIELD_NAME}. */
export function setField(): void {
  throw new BindError("setField is a marker for field bindings; bind fields with bindField() or revue/ui's controls.");
}

/** The marker of a field binding on a file input: the page uploads the files first (`u:` instead of `r:`). */
export function uploadField(): void {
  throw new BindError("uploadField is a marker for upload bindings; use revue/ui's fileUpload().");
}

/** A method plus per-binding options, made by {@link handler}. */
export interface HandlerBinding {
  readonly [HANDLER]: true;
  readonly fn: Function;
  readonly debounce: number | undefined;
  /** Values from `render()` passed before the event, or undefined. */
  readonly args: readonly unknown[] | undefined;
}

/** The most JSON a binding's args may take: they are written into the page for every bound element. */
export const MAX_ARGS_JSON = 512;

/**
 * The leading parameters of a method, any number of them: what a binding's
 * `args` may fill in (the event comes after them).
 */
export type LeadingArgs<P extends readonly unknown[]> = number extends P["length"]
  ? readonly unknown[]
  : P extends readonly [infer Head, ...infer Rest]
    ? readonly [] | readonly [Head, ...LeadingArgs<Rest>]
    : readonly [];

/** Options of {@link handler}. */
export interface HandlerOptions<F> {
  /** Debounce in ms: calls wait until the element is quiet that long (for typing). */
  debounce?: number;
  /**
   * Values from `render()` the method receives before the event, as LiveView's
   * `phx-value-*`: `handler(this.toggle, { args: [item.id] })` calls
   * `toggle(item.id, summary)`. They travel in the page's HTML as JSON: plain
   * data only (strings, finite numbers, booleans, null, arrays, plain
   * objects), at most {@link MAX_ARGS_JSON} characters.
   */
  args?: F extends (...a: infer P) => unknown ? LeadingArgs<P> : readonly unknown[];
}

/**
 * Binds a method with per-binding options: a debounce for a text input,
 * values from `render()` for the handler (`args`).
 *
 * @example
 * h("input", { onInput: handler(this.search, { debounce: 300 }) })
 * h("input", { type: "checkbox", checked: item.done, onChange: handler(this.toggle, { args: [item.id] }) })
 * // @server.realtime toggle(id: number, ev: EventSummary) { … }
 */
export function handler<F extends Function>(fn: F, options: HandlerOptions<F> = {}): HandlerBinding {
  const d = options.debounce;
  if (d !== undefined && (typeof d !== "number" || !Number.isFinite(d) || d < 0)) {
    throw new BindError(`handler(${fn?.name || "fn"}, { debounce }): debounce must be a number of milliseconds ≥ 0, got ${JSON.stringify(d)}.`);
  }
  const args = options.args as readonly unknown[] | undefined;
  if (args !== undefined && !Array.isArray(args)) {
    throw new BindError(`handler(${fn?.name || "fn"}, { args }): args must be an array of values, e.g. { args: [item.id] }, got ${describe(args)}.`);
  }
  return new Binding(fn, d, args && args.length ? args : undefined);
}

/**
 * What {@link handler} returns: an instance of a class, its mark on the
 * prototype, not a frozen literal (a row of a list makes several per render:
 * 0.25× the time of `Object.freeze({ [HANDLER]: true, … })`).
 */
class Binding implements HandlerBinding {
  declare readonly [HANDLER]: true;
  constructor(
    readonly fn: Function,
    readonly debounce: number | undefined,
    readonly args: readonly unknown[] | undefined,
  ) {}
}
Object.defineProperty(Binding.prototype, HANDLER, { value: true });

/** A short description of a value for messages. */
function describe(v: unknown): string {
  if (v === null || typeof v !== "object") return typeof v === "string" ? JSON.stringify(v.slice(0, 40)) : typeof v === "number" || typeof v === "boolean" ? String(v) : typeof v;
  const name = Object.getPrototypeOf(v)?.constructor?.name;
  return Array.isArray(v) ? "an array" : name && name !== "Object" ? `a ${name}` : "an object";
}

/** Where `v` stops being plain data, e.g. "args[1].at (a Date)"; undefined if it is plain data all through. */
function notData(v: unknown, path: string, depth: number): string | undefined {
  if (v === null || typeof v === "string" || typeof v === "boolean") return undefined;
  if (typeof v === "number") return Number.isFinite(v) ? undefined : `${path} (${v})`;
  if (typeof v !== "object" || depth > 8) return `${path} (${depth > 8 ? "nested too deep" : typeof v})`;
  if (Array.isArray(v)) {
    for (let i = 0; i < v.length; i++) {
      const bad = notData(v[i], `${path}[${i}]`, depth + 1);
      if (bad) return bad;
    }
    return undefined;
  }
  const proto = Object.getPrototypeOf(v);
  if (proto !== Object.prototype && proto !== null) return `${path} (${describe(v)})`;
  for (const [k, x] of Object.entries(v)) {
    const bad = notData(x, `${path}.${k}`, depth + 1);
    if (bad) return bad;
  }
  return undefined;
}

/** The JSON a binding's args travel as, or a BindError naming what cannot travel. */
function argsJson(args: readonly unknown[], where: () => string, method: string): string {
  const json = primitivesJson(args) ?? (isData(args, 0) ? JSON.stringify(args) : undefined);
  if (json === undefined) {
    throw new BindError(
      `${where()}: handler(this.${method}, { args }): ${notData(args, "args", 0)} is not plain data. Binding args are written into the page as JSON, ` +
        `so pass strings, finite numbers, booleans, null, arrays and plain objects (an id, not the record: look the rest up on the server).`,
    );
  }
  if (json.length > MAX_ARGS_JSON) {
    throw new BindError(
      `${where()}: handler(this.${method}, { args }): the args are ${json.length} characters of JSON, over ${MAX_ARGS_JSON}. ` +
        `They are written into the page for every bound element: pass an id and look the rest up on the server.`,
    );
  }
  return json;
}

/**
 * The JSON of args that are finite numbers, booleans or null (an id, a flag:
 * most bindings), or undefined for anything else. Written by hand: a
 * 1,000-row page binds thousands of handlers, and `JSON.stringify` of `[7]`
 * costs several times `"[" + 7 + "]"` (a number's JSON is its `String`).
 */
function primitivesJson(args: readonly unknown[]): string | undefined {
  let json = "[";
  for (let i = 0; i < args.length; i++) {
    const v = args[i];
    if (typeof v === "number" ? !Number.isFinite(v) : typeof v !== "boolean" && v !== null) return undefined;
    json += (i > 0 ? "," : "") + String(v);
  }
  return json + "]";
}

/** Whether `v` is plain data all through ({@link notData} says where it is not). */
function isData(v: unknown, depth: number): boolean {
  if (v === null || typeof v === "string" || typeof v === "boolean") return true;
  if (typeof v === "number") return Number.isFinite(v);
  if (typeof v !== "object" || depth > 8) return false;
  if (Array.isArray(v)) {
    for (let i = 0; i < v.length; i++) if (!isData(v[i], depth + 1)) return false;
    return true;
  }
  const proto = Object.getPrototypeOf(v);
  if (proto !== Object.prototype && proto !== null) return false;
  for (const k of Object.keys(v)) if (!isData((v as Record<string, unknown>)[k], depth + 1)) return false;
  return true;
}

function isBinding(x: unknown): x is HandlerBinding {
  return typeof x === "object" && x !== null && (x as HandlerBinding)[HANDLER] === true;
}

function ownsUndecorated(spec: AppSpec, fn: Function): boolean {
  for (let p: object | null = spec.ctor.prototype; p && p !== Object.prototype; p = Object.getPrototypeOf(p)) {
    for (const key of Object.getOwnPropertyNames(p)) {
      if (Object.getOwnPropertyDescriptor(p, key)?.value === fn) return true;
    }
  }
  return false;
}

const FIX = "Bind a method decorated @client.callback (runs in the browser) or @server.realtime (runs on the server).";

/**
 * Creates the {@link Binder} the vdom calls for every `on*` prop while lowering
 * one app's `render()` output.
 *
 * @example
 * const bind = createBinder(getSpec(Counter));
 * bind("button", "onClick", Counter.prototype.increment) // "r:increment"
 */
export function createBinder(spec: AppSpec): Binder {
  // A method's `r:name` / `c:method` with its own debounce, built once: a 1,000-row page binds thousands of handlers.
  const codes = new Map<MethodEntry, string>();
  const codeOf = (entry: MethodEntry, debounce: number | undefined): string => {
    const code = entry.kind === "realtime" ? `r:${publicName(entry)}` : `c:${entry.method}`;
    return debounce === undefined ? code : `${code}/${debounce}`;
  };
  return (tag, prop, value) => {
    const where = () => `<${tag} ${prop}> in ${spec.name}.render()`;
    const binding = isBinding(value) ? value : undefined;
    const fn = binding ? binding.fn : value;
    if (typeof fn !== "function") {
      const what = typeof fn === "string" ? `an inline handler string ${JSON.stringify(fn.slice(0, 40))}` : `a ${fn === null ? "null" : typeof fn}`;
      throw new BindError(`${where()}: got ${what}. Inline handler strings and non-functions are not allowed. ${FIX}`);
    }
    if (fn === setField || fn === uploadField) {
      const code = `${fn === setField ? "r" : "u"}:${SET_FIELD_NAME}`;
      const timed = binding?.debounce === undefined ? code : `${code}/${binding.debounce}`;
      return binding?.args ? `${timed} ${argsJson(binding.args, where, "field binding")}` : timed;
    }
    const entry = spec.entryOf(fn);
    if (entry && (entry.kind === "realtime" || entry.kind === "callback")) {
      let timed: string | undefined;
      if (binding?.debounce === undefined) {
        timed = codes.get(entry);
        if (timed === undefined) codes.set(entry, (timed = codeOf(entry, entry.options.debounce)));
      } else timed = codeOf(entry, binding.debounce);
      return binding?.args ? `${timed} ${argsJson(binding.args, where, entry.method)}` : timed;
    }
    if (entry) {
      const hint =
        entry.kind === "rpc"
          ? `it is ${entry.decorator}, which returns a value to an awaiting caller; a DOM event cannot await it. Use @server.realtime, or call this.server.${entry.method}() from a @client.callback.`
          : `it is ${entry.decorator}, which cannot handle DOM events. ${FIX}`;
      throw new BindError(`${where()}: ${spec.name}.${entry.method} cannot be bound: ${hint}`);
    }
    const origin = originOf(fn);
    if (origin) {
      throw new BindError(
        `${where()}: ${origin.className ?? "another app"}.${origin.method} belongs to another app; an element can only bind methods of the app that renders it. ` +
          `Move the handler into ${spec.name}, or render that app separately.`,
      );
    }
    if (ownsUndecorated(spec, fn)) {
      throw new BindError(`${where()}: ${spec.name}.${fn.name} is not decorated. Add @server.realtime (or @client.callback to run it in the browser) above it.`);
    }
    const name = fn.name && !fn.name.startsWith("bound ") ? ` (${fn.name})` : fn.name ? ` (${fn.name}: a .bind() copy)` : "";
    throw new BindError(
      `${where()}: got an inline function${name}. Handlers cannot be closures, because they must be callable from the page by name. ` +
        `${FIX} Pass the method itself, e.g. { ${prop}: this.increment }, without .bind() or an arrow; ` +
        `with arguments, handler(this.vote, { args: [note.id] }) (import { handler } from "revue").`,
    );
  };
}
