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
/** The most facts a component keeps (≈ 4 per chart point, 8 B to 24 B each): past them it keeps a {@link Fingerprint} instead. */
const MAX_FACTS = 32_768;
/** The most facts a component of {@link keptByValues} keeps while its session rests (a json of ≈ 100 values, a line of ≈ 250 points). */
const REST_FACTS = 1_024;

/** How far values are read: as deep as a component draws them, and no more of a list or record than it shows. */
interface Reach {
  readonly maxDepth: number;
  readonly maxItems: number;
}

/**
 * Appends to `out` what `v` is made of, in order: primitives and functions as
 * they are, lists, dates and plain records through their marks (a list's or a
 * record's first `maxItems` entries, and how many it has). False when `v`
 * holds anything else (a Map, a class instance), nests deeper than `maxDepth`,
 * or the facts would pass {@link MAX_FACTS}.
 */
function factsOf(v: unknown, out: unknown[], reach: Reach, depth = 0): boolean {
  if (typeof v !== "object" || v === null) return out.push(v) <= MAX_FACTS;
  if (depth > reach.maxDepth || out.length > MAX_FACTS) return false;
  if (Array.isArray(v)) {
    out.push(LIST, v.length);
    for (let i = 0, n = Math.min(v.length, reach.maxItems); i < n; i++) {
      const x: unknown = v[i];
      // A point's numbers, most of the facts, without a call each.
      if (typeof x !== "object" || x === null) out.push(x);
      else if (!factsOf(x, out, reach, depth + 1)) return false;
    }
    return out.length <= MAX_FACTS;
  }
  if (v instanceof Date) return out.push(DATE, v.getTime()) <= MAX_FACTS;
  const proto = Object.getPrototypeOf(v);
  if (proto !== Object.prototype && proto !== null) return false;
  out.push(RECORD);
  let keys = 0;
  for (const k in v) {
    if (keys++ >= reach.maxItems) continue;
    out.push(k);
    if (!factsOf((v as Record<string, unknown>)[k], out, reach, depth + 1)) return false;
  }
  return out.push(END, keys) <= MAX_FACTS;
}

/**
 * A 64-bit fingerprint of the facts {@link factsOf} would write, in two
 * 32-bit hashes, taken in one walk and no memory: what a component of more
 * than {@link MAX_FACTS} facts is compared by. Drawn at every render past
 * the cap, a click beside a line chart of 8,300 points cost 4.8 ms; printed,
 * 0.36 ms (the perf probe's kit-charts, before and after in one run). Two
 * different values print the same by chance once in 2^64 comparisons; a
 * crafted pair would only keep an old drawing on the page.
 */
class Fingerprint {
  private a = 0x9747b28c;
  private b = 0x2f6b3a51;
  private static readonly float = new Float64Array(1);
  private static readonly words = new Int32Array(Fingerprint.float.buffer);
  private static readonly ids = new WeakMap<object, number>();
  private static nextId = 1;

  /** The print so far, as facts of their own (a component keeps these three rather than its values'). */
  facts(): unknown[] {
    return [Fingerprint, this.a, this.b];
  }

  private word(w: number): void {
    // murmur3's mixing for `a`; FNV-1a's multiplier and a shift for `b`, so that the halves differ.
    let k = Math.imul(w, 0xcc9e2d51);
    k = Math.imul((k << 15) | (k >>> 17), 0x1b873593);
    const a = this.a ^ k;
    this.a = (Math.imul((a << 13) | (a >>> 19), 5) + 0xe6546b64) | 0;
    const b = Math.imul(this.b ^ w, 0x01000193);
    this.b = b ^ (b >>> 15);
  }

  private number(x: number): void {
    if ((x | 0) === x && !Object.is(x, -0)) this.word(1), this.word(x);
    else {
      Fingerprint.float[0] = Number.isNaN(x) ? NaN : x; // every NaN alike, as Object.is has them
      this.word(2), this.word(Fingerprint.words[0]!), this.word(Fingerprint.words[1]!);
    }
  }

  private string(s: string): void {
    this.word(3), this.word(s.length);
    for (let i = 0; i < s.length; i += 2) this.word(s.charCodeAt(i) | (s.charCodeAt(i + 1) << 16));
  }

