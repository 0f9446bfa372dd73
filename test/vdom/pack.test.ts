import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { EMPTY_CHILDREN, slotsOf } from "../../src/vdom/lower.js";
import { pack, unpack, type PackedTree } from "../../src/vdom/pack.js";
import { EMPTY_ATTRS } from "../../src/vdom/props.js";
import { ElementVNode, TextVNode } from "../../src/vdom/vnode.js";
import { createIdAllocator, diff, h, isTextNode, lower, renderToString, text, type ElementNode, type Node, type VNode } from "../../src/vdom/index.js";

const bind = (_tag: string, prop: string) => `r:${prop.slice(2).toLowerCase()}`;
const lowered = (v: VNode) => lower(v, { alloc: createIdAllocator(), bind });

/** Every node of a tree with its path, pre-order. */
function walk(node: Node, path = "0", out: [string, Node][] = []): [string, Node][] {
  out.push([path, node]);
  if (!isTextNode(node)) node.children.forEach((c, i) => walk(c, `${path}.${i}`, out));
  return out;
}

/** Asserts that `unpack(pack(t))` reads as `t` wherever the diff, renderToString and JSON look, and returns it. */
function roundTrip(t: Node): Node {
  const u = unpack(pack(t));
  expect(u).not.toBe(t);
  expect(JSON.stringify(u)).toBe(JSON.stringify(t));
  expect(renderToString(u)).toBe(renderToString(t));
  const before = walk(t), after = walk(u);
  expect(after.map(([p]) => p)).toEqual(before.map(([p]) => p));
  after.forEach(([path, n], i) => {
    const o = before[i]![1];
    expect(n.id, path).toBe(o.id);
    if (isTextNode(o)) {
      expect(n, path).toBeInstanceOf(TextVNode);
      expect(n.text, path).toBe(o.text);
      return;
    }
    const e = n as ElementNode;
    expect(e, path).toBeInstanceOf(ElementVNode);
    expect(e.key, path).toBe(o.key);
    expect(e.text, path).toBe(o.text); // "" stays "", undefined stays undefined
    expect(e.children.length, path).toBe(o.children.length);
    expect(slotsOf(e), path).toEqual(slotsOf(o));
    expect(Object.entries(e.attrs), path).toEqual(Object.entries(o.attrs)); // same order too
    if (Object.keys(o.attrs).length === 0) expect(e.attrs, path).toBe(EMPTY_ATTRS);
    if (o.children.length === 0) expect(e.children, path).toBe(EMPTY_CHILDREN);
  });
  return u;
}

