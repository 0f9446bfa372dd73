/**
 * The diff and `h()` against snabbdom, each side in processes of its own, the
 * two taking turns run by run (see `PAIRS`): the krausest js-framework-benchmark
 * operations on 1,000 keyed rows, then workloads nobody tuned for (attribute and
 * class churn, a long keyed list barely changed, a wide table, a deep tree,
 * style objects, an unkeyed list shifted by one, elements changing tag).
 * snabbdom patches a counting no-op DOM; our diff is also compared with
 * walk-only floors. Prints one table of ratios, medians over the runs of each
 * pair of processes, then over the pairs.
 * Run: `npm run bench diff` (or `npm run bench diff <part of a name>`); it
 * ends with bench/memo.ts (alone: `npm run bench diff memo`).
 */
import { spawn, type ChildProcess } from "node:child_process";
import { createInterface } from "node:readline";
import { setFlagsFromString } from "node:v8";
import { runInNewContext } from "node:vm";
// Deep imports: the package index also loads the style module, which reads `window` at import time.
import { h as sh } from "snabbdom/build/h.js";
import type { DOMAPI } from "snabbdom/build/htmldomapi.js";
import { init } from "snabbdom/build/init.js";
import { attributesModule } from "snabbdom/build/modules/attributes.js";
import { classModule } from "snabbdom/build/modules/class.js";
import "./snabbdom-window.js";
import { styleModule } from "snabbdom/build/modules/style.js";
import type { VNode as SVNode } from "snabbdom/build/vnode.js";
import { createIdAllocator, diff, h, isTextNode, lis, lower, renderToString, type ElementNode, type IdAllocator, type Node, type PatchOp, type VNode } from "../src/vdom/index.js";

interface Row {
  id: number;
  label: string;
}

/** A deterministic PRNG, so every run shuffles and labels the same way. */
export function rng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = Math.imul(a ^ (a >>> 15), 1 | a);
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

const ADJ = ["pretty", "large", "big", "small", "tall", "short", "long", "handsome", "plain", "quaint", "clean", "elegant"];
const NOUN = ["table", "chair", "house", "bbq", "desk", "car", "pony", "cookie", "sandwich", "burger", "pizza", "mouse"];
let nextId = 1;
function rows(n: number, r: () => number): Row[] {
  return Array.from({ length: n }, () => ({ id: nextId++, label: `${ADJ[Math.floor(r() * ADJ.length)]} ${NOUN[Math.floor(r() * NOUN.length)]}` }));
}

/** A DOM that does nothing but count; `moves` counts insertions of nodes already in the tree. */
const counts = { moves: 0, calls: 0 };
class FakeNode {
  attached = false;
  parent: FakeNode | null = null;
  id = "";
  /** snabbdom's attributes module calls these on the element itself, not through the DOM API. */
  setAttribute(): void {
    counts.calls++;
  }
  setAttributeNS(): void {
    counts.calls++;
  }
  removeAttribute(): void {
    counts.calls++;
  }
  getAttribute(): null {
    return null;
  }
  /** snabbdom's style module sets each declaration on `style` (one object shared by every node: nothing reads it back). */
  get style(): Record<string, unknown> {
    counts.calls++;
    return STYLE;
  }
  /** snabbdom's class module toggles classes one by one through `classList`. */
  readonly classList = {
    add(): void {
      counts.calls++;
    },
    remove(): void {
      counts.calls++;
    },
  };
}
const STYLE: Record<string, unknown> = { setProperty: () => counts.calls++, removeProperty: () => counts.calls++ };
const fake = () => new FakeNode();
export const ROOT = fake();
function insert(parent: FakeNode, node: FakeNode): void {
  counts.calls++;
  if (node.attached) counts.moves++;
  node.attached = true;
  node.parent = parent;
}
const countingDom = {
  createElement: () => (counts.calls++, fake()),
  createElementNS: () => (counts.calls++, fake()),
  createTextNode: () => (counts.calls++, fake()),
  createComment: () => (counts.calls++, fake()),
  insertBefore: (p: FakeNode, n: FakeNode) => insert(p, n),
  appendChild: (p: FakeNode, n: FakeNode) => insert(p, n),
  removeChild: (_p: FakeNode, n: FakeNode) => {
    counts.calls++;
    n.attached = false;
  },
  parentNode: (n: FakeNode) => n.parent,
  nextSibling: () => null,
  tagName: () => "TABLE",
  setTextContent: () => void counts.calls++,
  getTextContent: () => null,
  isElement: (n: unknown) => n === ROOT,
  isText: () => false,
  isComment: () => false,
  isDocumentFragment: () => false,
} as unknown as DOMAPI;
/** snabbdom with the attributes module: what every case but the class churn uses. */
const patchAttrs = init([attributesModule], countingDom);
/** With the class module too, for the case whose classes come and go (its hooks would only slow the others). */
const patchClasses = init([classModule, attributesModule], countingDom);
type Patch = typeof patchAttrs;
/** With the style module, for the case whose elements have style objects. */
const patchStyles = init([styleModule, attributesModule], countingDom);