  /** Prints `v` as factsOf reads it; false for what facts would hold by identity and a print cannot (a symbol) or factsOf refuses. */
  add(v: unknown, reach: Reach, depth = 0): boolean {
    switch (typeof v) {
      case "number": return this.number(v), true;
      case "string": return this.string(v), true;
      case "boolean": return this.word(v ? 4 : 5), true;
      case "undefined": return this.word(6), true;
      case "bigint": return this.word(7), this.string(v.toString()), true;
      case "symbol": return false;
      case "function": {
        let id = Fingerprint.ids.get(v);
        if (id === undefined) Fingerprint.ids.set(v, (id = Fingerprint.nextId++));
        return this.word(8), this.word(id), true;
      }
    }
    if (v === null) return this.word(9), true;
    if (depth > reach.maxDepth) return false;
    if (Array.isArray(v)) {
      this.word(10), this.word(v.length);
      for (let i = 0, n = Math.min(v.length, reach.maxItems); i < n; i++) {
        const x: unknown = v[i];
        if (typeof x === "number") this.number(x);
        else if (!this.add(x, reach, depth + 1)) return false;
      }
      return true;
    }
    if (v instanceof Date) return this.word(11), this.number(v.getTime()), true;
    const proto = Object.getPrototypeOf(v);
    if (proto !== Object.prototype && proto !== null) return false;
    this.word(12);
    let keys = 0;
    for (const k in v) {
      if (keys++ >= reach.maxItems) continue;
      this.string(k);
      if (!this.add((v as Record<string, unknown>)[k], reach, depth + 1)) return false;
    }
    return this.word(13), this.word(keys), true;
  }
}

/** The facts of `values`, a fingerprint of them when there are too many, or null when they cannot be read (the component is drawn at every render). */
function factsOfValues(values: readonly unknown[], reach: Reach): unknown[] | null {
  const facts: unknown[] = [];
  let ok = true;
  for (const v of values) if (!(ok = factsOf(v, facts, reach))) break;
  if (ok) return facts;
  if (facts.length <= MAX_FACTS) return null;
  const print = new Fingerprint();
  for (const v of values) if (!print.add(v, reach)) return null;
  return print.facts();
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
function matchFacts(v: unknown, facts: readonly unknown[], at: number, reach: Reach, depth: number): number {
  if (typeof v !== "object" || v === null) return Object.is(facts[at], v) ? at + 1 : -1;
  if (depth > reach.maxDepth) return -1;
  if (Array.isArray(v)) {
    if (facts[at] !== LIST || facts[at + 1] !== v.length) return -1;
    at += 2;
    for (let i = 0, n = Math.min(v.length, reach.maxItems); i < n; i++) {
      const x: unknown = v[i];
      if (typeof x !== "object" || x === null) {
        if (!Object.is(facts[at++], x)) return -1;
      } else if ((at = matchFacts(x, facts, at, reach, depth + 1)) < 0) return -1;
    }
    return at;
  }
  if (v instanceof Date) return facts[at] === DATE && Object.is(facts[at + 1], v.getTime()) ? at + 2 : -1;
  const proto = Object.getPrototypeOf(v);
  if ((proto !== Object.prototype && proto !== null) || facts[at] !== RECORD) return -1;
  at++;
  let keys = 0;
  for (const k in v) {
    if (keys++ >= reach.maxItems) continue;
    if (facts[at] !== k || (at = matchFacts((v as Record<string, unknown>)[k], facts, at + 1, reach, depth + 1)) < 0) return -1;
  }
  return facts[at] === END && facts[at + 1] === keys ? at + 2 : -1;
}

/** True when `values` are what `facts` (from {@link factsOfValues}) were taken from. */
function matchValues(values: readonly unknown[], facts: readonly unknown[], reach: Reach): boolean {
  if (facts[0] === Fingerprint) {
    const print = new Fingerprint();
    for (const v of values) if (!print.add(v, reach)) return false;
    return sameFacts(print.facts(), facts);
  }
  let at = 0;
  for (const v of values) if ((at = matchFacts(v, facts, at, reach, 0)) < 0) return false;
  return at === facts.length;
}

const reachOf = (p: KeptValues): Reach => ({ maxDepth: p.maxDepth ?? 4, maxItems: p.maxItems ?? Infinity });

/** Props of a component made by {@link keptByValues}. */
export interface KeptValues {
  /** What the drawing is made of, read into facts (see {@link factsOf}) when it is drawn, and matched against them at the next render. */
  values: readonly unknown[];
  /** How deep `values` are read (4 unless given). */
  maxDepth?: number;
  /** How many entries of each list or record are read, besides their count (all unless given): as many as the drawing shows. */
  maxItems?: number;
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
      p.kept.facts = factsOfValues(p.values, reachOf(p));
      return p.draw();
    },
    // On a hit the memo keeps the last drawing's props, and so these facts, for the next render.
    (a, b) => a.kept.facts !== null && matchValues(b.values, a.kept.facts, reachOf(b)),
    // A session at rest keeps small facts only: the first render after a rest draws a big chart again (≈ 0.4 ms
    // for 1,000 points) rather than every resting page holding its facts (≈ 52 KB for them, more than its packed tree).
    (p) => {
      if (p.kept.facts !== null && p.kept.facts.length > REST_FACTS) p.kept.facts = null;
    },
  );
}
