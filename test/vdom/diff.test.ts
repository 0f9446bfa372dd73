import { describe, expect, it } from "vitest";
import { createIdAllocator, diff, h, lis, lower, type ElementNode, type Node, type PatchOp, type VNode } from "../../src/vdom/index.js";

/** Lowers `a`, diffs to `b`; returns both trees and the ops. */
function run(a: VNode, b: VNode) {
  const alloc = createIdAllocator();
  const old = lower(a, { alloc });
  return { old, ...diff(old, b, { alloc }) };
}
const kids = (n: Node) => (n as ElementNode).children;
const list = (keys: (string | number)[]) => h("ul", {}, keys.map((k) => h("li", { key: k }, String(k))));
const kinds = (ops: PatchOp[]) => ops.map((o) => o.op);
/** What goes over the wire: ops and nodes as the page receives them. */
const wire = (x: unknown) => JSON.parse(JSON.stringify(x));
/** What the page does with an `attrs` op: sets, then removes (as client/apply.ts). */
function applyAttrs(page: Record<string, string>, op: PatchOp): void {
  expect(op.op).toBe("attrs");
  if (op.op !== "attrs") return;
  for (const name in op.set) page[name] = op.set[name]!;
  for (const name of op.remove) delete page[name];
}

describe("stable ids", () => {
  it("showing or hiding something above a node never changes its id", () => {
    const page = (banner: boolean) => h("main", {}, banner && h("div", { class: "banner" }, "Saved"), h("h1", {}, "Title"), h("p", {}, "body"));
    const { old, tree, ops } = run(page(false), page(true));
    expect(kids(tree).slice(1).map((n) => n.id)).toEqual(kids(old).map((n) => n.id));
    expect(kinds(ops)).toEqual(["insert"]);
    const back = diff(tree, page(false), { alloc: createIdAllocator(100) });
    expect(kids(back.tree).map((n) => n.id)).toEqual(kids(old).map((n) => n.id));
    expect(back.ops).toEqual([{ op: "remove", id: kids(tree)[0]!.id }]);
  });

  it("a growing unkeyed list does not re-identify the element after it", () => {
    const page = (items: string[]) => h("div", {}, items.map((t) => h("p", {}, t)), h("footer", {}, "end"));
    const { old, tree, ops } = run(page(["a"]), page(["a", "b"]));
    expect(kids(tree)[2]!.id).toBe(kids(old)[1]!.id);
    expect(kinds(ops)).toEqual(["insert"]);
  });

  it("keeps keyed ids through reorders and scopes them by parent", () => {
    const { old, tree } = run(list(["a", "b"]), list(["b", "a"]));
    expect(kids(tree).map((n) => n.id).sort()).toEqual(kids(old).map((n) => n.id).sort());
    expect(kids(old)[0]!.id).toBe("k-w-1-a");
  });

  it("matches unkeyed children by position", () => {
    const { old, tree, ops } = run(h("div", {}, h("p", {}, "a"), h("p", {}, "b")), h("div", {}, h("p", {}, "b")));
    expect(kids(tree)[0]!.id).toBe(kids(old)[0]!.id);
    expect(ops).toEqual([
      { op: "text", id: kids(old)[0]!.id, text: "b" },
      { op: "remove", id: kids(old)[1]!.id },
    ]);
  });
});