/**
 * The strict floor (stricter than the "walk of both trees", below), in
 * two parts. Outside the timing, `pair` matches every new node with
 * the old node the diff matches it to (keyed children by key, others by position;
 * a different tag, key or node type matches nothing and the old node is replaced)
 * and lists the old nodes the diff drops. Timed, `walkFloor` visits every new node
 * (props, text, children) with its old partner (attributes, text), and the id of
 * every dropped node (a removal does not look inside), and emits nothing. That is
 * what any diff has to read, minus the work of finding the pairs.
 */
function pair(o: Node | undefined, v: VNode, partners: (Node | undefined)[], dropped: Node[]): void {
  const match = o !== undefined && (v.type === "text" ? isTextNode(o) : !isTextNode(o) && o.tag === v.tag && o.key === v.key);
  if (o !== undefined && !match) dropped.push(o);
  partners.push(match ? o : undefined);
  if (v.type === "text") return;
  const byId = new Map<string | number, Node>();
  // An old element whose content is its text (ElementNode.text): the text pairs with a lone new text
  // child, or with the new element's own text (VElement.text, compared in visit()).
  const oldText = match ? (o as ElementNode).text : undefined;
  if (oldText !== undefined) {
    if (v.text === undefined) byId.set(0, { id: o!.id, text: oldText });
  }
  else if (match) (o as ElementNode).children.forEach((c, i) => byId.set((c as ElementNode).key ?? i, c));
  v.children.forEach((c, i) => {
    const id = c.type === "element" && c.key !== undefined ? c.key : i;
    pair(byId.get(id), c, partners, dropped);
    byId.delete(id);
  });
  for (const rest of byId.values()) dropped.push(rest);
}

let at = 0, seen = 0;
function visit(v: VNode, partners: readonly (Node | undefined)[]): void {
  const o = partners[at++];
  if (v.type === "text") {
    seen += o !== undefined && (o as { text: string }).text === v.text ? 1 : v.text.length;
    return;
  }
  for (const p in v.props) if (v.props[p] !== undefined) seen++;
  if (o !== undefined) for (const a in (o as ElementNode).attrs) if ((o as ElementNode).attrs[a] !== undefined) seen++;
  // An element whose content is one text (VElement.text) is compared with its partner's text.
  if (v.text !== undefined) seen += o !== undefined && (o as ElementNode).text === v.text ? 1 : v.text.length;
  const vc = v.children;
  for (let i = 0; i < vc.length; i++) visit(vc[i]!, partners);
}

/**
 * The walk as the issue words it: "a walk-only pass that visits both trees and
 * emits nothing". Every node of the old tree (attributes, text, children) and
 * of the new one (props, text, children), independently, with no matching.
 */
function walkOld(o: Node): void {
  if (isTextNode(o)) {
    seen += o.text.length;
    return;
  }
  for (const a in o.attrs) if (o.attrs[a] !== undefined) seen++;
  if (o.text !== undefined) seen += o.text.length;
  const oc = o.children;
  for (let i = 0; i < oc.length; i++) walkOld(oc[i]!);
}
function walkNew(v: VNode): void {
  if (v.type === "text") {
    seen += v.text.length;
    return;
  }
  for (const p in v.props) if (v.props[p] !== undefined) seen++;
  if (v.text !== undefined) seen += v.text.length;
  const vc = v.children;
  for (let i = 0; i < vc.length; i++) walkNew(vc[i]!);
}
function walkBoth(old: Node, next: VNode): number {
  seen = 0;
  walkOld(old);
  walkNew(next);
  return seen;
}

function walkFloor(v: VNode, partners: readonly (Node | undefined)[], dropped: readonly Node[]): number {
  at = 0;
  seen = 0;
  visit(v, partners);
  for (let i = 0; i < dropped.length; i++) seen += dropped[i]!.id.length;
  return seen;
}

/**
 * One operation: the data of the old and the new tree, drawn from a PRNG
 * (seeded per run, so both sides see the same trees), and the markup written
 * for each side as a user of each library would write it.
 */
