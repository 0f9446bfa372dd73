import { oneText as oneTextOf } from "./lower.js";
import type { VNode } from "./types.js";

/*
 * Whether a tree, as `render()` returns it, gives the same HTML as one seen
 * before: what a served page is reused on (session/page-cache.ts). It reads exactly what
 * writing a tree reads (html.ts, `writeVNode`): a node's kind, tag, key, props,
 * and its content as one text or as children. Props are compared as values,
 * since each render builds them anew: strings, numbers and booleans by value;
 * functions (bound methods) by identity; arrays and plain objects (class and
 * style objects, `handler()` bindings and their args) entry by entry. Anything
 * else (a Date, a Map, a class instance) is the same only when it is the very
 * same object, so an answer of "same" is never a guess.
 */

/** The mark `handler()` puts on a binding (registry/bind.ts): a binding is compared by what the binder reads of it. */
const HANDLER = Symbol.for("revue:handler");

/** A `handler()` binding as the binder reads it. */
interface Binding {
  [HANDLER]?: true;
  fn?: unknown;
  debounce?: unknown;
  args?: unknown;
}

/** Bound locally: under tsx every call of an imported name runs a getter first (see diff.ts). */
const oneText = oneTextOf;

/** Nesting past which prop values are not compared (and so count as different). */
const MAX_DEPTH = 8;

/**
 * A tree as {@link sameShape} compares it: what writing reads, flat, in
 * document order. Held instead of the tree: a page cached for reuse keeps
 * this, and comparing a new tree with a flat array reads each props object
 * of the new tree once, by its own names (V8's fast path for `obj[name]`
 * inside `for (name in obj)`), where comparing two trees looked every name
 * up in the other object too (0.62× the time for the 1,000-row table).
 */
export type TreeShape = readonly unknown[];

/** Marks a text node in a shape (where an element has its tag). */
const TEXT = Symbol("text");
/** Marks an element's content as one text (where it has its child count). */
const ONE_TEXT = Symbol("one text");

/**
 * The shape of `v`: for a text node `TEXT, text`; for an element its tag, its
 * key, its number of props and each prop's name and value, then `ONE_TEXT,
 * text` or its number of children and their shapes.
 *
 * @example
 * sameShape(shapeOf(h("p", { class: { on: true } }, "hi")), h("p", { class: { on: true } }, "hi")) // true
 */
export function shapeOf(v: VNode): TreeShape {
  const out: unknown[] = [];
  shape(v, out);
  return out;
}

/** Appends `v`'s shape to `out`. */
function shape(v: VNode, out: unknown[]): void {
  let n = out.length;
  if (v.type === "text") {
    out[n++] = TEXT;
    out[n] = v.text;
    return;
  }
  const props = v.props ?? NO_PROPS;
  out[n++] = v.tag;
  out[n++] = v.key;
  const count = n;
  out[n++] = 0; // the number of props, written below (written now: a gap would make the array holey)
  let names = 0;
  for (const name in props) {
    out[n++] = name;
    out[n++] = props[name];
    names++;
  }
  out[count] = names;
  const children = v.children ?? NONE;
  const text = oneText(v.text, children);
  if (text !== undefined) {
    out[n++] = ONE_TEXT;
    out[n] = text;
    return;
  }
  out[n] = children.length;
  for (let i = 0; i < children.length; i++) shape(children[i]!, out);
}

/**
 * True when `a` and `b` would be written as the same HTML (with the same ids)
 * by the same binder: what {@link sameShape} answers for `shapeOf(a)` and
 * `b`, without building the shape (a page seen once is compared this way; a
 * shape, 5× the time of a comparison to build, pays once a page is seen again).
 *
 * @example
 * sameTree(h("p", { class: { on: true } }, "hi"), h("p", { class: { on: true } }, "hi")) // true
 * sameTree(h("p", {}, "hi"), h("p", {}, "ho"))                                           // false
 */