describe("pack / unpack round trip", () => {
  it("keeps texts alone in their element, empty texts, empty elements and void elements", () => {
    const u = roundTrip(lowered(h("div", {}, h("b", {}, "bold"), h("i", {}, text("")), h("span"), h("input", { value: "" }), h("br"), h("textarea", {}, "a\nb"))));
    const [b, i, span] = (u as ElementNode).children as ElementNode[];
    expect([b!.text, i!.text, span!.text]).toEqual(["bold", "", undefined]);
    expect(JSON.stringify(i)).toContain('"text":""');
  });

  it("hands each mark back with the node that replaces the marked one, nested and text nodes included", () => {
    const t = lowered(h("main", {}, h("ul", {}, [1, 2, 3].map((i) => h("li", { key: i }, h("b", {}, `row ${i}`), " tail"))), "end"));
    const nodes = walk(t);
    const marks = new WeakMap<object, unknown>();
    const chosen = nodes.filter((_, i) => i % 2 === 1); // every other node, in pre-order
    chosen.forEach(([path, n]) => marks.set(n, `mark ${path}`));
    const found: [Node, unknown][] = [];
    const u = unpack(pack(t, marks), (node, mark) => found.push([node, mark]));
    const byPath = new Map(walk(u));
    expect(found.map(([, mark]) => mark)).toEqual(chosen.map(([path]) => `mark ${path}`));
    chosen.forEach(([path], i) => expect(found[i]![0]).toBe(byPath.get(path)));
    // Without a callback the marks are ignored; a tree packed without marks hands none back.
    expect(JSON.stringify(unpack(pack(t, marks)))).toBe(JSON.stringify(t));
    const none: unknown[] = [];
    unpack(pack(t), (n, m) => none.push(m));
    expect(none).toEqual([]);
  });

  it("keeps texts among other children as nodes with their ids", () => {
    const t = lowered(h("p", {}, "a ", h("b", {}, "b"), "", " c", 1));
    const u = roundTrip(t) as ElementNode;
    expect(u.children.map((c) => (isTextNode(c) ? c.text : c.tag))).toEqual(["a ", "b", " c", "1"]);
  });

  it("rebuilds keyed ids for unusual keys, at the root and in nested lists", () => {
    const keys = ["a b", "", "-", "_", "é", "日本", "😀", "k-w-1-x", "0", "a-b"];
    const t = lowered(h("ul", { key: "root" }, keys.map((k) => h("li", { key: k }, h("ol", {}, [h("li", { key: k }, k)])))));
    expect(t.id).toBe("k-r-root");
    const u = roundTrip(t);
    expect(walk(u).filter(([, n]) => (n as ElementNode).key !== undefined).map(([, n]) => n.id)).toContain("k-w-1-a_20_b");
    // Neither keyed nor w- ids are in the string table: they are rebuilt.
    const strings = (pack(t) as unknown as { strings: string[] }).strings;
    for (const [, n] of walk(t)) if (n.id.startsWith("k-") || n.id.startsWith("w-")) expect(strings).not.toContain(n.id);
  });

  it("gives keys back as h() was given them: a number as a number, a text as a text", () => {
    const u = roundTrip(lowered(h("ul", {}, h("li", { key: 1 }, "a"), h("li", { key: "2" }, "b"), h("li", { key: 2.5 }, "c"))));
    expect((u as ElementNode).children.map((n) => (n as unknown as ElementVNode).rawKey)).toEqual([1, "2", 2.5]);
    expect((u as ElementNode).children.map((n) => (n as ElementNode).key)).toEqual(["1", "2", "2.5"]);
    const keys = [0, 7, 2 ** 50, 2 ** 50 + 4, 2 ** 60, -1, 1e21, 0.5, "007", "7x"];
    const v = roundTrip(lowered(h("ol", {}, keys.map((k) => h("li", { key: k }, String(k))))));
    expect((v as ElementNode).children.map((n) => (n as unknown as ElementVNode).rawKey)).toEqual(keys);
    expect((v as ElementNode).children.map((n) => n.id)).toEqual(((lowered(h("ol", {}, keys.map((k) => h("li", { key: k }, String(k))))) as ElementNode).children.map((n) => n.id)));
  });

  it("keeps the id of a node with a number key that is not the id lowering would give it", () => {
    const ul = new ElementVNode("ul", {}, undefined, [], undefined);
    ul.id = "w-1";
    const ids = ["k-w-1-07", "k-w-1-8", "k-w-2-7", "k-w-1-7-", "k-w-1-", "w-7", "k-w-1-7"];
    ul.children = ids.map((id) => {
      const li = new ElementVNode("li", {}, 7, [], undefined, "x");
      li.id = id;
      return li;
    });
    const u = roundTrip(ul as unknown as Node);
    expect((u as ElementNode).children.map((n) => n.id)).toEqual(ids);
    expect((u as ElementNode).children.map((n) => (n as unknown as ElementVNode).rawKey)).toEqual(ids.map(() => 7));
  });

  it("keeps ids that were not made the way lowering makes them", () => {
    const odd: Node = {
      id: "w-01", tag: "div", attrs: {}, children: [
        { id: "custom", tag: "b", key: "x", attrs: {}, children: [], text: "keyed, own id" },
        { id: "k-w-01-y", tag: "b", key: "y", attrs: {}, children: [] }, // what keyedId gives: rebuilt
        { id: "w-0", text: "zero" },
        { id: "w-1234567890123456789", text: "too long for a number" },
        { id: "w-_", text: "not a number either" },
        { id: "w-12a", text: "not a number" },
      ],
    };
    const u = roundTrip(odd);
    expect(walk(u).map(([, n]) => n.id)).toEqual(["w-01", "custom", "k-w-01-y", "w-0", "w-1234567890123456789", "w-_", "w-12a"]);
  });

  it("keeps the slots of holes and array arguments, also on an element whose content became its text", () => {
    const cond = false as boolean;
    const t = lowered(
      h("div", {},
        h("div", {}, cond && h("b"), "x"),
        null,
        h("section", {}, h("i"), [h("a", { key: "a b" }), null, h("a", { key: "c" })], cond && "y", h("em", {}, "z"))),
    );
    const slots = walk(t).map(([, n]) => (isTextNode(n) ? undefined : slotsOf(n)));
    expect(slots.filter((s) => s !== undefined).length).toBeGreaterThanOrEqual(3); // the tree does exercise slots
    expect(slots.some((s) => s !== undefined && s.some((x) => x >= 2 ** 21))).toBe(true);
    expect(((t as ElementNode).children[0] as ElementNode).text).toBe("x");
    const u = roundTrip(t);
    expect(slotsOf((u as ElementNode).children[0] as ElementNode)).toEqual([1]);
  });

  it("keeps attributes: bindings, empty strings, unicode, markup characters, and their order", () => {
    const t = lowered(
      h("form", { id: "f", onSubmit: () => {} },
        h("button", { title: "", "data-x": "日本語 😀", value: 'a"b<c>&', onClick: () => {}, class: "z a" }, "↑"),
        h("input", { type: "checkbox", checked: true, onChange: () => {} }),
        h("div", { ["__proto__"]: "p", style: "color:red" })),
    );
    const u = roundTrip(t) as ElementNode;
    expect(u.attrs).toEqual({ id: "f", "data-rv-on-submit": "r:submit" });
    expect((u.children[0] as ElementNode).attrs["data-x"]).toBe("日本語 😀");
    expect(Object.getPrototypeOf((u.children[2] as ElementNode).attrs)).toBe(Object.prototype);
  });

  it("packs a lone text and deep trees", () => {
    roundTrip(lowered(text("alone")));
    let deep: VNode = h("b", {}, "leaf");
    for (let i = 0; i < 500; i++) deep = h("div", { key: i % 3 === 0 ? String(i) : undefined }, deep, i % 2 ? "t" : null);
    roundTrip(lowered(deep));
  });

  it("reports a positive size that grows with the tree, and unpacks the same tree any number of times", () => {
    const list = (n: number) => lowered(h("ul", {}, Array.from({ length: n }, (_, i) => h("li", { key: i, class: "row" }, `Item ${i}`))));
    const sizes = [1, 10, 100, 1000].map((n) => pack(list(n)).bytes);
    expect(sizes[0]).toBeGreaterThan(0);
    for (let i = 1; i < sizes.length; i++) expect(sizes[i]).toBeGreaterThan(sizes[i - 1]!);
    // Well below the node objects (88 bytes each before attributes and strings): a dozen bytes or so a row here.
    expect(sizes[3]! / 1000).toBeLessThan(40);
    const p = pack(list(3));
    expect(JSON.stringify(unpack(p))).toBe(JSON.stringify(unpack(p)));
    expect(unpack(p)).not.toBe(unpack(p));
  });

  it("refuses what pack() did not make", () => {
    expect(() => unpack({ bytes: 1 } as PackedTree)).toThrow(TypeError);
  });
});