export interface Case<D = any> {
  name: string;
  data(r: () => number): { before: D; after: D };
  ours(d: D): VNode;
  snab(d: D): SVNode;
  /** snabbdom's patch with the modules this markup needs (default: attributes). */
  patch?: Patch;
  /** For a keyed list: its keys in order, to count the fewest moves, n − LIS. */
  keys?(d: D): readonly number[];
}

/** The krausest row markup, for Revue... */
function revueTable(data: Row[]): VNode {
  return h("table", { class: "table table-hover" }, h("tbody", {}, data.map((row) =>
    h("tr", { key: row.id },
      h("td", { class: "col-md-1" }, String(row.id)),
      h("td", { class: "col-md-4" }, h("a", {}, row.label)),
      h("td", { class: "col-md-1" }, h("a", {}, h("span", { class: "glyphicon glyphicon-remove", "aria-hidden": "true" }))),
      h("td", { class: "col-md-6" })))));
}

/**
 * ...and the same markup for snabbdom, with the same attributes as `data.attrs`: patched with
 * the attributes module, snabbdom compares them on every patch as our diff does. (Classes
 * written in the selector, `td.col-md-1`, would only be set on creation and never compared.)
 */
function snabTable(data: Row[]): SVNode {
  return sh("table", { attrs: { class: "table table-hover" } }, [sh("tbody", data.map((row) =>
    sh("tr", { key: row.id }, [
      sh("td", { attrs: { class: "col-md-1" } }, String(row.id)),
      sh("td", { attrs: { class: "col-md-4" } }, [sh("a", row.label)]),
      sh("td", { attrs: { class: "col-md-1" } }, [sh("a", [sh("span", { attrs: { class: "glyphicon glyphicon-remove", "aria-hidden": "true" } })])]),
      sh("td", { attrs: { class: "col-md-6" } }),
    ])))]);
}

const N = 1000;
function krausest(name: string, before: (r: () => number) => Row[], after: (old: Row[], r: () => number) => Row[]): Case<Row[]> {
  return {
    name,
    data: (r) => {
      const b = before(r);
      return { before: b, after: after(b, r) };
    },
    ours: revueTable,
    snab: snabTable,
    keys: (d) => d.map((row) => row.id),
  };
}

/*
 * Attribute and class churn: 2,000 elements, each with a title, a tabindex,
 * an aria-label and a data attribute that come and go, and three classes that
 * toggle. Our side writes classes as the `{name: on}` object the README shows;
 * snabbdom gets the same object through its class module, which toggles each
 * class with `classList` (the module a snabbdom user reaches for when classes
 * come and go), and the other attributes through its attributes module, absent
 * ones left out of `attrs` (an `undefined` there would be set as "undefined").
 */
interface Churn {
  id: number;
  title: string;
  tab: number;
  label: string | undefined;
  state: string | undefined;
  active: boolean;
  selected: boolean;
  disabled: boolean;
}
const STATES = ["idle", "busy", "done", "failed"];
function churnItem(id: number, r: () => number): Churn {
  return {
    id,
    title: `${ADJ[Math.floor(r() * ADJ.length)]} ${NOUN[Math.floor(r() * NOUN.length)]}`,
    tab: Math.floor(r() * 3) - 1,
    label: r() < 0.5 ? `item ${id}` : undefined,
    state: r() < 0.5 ? STATES[Math.floor(r() * STATES.length)] : undefined,
    active: r() < 0.5,
    selected: r() < 0.3,
    disabled: r() < 0.2,
  };
}
/** Each element: its title changes half the time; every other attribute and class changes, appears or goes a third of the time. */
function churnStep(old: Churn[], r: () => number): Churn[] {
  return old.map((c) => {
    const n = churnItem(c.id, r);
    return {
      id: c.id,
      title: r() < 0.5 ? n.title + "!" : c.title,
      tab: r() < 0.3 ? n.tab + 1 : c.tab,
      label: r() < 0.3 ? (c.label === undefined ? `item ${c.id}` : undefined) : c.label,
      state: r() < 0.3 ? n.state : c.state,
      active: r() < 0.3 ? !c.active : c.active,
      selected: r() < 0.3 ? !c.selected : c.selected,
      disabled: r() < 0.3 ? !c.disabled : c.disabled,
    };
  });
}
export const churnCase: Case<Churn[]> = {
  name: "attrs+classes churn, 2,000",
  data: (r) => {
    const before = Array.from({ length: 2000 }, (_, i) => churnItem(i + 1, r));
    return { before, after: churnStep(before, r) };
  },
  ours: (items) => h("div", { id: "churn" }, items.map((c) =>
    h("div", { key: c.id, title: c.title, tabindex: c.tab, "aria-label": c.label, "data-state": c.state, class: { item: true, active: c.active, selected: c.selected, disabled: c.disabled } }, String(c.id)))),
  snab: (items) => sh("div", { attrs: { id: "churn" } }, items.map((c) => {
    const attrs: Record<string, string | number> = { title: c.title, tabindex: c.tab };
    if (c.label !== undefined) attrs["aria-label"] = c.label;
    if (c.state !== undefined) attrs["data-state"] = c.state;
    return sh("div", { key: c.id, attrs, class: { item: true, active: c.active, selected: c.selected, disabled: c.disabled } }, String(c.id));
  })),
  patch: patchClasses,
};

