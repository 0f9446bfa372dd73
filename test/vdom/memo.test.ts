import { describe, expect, it } from "vitest";
import { View } from "../../src/session/view.js";
import { noBinder } from "../../src/vdom/props.js";
import { createIdAllocator, diff, h, lower, memo, MemoCache, renderToString, type ElementNode, type Node, type VElement, type VNode } from "../../src/vdom/index.js";

interface Item {
  id: number;
  title: string;
  done: boolean;
}

/** Counts how many times the row component really ran. */
let built = 0;
const Row = memo((p: { id: number; title: string; done: boolean }) => {
  built++;
  return h("li", { class: { done: p.done } }, h("span", {}, p.title), h("b", {}, p.done ? "done" : "open"));
});
const page = (items: Item[], heading = "Todo") =>
  h("main", {}, h("h1", {}, heading), h("ul", {}, items.map((it) => h(Row, { key: it.id, id: it.id, title: it.title, done: it.done }))));
const items = (n: number): Item[] => Array.from({ length: n }, (_, i) => ({ id: i + 1, title: `item ${i + 1}`, done: false }));
const kids = (tree: Node) => (tree as ElementNode).children;
const rows = (tree: Node) => ((tree as ElementNode).children[1] as ElementNode).children;

/** A session's view in miniature: renders through one cache and diffs against the last tree, as src/session/view.ts does. */
function session(render: () => VNode) {
  const cache = new MemoCache();
  const alloc = createIdAllocator();
  let tree = cache.render(() => lower(render(), { alloc }));
  return {
    get tree() {
      return tree;
    },
    update() {
      const out = cache.render(() => diff(tree, render(), { alloc }));
      tree = out.tree;
      return out.ops;
    },
    cache,
  };
}