/*
 * The property: a diff against an unpacked tree emits the very ops a diff
 * against the tree itself does. The diff lowers its `next` in place, so each
 * side renders its own vnodes from the same model, and its own copy of the
 * old tree from the same allocator start.
 */
type Model = { kind: "text"; text: string } | { kind: "el"; tag: string; key?: string; attrs: Record<string, string>; kids: Slot[] };
type Slot = Model | null | Model[];

const TAGS = ["div", "span", "b", "input", "textarea"];
const TEXTS = ["x", "y", "", "<&>", "é 😀"];
const KEYS = ["a", "b", "c", "d", "a b", "", "-", "é", "1"];
const ATTR_NAMES = ["id", "class", "title", "data-x", "onClick"];
const ATTR_VALUES = ["", "1", "日本", "two words", 'a"b'];

/** Renderable: void tags lose their children, textarea keeps texts only, sibling keys are unique. */
function fix(m: Model): Model {
  if (m.kind === "text") return m;
  const seen = new Set<string>();
  const dedupe = (x: Model): Model => {
    const y = fix(x);
    if (y.kind !== "el" || y.key === undefined) return y;
    if (seen.has(y.key)) return { ...y, key: undefined };
    seen.add(y.key);
    return y;
  };
  let kids: Slot[] = m.kids.map((s) => (s === null ? null : Array.isArray(s) ? s.map(dedupe) : dedupe(s)));
  if (m.tag === "input") kids = [];
  if (m.tag === "textarea") kids = kids.filter((s): s is Model => s !== null && !Array.isArray(s) && s.kind === "text");
  return { ...m, kids };
}