/** A long keyed list barely changed: 5,000 items, then 50 edits (1 %), a third each removals, insertions and moves, at random places. */
function keyedStep(old: Row[], r: () => number): Row[] {
  const out = old.slice();
  for (let k = 0; k < 50; k++) {
    const at = Math.floor(r() * out.length);
    if (k % 3 === 0) out.splice(at, 1);
    else if (k % 3 === 1) out.splice(at, 0, ...rows(1, r));
    else out.splice(Math.floor(r() * (out.length - 1)), 0, out.splice(at, 1)[0]!);
  }
  return out;
}
const keyedCase: Case<Row[]> = {
  name: "keyed 5,000, 1 % moved",
  data: (r) => {
    const before = rows(5000, r);
    return { before, after: keyedStep(before, r) };
  },
  ours: (items) => h("ul", { class: "list" }, items.map((it) => h("li", { key: it.id }, it.label))),
  snab: (items) => sh("ul", { attrs: { class: "list" } }, items.map((it) => sh("li", { key: it.id }, it.label))),
  keys: (d) => d.map((row) => row.id),
};

/** A 200-row × 20-cell table (keyed rows, unkeyed cells); 10 % of the cells change. */
interface TableRow {
  id: number;
  cells: string[];
}
const tableCase: Case<TableRow[]> = {
  name: "table 200×20, 10 % cells",
  data: (r) => {
    const before = Array.from({ length: 200 }, (_, i) => ({ id: i + 1, cells: Array.from({ length: 20 }, () => String(Math.floor(r() * 1e6))) }));
    const after = before.map((row) => ({ id: row.id, cells: row.cells.map((c) => (r() < 0.1 ? String(Math.floor(r() * 1e6)) : c)) }));
    return { before, after };
  },
  ours: (data) => h("table", { class: "grid" }, h("tbody", {}, data.map((row) => h("tr", { key: row.id }, row.cells.map((c) => h("td", {}, c)))))),
  snab: (data) => sh("table", { attrs: { class: "grid" } }, [sh("tbody", data.map((row) => sh("tr", { key: row.id }, row.cells.map((c) => sh("td", c)))))]),
  keys: (d) => d.map((row) => row.id),
};

/**
 * A deep tree: depth 10, fan-out 3 (29,524 elements, 19,683 leaves, each a
 * `<span>` with a text). Created from an empty root, and with 1 % of the
 * leaves' texts changed.
 */
const DEPTH = 10, LEAVES = 3 ** (DEPTH - 1);
function deepOurs(leaves: readonly string[]): VNode {
  let i = 0;
  const node = (depth: number): VNode =>
    depth === DEPTH ? h("span", {}, leaves[i++]!) : h("div", { class: "n" }, node(depth + 1), node(depth + 1), node(depth + 1));
  return leaves.length === 0 ? h("div", { id: "deep" }) : h("div", { id: "deep" }, node(2), node(2), node(2));
}
function deepSnab(leaves: readonly string[]): SVNode {
  let i = 0;
  const node = (depth: number): SVNode =>
    depth === DEPTH ? sh("span", leaves[i++]!) : sh("div", { attrs: { class: "n" } }, [node(depth + 1), node(depth + 1), node(depth + 1)]);
  return leaves.length === 0 ? sh("div", { attrs: { id: "deep" } }) : sh("div", { attrs: { id: "deep" } }, [node(2), node(2), node(2)]);
}
const leafTexts = (r: () => number) => Array.from({ length: LEAVES }, () => String(Math.floor(r() * 1e6)));
const deepCreate: Case<string[]> = {
  name: "deep tree (10 × 3) create",
  data: (r) => ({ before: [], after: leafTexts(r) }),
  ours: deepOurs,
  snab: deepSnab,
};
const deepLeaves: Case<string[]> = {
  name: "deep tree, 1 % leaf texts",
  data: (r) => {
    const before = leafTexts(r);
    return { before, after: before.map((t) => (r() < 0.01 ? t + "!" : t)) };
  },
  ours: deepOurs,
  snab: deepSnab,
};

