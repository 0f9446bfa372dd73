/**
 * The krausest js-framework-benchmark operations on 1,000 keyed rows, diffed
 * by Revue and patched by snabbdom against a counting no-op DOM, plus a
 * walk-only floor. Prints one table of ratios (medians over many runs).
 * Run: `npm run bench diff`.
 */
// Deep imports: the package index also loads the style module, which reads `window` at import time.
import { h as sh } from "snabbdom/build/h.js";
import type { DOMAPI } from "snabbdom/build/htmldomapi.js";
import { init } from "snabbdom/build/init.js";
import { attributesModule } from "snabbdom/build/modules/attributes.js";
import type { VNode as SVNode } from "snabbdom/build/vnode.js";
import { createIdAllocator, diff, h, isTextNode, lis, lower, renderToString, type ElementNode, type Node, type VNode } from "../src/vdom/index.js";

interface Row {
  id: number;
  label: string;
}

/** A deterministic PRNG, so every run shuffles and labels the same way. */
function rng(seed: number): () => number {
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
}
const fake = () => new FakeNode();
const ROOT = fake();
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
const patch = init([attributesModule], countingDom);

/**
 * The floor, in two parts. Outside the timing, `pair` matches every new node with
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
  if (match) (o as ElementNode).children.forEach((c, i) => byId.set((c as ElementNode).key ?? i, c));
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
  const vc = v.children;
  for (let i = 0; i < vc.length; i++) visit(vc[i]!, partners);
}

function walkFloor(v: VNode, partners: readonly (Node | undefined)[], dropped: readonly Node[]): number {
  at = 0;
  seen = 0;
  visit(v, partners);
  for (let i = 0; i < dropped.length; i++) seen += dropped[i]!.id.length;
  return seen;
}

interface Case {
  name: string;
  before: (r: () => number) => Row[];
  after: (old: Row[], r: () => number) => Row[];
}
const N = 1000;
const CASES: Case[] = [
  { name: "create 1,000", before: () => [], after: (_, r) => rows(N, r) },
  { name: "replace all", before: (r) => rows(N, r), after: (_, r) => rows(N, r) },
  { name: "update every 10th", before: (r) => rows(N, r), after: (o) => o.map((row, i) => (i % 10 === 0 ? { ...row, label: row.label + " !!!" } : row)) },
  { name: "swap two (1, 998)", before: (r) => rows(N, r), after: (o) => { const c = o.slice(); [c[1], c[998]] = [c[998]!, c[1]!]; return c; } },
  { name: "remove one", before: (r) => rows(N, r), after: (o) => o.filter((_, i) => i !== 500) },
  { name: "append 1,000", before: (r) => rows(N, r), after: (o, r) => o.concat(rows(N, r)) },
  { name: "clear", before: (r) => rows(N, r), after: () => [] },
  { name: "reverse", before: (r) => rows(N, r), after: (o) => o.slice().reverse() },
  { name: "shuffle", before: (r) => rows(N, r), after: (o, r) => o.map((x) => [r(), x] as const).sort((a, b) => a[0] - b[0]).map((p) => p[1]) },
];

function median(xs: number[]): number {
  const s = xs.slice().sort((a, b) => a - b);
  return s[s.length >> 1]!;
}
const now = () => Number(process.hrtime.bigint()) / 1e3; // µs

interface Result {
  ours: number;
  snab: number;
  floor: number;
  moves: number;
  snabMoves: number;
  minMoves: number;
  bytes: number;
  html: number;
}

/** Runs one case `reps` times (after `warm` unmeasured runs) and keeps medians. */
function measure(c: Case, warm: number, reps: number): Result {
  const ours: number[] = [], snab: number[] = [], floor: number[] = [];
  let res = { moves: 0, snabMoves: 0, minMoves: 0, bytes: 0, html: 0 };
  for (let rep = 0; rep < warm + reps; rep++) {
    const r = rng(rep + 1);
    const before = c.before(r), after = c.after(before, r);
    // Revue: the old tree is lowered outside the timing, like snabbdom's first patch.
    const alloc = createIdAllocator();
    const old = lower(revueTable(before), { alloc });
    const next = revueTable(after);
    const t0 = now();
    const { tree, ops } = diff(old, next, { alloc });
    const t1 = now();
    const partners: (Node | undefined)[] = [], dropped: Node[] = [];
    pair(old, next, partners, dropped);
    let sink = walkFloor(next, partners, dropped); // warms the same paths the diff just touched
    const t2 = now();
    sink += walkFloor(next, partners, dropped);
    const tWalk = now() - t2;
    // snabbdom: fresh vnodes each time (patch writes .elm into them).
    const sOld = snabTable(before), sNew = snabTable(after);
    patch(ROOT as unknown as Element, sOld);
    counts.moves = 0;
    const t3 = now();
    patch(sOld, sNew);
    const t4 = now();
    if (sink < 0) console.log(sink);
    if (rep < warm) continue;
    ours.push(t1 - t0);
    floor.push(tWalk);
    snab.push(t4 - t3);
    const oldPos = new Map(before.map((row, i) => [row.id, i]));
    const kept = after.filter((row) => oldPos.has(row.id)).map((row) => oldPos.get(row.id)!);
    res = {
      moves: ops.filter((o) => o.op === "move").length,
      snabMoves: counts.moves,
      minMoves: kept.length - lis(kept).length,
      bytes: JSON.stringify(ops).length,
      html: renderToString(tree).length,
    };
  }
  return { ours: median(ours), snab: median(snab), floor: median(floor), ...res };
}

const ratio = (a: number, b: number) => (b === 0 ? (a === 0 ? "–" : "∞") : (a / b).toFixed(2));

/** Runs every case and prints the table as Markdown (paste it into bench/RESULTS.md). */
export async function runDiffBench(): Promise<void> {
  const lines = [
    "| operation | ours (µs) | ÷ snabbdom | ÷ walk floor | moves ÷ snabbdom | moves ÷ (n − LIS) | op bytes ÷ HTML |",
    "|---|--:|--:|--:|--:|--:|--:|",
  ];
  for (const c of CASES) {
    const m = measure(c, 30, 101);
    lines.push(
      `| ${c.name} | ${m.ours.toFixed(0)} | ${ratio(m.ours, m.snab)} | ${ratio(m.ours, m.floor)} | ` +
        `${ratio(m.moves, m.snabMoves)} (${m.moves}/${m.snabMoves}) | ${ratio(m.moves, m.minMoves)} (${m.moves}/${m.minMoves}) | ${ratio(m.bytes, m.html)} |`,
    );
  }
  const table = lines.join("\n");
  console.log(`\nDiff: 1,000 keyed rows, medians of 101 runs after 30 warm-up runs\n\n${table}\n`);
}
