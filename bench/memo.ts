/**
 * What one change costs in a big page and in a small one: a session's view
 * (src/session/view.ts) re-rendering after one event, i.e. `render()`, the
 * diff and the patch's JSON, on a 10,000-node page ÷ the same on a 1,000-node
 * page, with and without `memo()`. Both sizes run in one process, taking turns
 * run by run; each figure is a median over the runs. Two page shapes: a flat
 * list of rows (the todo example's shape) and panels of rows (a dashboard:
 * memo on both levels). Then the same pages through a whole session
 * (a hub, a realtime call, its handler, the render and the patch delivered):
 * an event's cost as the server pays it. Run: `npm run bench diff memo`.
 */
import { App } from "../src/app.js";
import { server } from "../src/registry/decorators.js";
import { Hub, pageCall, type AppClass } from "../src/session/hub.js";
import type { Session } from "../src/session/session.js";
import { View } from "../src/session/view.js";
import { h, memo, type VNode } from "../src/vdom/index.js";
import { noBinder } from "../src/vdom/props.js";

interface Item {
  id: number;
  title: string;
  done: boolean;
  votes: number;
}

/** A row of 10 elements, as an app writes it. */
function row(it: Item): VNode {
  return h("li", { key: it.id, class: it.done ? "item done" : "item" },
    h("div", { class: "main" },
      h("input", { type: "checkbox", checked: it.done }),
      h("span", { class: "title" }, it.title),
      h("small", {}, `#${it.id}`)),
    h("div", { class: "actions" },
      h("button", { class: "up" }, "↑"),
      h("button", { class: "vote" }, String(it.votes)),
      h("a", { href: `/items/${it.id}` }, "open")),
    h("span", { class: "badge" }, it.done ? "done" : "open"));
}
/** The same row, memoised on the item's fields. */
const MemoRow = memo((p: { item: Item }) => row(p.item));

interface Shape {
  name: string;
  /** The state of a page of `rows` rows. */
  state(rows: number): Item[][];
  /** The page: the state's groups of rows. */
  render(groups: Item[][]): VNode;
}

const items = (from: number, n: number): Item[] => Array.from({ length: n }, (_, i) => ({ id: from + i, title: `Item ${from + i}`, done: false, votes: 0 }));
const frame = (body: VNode) => h("main", {}, h("header", {}, h("h1", {}, "Items"), h("input", { type: "search" })), body, h("footer", {}, "end"));

/** Panels of 10 rows each, memoised as a whole and row by row: one change re-renders its panel, whose other rows are memo hits. */
const Panel = memo((p: { rows: Item[]; n: number }) => h("section", { key: p.n }, h("h2", {}, `Panel ${p.n}`), h("ul", {}, p.rows.map((it) => h(MemoRow, { key: it.id, item: it })))));

const SHAPES: Shape[] = [
  { name: "list, plain rows", state: (n) => [items(1, n)], render: (g) => frame(h("ul", {}, g[0]!.map(row))) },
  { name: "list, memo rows", state: (n) => [items(1, n)], render: (g) => frame(h("ul", {}, g[0]!.map((it) => h(MemoRow, { key: it.id, item: it })))) },
  {
    name: "panels of 10 rows, memo panels and rows",
    state: (n) => Array.from({ length: n / 10 }, (_, k) => items(k * 10 + 1, 10)),
    render: (g) => frame(h("div", {}, g.map((rows, n) => h(Panel, { key: n, rows, n })))),
  },
];

/** One page under test: its state, its view, and a change to one random row (a new item object, a new array around it, as an app that does not mutate writes it). */
class Page {
  groups: Item[][];
  readonly view: View;
  nodes = 0;
  private ack = 0;
  constructor(shape: Shape, rows: number, private readonly r: () => number) {
    this.groups = shape.state(rows);
    this.view = new View(() => shape.render(this.groups), noBinder);
    this.view.firstTree();
    this.view.update(++this.ack);
    this.nodes = count(this.view.current()!);
  }
  /** Changes one row; returns the time of the render, the diff and the JSON that follow (µs). */
  change(): number {
    const g = Math.floor(this.r() * this.groups.length);
    const rows = this.groups[g]!.slice();
    const i = Math.floor(this.r() * rows.length);
    rows[i] = { ...rows[i]!, done: !rows[i]!.done, votes: rows[i]!.votes + 1 };
    this.groups = this.groups.slice();
    this.groups[g] = rows;
    const t0 = now();
    const out = this.view.update(++this.ack);
    const json = JSON.stringify(out!.message);
    const t = now() - t0;
    if (json.length < 10) throw new Error("bench/memo: the change made no patch");
    return t;
  }
}

function count(node: unknown): number {
  const n = node as { children?: unknown[] };
  return 1 + (n.children ?? []).reduce<number>((s, c) => s + count(c), 0);
}