/** krausest's "select row": the selected row's `<tr>` gets the class `danger`, the last one's goes. */
interface Selected {
  rows: Row[];
  selected: number;
}
const selectCase: Case<Selected> = {
  name: "select row",
  data: (r) => {
    const all = rows(N, r);
    return { before: { rows: all, selected: all[5]!.id }, after: { rows: all, selected: all[10]!.id } };
  },
  ours: (d) => h("table", { class: "table table-hover" }, h("tbody", {}, d.rows.map((row) =>
    h("tr", { key: row.id, class: row.id === d.selected ? "danger" : undefined },
      h("td", { class: "col-md-1" }, String(row.id)),
      h("td", { class: "col-md-4" }, h("a", {}, row.label)))))),
  snab: (d) => sh("table", { attrs: { class: "table table-hover" } }, [sh("tbody", d.rows.map((row) =>
    sh("tr", { key: row.id, attrs: row.id === d.selected ? { class: "danger" } : {} }, [
      sh("td", { attrs: { class: "col-md-1" } }, String(row.id)),
      sh("td", { attrs: { class: "col-md-4" } }, [sh("a", row.label)]),
    ])))]),
  keys: (d) => d.rows.map((row) => row.id),
};

/**
 * Style churn: 1,000 elements with a style object of three properties (a
 * width in px, a color, an opacity), a third of them changing a value;
 * snabbdom with its style module, which compares the two objects key by key.
 */
interface Styled {
  color: string;
  width: number;
  opacity: string;
}
const styleCase: Case<Styled[]> = {
  name: "style churn 1,000",
  data: (r) => {
    const before = Array.from({ length: N }, () => ({ color: ADJ[Math.floor(r() * ADJ.length)]!, width: Math.floor(r() * 100), opacity: (r() * 0.9 + 0.1).toFixed(2) }));
    return { before, after: before.map((s) => (r() < 0.3 ? { ...s, width: s.width + 1 } : s)) };
  },
  ours: (d) => h("div", { class: "bars" }, d.map((s) => h("div", { style: { color: s.color, width: s.width + "px", opacity: s.opacity } }, "x"))),
  snab: (d) => sh("div", { attrs: { class: "bars" } }, d.map((s) => sh("div", { style: { color: s.color, width: s.width + "px", opacity: s.opacity } }, "x"))),
  patch: patchStyles,
};

/** An unkeyed list of 1,000 `<li>` texts with one inserted at the front: each item takes the text of the one before it. */
const unkeyedFront: Case<string[]> = {
  name: "unkeyed 1,000, one inserted at the front",
  data: (r) => {
    const before = rows(N, r).map((row) => row.label);
    return { before, after: ["new"].concat(before) };
  },
  ours: (d) => h("ul", {}, d.map((t) => h("li", {}, t))),
  snab: (d) => sh("ul", d.map((t) => sh("li", t))),
};

/** 1,000 unkeyed children whose tags alternate `<div>`/`<span>`, all swapped: each element replaced. */
const tagSwap: Case<boolean> = {
  name: "1,000 children, each tag swapped",
  data: () => ({ before: false, after: true }),
  ours: (swapped) => h("div", {}, Array.from({ length: N }, (_, i) => h(i % 2 === 0 !== swapped ? "div" : "span", { class: "c" }, String(i)))),
  snab: (swapped) => sh("div", Array.from({ length: N }, (_, i) => sh(i % 2 === 0 !== swapped ? "div" : "span", { attrs: { class: "c" } }, String(i)))),
};

const CASES: Case[] = [
  krausest("create 1,000", () => [], (_, r) => rows(N, r)),
  krausest("replace all", (r) => rows(N, r), (_, r) => rows(N, r)),
  krausest("update every 10th", (r) => rows(N, r), (o) => o.map((row, i) => (i % 10 === 0 ? { ...row, label: row.label + " !!!" } : row))),
  krausest("swap two (1, 998)", (r) => rows(N, r), (o) => { const c = o.slice(); [c[1], c[998]] = [c[998]!, c[1]!]; return c; }),
  krausest("remove one", (r) => rows(N, r), (o) => o.filter((_, i) => i !== 500)),
  krausest("append 1,000", (r) => rows(N, r), (o, r) => o.concat(rows(N, r))),
  krausest("clear", (r) => rows(N, r), () => []),
  krausest("reverse", (r) => rows(N, r), (o) => o.slice().reverse()),
  krausest("shuffle", (r) => rows(N, r), (o, r) => o.map((x) => [r(), x] as const).sort((a, b) => a[0] - b[0]).map((p) => p[1])),
  selectCase,
  churnCase,
  keyedCase,
  tableCase,
  deepCreate,
  deepLeaves,
  styleCase,
  unkeyedFront,
  tagSwap,
];

