import { BindError } from "../errors.js";
import { originOf } from "./entries.js";
import { publicName, type AppSpec } from "./spec.js";
import type { Binder } from "../vdom/types.js";

/**
 * Bind-time validation: the only things `render()` may put in an `on*` prop
 * are this app's `@client.callback` and `@server.realtime` methods (optionally
 * wrapped by {@link handler}). Everything else throws a {@link BindError}
 * during that render, so it never reaches the browser.
 *
 * The value stored in `data-rv-on-<event>` is `r:<name>` (server realtime) or
 * `c:<method>` (client callback), followed by `/<ms>` when debounced.
 */

const HANDLER = Symbol.for("revue:handler");

/** A method plus per-binding options, made by {@link handler}. */
export interface HandlerBinding {
  readonly [HANDLER]: true;
  readonly fn: Function;
  readonly debounce: number | undefined;
}

/**
 * Binds a method with per-binding options, e.g. a debounce for a text input.
 *
 * @example
 * h("input", { onInput: handler(this.search, { debounce: 300 }) })
 */
export function handler(fn: Function, options: { debounce?: number } = {}): HandlerBinding {
  const d = options.debounce;
  if (d !== undefined && (typeof d !== "number" || !Number.isFinite(d) || d < 0)) {
    throw new BindError(`handler(${fn?.name || "fn"}, { debounce }): debounce must be a number of milliseconds ≥ 0, got ${JSON.stringify(d)}.`);
  }
  return Object.freeze({ [HANDLER]: true as const, fn, debounce: d });
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
  return (tag, prop, value) => {
    const where = `<${tag} ${prop}> in ${spec.name}.render()`;
    const binding = isBinding(value) ? value : undefined;
    const fn = binding ? binding.fn : value;
    if (typeof fn !== "function") {
      const what = typeof fn === "string" ? `an inline handler string ${JSON.stringify(fn.slice(0, 40))}` : `a ${fn === null ? "null" : typeof fn}`;
      throw new BindError(`${where}: got ${what}. Inline handler strings and non-functions are not allowed. ${FIX}`);
    }
    const entry = spec.entryOf(fn);
    if (entry && (entry.kind === "realtime" || entry.kind === "callback")) {
      const debounce = binding?.debounce ?? entry.options.debounce;
      const code = entry.kind === "realtime" ? `r:${publicName(entry)}` : `c:${entry.method}`;
      return debounce === undefined ? code : `${code}/${debounce}`;
    }
    if (entry) {
      const hint =
        entry.kind === "rpc"
          ? `it is ${entry.decorator}, which returns a value to an awaiting caller; a DOM event cannot await it. Use @server.realtime, or call this.server.${entry.method}() from a @client.callback.`
          : `it is ${entry.decorator}, which cannot handle DOM events. ${FIX}`;
      throw new BindError(`${where}: ${spec.name}.${entry.method} cannot be bound: ${hint}`);
    }
    const origin = originOf(fn);
    if (origin) {
      throw new BindError(
        `${where}: ${origin.className ?? "another app"}.${origin.method} belongs to another app; an element can only bind methods of the app that renders it. ` +
          `Move the handler into ${spec.name}, or render that app separately.`,
      );
    }
    if (ownsUndecorated(spec, fn)) {
      throw new BindError(`${where}: ${spec.name}.${fn.name} is not decorated. Add @server.realtime (or @client.callback to run it in the browser) above it.`);
    }
    const name = fn.name && !fn.name.startsWith("bound ") ? ` (${fn.name})` : fn.name ? ` (${fn.name}: a .bind() copy)` : "";
    throw new BindError(
      `${where}: got an inline function${name}. Handlers cannot be closures, because they must be callable from the page by name. ` +
        `${FIX} Pass the method itself, e.g. { ${prop}: this.increment }, without .bind() or an arrow.`,
    );
  };
}