describe("ops", () => {
  it("costs no ops, and keeps every id, when nothing changed", () => {
    const view = () => h("div", { class: "x" }, list([1, 2, 3]), h("p", {}, "t"));
    const { old, tree, ops } = run(view(), view());
    expect(ops).toEqual([]);
    expect(wire(tree)).toEqual(wire(old));
  });

  it("keeps the last tree's nodes where nothing changed: only the changed nodes and their ancestors are the new render's", () => {
    const rowsOf = (votes: number[]) => h("main", {}, h("h1", {}, "Rows"), h("ul", {}, votes.map((v, i) => h("li", { key: i, class: v % 2 ? "odd" : "even" }, h("span", {}, `row ${i}`), h("b", {}, String(v))))));
    const alloc = createIdAllocator();
    const votes = [0, 0, 0, 0];
    const old = lower(rowsOf(votes), { alloc });
    const next = rowsOf([0, 0, 1, 0]);
    const { tree, ops } = diff(old, next, { alloc });
    expect(ops).toEqual([
      { op: "attrs", id: kids(kids(old)[1]!)[2]!.id, set: { class: "odd" }, remove: [] },
      { op: "text", id: kids(kids(kids(old)[1]!)[2]!)[1]!.id, text: "1" },
    ]);
    const [oldH1, oldUl] = kids(old), [h1, ul] = kids(tree);
    // The path to the change is the new render's nodes, lowered in place; everything beside it is the old tree's.
    expect(tree).toBe(next);
    expect(ul).not.toBe(oldUl);
    expect(h1).toBe(oldH1);
    kids(ul!).forEach((row, i) => (i === 2 ? expect(row).not.toBe(kids(oldUl!)[i]) : expect(row).toBe(kids(oldUl!)[i])));
    expect(kids(kids(ul!)[2]!)[0]).toBe(kids(kids(oldUl!)[2]!)[0]);
    expect(wire(tree)).toEqual(wire(lower(rowsOf([0, 0, 1, 0]), { alloc: createIdAllocator() })));
    // Nothing changed: the old tree itself, not one new node; and the render after it diffs against it as usual.
    const same = diff(tree, rowsOf([0, 0, 1, 0]), { alloc });
    expect(same.ops).toEqual([]);
    expect(same.tree).toBe(tree);
    const back = diff(same.tree, rowsOf(votes), { alloc });
    expect(kinds(back.ops)).toEqual(["attrs", "text"]);
    expect(wire(back.tree)).toEqual(wire(old));
  });

  it("keeps old children in a new parent through inserts, removals and moves around them", () => {
    const alloc = createIdAllocator();
    const old = lower(list([1, 2, 3, 4, 5]), { alloc });
    const before = new Map(kids(old).map((n) => [(n as ElementNode).key, n]));
    const { tree } = diff(old, list([0, 5, 2, 3, 9, 4]), { alloc });
    expect(kids(tree).map((n) => (n as ElementNode).key)).toEqual(["0", "5", "2", "3", "9", "4"]);
    for (const n of kids(tree)) if (before.has((n as ElementNode).key)) expect(n).toBe(before.get((n as ElementNode).key));
    expect(kids(tree).map((n) => (n as ElementNode).text)).toEqual(["0", "5", "2", "3", "9", "4"]);
  });

  it("takes a subtree kept from the last render as it is, and copies one that moved or appears twice", () => {
    const alloc = createIdAllocator();
    const footer = h("footer", {}, h("a", { href: "/about" }, "About"), h("small", {}, "©"));
    const page = (top: boolean) => h("main", {}, top ? footer : null, h("p", {}, "body"), footer);
    const old = lower(page(false), { alloc });
    const oldFooter = kids(old)[1]!;
    expect(oldFooter).toBe(footer); // lowered in place
    const placedIds = wire(footer);
    // Kept where it was: the very object, no ops.
    const same = diff(old, page(false), { alloc });
    expect(same.ops).toEqual([]);
    expect(kids(same.tree)[1]).toBe(footer);
    // Shown a second time above: the copy gets ids of its own, and the kept one is untouched.
    const twice = diff(same.tree, page(true), { alloc });
    expect(kinds(twice.ops)).toEqual(["insert"]);
    const [copy, , kept] = kids(twice.tree);
    expect(kept).toBe(footer);
    expect(wire(footer)).toEqual(placedIds);
    expect(copy).not.toBe(footer);
    expect(wire(copy).id).not.toBe(placedIds.id);
    // The copy's children were rebuilt from what the placed node kept: its links' texts included.
    expect(wire(copy).children.map((c: { tag: string; text: string }) => `${c.tag}:${c.text}`)).toEqual(["a:About", "small:©"]);
    // The same node twice in one first render: two sets of ids.
    const both = lower(h("div", {}, footer, footer), { alloc: createIdAllocator() });
    const [x, y] = kids(both).map((n) => n.id);
    expect(x).not.toBe(y);
  });

  it("leaves a subtree kept from the last render alone when it stands at the same place, though written in another argument", () => {
    const alloc = createIdAllocator();
    const nav = h("nav", {}, h("a", { href: "/" }, "Home"));
    // First the nav is the second argument (after a hole), then the first: the same child of <main> either way.
    const old = lower(h("main", {}, null, nav, h("p", {}, "body")), { alloc });
    const { tree, ops } = diff(old, h("main", {}, nav, null, h("p", {}, "body")), { alloc });
    expect(ops).toEqual([]);
    expect(kids(tree)[0]).toBe(nav);
    expect(wire(tree)).toEqual(wire(old));
  });

  it("sends nodes built without h() in the wire shape", () => {
    const literal = { type: "element", tag: "p", props: { class: "x" }, key: undefined, children: [{ type: "text", text: "hi" }, { type: "element", tag: "b", props: {}, key: undefined, children: [{ type: "text", text: "!" }] }] } as unknown as VNode;
    const tree = lower(h("div", {}, literal), { alloc: createIdAllocator() });
    expect(wire(tree)).toEqual({
      id: "w-1", tag: "div", attrs: {},
      children: [{ id: "w-2", tag: "p", attrs: { class: "x" }, children: [{ id: "w-3", text: "hi" }, { id: "w-4", tag: "b", attrs: {}, children: [], text: "!" }] }],
    });
  });

  it("empties a list with one text op when nothing of it stays, and appends in order when every row is new", () => {
    const cleared = run(list(["a", "b", "c"]), list([]));
    expect(cleared.ops).toEqual([{ op: "text", id: "w-1", text: "" }]);
    expect(kids(cleared.tree)).toEqual([]);
    const replaced = run(list(["a", "b"]), list(["x", "y", "z"]));
    expect(replaced.ops.map((o) => (o.op === "append" ? `append ${o.node.id}` : o.op))).toEqual(["text", "append k-w-1-x", "append k-w-1-y", "append k-w-1-z"]);
    // One row staying means the others go one by one.
    expect(kinds(run(list(["a", "b"]), list(["x", "b"])).ops)).toEqual(["remove", "insert"]);
  });

  it("swaps two rows with two moves and no other op", () => {
    const keys = ["a", "b", "c", "d", "e", "f"];
    const { ops } = run(list(keys), list(["a", "e", "c", "d", "b", "f"]));
    expect(ops).toEqual([
      { op: "move", id: "k-w-1-b", parent: "w-1", before: "k-w-1-f" },
      { op: "move", id: "k-w-1-e", parent: "w-1", before: "k-w-1-c" },
    ]);
  });

  it("reverses a list with n − 1 moves and no other op", () => {
    const keys = ["a", "b", "c", "d", "e", "f", "g"];
    const { ops, tree } = run(list(keys), list(keys.slice().reverse()));
    expect(kinds(ops)).toEqual(Array(6).fill("move"));
    expect(kids(tree).map((n) => (n as ElementNode).key)).toEqual(keys.slice().reverse());
  });

  it("serializes insert, append and move ops with op first and nothing else", () => {
    const { ops } = run(list(["a", "b"]), list(["b", "c", "a", "d"]));
    expect(JSON.parse(JSON.stringify(ops)).map((o: object) => Object.keys(o).join())).toEqual(
      ops.map((o) => ({ move: "op,id,parent,before", insert: "op,parent,before,node", append: "op,parent,node" })[o.op as "move"]),
    );
    expect(kinds(ops).sort()).toEqual(["append", "insert", "move"]);
  });

  it("sends only the changed attributes", () => {
    const { ops } = run(h("a", { href: "/a", title: "t", class: "c" }), h("a", { href: "/b", class: "c", rel: "x" }));
    expect(ops).toEqual([{ op: "attrs", id: "w-1", set: { href: "/b", rel: "x" }, remove: ["title"] }]);
  });

  it("a string prop equal to an old attribute of its name is unchanged, unless it forges a binding", () => {
    const alloc = createIdAllocator();
    const bind = () => "r:save";
    const old = lower(h("button", { onClick: () => {}, class: "b", for: "x" }), { alloc, bind });
    expect(diff(old, h("button", { onClick: () => {}, class: "b", htmlFor: "x" }), { alloc, bind }).ops).toEqual([]);
    // Same name and value as the bound attribute, but a user prop may not write it.
    const forged = diff(old, h("button", { "data-rv-on-click": "r:save", class: "b", for: "x" }), { alloc, bind });
    expect(forged.ops).toEqual([{ op: "attrs", id: old.id, set: {}, remove: ["data-rv-on-click"] }]);
  });

  it("keeps the page's attributes equal to a fresh render's over renders that change them in every way", () => {
    // Each step against the last: values changed, props added, removed, reordered, two props naming one
    // attribute (either one last), numbers, booleans, class objects and arrays, style objects; the key never.
    const steps: Record<string, unknown>[] = [
      { title: "a", tabindex: 0, class: { x: true, y: false } },
      { title: "b", tabindex: 0, class: { x: true, y: true }, hidden: true },
      { tabindex: 1, title: "b", class: ["x", "y"], style: { fontSize: "2px" } },
      { className: "k", class: "c", title: "b" },
      { class: "c", className: "k", title: "b" },
      { class: "c", className: "k", title: "b" },
      { className: "k", title: undefined, hidden: false },
      {},
      { "aria-label": "l", title: "t", class: "" },
      { title: "t", "aria-label": "l", htmlFor: "f", for: "g" },
      { for: "g", htmlFor: "f" },
    ];
    // From an element lowered with other props than strings, and from one with only strings (kept as they are).
    for (const first of [steps[0]!, { title: "a", class: "x" }]) {
      const alloc = createIdAllocator();
      let tree = lower(h("div", {}, h("p", { key: 1, ...first }, "x")), { alloc }) as ElementNode;
      const page = { ...(tree.children[0] as ElementNode).attrs };
      for (const props of steps.slice(1)) {
        const out = diff(tree, h("div", {}, h("p", { key: 1, ...props }, "x")), { alloc });
        for (const op of out.ops) {
          expect(op.op).toBe("attrs");
          applyAttrs(page, op);
        }
        const fresh = (lower(h("p", props, "x"), { alloc: createIdAllocator() }) as ElementNode).attrs;
        tree = out.tree as ElementNode;
        expect(page, JSON.stringify(props)).toEqual(fresh);
        expect(wire((tree.children[0] as ElementNode).attrs)).toEqual(wire(fresh));
      }
    }
  });

  it("sends an attribute named __proto__ in an attrs op's set, as an own name", () => {
    const alloc = createIdAllocator();
    const tree = lower(h("p", { title: "a", ...JSON.parse('{"__proto__":"x"}') }, "x"), { alloc });
    const { ops } = diff(tree, h("p", { title: "b", ...JSON.parse('{"__proto__":"y"}') }, "x"), { alloc });
    expect(JSON.stringify(ops)).toBe('[{"op":"attrs","id":"w-1","set":{"title":"b","__proto__":"y"},"remove":[]}]');
    // And in the tree's records (a snapshot's JSON), for a tree lowered as a list and one a diff left.
    expect(JSON.stringify(tree)).toContain('"attrs":{"title":"a","__proto__":"x"}');
    expect(JSON.stringify(lower(h("p", { class: ["c"], ...JSON.parse('{"__proto__":"x"}') }), { alloc: createIdAllocator() }))).toContain('"attrs":{"class":"c","__proto__":"x"}');
  });

  it("keeps the page's attributes equal to a fresh render's over a thousand random renders", () => {
    let seed = 7;
    const r = () => ((seed = (seed * 1103515245 + 12345) >>> 0) / 2 ** 32);
    const pick = <T,>(xs: readonly T[]): T => xs[Math.floor(r() * xs.length)]!;
    const values: unknown[] = ["a", "b", "", 0, 1, true, false, undefined, null, ["x", "y"], { x: true, y: false }, { y: true }];
    const names = ["title", "class", "className", "style", "tabindex", "hidden", "for", "htmlFor", "data-x", "aria-label", "href"];
    const propsOf = () => {
      const out: Record<string, unknown> = {};
      for (const name of names) {
        if (r() >= 0.4) continue;
        if (name === "style") out[name] = pick([{ color: "red" }, { fontSize: 2, color: "blue" }, "x:y", undefined]);
        else if (name === "href") out[name] = pick(["/a", "javascript:x", 1]);
        else out[name] = pick(name === "class" || name === "className" ? values : values.slice(0, 9));
      }
      return out;
    };
    const alloc = createIdAllocator();
    let tree = lower(h("div", {}, h("p", { key: 1, ...propsOf() }, "x")), { alloc }) as ElementNode;
    const page = { ...(tree.children[0] as ElementNode).attrs };
    for (let step = 0; step < 1000; step++) {
      // Mostly a few props changed from the last render, sometimes all new.
      const last = (tree.children[0] as unknown as { props: Record<string, unknown> }).props;
      const props = r() < 0.2 ? propsOf() : { ...last, ...Object.fromEntries(Object.entries(propsOf()).slice(0, 2)) };
      const out = diff(tree, h("div", {}, h("p", { key: 1, ...props }, "x")), { alloc });
      for (const op of out.ops) {
        applyAttrs(page, op);
      }
      const fresh = (lower(h("p", props, "x"), { alloc: createIdAllocator() }) as ElementNode).attrs;
      tree = out.tree as ElementNode;
      expect(page, JSON.stringify(props)).toEqual(fresh);
    }
  });

  it("follows style objects value by value: a new equal object sends nothing, a changed one, a reordered one or the same object changed since sends the new text", () => {
    const alloc = createIdAllocator();
    const shared: Record<string, unknown> = { color: "red", width: 2 };
    let tick = 0;
    const counted = { toString: () => `${tick}px` }; // neither a string nor a number: its text may change while it stays the same object
    // Each step's style is made when its render runs.
    const steps: { style: () => unknown; ops: number }[] = [
      { style: () => ({ color: "red", width: 2 }), ops: 0 }, // a new object, same values
      { style: () => ({ color: "red", width: "2" }), ops: 0 }, // another value, the same text
      { style: () => ({ color: "red", width: 3 }), ops: 1 },
      { style: () => ({ width: 3, color: "red" }), ops: 1 }, // the same declarations in another order: another text
      { style: () => ({ width: 3, color: "red", margin: null, top: false, left: "" }), ops: 0 }, // empty values write nothing
      { style: () => shared, ops: 1 },
      { style: () => shared, ops: 0 },
      { style: () => ((shared.width = 5), shared), ops: 1 }, // the object the last render had, changed since
      { style: () => ({ ...shared }), ops: 0 },
      { style: () => ({ color: "red;}", width: 5 }), ops: 0 }, // a value's `;` and `}` are not written
      { style: () => ({ color: "red", width: counted }), ops: 1 },
      { style: () => (tick++, { color: "red", width: counted }), ops: 1 },
      { style: () => ({ color: "red", width: counted }), ops: 0 },
      { style: () => ({ fontSize: "1em", "--gap": 4 }), ops: 1 },
      { style: () => "font-size:1em;--gap:4", ops: 0 }, // a string, the same text
      { style: () => ({ fontSize: "1em", "--gap": 4 }), ops: 0 },
      { style: () => ({}), ops: 1 },
      { style: () => ({ color: "blue" }), ops: 1 },
    ];
    let tree = lower(h("div", {}, h("p", { key: 1, title: "t", style: { color: "red", width: 2 } }, "x")), { alloc }) as ElementNode;
    const page = { ...(tree.children[0] as ElementNode).attrs };
    for (const [i, step] of steps.entries()) {
      const props = { title: i % 3 === 0 ? "t" : "u", style: step.style() };
      const out = diff(tree, h("div", {}, h("p", { key: 1, ...props }, "x")), { alloc });
      for (const op of out.ops) applyAttrs(page, op);
      const styleOps = out.ops.filter((op) => op.op === "attrs" && ("style" in op.set || op.remove.includes("style")));
      const fresh = (lower(h("p", props, "x"), { alloc: createIdAllocator() }) as ElementNode).attrs;
      expect(page, `step ${i}`).toEqual(fresh);
      expect(styleOps.length, `step ${i}`).toBe(step.ops);
      tree = out.tree as ElementNode;
    }
  });

  it("updates text in place: a lone text through its element's id, a text among siblings through its own", () => {
    const lone = run(h("p", {}, "1"), h("p", {}, "2"));
    expect(lone.ops).toEqual([{ op: "text", id: "w-1", text: "2" }]);
    expect(wire(lone.tree)).toEqual({ id: "w-1", tag: "p", attrs: {}, children: [], text: "2" });
    const among = run(h("p", {}, "n = ", "1", h("b", {})), h("p", {}, "n = ", "2", h("b", {})));
    expect(among.ops).toEqual([{ op: "text", id: "w-3", text: "2" }]);
  });

  it("turns a lone text into children and back with one text op on the element", () => {
    const toKids = run(h("p", {}, "hi"), h("p", {}, "hi", h("b", {}, "!")));
    expect(wire(toKids.ops)).toEqual([
      { op: "text", id: "w-1", text: "" },
      { op: "append", parent: "w-1", node: { id: "w-2", text: "hi" } },
      { op: "append", parent: "w-1", node: { id: "w-3", tag: "b", attrs: {}, children: [], text: "!" } },
    ]);
    const back = diff(toKids.tree, h("p", {}, "bye"), { alloc: createIdAllocator(10) });
    expect(back.ops).toEqual([{ op: "text", id: "w-1", text: "bye" }]);
    expect(wire(back.tree)).toEqual({ id: "w-1", tag: "p", attrs: {}, children: [], text: "bye" });
    // Emptied: one op, and none when the element was empty already.
    expect(run(h("p", {}, "x"), h("p", {})).ops).toEqual([{ op: "text", id: "w-1", text: "" }]);
    expect(run(h("p", {}), h("p", {})).ops).toEqual([]);
  });

  it("refuses a hand-built textarea whose content is not one text, on the first render and on later ones", () => {
    const bad = { type: "element", tag: "textarea", props: {}, key: undefined, children: [h("b", {})] } as VNode;
    expect(() => lower(bad, { alloc: createIdAllocator() })).toThrow("<textarea> (id w-1) can only hold one text child; build it with h() so its text is joined.");
    expect(() => run(h("textarea", {}, "a"), bad)).toThrow("<textarea> (id w-1) can only hold one text child");
    expect(() => run(h("textarea", {}), bad)).toThrow("<textarea> (id w-1) can only hold one text child");
  });

  it("replaces a node whose tag changes, or that turns from element to text", () => {
    const { ops, tree } = run(h("div", {}, h("b", {}, "x"), h("i", {})), h("div", {}, h("i", {}, "x"), "t"));
    expect(wire(ops)).toEqual([
      { op: "replace", id: "w-2", node: wire(kids(tree)[0]) },
      { op: "replace", id: "w-3", node: { id: "w-5", text: "t" } },
    ]);
  });

  it("replaces a keyed node whose tag changes under the same id", () => {
    const { ops } = run(h("ul", {}, h("li", { key: "a" })), h("ul", {}, h("p", { key: "a" })));
    expect(wire(ops)).toEqual([{ op: "replace", id: "k-w-1-a", node: { id: "k-w-1-a", tag: "p", key: "a", attrs: {}, children: [] } }]);
  });

  it("appends at the end and inserts before the next sibling", () => {
    const { ops } = run(list(["b"]), list(["a", "b", "c"]));
    expect(ops).toMatchObject([
      { op: "append", parent: "w-1", node: { id: "k-w-1-c" } },
      { op: "insert", parent: "w-1", before: "k-w-1-b", node: { id: "k-w-1-a" } },
    ]);
  });

  it("removes children that are gone", () => {
    expect(run(list(["a", "b", "c"]), list(["a", "c"])).ops).toEqual([{ op: "remove", id: "k-w-1-b" }]);
  });

  it("handles keyed and unkeyed siblings mixed", () => {
    const a = h("div", {}, h("h2", {}, "t"), [h("p", { key: "x" }), h("p", { key: "y" })], "tail");
    const b = h("div", {}, h("h2", {}, "t"), [h("p", { key: "y" }), h("p", { key: "x" })], "tail");
    const { ops } = run(a, b);
    expect(ops).toEqual([{ op: "move", id: "k-w-1-y", parent: "w-1", before: "k-w-1-x" }]);
  });
});