/** The middle value; for an even count (e.g. `BENCH_PROCS=2`) the mean of the two middle ones. */
function median(xs: number[]): number {
  const s = xs.slice().sort((a, b) => a - b), h = s.length >> 1;
  return s.length % 2 === 1 ? s[h]! : (s[h - 1]! + s[h]!) / 2;
}
const now = () => Number(process.hrtime.bigint()) / 1e3; // µs

/**
 * The heap each timed section starts from (see bench/RESULTS.md, "How a run
 * is timed"): the old tree is built first and promoted to the old generation
 * by a full collection, as a session's last tree (or snabbdom's last vnodes in
 * a page) has lived since the previous event; the new tree is built right
 * before the timed section, after a young-generation collection, and is fresh,
 * as a `render()` result is when it is diffed. A collection that the timed
 * code itself triggers still counts. krausest's runner likewise calls
 * `window.gc()` before each CPU benchmark run.
 */
setFlagsFromString("--expose-gc");
const collect = runInNewContext("gc") as (opts: { type: "minor" | "major"; execution: "sync" }) => void;
const minorGc = () => collect({ type: "minor", execution: "sync" });
const majorGc = () => collect({ type: "major", execution: "sync" });

/**
 * Our `h()` building the new tree, timed, then our diff against it, timed;
 * then the two walk floors over the same trees, each timed over a new tree
 * built just before it too (the walks visit the new tree in order, so a fresh
 * copy pairs up with the same partners).
 */
function runOurs<D>(c: Case<D>, before: D, after: D): { t: number; h: number; floor: number; full: number; ops: PatchOp[]; tree: Node } {
  const alloc = createIdAllocator();
  const old = lower(c.ours(before), { alloc });
  majorGc();
  minorGc();
  const h0 = now();
  const next = c.ours(after);
  const t0 = now();
  const { tree, ops } = diff(old, next, { alloc });
  const t = now() - t0;
  // Paired on a copy of the new tree as render() built it: the diff lowered `next` in place.
  const partners: (Node | undefined)[] = [], dropped: Node[] = [];
  pair(old, c.ours(after), partners, dropped);
  let sink = walkFloor(c.ours(after), partners, dropped) + walkBoth(old, c.ours(after)); // warm the paths the diff just touched
  minorGc();
  const next2 = c.ours(after);
  const t2 = now();
  sink += walkFloor(next2, partners, dropped);
  const floor = now() - t2;
  minorGc();
  const next3 = c.ours(after);
  const t3 = now();
  sink += walkBoth(old, next3);
  const full = now() - t3;
  if (sink < 0) console.log(sink);
  return { t, h: t0 - h0, floor, full, ops, tree };
}

/** snabbdom's `h()` building its new vnodes, timed, then its patch of the old vnodes (already patched into the counting DOM) against them, timed. */
function runSnab<D>(c: Case<D>, before: D, after: D): { t: number; h: number } {
  const patch = c.patch ?? patchAttrs;
  const sOld = c.snab(before);
  patch(ROOT as unknown as Element, sOld);
  majorGc();
  counts.moves = 0;
  minorGc();
  const h0 = now();
  const sNew = c.snab(after);
  const t0 = now();
  patch(sOld, sNew);
  return { t: now() - t0, h: t0 - h0 };
}

/** The data of run `rep` of a case, the same in every process: drawn from a PRNG seeded with `rep + 1`. */
function dataOf<D>(c: Case<D>, rep: number): { before: D; after: D } {
  return c.data(rng(rep + 1));
}

const WARM = 20, REPS = 101;
const ratio = (a: number, b: number) => (b === 0 ? (a === 0 ? "–" : "∞") : (a / b).toFixed(2));

/**
 * How the two sides are timed. Each side runs in a process of its own, and the
 * two processes take turns, one run at a time, told what to run by this one:
 *
 * - one side per process: measured in one process, the side timed second was
 *   15–45 % slower, whichever it was (its old tree had left the cache, its new
 *   tree had been through more collections, the other side's garbage had just
 *   been made), so a ratio depended on the order of the sides;
 * - turns of one run: this machine's memory speed drifts, by 2× over seconds
 *   (the same diff in the same process: 400–2,800 µs), so each run of ours is
 *   divided by the snabbdom run next to it in time, and the ratio is the median
 *   of those (the side going first alternates);
 * - `BENCH_PROCS` pairs of processes (default 5), one after the other: where a
 *   process's heap and code land differs from process to process, and the table
 *   shows the median over the pairs with the range beside it.
 */
