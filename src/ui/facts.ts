import { memo, type MemoOf } from "../vdom/memo.js";
import type { VNode } from "../vdom/types.js";

/*
 * What the kit's memoised components (charts, tables, JSON trees) are
 * compared by: the values they draw, read into a flat list of facts. In a
 * session's render, a component whose facts equal the last render's returns
 * the subtree that render built, which the diff does not walk. Values are read
 * one by one, not by identity, so data changed in place
 * (`this.points.push(p)`) is seen.
 */

/** Marks in a list of facts (see {@link factsOf}): a list and its length, a date and its time, a record's start and end. */
const LIST = Symbol("list"), DATE = Symbol("date"), RECORD = Symbol("record"), END = Symbol("end");
/** The most facts a component is compared by (≈ 4 per chart point): a bigger one is drawn at every render rather than kept twice. */
const MAX_FACTS = 32_768;

/**
 * Appends to `out` what `v` is made of, in order: primitives and functions as
 * they are, lists, dates and plain records through their marks. False when `v`
 * holds anything else (a Map, a class instance), nests deeper than `maxDepth`,
 * or the facts would pass {@link MAX_FACTS}: the component is then drawn
 * every time.
 *
 * @example
 * const facts: unknown[] = ["line"];
 * if (factsOf(series, facts) && factsOf(options, facts)) return h(Kept, { facts, draw });
 */
export function factsOf(v: unknown, out: unknown[], maxDepth = 4, depth = 0): boolean {
  if (typeof v !== "object" || v === null) return out.push(v) <= MAX_FACTS;
  if (depth > maxDepth || out.length > MAX_FACTS) return false;
  if (Array.isArray(v)) {
    out.push(LIST, v.length);
    for (let i = 0; i < v.length; i++) {
      const x: unknown = v[i];
      // A point's numbers, most of the facts, without a call each.
      if (typeof x !== "object" || x === null) out.push(x);
      else if (!factsOf(x, out, maxDepth, depth + 1)) return false;
    }
    return out.length <= MAX_FACTS;
  }
  if (v instanceof Date) return out.push(DATE, v.getTime()) <= MAX_FACTS;
  const proto = Object.getPrototypeOf(v);
  if (proto !== Object.prototype && proto !== null) return false;
  out.push(RECORD);
  for (const k in v) {
    out.push(k);
    if (!factsOf((v as Record<string, unknown>)[k], out, maxDepth, depth + 1)) return false;
  }
  return out.push(END) <= MAX_FACTS;
}

/** True when two lists of facts are equal, fact by fact (`Object.is`). */
export function sameFacts(a: readonly unknown[], b: readonly unknown[]): boolean {
  if (a.length !== b.length) return false;
  for (let i = 0; i < a.length; i++) if (!Object.is(a[i], b[i])) return false;
  return true;
}

/** Props of a component made by {@link keptBy}. */
export interface Kept {
  facts: readonly unknown[];
  draw: () => VNode;
  key?: string | number;
}

/**
 * A memo component that calls `draw()` unless its `facts` equal the last
 * render's (one per kind of kit component, so their calls are matched among
 * their own).
 *
 * @example
 * const Chart = keptBy();
 * h(Chart, { facts, draw: () => drawLine(series) })
 */
export function keptBy(): MemoOf<Kept> {
  return memo((p: Kept) => p.draw(), (a, b) => sameFacts(a.facts, b.facts));
}