export function sameTree(a: VNode, b: VNode): boolean {
  if (a === b) return true;
  if (a.type === "text" || b.type === "text") return a.type === b.type && a.text === b.text;
  if (a.tag !== b.tag || a.key !== b.key || !sameEntries(a.props ?? NO_PROPS, b.props ?? NO_PROPS, 0)) return false;
  const ac = a.children ?? NONE, bc = b.children ?? NONE;
  const at = oneText(a.text, ac), bt = oneText(b.text, bc);
  if (at !== undefined || bt !== undefined) return at === bt;
  if (ac.length !== bc.length) return false;
  for (let i = 0; i < ac.length; i++) if (!sameTree(ac[i]!, bc[i]!)) return false;
  return true;
}

/**
 * True when `v` would be written as the same HTML (with the same ids) as the
 * tree `shape` was taken of, by the same binder: the same nodes in the same
 * order, with equal props (in the same order) and texts.
 */
export function sameShape(shape: TreeShape, v: VNode): boolean {
  at = 0;
  return matches(shape, v) && at === shape.length;
}

/** Where {@link matches} reads `shape` next. */
let at = 0;

function matches(s: TreeShape, v: VNode): boolean {
  if (v.type === "text") {
    if (s[at] !== TEXT || s[at + 1] !== v.text) return false;
    at += 2;
    return true;
  }
  if (s[at] !== v.tag || s[at + 1] !== v.key) return false;
  const n = s[at + 2] as number;
  at += 3;
  const end = at + 2 * n;
  const props = v.props ?? NO_PROPS;
  for (const name in props) {
    if (at === end || s[at] !== name) return false;
    const x = s[at + 1], y = props[name];
    if (x !== y && !sameValue(x, y, 0)) return false;
    at += 2;
  }
  if (at !== end) return false;
  const children = v.children ?? NONE;
  const text = oneText(v.text, children);
  if (text !== undefined) {
    if (s[at] !== ONE_TEXT || s[at + 1] !== text) return false;
    at += 2;
    return true;
  }
  if (s[at] !== children.length) return false;
  at++;
  for (let i = 0; i < children.length; i++) if (!matches(s, children[i]!)) return false;
  return true;
}

const NONE: readonly VNode[] = [];
const NO_PROPS: Readonly<Record<string, unknown>> = {};

/** Equal prop values: the same primitive or function, or arrays and plain objects of equal values (see the top). */
function sameValue(a: unknown, b: unknown, depth: number): boolean {
  if (a === b) return true;
  if (typeof a !== "object" || typeof b !== "object" || a === null || b === null || depth >= MAX_DEPTH) return false;
  if (Array.isArray(a)) {
    if (!Array.isArray(b) || a.length !== b.length) return false;
    for (let i = 0; i < a.length; i++) if (!sameValue(a[i], b[i], depth + 1)) return false;
    return true;
  }
  if ((a as Binding)[HANDLER] === true || (b as Binding)[HANDLER] === true) {
    // What the binder reads of a binding, and only that (a binding per row of a list: the todo page compares in 0.71× the time of walking them as objects).
    const x = a as Binding, y = b as Binding;
    return x[HANDLER] === y[HANDLER] && x.fn === y.fn && x.debounce === y.debounce && sameValue(x.args, y.args, depth + 1);
  }
  const proto = Object.getPrototypeOf(a);
  if ((proto !== Object.prototype && proto !== null) || Object.getPrototypeOf(b) !== proto || Array.isArray(b)) return false;
  return sameEntries(a as Record<string, unknown>, b as Record<string, unknown>, depth + 1);
}

/** The names of the objects being compared, `a`'s in order, stacked (nested values push above their parent's). */
const names: string[] = [];
let top = 0;

/**
 * The same names in the same order with equal values, listed without a new
 * array per object (the props of every element, when two trees are compared): `a`'s
 * names go on {@link names} as their values are compared with `b`'s, then
 * `b`'s names are walked against them in order (which also catches a name
 * `b` lacks).
 */
function sameEntries(a: Readonly<Record<string, unknown>>, b: Readonly<Record<string, unknown>>, depth: number): boolean {
  const base = top;
  let same = true;
  for (const name in a) {
    const x = a[name], y = b[name];
    if (x !== y && !sameValue(x, y, depth)) {
      same = false;
      break;
    }
    names[top++] = name;
  }
  if (same) {
    let i = base;
    for (const name in b) {
      if (i === top || names[i++] !== name) {
        same = false;
        break;
      }
    }
    same &&= i === top;
  }
  top = base;
  return same;
}