const PAIRS = Math.max(1, Math.floor(Number(process.env.BENCH_PROCS ?? 5)) || 1);
type Side = "ours" | "snabbdom";
/** Set in the processes this bench starts to the side they run. */
const CHILD = process.env.BENCH_DIFF_CHILD as Side | undefined;
/** What starts a side process's answers (anything else it prints is passed through). */
const ANSWER = "bench-diff ";

/** One run as a side's process reports it: its diff's and its `h()`'s times (µs) and, for ours, the floors' times. */
interface RunResult {
  t: number;
  h: number;
  floor?: number;
  full?: number;
}

/** What our process reports at the end of a case, about its last run. */
interface Summary {
  moves: number;
  minMoves: number;
  bytes: number;
  html: number;
}

/**
 * The side processes' loop: reads `run <case> <rep>` and `summary <case>`
 * lines, and answers each with one JSON line.
 */
async function serve(side: Side): Promise<void> {
  let last: { run: ReturnType<typeof runOurs>; before: unknown; after: unknown } | undefined;
  for await (const line of createInterface({ input: process.stdin })) {
    const [cmd, ci, rep] = line.split(" ");
    const c = CASES[Number(ci)]!;
    let answer: RunResult | Summary;
    if (cmd === "run" && side === "ours") {
      const { before, after } = dataOf(c, Number(rep));
      const run = runOurs(c, before, after);
      last = { run, before, after };
      answer = { t: run.t, h: run.h, floor: run.floor, full: run.full };
    } else if (cmd === "run") {
      const { before, after } = dataOf(c, Number(rep));
      answer = runSnab(c, before, after);
    } else if (side === "snabbdom") {
      answer = { moves: counts.moves, minMoves: 0, bytes: 0, html: 0 };
    } else {
      // Moves and bytes of the last run (the same for every run of the krausest operations but shuffle's).
      const { run, before, after } = last!;
      let minMoves = 0;
      if (c.keys !== undefined) {
        const oldPos = new Map(c.keys(before).map((key, i) => [key, i]));
        const kept = c.keys(after).filter((key) => oldPos.has(key)).map((key) => oldPos.get(key)!);
        minMoves = kept.length - lis(kept).length;
      }
      answer = { moves: run.ops.filter((o) => o.op === "move").length, minMoves, bytes: JSON.stringify(run.ops).length, html: renderToString(run.tree).length };
    }
    process.stdout.write(ANSWER + JSON.stringify(answer) + "\n");
  }
}

/** A side's process, asked one line at a time. */
class SideProcess {
  private readonly child: ChildProcess;
  private readonly lines: AsyncIterator<string>;
  constructor(readonly side: Side) {
    // The same node, loader (tsx) and entry script as this process, asked for the diff bench alone.
    this.child = spawn(process.execPath, [...process.execArgv, process.argv[1]!, "diff"], {
      env: { ...process.env, BENCH_DIFF_CHILD: side },
      stdio: ["pipe", "pipe", "inherit"],
    });
    this.lines = createInterface({ input: this.child.stdout! })[Symbol.asyncIterator]();
  }
  async ask<T>(line: string): Promise<T> {
    this.child.stdin!.write(line + "\n");
    for (;;) {
      const answer = await this.lines.next();
      if (answer.done) throw new Error(`bench/diff: the process running ${this.side} exited (code ${this.child.exitCode}) when asked "${line}"; its error is above.`);
      if (answer.value.startsWith(ANSWER)) return JSON.parse(answer.value.slice(ANSWER.length)) as T;
    }
  }
  close(): void {
    this.child.stdin!.end();
  }
}

/** One pair's medians for one case. */
interface PairResult {
  ours: number;
  snab: number;
  perSnab: number;
  perFull: number;
  perFloor: number;
  hOurs: number;
  hSnab: number;
  hPerSnab: number;
  summary: Summary;
  snabMoves: number;
}