const handler = () => {};
function toVNode(m: Model): VNode {
  if (m.kind === "text") return text(m.text);
  const props: Record<string, unknown> = { key: m.key };
  for (const [k, v] of Object.entries(m.attrs)) props[k] = k === "onClick" ? handler : v;
  return h(m.tag, props, ...m.kids.map((s) => (s === null ? null : Array.isArray(s) ? s.map(toVNode) : toVNode(s))));
}

const attrsArb = fc.dictionary(fc.constantFrom(...ATTR_NAMES), fc.constantFrom(...ATTR_VALUES), { maxKeys: 3 });
const keyedArb = (kids: fc.Arbitrary<Slot[]>) => fc.record({ kind: fc.constant("el" as const), tag: fc.constantFrom(...TAGS), key: fc.constantFrom(...KEYS), attrs: attrsArb, kids });
const { tree } = fc.letrec<{ tree: Model; slot: Slot }>((tie) => ({
  tree: fc.oneof(
    { maxDepth: 4, depthSize: "medium", depthIdentifier: "tree" },
    fc.record({ kind: fc.constant("text" as const), text: fc.constantFrom(...TEXTS) }),
    fc.record({ kind: fc.constant("el" as const), tag: fc.constantFrom(...TAGS), attrs: attrsArb, kids: fc.array(tie("slot"), { maxLength: 4 }) }),
    keyedArb(fc.array(tie("slot"), { maxLength: 2 })),
  ),
  slot: fc.oneof({ depthIdentifier: "tree" }, fc.constant(null), tie("tree"), fc.array(keyedArb(fc.array(tie("slot"), { maxLength: 2 })), { minLength: 1, maxLength: 6 })),
}));
const rootArb = fc.record({ kind: fc.constant("el" as const), tag: fc.constant("div"), attrs: attrsArb, kids: fc.array(fc.oneof(tree as fc.Arbitrary<Slot>, fc.constant(null)), { minLength: 1, maxLength: 4 }) });
const randomArb = fc.infiniteStream(fc.double({ min: 0, max: 1, maxExcluded: true, noNaN: true })).map((s) => () => s.next().value as number);