const now = () => Number(process.hrtime.bigint()) / 1e3;
const median = (xs: number[]) => xs.slice().sort((a, b) => a - b)[xs.length >> 1]!;
function rng(seed: number): () => number {
  let s = seed >>> 0;
  return () => ((s = (Math.imul(s, 1664525) + 1013904223) >>> 0) / 2 ** 32);
}

const WARM = 200, REPS = 1001;

/** Prints, per shape, one change's cost on the two page sizes and their ratio. */
export function runMemoBench(): void {
  const lines = ["| page | nodes | one change (µs) | nodes | one change (µs) | 10,000 ÷ 1,000 |", "|---|--:|--:|--:|--:|--:|"];
  for (const shape of SHAPES) {
    const small = new Page(shape, 100, rng(1)), big = new Page(shape, 1000, rng(2));
    const ts: number[] = [], tb: number[] = [], ratio: number[] = [];
    for (let k = 0; k < WARM + REPS; k++) {
      // Turns alternate which size goes first, so that neither always runs right after the other's garbage.
      let a: number, b: number;
      if (k % 2 === 0) {
        a = small.change();
        b = big.change();
      } else {
        b = big.change();
        a = small.change();
      }
      if (k < WARM) continue;
      ts.push(a);
      tb.push(b);
      ratio.push(b / a);
    }
    lines.push(`| ${shape.name} | ${small.nodes} | ${median(ts).toFixed(1)} | ${big.nodes} | ${median(tb).toFixed(1)} | ${median(ratio).toFixed(2)} |`);
  }
  console.log(`\nOne change, 10,000-node page ÷ 1,000-node page: render() + diff + the patch's JSON, as a session's view does after an event; one process, the two sizes taking turns; medians of ${REPS} runs after ${WARM} warm-up runs\n\n${lines.join("\n")}\n`);
}

/** An app of `rows` rows drawn as `shape` draws them, with a realtime `toggle(id)`. */
function listApp(rows: number, shape: Shape): AppClass<App> {
  class List extends App {
    groups = shape.state(rows);
    /** A new item in a copy of its group (ids are 1…rows, in order): memo components compare by identity. */
    @server.realtime toggle(id: number) {
      const g = Math.floor((id - 1) / this.groups[0]!.length), i = (id - 1) % this.groups[0]!.length;
      const group = this.groups[g]!.slice();
      group[i] = { ...group[i]!, done: !group[i]!.done, votes: group[i]!.votes + 1 };
      this.groups = this.groups.slice();
      this.groups[g] = group;
    }
    override render() {
      return shape.render(this.groups);
    }
  }
  return List;
}

/** One session of a list app in a hub of its own, whose page messages are counted. */
async function sessionOf(rows: number, shape: Shape, r: () => number) {
  let delivered = 0;
  const hub = new Hub(listApp(rows, shape), { logger: { warn() {}, error() {} }, deliver: () => void delivered++ });
  await hub.start();
  const session: Session<App> = await hub.createSession("bench");
  await hub.lifecycle(session, "connect");
  await hub.settle();
  let seq = 0;
  return {
    /** One toggle of a random row, from the call to the patch delivered (µs). */
    async change(): Promise<number> {
      const before = delivered;
      const t0 = now();
      await hub.call(session, pageCall("realtime", "toggle", ++seq, [1 + Math.floor(r() * rows)]));
      await hub.settle();
      const t = now() - t0;
      if (delivered === before) throw new Error("bench/memo: the call delivered no patch");
      return t;
    },
    stop: () => hub.stop(),
  };
}

const SESSION_WARM = 100, SESSION_REPS = 401;

/** Prints one event's cost through a session, 10,000-node ÷ 1,000-node page, for each shape. */
export async function runMemoSessionBench(): Promise<void> {
  const lines = ["| page | one event, 1,000 nodes (µs) | one event, 10,000 nodes (µs) | 10,000 ÷ 1,000 |", "|---|--:|--:|--:|"];
  for (const shape of SHAPES) {
    const small = await sessionOf(100, shape, rng(3)), big = await sessionOf(1000, shape, rng(4));
    const ts: number[] = [], tb: number[] = [], ratio: number[] = [];
    for (let k = 0; k < SESSION_WARM + SESSION_REPS; k++) {
      let a: number, b: number;
      if (k % 2 === 0) {
        a = await small.change();
        b = await big.change();
      } else {
        b = await big.change();
        a = await small.change();
      }
      if (k < SESSION_WARM) continue;
      ts.push(a);
      tb.push(b);
      ratio.push(b / a);
    }
    await small.stop();
    await big.stop();
    lines.push(`| ${shape.name} | ${median(ts).toFixed(1)} | ${median(tb).toFixed(1)} | ${median(ratio).toFixed(2)} |`);
  }
  console.log(`\nOne event through a session (hub.call of a realtime handler, its render, the patch delivered; no sockets), 10,000-node ÷ 1,000-node page; the two sizes taking turns; medians of ${SESSION_REPS} runs after ${SESSION_WARM} warm-up runs\n\n${lines.join("\n")}\n`);
}