/** Runs every chosen case in a fresh pair of processes, taking turns run by run. */
async function measurePair(k: number, cases: Case[]): Promise<PairResult[]> {
  const ours = new SideProcess("ours"), snab = new SideProcess("snabbdom");
  try {
    const out: PairResult[] = [];
    for (const c of cases) {
      process.stderr.write(`diff: pair ${k}/${PAIRS}, ${c.name}…\n`);
      const ci = CASES.indexOf(c);
      const o: number[] = [], sn: number[] = [], perSnab: number[] = [], perFull: number[] = [], perFloor: number[] = [];
      const ho: number[] = [], hs: number[] = [], hPerSnab: number[] = [];
      for (let rep = 0; rep < WARM + REPS; rep++) {
        const line = `run ${ci} ${rep}`;
        let a: RunResult, b: RunResult;
        if ((rep + k) % 2 === 0) {
          a = await ours.ask<RunResult>(line);
          b = await snab.ask<RunResult>(line);
        } else {
          b = await snab.ask<RunResult>(line);
          a = await ours.ask<RunResult>(line);
        }
        if (rep < WARM) continue;
        o.push(a.t);
        sn.push(b.t);
        perSnab.push(a.t / b.t);
        perFull.push(a.t / a.full!);
        perFloor.push(a.t / a.floor!);
        ho.push(a.h);
        hs.push(b.h);
        hPerSnab.push(a.h / b.h);
      }
      const summary = await ours.ask<Summary>(`summary ${ci}`);
      const snabMoves = (await snab.ask<Summary>(`summary ${ci}`)).moves;
      out.push({ ours: median(o), snab: median(sn), perSnab: median(perSnab), perFull: median(perFull), perFloor: median(perFloor), hOurs: median(ho), hSnab: median(hs), hPerSnab: median(hPerSnab), summary, snabMoves });
    }
    return out;
  } finally {
    ours.close();
    snab.close();
  }
}

/** bench/memo.ts: one change in a 10,000-node page ÷ a 1,000-node one, in a view, then through a session. */
async function runMemo(): Promise<void> {
  const memo = await import("./memo.js");
  memo.runMemoBench();
  await memo.runMemoSessionBench();
}

/**
 * Runs every chosen case and prints the table as Markdown (paste it into
 * bench/RESULTS.md): each cell is the median over the pairs of processes.
 */
export async function runDiffBench(only?: string): Promise<void> {
  if (CHILD !== undefined) return serve(CHILD);
  if (only === "memo") return runMemo();
  const cases = CASES.filter((c) => only === undefined || c.name.includes(only));
  if (cases.length === 0) throw new Error(`bench/diff: no operation's name contains "${only}". Known: ${CASES.map((c) => c.name).join(", ")}.`);
  const pairs: PairResult[][] = [];
  for (let k = 1; k <= PAIRS; k++) pairs.push(await measurePair(k, cases));
  const lines = [
    "| operation | ours (µs) | snabbdom (µs) | ÷ snabbdom | ÷ snabbdom, range | ÷ walk of both trees | ÷ strict floor | moves ÷ snabbdom | moves ÷ (n − LIS) | op bytes ÷ HTML | h() ours (µs) | h() snabbdom (µs) | h() ÷ snabbdom | h() ÷ snabbdom, range |",
    "|---|--:|--:|--:|--:|--:|--:|--:|--:|--:|--:|--:|--:|--:|",
  ];
  cases.forEach((c, i) => {
    const all = pairs.map((p) => p[i]!);
    const mid = (f: (r: PairResult) => number) => median(all.map(f));
    const perSnab = all.map((r) => r.perSnab), hPerSnab = all.map((r) => r.hPerSnab);
    // Moves and bytes are the same in every pair (the runs are seeded), so the first one's are shown.
    const { summary: m, snabMoves } = all[0]!;
    lines.push(
      `| ${c.name} | ${mid((r) => r.ours).toFixed(0)} | ${mid((r) => r.snab).toFixed(0)} | ${median(perSnab).toFixed(2)} | ` +
        `${Math.min(...perSnab).toFixed(2)}–${Math.max(...perSnab).toFixed(2)} | ${mid((r) => r.perFull).toFixed(2)} | ${mid((r) => r.perFloor).toFixed(2)} | ` +
        `${ratio(m.moves, snabMoves)} (${m.moves}/${snabMoves}) | ${ratio(m.moves, m.minMoves)} (${m.moves}/${m.minMoves}) | ${ratio(m.bytes, m.html)} | ` +
        `${mid((r) => r.hOurs).toFixed(0)} | ${mid((r) => r.hSnab).toFixed(0)} | ${median(hPerSnab).toFixed(2)} | ${Math.min(...hPerSnab).toFixed(2)}–${Math.max(...hPerSnab).toFixed(2)} |`,
    );
  });
  const heap = "old trees promoted, each new tree built right before its timed section";
  const procs = PAIRS === 1 ? "one pair of processes" : `the median of ${PAIRS} pairs of processes`;
  console.log(`\nDiff and h(): the krausest operations on 1,000 keyed rows, then the other workloads; each side in a process of its own, the two taking turns run by run; in each pair, medians of ${REPS} runs (ratios taken per run) after ${WARM} warm-up runs; ${heap}; each cell ${procs}\n\n${lines.join("\n")}\n`);
  if (only === undefined) await runMemo();
}