/** Random edits: texts, attributes, keys and tags change, holes flip, lists reorder, grow and shrink. */
function mutate(m: Model, r: () => number, depth = 0): Model {
  const pick = <T>(xs: readonly T[]): T => xs[Math.floor(r() * xs.length)]!;
  const fresh = (): Model => (r() < 0.4 ? { kind: "text", text: pick(TEXTS) } : { kind: "el", tag: pick(TAGS), key: r() < 0.5 ? pick(KEYS) : undefined, attrs: {}, kids: r() < 0.5 ? [{ kind: "text", text: pick(TEXTS) }] : [] });
  if (m.kind === "text") return r() < 0.3 ? { kind: "text", text: pick(TEXTS) } : m;
  const attrs = { ...m.attrs };
  if (r() < 0.3) attrs[pick(ATTR_NAMES)] = pick(ATTR_VALUES);
  if (r() < 0.2) delete attrs[pick(Object.keys(attrs).concat("id"))];
  const edit = (x: Model): Model => (depth < 4 && r() < 0.5 ? mutate(x, r, depth + 1) : x);
  const kids = m.kids.map((s): Slot => {
    if (s === null) return r() < 0.3 ? fresh() : null;
    if (!Array.isArray(s)) return r() < 0.15 ? null : r() < 0.1 ? fresh() : edit(s);
    let items = s.map(edit);
    if (r() < 0.4) items = items.map((x) => [r(), x] as const).sort((p, q) => p[0] - q[0]).map((p) => p[1]);
    if (r() < 0.3 && items.length) items.splice(Math.floor(r() * items.length), 1);
    if (r() < 0.3) items.splice(Math.floor(r() * (items.length + 1)), 0, fresh());
    return items;
  });
  if (r() < 0.1) kids.push(fresh());
  return { ...m, tag: r() < 0.04 ? pick(TAGS) : m.tag, key: r() < 0.05 ? pick(KEYS) : m.key, attrs, kids };
}

describe("diffing an unpacked tree (property)", () => {
  it("gives the same ops and the same new tree as diffing the tree itself, over three renders", () => {
    fc.assert(
      fc.property(rootArb, randomArb, (a0, r) => {
        const a = fix(a0), b = fix(mutate(a, r)), c = fix(mutate(b, r));
        const direct = createIdAllocator(), viaPack = createIdAllocator();
        let t1 = lower(toVNode(a), { alloc: direct, bind });
        let t2 = lower(toVNode(a), { alloc: viaPack, bind });
        for (const next of [b, c]) {
          const u = roundTrip(t2);
          const d1 = diff(t1, toVNode(next), { alloc: direct, bind });
          const d2 = diff(u, toVNode(next), { alloc: viaPack, bind });
          expect(JSON.stringify(d2.ops)).toBe(JSON.stringify(d1.ops));
          expect(JSON.stringify(d2.tree)).toBe(JSON.stringify(d1.tree));
          [t1, t2] = [d1.tree, d2.tree];
        }
      }),
      { numRuns: 1000 },
    );
  }, 60_000);

  it("gives no ops when the render did not change", () => {
    const view = () => h("ul", {}, ["x", "a b", ""].map((k) => h("li", { key: k, onClick: handler }, h("span", {}, k), " ", null, k)));
    const alloc = createIdAllocator();
    const u = unpack(pack(lower(view(), { alloc, bind })));
    expect(diff(u, view(), { alloc, bind }).ops).toEqual([]);
  });

  it("gives no ops for a subtree the app kept between renders (no longer the old tree's own object once unpacked)", () => {
    const kept = h("section", {}, h("b", { key: "k" }, "kept"), " ", h("i"));
    const view = (n: number) => h("div", {}, h("span", {}, String(n)), kept);
    const alloc = createIdAllocator();
    const t = lower(view(1), { alloc, bind });
    const { ops, tree } = diff(unpack(pack(t)), view(2), { alloc, bind });
    expect(ops).toEqual([{ op: "text", id: "w-2", text: "2" }]);
    expect(JSON.stringify((tree as ElementNode).children[1])).toBe(JSON.stringify((t as ElementNode).children[1]));
  });
});
