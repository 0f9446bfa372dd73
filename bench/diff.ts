/**
 * The krausest js-framework-benchmark operations on 1,000 keyed rows, diffed
 * by Revue and patched by snabbdom against a counting no-op DOM, plus a
 * walk-only floor. Prints one table of ratios: medians over many runs in each
 * of several processes, then the median over the processes (see `PROCS`).
 * Run: `npm run bench diff`.
 */
import { spawnSync } from "node:child_process";
import { setFlagsFromString } from "node:v8";
import { runInNewContext } from "node:vm";
// Deep imports: the package index also loads the style module, which reads `window` at import time.
import { h as sh } from "snabbdom/build/h.js";
import type { DOMAPI } from "snabbdom/build/htmldomapi.js";
import { init } from "snabbdom/build/init.js";
import { attributesModule } from "snabbdom/build/modules/attributes.js";
import type { VNode as SVNode } from "snabbdom/build/vnode.js";
import { createIdAllocator, diff, h, isTextNode, lis, lower, renderToString, type ElementNode, type IdAllocator, type Node, type PatchOp, type VNode } from "../src/vdom/index.js";

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
 * The strict floor (stricter than the issue's "walk of both trees", below), in
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
  const oc = o.children;
  for (let i = 0; i < oc.length; i++) walkOld(oc[i]!);
}
function walkNew(v: VNode): void {
  if (v.type === "text") {
    seen += v.text.length;
    return;
  }
  for (const p in v.props) if (v.props[p] !== undefined) seen++;
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

/** The middle value; for an even count (e.g. `BENCH_PROCS=2`) the mean of the two middle ones. */
function median(xs: number[]): number {
  const s = xs.slice().sort((a, b) => a - b), h = s.length >> 1;
  return s.length % 2 === 1 ? s[h]! : (s[h - 1]! + s[h]!) / 2;
}
const now = () => Number(process.hrtime.bigint()) / 1e3; // µs

/**
 * A young-generation collection, run before every timed section. Without it,
 * whether a scavenge lands inside a timed diff depends on how much the previous
 * steps allocated, and the runs repeat the same allocation pattern, so it lands
 * in the same place run after run: a 1,000-row create measured 300 µs when it
 * ran right after its own tree was built and 780 µs when snabbdom's patch ran
 * just before it (2026-11-21, before lowered nodes became class instances).
 * krausest's runner does the same in the browser: `window.gc()` before each CPU
 * benchmark run. A collection that the timed code itself triggers still counts.
 */
setFlagsFromString("--expose-gc");
const collect = runInNewContext("gc") as (opts: { type: "minor" | "major"; execution: "sync" }) => void;
/** `BENCH_GC=0 npm run bench diff` leaves these collections out, to see what they change. */
const minorGc = process.env.BENCH_GC === "0" ? () => {} : () => collect({ type: "minor", execution: "sync" });
const PROMOTE_OLD = process.env.BENCH_OLD === "promoted";
const majorGc = () => collect({ type: "major", execution: "sync" });

interface Result {
  ours: number;
  snab: number;
  /** Medians of the per-run ratios: each run's three timings are taken back to back. */
  perSnab: number;
  perFloor: number;
  perFull: number;
  moves: number;
  snabMoves: number;
  minMoves: number;
  bytes: number;
  html: number;
}

/**
 * Both sides' trees for one run: the old trees (our lowered tree, snabbdom's
 * patched vnodes), then the new ones. With `BENCH_OLD=promoted` a full
 * collection runs in between, so the old trees sit in the old generation as a
 * session's last tree does on a server.
 */
interface Prepared {
  alloc: IdAllocator;
  old: Node;
  next: VNode;
  sOld: SVNode;
  sNew: SVNode;
}

function prepare(before: Row[], after: Row[]): Prepared {
  const alloc = createIdAllocator();
  const old = lower(revueTable(before), { alloc });
  const sOld = snabTable(before);
  patch(ROOT as unknown as Element, sOld);
  if (PROMOTE_OLD) majorGc();
  return { alloc, old, next: revueTable(after), sOld, sNew: snabTable(after) };
}

/** Our diff of the prepared trees, timed, then the walk floor over the same trees. */
function runOurs(p: Prepared): { t: number; floor: number; full: number; ops: PatchOp[]; tree: Node } {
  minorGc();
  const t0 = now();
  const { tree, ops } = diff(p.old, p.next, { alloc: p.alloc });
  const t = now() - t0;
  const partners: (Node | undefined)[] = [], dropped: Node[] = [];
  pair(p.old, p.next, partners, dropped);
  let sink = walkFloor(p.next, partners, dropped) + walkBoth(p.old, p.next); // warm the paths the diff just touched
  minorGc();
  const t2 = now();
  sink += walkFloor(p.next, partners, dropped);
  const floor = now() - t2;
  minorGc();
  const t3 = now();
  sink += walkBoth(p.old, p.next);
  const full = now() - t3;
  if (sink < 0) console.log(sink);
  return { t, floor, full, ops, tree };
}

/** snabbdom's patch of the prepared vnodes, timed. */
function runSnab(p: Prepared): number {
  counts.moves = 0;
  minorGc();
  const t0 = now();
  patch(p.sOld, p.sNew);
  return now() - t0;
}

/**
 * Runs one case `reps` times (after `warm` unmeasured runs). Each run times our
 * diff, the floor and snabbdom back to back, in alternating order, and the
 * ratios are taken per run before the median: the machine's slow spells (two
 * shared cores) then slow both sides of a ratio alike instead of skewing it.
 */
function measure(c: Case, warm: number, reps: number): Result {
  const ours: number[] = [], snabs: number[] = [], perSnab: number[] = [], perFloor: number[] = [], perFull: number[] = [];
  let last: ReturnType<typeof runOurs> | undefined, before: Row[] = [], after: Row[] = [];
  for (let rep = 0; rep < warm + reps; rep++) {
    const r = rng(rep + 1);
    before = c.before(r);
    after = c.after(before, r);
    const p = prepare(before, after);
    let snab: number;
    if (rep % 2 === 0) {
      last = runOurs(p);
      snab = runSnab(p);
    } else {
      snab = runSnab(p);
      last = runOurs(p);
    }
    if (rep < warm) continue;
    ours.push(last.t);
    snabs.push(snab);
    perSnab.push(last.t / snab);
    perFloor.push(last.t / last.floor);
    perFull.push(last.t / last.full);
  }
  // Moves and bytes of the last run (the same for every run but shuffle's, whose order varies).
  const oldPos = new Map(before.map((row, i) => [row.id, i]));
  const kept = after.filter((row) => oldPos.has(row.id)).map((row) => oldPos.get(row.id)!);
  return {
    ours: median(ours),
    snab: median(snabs),
    perSnab: median(perSnab),
    perFloor: median(perFloor),
    perFull: median(perFull),
    moves: last!.ops.filter((o) => o.op === "move").length,
    snabMoves: counts.moves,
    minMoves: kept.length - lis(kept).length,
    bytes: JSON.stringify(last!.ops).length,
    html: renderToString(last!.tree).length,
  };
}

const WARM = 30, REPS = 151;
const ratio = (a: number, b: number) => (b === 0 ? (a === 0 ? "–" : "∞") : (a / b).toFixed(2));

/**
 * How many processes measure each operation (`BENCH_PROCS`, default 5). One
 * process's medians are steady, but they differ from one process to the next
 * by up to ±30 % on this machine (what V8 compiled, and how, depends on what
 * the process ran before), so the table is the median of several processes,
 * each running every chosen operation, with the spread of ÷ snabbdom beside it.
 */
const PROCS = Math.max(1, Math.floor(Number(process.env.BENCH_PROCS ?? 5)) || 1);
/** Set in the processes this bench starts: they measure and print their results as one JSON line. */
const CHILD = process.env.BENCH_DIFF_CHILD === "1";
const RESULT_LINE = "bench-diff-result ";

/** One process's results: each chosen case, in table order. */
type ProcessResults = Array<{ name: string; m: Result }>;

/** Measures every case whose name contains `only`, in this process. */
function measureAll(only: string | undefined): ProcessResults {
  return CASES.filter((c) => only === undefined || c.name.includes(only)).map((c) => ({ name: c.name, m: measure(c, WARM, REPS) }));
}

/** Runs `measureAll` in `PROCS` fresh processes, one after the other, and returns each one's results. */
function measureInProcesses(only: string | undefined): ProcessResults[] {
  const runs: ProcessResults[] = [];
  for (let k = 1; k <= PROCS; k++) {
    process.stderr.write(`diff: process ${k}/${PROCS}…\n`);
    // The same node, loader (tsx) and entry script as this process, asked for the diff bench alone.
    const child = spawnSync(process.execPath, [...process.execArgv, process.argv[1]!, "diff", ...(only === undefined ? [] : [only])], {
      env: { ...process.env, BENCH_DIFF_CHILD: "1" },
      encoding: "utf8",
      maxBuffer: 1 << 24,
    });
    const line = child.stdout?.split("\n").find((l) => l.startsWith(RESULT_LINE));
    if (child.status !== 0 || line === undefined) {
      throw new Error(`bench/diff: measuring process ${k} failed (exit ${child.status}${child.error ? `, ${child.error.message}` : ""}):\n${child.stderr}`);
    }
    runs.push(JSON.parse(line.slice(RESULT_LINE.length)));
  }
  return runs;
}

/**
 * Runs every case and prints the table as Markdown (paste it into bench/RESULTS.md):
 * each cell is the median over the processes (see `PROCS`).
 */
export async function runDiffBench(only?: string): Promise<void> {
  if (CHILD) {
    console.log(RESULT_LINE + JSON.stringify(measureAll(only)));
    return;
  }
  const runs = PROCS === 1 ? [measureAll(only)] : measureInProcesses(only);
  const lines = [
    "| operation | ours (µs) | snabbdom (µs) | ÷ snabbdom | ÷ snabbdom, range | ÷ walk of both trees | ÷ strict floor | moves ÷ snabbdom | moves ÷ (n − LIS) | op bytes ÷ HTML |",
    "|---|--:|--:|--:|--:|--:|--:|--:|--:|--:|",
  ];
  runs[0]!.forEach(({ name }, i) => {
    const all = runs.map((r) => r[i]!.m);
    const mid = (f: (m: Result) => number) => median(all.map(f));
    const perSnab = all.map((m) => m.perSnab);
    // Moves and bytes are the same in every process (the runs are seeded), so the first one's are shown.
    const m = all[0]!;
    lines.push(
      `| ${name} | ${mid((x) => x.ours).toFixed(0)} | ${mid((x) => x.snab).toFixed(0)} | ${median(perSnab).toFixed(2)} | ` +
        `${Math.min(...perSnab).toFixed(2)}–${Math.max(...perSnab).toFixed(2)} | ${mid((x) => x.perFull).toFixed(2)} | ${mid((x) => x.perFloor).toFixed(2)} | ` +
        `${ratio(m.moves, m.snabMoves)} (${m.moves}/${m.snabMoves}) | ${ratio(m.moves, m.minMoves)} (${m.moves}/${m.minMoves}) | ${ratio(m.bytes, m.html)} |`,
    );
  });
  const table = lines.join("\n");
  const heap = `${process.env.BENCH_GC === "0" ? "no collection" : "a minor collection"} before each timed section${PROMOTE_OLD ? ", old trees promoted by a full collection" : ""}`;
  const procs = runs.length === 1 ? "one process" : `the median of ${runs.length} processes`;
  console.log(`\nDiff: 1,000 keyed rows; in each process, medians of ${REPS} runs (ratios taken per run) after ${WARM} warm-up runs; ${heap}; each cell ${procs}\n\n${table}\n`);
}
