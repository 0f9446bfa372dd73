/**
 * The krausest js-framework-benchmark operations on 1,000 keyed rows, diffed
 * by Revue and patched by snabbdom against a counting no-op DOM, plus a
 * walk-only floor. Each side runs in processes of its own, the two taking
 * turns run by run (see `PAIRS`); prints one table of ratios, medians over the
 * runs of each pair of processes, then over the pairs.
 * Run: `npm run bench diff`.
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
  // An old element whose content is its text (ElementNode.text): the text pairs with a lone new text.
  const oldText = match ? (o as ElementNode).text : undefined;
  if (oldText !== undefined) byId.set(0, { id: o!.id, text: oldText });
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
 * Our diff against a new tree built just before it, timed; then the two walk
 * floors over the same trees, each timed over a new tree built just before it
 * too (the walks visit the new tree in order, so a fresh copy pairs up with the
 * same partners).
 */
function runOurs(before: Row[], after: Row[]): { t: number; floor: number; full: number; ops: PatchOp[]; tree: Node } {
  const alloc = createIdAllocator();
  const old = lower(revueTable(before), { alloc });
  majorGc();
  minorGc();
  const next = revueTable(after);
  const t0 = now();
  const { tree, ops } = diff(old, next, { alloc });
  const t = now() - t0;
  // Paired on a copy of the new tree as render() built it: the diff lowered `next` in place.
  const partners: (Node | undefined)[] = [], dropped: Node[] = [];
  pair(old, revueTable(after), partners, dropped);
  let sink = walkFloor(revueTable(after), partners, dropped) + walkBoth(old, revueTable(after)); // warm the paths the diff just touched
  minorGc();
  const next2 = revueTable(after);
  const t2 = now();
  sink += walkFloor(next2, partners, dropped);
  const floor = now() - t2;
  minorGc();
  const next3 = revueTable(after);
  const t3 = now();
  sink += walkBoth(old, next3);
  const full = now() - t3;
  if (sink < 0) console.log(sink);
  return { t, floor, full, ops, tree };
}

/** snabbdom's patch of its old vnodes (already patched into the counting DOM) against new vnodes built just before it, timed. */
function runSnab(before: Row[], after: Row[]): number {
  const sOld = snabTable(before);
  patch(ROOT as unknown as Element, sOld);
  majorGc();
  counts.moves = 0;
  minorGc();
  const sNew = snabTable(after);
  const t0 = now();
  patch(sOld, sNew);
  return now() - t0;
}

/** The rows of run `rep` of a case, the same in every process: drawn from a PRNG seeded with `rep + 1`. */
function rowsOf(c: Case, rep: number): { before: Row[]; after: Row[] } {
  const r = rng(rep + 1);
  const before = c.before(r);
  return { before, after: c.after(before, r) };
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

/** One run as a side's process reports it: its time (µs) and, for ours, the floors' times. */
interface RunResult {
  t: number;
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
  let last: { run: ReturnType<typeof runOurs>; before: Row[]; after: Row[] } | undefined;
  for await (const line of createInterface({ input: process.stdin })) {
    const [cmd, ci, rep] = line.split(" ");
    const c = CASES[Number(ci)]!;
    let answer: RunResult | Summary;
    if (cmd === "run" && side === "ours") {
      const { before, after } = rowsOf(c, Number(rep));
      const run = runOurs(before, after);
      last = { run, before, after };
      answer = { t: run.t, floor: run.floor, full: run.full };
    } else if (cmd === "run") {
      const { before, after } = rowsOf(c, Number(rep));
      answer = { t: runSnab(before, after) };
    } else if (side === "snabbdom") {
      answer = { moves: counts.moves, minMoves: 0, bytes: 0, html: 0 };
    } else {
      // Moves and bytes of the last run (the same for every run but shuffle's, whose order varies).
      const { run, before, after } = last!;
      const oldPos = new Map(before.map((row, i) => [row.id, i]));
      const kept = after.filter((row) => oldPos.has(row.id)).map((row) => oldPos.get(row.id)!);
      answer = { moves: run.ops.filter((o) => o.op === "move").length, minMoves: kept.length - lis(kept).length, bytes: JSON.stringify(run.ops).length, html: renderToString(run.tree).length };
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
      }
      const summary = await ours.ask<Summary>(`summary ${ci}`);
      const snabMoves = (await snab.ask<Summary>(`summary ${ci}`)).moves;
      out.push({ ours: median(o), snab: median(sn), perSnab: median(perSnab), perFull: median(perFull), perFloor: median(perFloor), summary, snabMoves });
    }
    return out;
  } finally {
    ours.close();
    snab.close();
  }
}

/**
 * Runs every chosen case and prints the table as Markdown (paste it into
 * bench/RESULTS.md): each cell is the median over the pairs of processes.
 */
export async function runDiffBench(only?: string): Promise<void> {
  if (CHILD !== undefined) return serve(CHILD);
  const cases = CASES.filter((c) => only === undefined || c.name.includes(only));
  if (cases.length === 0) throw new Error(`bench/diff: no operation's name contains "${only}". Known: ${CASES.map((c) => c.name).join(", ")}.`);
  const pairs: PairResult[][] = [];
  for (let k = 1; k <= PAIRS; k++) pairs.push(await measurePair(k, cases));
  const lines = [
    "| operation | ours (µs) | snabbdom (µs) | ÷ snabbdom | ÷ snabbdom, range | ÷ walk of both trees | ÷ strict floor | moves ÷ snabbdom | moves ÷ (n − LIS) | op bytes ÷ HTML |",
    "|---|--:|--:|--:|--:|--:|--:|--:|--:|--:|",
  ];
  cases.forEach((c, i) => {
    const all = pairs.map((p) => p[i]!);
    const mid = (f: (r: PairResult) => number) => median(all.map(f));
    const perSnab = all.map((r) => r.perSnab);
    // Moves and bytes are the same in every pair (the runs are seeded), so the first one's are shown.
    const { summary: m, snabMoves } = all[0]!;
    lines.push(
      `| ${c.name} | ${mid((r) => r.ours).toFixed(0)} | ${mid((r) => r.snab).toFixed(0)} | ${median(perSnab).toFixed(2)} | ` +
        `${Math.min(...perSnab).toFixed(2)}–${Math.max(...perSnab).toFixed(2)} | ${mid((r) => r.perFull).toFixed(2)} | ${mid((r) => r.perFloor).toFixed(2)} | ` +
        `${ratio(m.moves, snabMoves)} (${m.moves}/${snabMoves}) | ${ratio(m.moves, m.minMoves)} (${m.moves}/${m.minMoves}) | ${ratio(m.bytes, m.html)} |`,
    );
  });
  const heap = "old trees promoted, each new tree built right before its timed section";
  const procs = PAIRS === 1 ? "one pair of processes" : `the median of ${PAIRS} pairs of processes`;
  console.log(`\nDiff: 1,000 keyed rows; each side in a process of its own, the two taking turns run by run; in each pair, medians of ${REPS} runs (ratios taken per run) after ${WARM} warm-up runs; ${heap}; each cell ${procs}\n\n${lines.join("\n")}\n`);
}
