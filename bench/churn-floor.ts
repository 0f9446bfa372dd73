/**
 * What any diff that emits our ops must pay on the attribute and class churn
 * (bench/diff.ts `churnCase`: 2,000 elements, 94 % of them changing something),
 * against snabbdom patching a counting DOM. Three idealised differs read the
 * same two trees as our diff: each element's props as `h()` gave them, compared
 * with the old element's props value by value, a number turned into its text
 * and a class object into its text only when it changed, the changes kept as
 * `[name, value or null, …]`. Nothing else: no lowering rules, no checks, no
 * keyed matching (the children pair up by index), no new tree. They end with:
 * - nothing (the comparison alone);
 * - an op carrying the changes as one list (`{op, id, attrs: [name, value, …]}`);
 * - the `attrs` op as documented (ARCHITECTURE §5): `{op, id, set: {name: value}, remove: [name]}`.
 * Everything runs in one process, the contenders taking turns run by run; each
 * figure is the median of the per-run ratios ÷ snabbdom.
 * Run: `npm run bench diff floor`.
 */
import type { VNode as SVNode } from "snabbdom/build/vnode.js";
import { createIdAllocator, diff, lower, type Node } from "../src/vdom/index.js";
import { churnCase, ROOT, rng } from "./diff.js";

/** An element as lowering leaves it: its props as given, its attributes as `[name, value, …]`. */
interface Placed {
  id: string;
  props: Record<string, unknown>;
  lowAttrs: string[];
}

type End = "compare" | "list op" | "documented op";

const classTexts = new Map<string, string>();
/** A class object's text, joined through a table (the same classes give the same string). */
function classText(on: Record<string, unknown>): string {
  let out = "";
  for (const k in on) {
    if (!on[k]) continue;
    if (out === "") out = k;
    else {
      const key = out + " " + k;
      out = classTexts.get(key) ?? (classTexts.set(key, key), key);
    }
  }
  return out;
}

/** True when two class objects name the same classes. */
function sameClasses(a: Record<string, unknown>, b: Record<string, unknown>): boolean {
  let n = 0;
  for (const k in b) {
    const on = b[k];
    if (!on !== !a[k]) return false;
    if (on) n++;
  }
  for (const k in a) if (a[k]) n--;
  return n === 0;
}

const NO_SET: Record<string, string> = {};
const NO_REMOVE: string[] = [];
const changes: (string | null)[] = [];

/** One element's idealised diff, its op (if any) pushed to `ops`. */
function ideal(end: End, old: Placed, props: Record<string, unknown>, ops: unknown[]): void {
  const prev = old.lowAttrs, oldProps = old.props;
  let c = 0, at = 0;
  for (const p in props) {
    if (p === "key") continue;
    const v = props[p], o = oldProps[p], type = typeof v;
    if (v === o && type !== "object") {
      if (v !== undefined && v !== null && v !== false) at += 2;
      continue;
    }
    let value: string | null;
    if (type === "string") value = v as string;
    else if (type === "number") value = String(v);
    else if (type === "object" && v !== null) {
      if (typeof o === "object" && o !== null && sameClasses(o as Record<string, unknown>, v as Record<string, unknown>)) {
        at += 2;
        continue;
      }
      value = classText(v as Record<string, unknown>);
      if (value === "") value = null;
    } else value = v === true ? "" : null;
    const had = prev[at] === p;
    if (had) at += 2;
    if (value === null ? had : !had || prev[at - 1] !== value) {
      changes[c++] = p;
      changes[c++] = value;
    }
  }
  if (c === 0 || end === "compare") return;
  if (end === "list op") {
    ops.push({ op: "attrs", id: old.id, attrs: changes.slice(0, c) });
    return;
  }
  let set = NO_SET, remove = NO_REMOVE;
  for (let k = 0; k < c; k += 2) {
    const name = changes[k]!, value = changes[k + 1];
    if (value === null) (remove === NO_REMOVE ? (remove = []) : remove).push(name);
    else (set === NO_SET ? (set = {}) : set)[name] = value;
  }
  ops.push({ op: "attrs", id: old.id, set, remove });
}

const now = () => Number(process.hrtime.bigint()) / 1e3; // µs

export function runChurnFloor(): void {
  const { before, after } = churnCase.data(rng(1));
  const states = [before, after];
  // Our diff and snabbdom's patch go back and forth between the two states.
  const alloc = createIdAllocator();
  let ours: Node = lower(churnCase.ours(before), { alloc });
  const patch = churnCase.patch!;
  let snab: SVNode = patch(ROOT as unknown as Element, churnCase.snab(before));
  // The idealised differs read both states lowered once (they write nothing).
  const lowered = states.map((s) => (lower(churnCase.ours(s), { alloc: createIdAllocator() }) as unknown as { children: Placed[] }).children);
  const ends: End[] = ["compare", "list op", "documented op"];
  const times: Record<string, number[]> = { snabbdom: [], ours: [], compare: [], "list op": [], "documented op": [] };
  const RUNS = 301, WARM = 100;
  for (let run = 0; run < WARM + RUNS; run++) {
    const from = run % 2, to = 1 - from;
    const olds = lowered[from]!, news = lowered[to]!;
    // Each contender in turn, starting from a different one every run: the first after a switch meets colder caches.
    const took: number[] = [];
    for (let k = 0; k < 5; k++) {
      const who = (run + k) % 5;
      let t0: number;
      if (who === 0) {
        const sNext = churnCase.snab(states[to]!);
        t0 = now();
        snab = patch(snab, sNext);
      } else if (who === 1) {
        const next = churnCase.ours(states[to]!);
        t0 = now();
        ours = diff(ours, next, { alloc }).tree;
      } else {
        const ops: unknown[] = [], end = ends[who - 2]!;
        t0 = now();
        for (let i = 0; i < olds.length; i++) ideal(end, olds[i]!, news[i]!.props, ops);
      }
      took[who] = now() - t0;
    }
    const tSnab = took[0]!, tOurs = took[1]!, measured = took.slice(2);
    if (run < WARM) continue;
    times.snabbdom!.push(tSnab);
    times.ours!.push(tOurs / tSnab);
    ends.forEach((end, i) => times[end]!.push(measured[i]! / tSnab));
  }
  const median = (xs: number[]) => xs.slice().sort((a, b) => a - b)[xs.length >> 1]!;
  console.log(`\nAttribute and class churn, 2,000 elements: ÷ snabbdom's patch (median ${median(times.snabbdom!).toFixed(0)} µs), medians of ${RUNS} runs in one process\n`);
  console.log("| differ | ÷ snabbdom |\n|---|--:|");
  console.log(`| our diff() | ${median(times.ours!).toFixed(2)} |`);
  for (const end of ends) console.log(`| idealised, ${end === "compare" ? "the comparison alone" : `then ${end === "list op" ? "a list op" : "the documented op"}`} | ${median(times[end]!).toFixed(2)} |`);
}