describe("keyed moves", () => {
  const moves = (from: number[], to: number[]) => run(list(from), list(to)).ops.filter((o) => o.op === "move").length;
  const range = (n: number) => Array.from({ length: n }, (_, i) => i);

  it("reversing n children moves n − 1", () => {
    expect(moves(range(10), range(10).reverse())).toBe(9);
  });

  it("swapping two children moves 2", () => {
    expect(moves([0, 1, 2, 3, 4, 5], [0, 4, 2, 3, 1, 5])).toBe(2);
  });

  it("moving one child to the front moves exactly that child", () => {
    const { ops } = run(list([0, 1, 2, 3]), list([3, 0, 1, 2]));
    expect(ops).toEqual([{ op: "move", id: "k-w-1-3", parent: "w-1", before: "k-w-1-0" }]);
  });

  it("a window that slid removes what it dropped and adds what it took, moving nothing, at either end", () => {
    const ids = (keys: number[]) => keys.map((k) => `k-w-1-${k}`);
    // A log keeping its last 6: two new at the bottom, two old gone at the top; one kept row edited.
    const log = (keys: number[], edited = -1) => h("ul", {}, keys.map((k) => h("li", { key: k }, k === edited ? `${k}!` : String(k))));
    const down = run(log(range(6)), log([2, 3, 4, 5, 6, 7], 4));
    expect(kinds(down.ops)).toEqual(["text", "remove", "remove", "append", "insert"]);
    expect(down.ops.filter((o) => o.op === "remove").map((o) => (o as { id: string }).id)).toEqual(ids([0, 1]));
    expect(kids(down.tree).map((n) => n.id)).toEqual(ids([2, 3, 4, 5, 6, 7]));
    // A feed keeping its newest 6 on top: one new at the top, one old gone at the bottom, before a footer.
    const feed = (keys: number[]) => h("div", {}, h("h2", {}, "Feed"), keys.map((k) => h("p", { key: k }, String(k))), h("footer", {}, "end"));
    const up = run(feed([5, 4, 3, 2, 1, 0]), feed([6, 5, 4, 3, 2, 1]));
    expect(wire(up.ops)).toEqual([{ op: "remove", id: "k-w-1-0" }, { op: "insert", parent: "w-1", before: "k-w-1-5", node: wire(kids(up.tree)[1]) }]);
    // A row dropped at one end and added back at the other moved: one move, not a removal and a new row.
    expect(kinds(run(list([0, 1, 2, 3, 4]), list([1, 2, 3, 4, 0])).ops)).toEqual(["move"]);
    expect(kinds(run(list([0, 1, 2, 3, 4]), list([4, 0, 1, 2, 3])).ops)).toEqual(["move"]);
    // A row added twice, or the same as one kept, is still a duplicate key.
    expect(() => run(list([0, 1, 2, 3]), list([1, 2, 3, 9, 9]))).toThrow(/Duplicate key "9"/);
    expect(() => run(list([0, 1, 2, 3]), list([1, 2, 3, 2]))).toThrow(/Duplicate key "2"/);
  });

  it("takes a number and its text as one key, in either render and at any place in the list", () => {
    const nums = [7, 1, 2, 3, 4, 1e9, -1, 1.5, 0];
    const texts = nums.map(String);
    for (const [from, to] of [[nums, texts], [texts, nums]] as const) {
      // The same order, then rotated, then two swapped: kept, moved, never replaced or rebuilt.
      for (const order of [(k: readonly (string | number)[]) => k, (k: readonly (string | number)[]) => [...k.slice(3), ...k.slice(0, 3)], (k: readonly (string | number)[]) => [k[0]!, k[5]!, ...k.slice(2, 5), k[1]!, ...k.slice(6)]]) {
        const { old, tree, ops } = run(list([...from]), list([...order(to)]));
        expect(ops.filter((o) => o.op !== "move")).toEqual([]);
        expect(kids(tree).map((c) => c.id).sort()).toEqual(kids(old).map((c) => c.id).sort());
        expect(kids(tree).map((c) => (c as ElementNode).key)).toEqual(order(texts));
      }
    }
    // A lone child keeps its node too.
    expect(run(h("p", {}, h("b", { key: 5 })), h("p", {}, h("b", { key: "5" }))).ops).toEqual([]);
  });

  it("lis() finds a longest increasing subsequence, skipping new children", () => {
    expect(lis([2, 0, 1, 3])).toEqual([1, 2, 3]);
    expect(lis([3, -1, 1, 2])).toEqual([2, 3]);
    expect(lis([])).toEqual([]);
    expect(lis([5, 4, 3]).length).toBe(1);
  });
});

