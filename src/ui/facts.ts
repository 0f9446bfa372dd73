import { memo, restingMemo, type MemoOf } from "../vdom/memo.js";
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
/** The most facts a component of {@link keptByValues} keeps while its session rests (a json of ≈ 100 values, a line of ≈ 250 points). */
const REST_FACTS = 1_024;

/**
 * Appends to `out` what `v` is made of, in order: primitives and functions as
 * they are, lists, dates and plain records through their marks. False when `v`
 * holds anything else (a Map, a class instance), nests deeper than `maxDepth`,
 * or the facts would pass {@link MAX_FACTS}: the component is then drawn
 * every time.
 */
function factsOf(v: unknown, out: unknown[], maxDepth = 4, depth = 0): boolean {
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

/**
 * Walks `v` as {@link factsOf} would write it, comparing with `facts` from
 * `at` instead of writing: the position after it, or -1 at the first
 * difference. A render whose data did not change reads it once and allocates
 * nothing: a click beside a line chart of 1,000 points 40–41 → 18 µs
 * (`npm run bench ui typing`), where writing its facts again was half of it.
 */
function matchFacts(v: unknown, facts: readonly unknown[], at: number, maxDepth: number, depth: number): number {
  if (typeof v !== "object" || v === null) return Object.is(facts[at], v) ? at + 1 : -1;
  if (depth > maxDepth) return -1;
  if (Array.isArray(v)) {
    if (facts[at] !== LIST || facts[at + 1] !== v.length) return -1;
    at += 2;
    for (let i = 0; i < v.length; i++) {
      const x: unknown = v[i];
      if (typeof x !== "object" || x === null) {
        if (!Object.is(facts[at++], x)) return -1;
      } else if ((at = matchFacts(x, facts, at, maxDepth, depth + 1)) < 0) return -1;
    }
    return at;
  }
  if (v instanceof Date) return facts[at] === DATE && Object.is(facts[at + 1], v.getTime()) ? at + 2 : -1;
  const proto = Object.getPrototypeOf(v);
  if ((proto !== Object.prototype && proto !== null) || facts[at] !== RECORD) return -1;
  at++;
  for (const k in v) {
    if (facts[at] !== k || (at = matchFacts((v as Record<string, unknown>)[k], facts, at + 1, maxDepth, depth + 1)) < 0) return -1;
  }
  return facts[at] === END ? at + 1 : -1;
}

/** Props of a component made by {@link keptByValues}. */
export interface KeptValues {
  /** What the drawing is made of, read into facts (see {@link factsOf}) when it is drawn, and matched against them at the next render. */
  values: readonly unknown[];
  /** How deep `values` are read (4 unless given). */
  maxDepth?: number;
  /** Where the drawing's facts are kept (an object of its own: a component is given a copy of its props); null when they could not be taken. */
  kept: { facts: unknown[] | null };
  draw: () => VNode;
}

/**
 * A memo component that calls `draw()` unless `values` match, fact by fact,
 * those of the last render's drawing. Unlike {@link keptBy}, a render whose
 * values did not change writes no facts: they are taken when it draws.
 *
 * @example
 * const Chart = keptByValues();
 * h(Chart, { values: ["line", series, options], kept: { facts: null }, draw: () => drawLine(series, options) })
 */
export function keptByValues(): MemoOf<KeptValues> {
  return restingMemo(
    (p: KeptValues) => {
      const facts: unknown[] = [];
      let ok = true;
      for (const v of p.values) if (!(ok = factsOf(v, facts, p.maxDepth))) break;
      p.kept.facts = ok ? facts : null;
      return p.draw();
    },
    (a, b) => {
      const facts = a.kept.facts;
      if (facts === null) return false;
      let at = 0;
      for (const v of b.values) if ((at = matchFacts(v, facts, at, b.maxDepth ?? 4, 0)) < 0) return false;
      // On a hit the memo keeps the last drawing's props, and so these facts, for the next render.
      return at === facts.length;
    },
    // A session at rest keeps small facts only: the first render after a rest draws a big chart again (≈ 0.4 ms
    // for 1,000 points) rather than every resting page holding its facts (≈ 52 KB for them, more than its packed tree).
    (p) => {
      if (p.kept.facts !== null && p.kept.facts.length > REST_FACTS) p.kept.facts = null;
    },
  );
}