describe("memo()", () => {
  it("re-renders only the row whose props changed, and the page gets the ops of that row alone", () => {
    let state = items(100);
    const s = session(() => page(state));
    const before = rows(s.tree).slice();
    built = 0;
    state = state.map((it) => (it.id === 40 ? { ...it, done: true } : it));
    const ops = s.update();
    expect(built).toBe(1);
    const id40 = before[39]!.id;
    expect(ops).toEqual([
      { op: "attrs", id: id40, set: { class: "done" }, remove: [] },
      { op: "text", id: (before[39] as ElementNode).children[1]!.id, text: "done" },
    ]);
    // Every other row is the very node of the last render: the diff did not walk it.
    rows(s.tree).forEach((row, i) => (i === 39 ? expect(row).not.toBe(before[i]) : expect(row).toBe(before[i])));
  });

  it("gives the same page as rendering without memo, through adds, removes, moves and edits", () => {
    let state = items(20);
    const s = session(() => page(state));
    const plain = (list: Item[]) => h("main", {}, h("h1", {}, "Todo"), h("ul", {}, list.map((it) => h("li", { key: it.id, class: { done: it.done } }, h("span", {}, it.title), h("b", {}, it.done ? "done" : "open")))));
    const steps: ((l: Item[]) => Item[])[] = [
      (l) => l.slice().reverse(),
      (l) => l.filter((it) => it.id % 3 !== 0),
      (l) => [{ id: 99, title: "new", done: true }, ...l],
      (l) => l.map((it, i) => (i === 5 ? { ...it, title: "edited" } : it)),
      (l) => l.slice(2).concat(l.slice(0, 2)),
    ];
    for (const step of steps) {
      state = step(state);
      s.update();
      const expected = lower(plain(state), { alloc: createIdAllocator() });
      // Same markup (ids aside: the memo page keeps its own through the changes).
      const strip = (html: string) => html.replace(/ data-rv="[^"]*"/g, "").replace(/<!--[^>]*-->/g, "");
      expect(strip(renderToString(s.tree))).toBe(strip(renderToString(expected)));
    }
  });

  it("is an ordinary component when no session renders it (a test calling render(), a page rendered once)", () => {
    built = 0;
    const a = page(items(3));
    const b = page(items(3));
    expect(built).toBe(6);
    expect((a as VElement).children[1]).not.toBe((b as VElement).children[1]);
  });

  it("reuses every row of a reordered list, also once rows that left the page were forgotten", () => {
    let state = items(30);
    const s = session(() => page(state));
    const shuffle = (l: Item[]) => l.map((it, i) => [(i * 7919) % 31, it] as const).sort((a, b) => a[0] - b[0]).map((p) => p[1]);
    const check = () => {
      const expected = lower(page(state), { alloc: createIdAllocator() });
      const strip = (html: string) => html.replace(/ data-rv="[^"]*"/g, "").replace(/<!--[^>]*-->/g, "");
      expect(strip(renderToString(s.tree))).toBe(strip(renderToString(expected)));
    };
    built = 0;
    state = shuffle(state);
    s.update();
    state = state.slice().reverse();
    s.update();
    expect(built).toBe(0);
    check();
    // Rows come and go render after render, so that the cache drops those no longer in the page.
    let id = 1000;
    for (let k = 0; k < 100; k++) {
      state = state.slice(2).concat([{ id: id++, title: "new", done: false }, { id: id++, title: "new", done: false }]);
      s.update();
    }
    built = 0;
    state = shuffle(state);
    s.update();
    state = state.slice(15).concat(state.slice(0, 15));
    s.update();
    expect(built).toBe(0);
    check();
  });

  it("tells unkeyed calls apart by their order, and builds the second of two calls with the same key", () => {
    const Label = memo((p: { text: string }) => h("i", {}, p.text));
    let texts = ["a", "b"];
    const s = session(() => h("div", {}, texts.map((t) => h(Label, { text: t })), h("p", {}, h(Label, { key: "x", text: "x" })), h("p", {}, h(Label, { key: "x", text: "x" }))));
    texts = ["a", "c"];
    const ops = s.update();
    expect(ops).toEqual([{ op: "text", id: ((s.tree as ElementNode).children[1] as ElementNode).id, text: "c" }]);
    // Under two parents, one key: two nodes, each kept in its place.
    const [p1, p2] = (s.tree as ElementNode).children.slice(2) as ElementNode[];
    expect(p1!.children[0]).not.toBe(p2!.children[0]);
    expect(s.update()).toEqual([]);
  });

  it("compares every prop, by name and in order: many props, a prop more or less, other names between calls of one component", () => {
    let runs = 0;
    const Card = memo((p: Record<string, unknown>) => {
      runs++;
      return h("div", {}, Object.entries(p).filter(([k]) => k !== "children").map(([k, v]) => `${k}=${String(v)};`).join(""));
    });
    const twelve = (last: number) => Object.fromEntries(Array.from({ length: 12 }, (_, i) => [`p${i}`, i === 11 ? last : i]));
    let props: Array<Record<string, unknown>> = [twelve(11), { a: 1, b: 2 }, { a: 1 }];
    const s = session(() => h("main", {}, props.map((p, i) => h(Card, { key: i, ...p }))));
    const text = () => kids(s.tree).map((c) => (c as ElementNode).text);
    expect(text()).toEqual([Array.from({ length: 12 }, (_, i) => `p${i}=${i};`).join(""), "a=1;b=2;", "a=1;"]);
    const rerun = (next: Array<Record<string, unknown>>) => {
      props = next;
      runs = 0;
      s.update();
      return runs;
    };
    expect(rerun([twelve(11), { a: 1, b: 2 }, { a: 1 }])).toBe(0);
    // The twelfth prop (kept apart from the first eight) changed.
    expect(rerun([twelve(99), { a: 1, b: 2 }, { a: 1 }])).toBe(1);
    expect(text()[0]).toContain("p11=99;");
    // A prop fewer, a prop more, another name in the same place, the same props in another order.
    expect(rerun([twelve(99), { a: 1 }, { a: 1, b: undefined }])).toBe(2);
    expect(text().slice(1)).toEqual(["a=1;", "a=1;b=undefined;"]);
    expect(rerun([twelve(99), { c: 1 }, { b: undefined, a: 1 }])).toBe(2);
    expect(rerun([twelve(99), { c: 1 }, { b: undefined, a: 1 }])).toBe(0);
    expect(text().slice(1)).toEqual(["c=1;", "b=undefined;a=1;"]);
  });

  it("compares with the equal function it is given", () => {
    let calls = 0;
    const Price = memo(
      (p: { cents: number }) => {
        calls++;
        return h("span", {}, (p.cents / 100).toFixed(2));
      },
      (prev, next) => Math.round(prev.cents) === Math.round(next.cents),
    );
    let cents = 100;
    const s = session(() => h("div", {}, h(Price, { cents })));
    cents = 100.2;
    expect(s.update()).toEqual([]);
    cents = 250;
    expect(s.update()).toEqual([{ op: "text", id: ((s.tree as ElementNode).children[0] as ElementNode).id, text: "2.50" }]);
    expect(calls).toBe(2);
  });

  it("a row moved to another list is reused from the render after its move on", () => {
    let left = items(3), right: Item[] = [];
    const s = session(() => h("div", {}, h("ul", {}, left.map((it) => h(Row, { key: it.id, ...it }))), h("ol", {}, right.map((it) => h(Row, { key: it.id, ...it })))));
    [right, left] = [left.slice(0, 1), left.slice(1)];
    s.update();
    const moved = ((s.tree as ElementNode).children[1] as ElementNode).children[0];
    built = 0;
    expect(s.update()).toEqual([]);
    expect(built).toBe(0);
    expect(((s.tree as ElementNode).children[1] as ElementNode).children[0]).toBe(moved);
  });

  it("after a render that throws, the next one gives the right page", () => {
    let state = items(3);
    let fail = false;
    const s = session(() => {
      const out = page(state);
      if (fail) throw new Error("boom");
      return out;
    });
    fail = true;
    state = state.map((it) => ({ ...it, title: it.title + "!" }));
    expect(() => s.update()).toThrow("boom");
    fail = false;
    state = state.map((it, i) => (i === 0 ? { ...it, done: true } : it));
    s.update();
    const expected = lower(page(state), { alloc: createIdAllocator() });
    const strip = (html: string) => html.replace(/ data-rv="[^"]*"/g, "");
    expect(strip(renderToString(s.tree))).toBe(strip(renderToString(expected)));
  });

  it("keeps the rows of a panel reused whole: a later change in that panel rebuilds one row", () => {
    const Panel = memo((p: { n: number; rows: Item[] }) => h("section", {}, h("ul", {}, p.rows.map((it) => h(Row, { key: it.id, id: it.id, title: it.title, done: it.done })))));
    let panels = Array.from({ length: 20 }, (_, n) => items(10).map((it) => ({ ...it, id: n * 100 + it.id })));
    const s = session(() => h("div", {}, panels.map((rows, n) => h(Panel, { key: n, n, rows }))));
    const toggle = (n: number, i: number) => {
      panels = panels.slice();
      panels[n] = panels[n]!.map((it, k) => (k === i ? { ...it, done: !it.done } : it));
    };
    // Many renders that give panel 0 new rows only: the cache forgets the rows that left the page now and then, never those still in it.
    for (let k = 1; k <= 50; k++) {
      panels = panels.slice();
      panels[0] = items(10).map((it) => ({ ...it, id: 10_000 + k * 10 + it.id }));
      s.update();
    }
    built = 0;
    toggle(7, 3);
    expect(s.update().length).toBe(2);
    expect(built).toBe(1);
  });
  it("a row rebuilt into the same subtree keeps the page's node, which the next render reuses without walking it", () => {
    let reads = 0;
    // `tick` does not show: a change to it rebuilds the row into what the page has. The getter counts the diff's visits.
    const Cell = memo((p: { title: string; tick: number }) => h("li", { get class() { reads++; return "cell"; } }, p.title));
    let tick = 0;
    const s = session(() => h("ul", {}, h(Cell, { key: 1, title: "a", tick }), h(Cell, { key: 2, title: "b", tick: 0 })));
    const [first] = kids(s.tree);
    tick = 1;
    expect(s.update()).toEqual([]);
    expect(kids(s.tree)[0]).toBe(first);
    reads = 0;
    expect(s.update()).toEqual([]);
    expect(kids(s.tree)[0]).toBe(first);
    expect(reads).toBe(0);
  });

  it("shows a call's new props after renders whose diff threw and a rest (fuzz: the rest relinked the node built for the old props)", () => {
    const Label = memo((p: { text: string }) => h("span", {}, p.text));
    const dup = () => h("ul", {}, [h("li", { key: 1 }, "a"), h("li", { key: 1 }, "b")]); // a duplicate key: the diff throws
    const renders = [
      () => h("div", {}, h("hr", {}), h(Label, { text: "old" })),
      () => h("div", {}, h(Label, { text: "old" }), dup()), // a hit, its node moved: the diff copies it, then throws
      () => h("div", {}, h(Label, { text: "new" }), dup()), // a miss, and the diff throws again
      () => h("div", {}, h(Label, { text: "new" })),
    ];
    let step = 0;
    const view = new View(() => renders[step]!(), noBinder);
    view.firstTree();
    view.update(1);
    for (step = 1; step <= 2; step++) expect(() => view.update(1)).toThrow(/Duplicate key "1"/);
    view.rest();
    step = 3;
    view.update(1);
    expect(renderToString(view.current()!).replace(/ data-rv="[^"]*"/g, "")).toBe("<div><span>new</span></div>");
  });

  it("a session's view renders through its cache: an event that changes one row rebuilds that row, also after the tree was packed", () => {
    let state = items(50);
    const view = new View(() => page(state), noBinder);
    view.firstTree();
    view.update(1);
    const change = (id: number) => {
      state = state.map((it) => (it.id === id ? { ...it, title: it.title + "!" } : it));
      built = 0;
      return view.update(0)!.message;
    };
    expect(change(5)).toMatchObject({ type: "patch", ops: [{ op: "text", text: "item 5!" }] });
    expect(built).toBe(1);
    // Packed at rest, the tree is unpacked into new objects, which the rows find again: still one row rebuilt.
    view.rest();
    expect(change(6)).toMatchObject({ type: "patch", ops: [{ op: "text", text: "item 6!" }] });
    expect(built).toBe(1);
    expect(change(7)).toMatchObject({ type: "patch", ops: [{ op: "text", text: "item 7!" }] });
    expect(built).toBe(1);
  });

  it("a row kept across a rest and shown again elsewhere keeps its attributes: back after a filter, moved to another list", () => {
    function remove() {}
    const bind = (_tag: string, _prop: string, fn: unknown) => `r:${(fn as { name: string }).name}`;
    const Line = memo((p: { id: number }) => h("li", { id: `row-${p.id}`, class: "row", "aria-label": `row ${p.id}` }, h("b", { class: "n" }, String(p.id)), h("button", { onClick: remove }, "x")));
    let shown = [1, 2, 3, 4, 5], other: number[] = [];
    const render = () => h("main", {}, h("ul", {}, shown.map((id) => h(Line, { key: id, id }))), h("ol", {}, other.map((id) => h(Line, { key: id, id }))));
    const view = new View(render, bind);
    view.firstTree();
    view.update(1);
    const html = (tree: Node | null) => renderToString(tree!).replace(/ data-rv="[^"]*"/g, "");
    const steps: Array<() => void> = [
      () => (shown = [1, 2]), // filtered out…
      () => (shown = [1, 2, 3, 4, 5]), // …and back: the rows the cache kept from before the rest
      () => ((shown = [1, 2, 4, 5]), (other = [3])), // a row moved to another list
    ];
    for (const step of steps) {
      view.rest();
      step();
      view.update(1);
      expect(html(view.current())).toBe(html(lower(render(), { alloc: createIdAllocator(), bind })));
    }
    expect(html(view.current())).toContain('<button data-rv-on-click="r:remove">x</button>');
  });

  it("keeps its rows across rests: moved, removed, added and nested rows, and a page packed as soon as it was made", () => {
    let state = items(20);
    let heading = "Todo";
    const Panel = memo((p: { rows: Item[] }) => h("section", {}, h("ul", {}, p.rows.map((it) => h(Row, { key: it.id, id: it.id, title: it.title, done: it.done })))));
    const render = () => h("main", {}, h("h1", {}, heading), h(Panel, { rows: state.slice(0, 5) }), h("ul", {}, state.slice(5).map((it) => h(Row, { key: it.id, id: it.id, title: it.title, done: it.done }))));
    const view = new View(render, noBinder);
    const first = view.firstTree(); // packed at once (a page started by POST /api/session)
    // A page's HTML without its node ids (a moved row keeps its own).
    const html = (tree: Node | null) => renderToString(tree!).replace(/ data-rv="[^"]*"/g, "");
    built = 0;
    heading = "Todo!";
    expect(view.update(1)!.message).toMatchObject({ ops: [{ op: "text", text: "Todo!" }] });
    expect(built).toBe(0);
    // Rows 6 and 7 swapped, 8 removed, 21 added, at rest in between each time.
    const steps: Array<() => void> = [
      () => (state = [...state.slice(0, 5), state[6]!, state[5]!, ...state.slice(7)]),
      () => (state = state.filter((it) => it.id !== 8)),
      () => (state = [...state, { id: 21, title: "item 21", done: false }]),
      () => (state = state.map((it) => (it.id === 2 ? { ...it, done: true } : it))), // inside the panel
    ];
    const builds: number[] = [];
    for (const step of steps) {
      view.rest();
      step();
      built = 0;
      view.update(1);
      builds.push(built);
      // The page the ops made is the page a fresh render makes.
      expect(html(view.current())).toBe(html(lower(render(), { alloc: createIdAllocator() })));
    }
    expect(builds).toEqual([0, 0, 1, 1]);
    expect(first.rev).toBe(1);
  });
});