describe("duplicate keys", () => {
  it("are reported on re-render too, naming the key and the parent, even against an unchanged sibling", () => {
    const alloc = createIdAllocator();
    const old = lower(list(["a", "b"]), { alloc });
    expect(() => diff(old, list(["a", "b", "a"]), { alloc })).toThrow('Duplicate key "a" among the children of <ul> (id w-1)');
    expect(() => diff(old, list(["c", "c"]), { alloc })).toThrow('Duplicate key "c"');
  });

  it("are reported when an element's one text becomes children (fuzz: two elements got one id)", () => {
    const alloc = createIdAllocator();
    const old = lower(h("div", {}, "0"), { alloc });
    expect(() => diff(old, h("div", {}, [h("b", { key: 3 }, "x"), h("em", { key: "3" }, "y")]), { alloc })).toThrow('Duplicate key "3" among the children of <div>');
    expect(diff(old, h("div", {}, [h("b", { key: 3 }, "x"), h("em", { key: 4 }, "y")]), { alloc }).ops).toHaveLength(3);
  });

  it("are a number and its text among the same siblings", () => {
    const alloc = createIdAllocator();
    expect(() => lower(list([1, "1"]), { alloc })).toThrow('Duplicate key "1"');
    const old = lower(list([1, 2, 3]), { alloc });
    expect(() => diff(old, list([1, 2, 3, "2"]), { alloc })).toThrow('Duplicate key "2"');
    expect(() => diff(old, list([3, "3", 1]), { alloc })).toThrow('Duplicate key "3"');
    expect(() => diff(old, list(["2", 1, 2]), { alloc })).toThrow('Duplicate key "2"');
    expect(() => diff(lower(list([]), { alloc }), list([10, "10"]), { alloc })).toThrow('Duplicate key "10"');
  });

  it("are reported when a list is created or appended to, against new and old siblings alike", () => {
    const alloc = createIdAllocator();
    expect(() => diff(lower(list([]), { alloc }), list(["x", "y", "x"]), { alloc })).toThrow('Duplicate key "x" among the children of <ul>');
    const old = lower(list(["a", "b"]), { alloc });
    expect(() => diff(old, list(["a", "b", "c", "a"]), { alloc })).toThrow('Duplicate key "a"');
    expect(() => diff(old, list(["a", "b", "c", "d", "c"]), { alloc })).toThrow('Duplicate key "c"');
  });
});
