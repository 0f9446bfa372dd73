// @vitest-environment jsdom
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { createIdAllocator, diff, h, lower, renderToString, text, type VNode } from "../../src/vdom/index.js";
import { canonical, idsResolve, mount, withoutIds } from "./dom-helpers.js";

/*
 * A tree model the generators and mutations work on. A `Slot` is one h()
 * argument: a node, a hole (null: `cond && x` with cond false) or an array
 * (a `.map()` result), whose items may be keyed.
 */
type Model = { kind: "text"; text: string } | { kind: "el"; tag: string; key?: string; attrs: Record<string, string>; kids: Slot[] };
type Slot = Model | null | Model[];

const TAGS = ["div", "span", "section", "b", "input", "textarea"];
const TEXTS = ["x", "y", "<&>", "", "hello world", " ", "--> <!--"];
const KEYS = ["a", "b", "c", "d", "e", "f", "g", "a-b", "_", "", "é", "1"];
const ATTR_NAMES = ["id", "class", "title", "data-x", "href", "value", "checked"];
const ATTR_VALUES = ["", "1", "a\"b<c>&", "javascript:alert(1)", "/ok", "two words"];

/** Makes a model renderable: void tags lose their children, textarea keeps text only, sibling keys are unique. */
function fix(m: Model): Model {
  if (m.kind === "text") return m;
  const seen = new Set<string>();
  const dedupe = (x: Model): Model => {
    const y = fix(x);
    if (y.kind === "el" && y.key !== undefined) {
      if (seen.has(y.key)) return { ...y, key: undefined };
      seen.add(y.key);
    }
    return y;
  };
  let kids: Slot[] = m.kids.map((s) => (s === null ? null : Array.isArray(s) ? s.map(dedupe) : dedupe(s)));
  if (m.tag === "input") kids = [];
  if (m.tag === "textarea") kids = kids.filter((s): s is Model => s !== null && !Array.isArray(s) && s.kind === "text");
  return { ...m, kids };
}

function toVNode(m: Model): VNode {
  if (m.kind === "text") return text(m.text); // an empty VText too: SSR writes a bare marker
  const kids = m.kids.map((s) => (s === null ? null : Array.isArray(s) ? s.map(toVNode) : toVNode(s)));
  return h(m.tag, { ...m.attrs, key: m.key }, ...kids);
}

const attrsArb = fc.dictionary(fc.constantFrom(...ATTR_NAMES), fc.constantFrom(...ATTR_VALUES), { maxKeys: 3 });
const { tree, item } = fc.letrec<{ tree: Model; slot: Slot; item: Model }>((tie) => ({
  tree: fc.oneof(
    { maxDepth: 4, depthSize: "medium", depthIdentifier: "tree" },
    fc.record({ kind: fc.constant("text" as const), text: fc.constantFrom(...TEXTS) }),
    fc.record({ kind: fc.constant("el" as const), tag: fc.constantFrom(...TAGS), attrs: attrsArb, kids: fc.array(tie("slot"), { maxLength: 4, size: "medium" }) }),
  ),
  slot: fc.oneof({ depthIdentifier: "tree" }, fc.constant(null), tie("tree"), fc.array(tie("item"), { minLength: 1, maxLength: 8, size: "medium" })),
  item: fc.oneof(
    { depthIdentifier: "tree" },
    { arbitrary: tie("tree"), weight: 1 },
    {
      arbitrary: fc.record({ kind: fc.constant("el" as const), tag: fc.constantFrom(...TAGS), key: fc.constantFrom(...KEYS), attrs: attrsArb, kids: fc.array(tie("slot"), { maxLength: 2 }) }),
      weight: 3,
    },
  ),
}));
const rootArb = fc.record({ kind: fc.constant("el" as const), tag: fc.constant("div"), attrs: attrsArb, kids: fc.array(fc.oneof(tree.map((t) => t as Slot), fc.array(item, { minLength: 2, maxLength: 10 })), { minLength: 1, maxLength: 4 }) });

/** Randomness for the mutations, drawn by fast-check so a failure replays (and reports) the same stream. */
const randomArb = fc.infiniteStream(fc.double({ min: 0, max: 1, maxExcluded: true, noNaN: true })).map((stream) => () => stream.next().value as number);

/** Random edits of a model: reorders, insertions, removals, holes flipping, tag/text/attribute/key changes. */
function mutate(m: Model, r: () => number, depth = 0): Model {
  const pick = <T>(xs: readonly T[]): T => xs[Math.floor(r() * xs.length)]!;
  const fresh = (): Model =>
    r() < 0.4 ? { kind: "text", text: pick(TEXTS) } : { kind: "el", tag: pick(TAGS), key: r() < 0.5 ? pick(KEYS) : undefined, attrs: {}, kids: r() < 0.5 ? [{ kind: "text", text: pick(TEXTS) }] : [] };
  if (m.kind === "text") return r() < 0.3 ? { kind: "text", text: pick(TEXTS) } : r() < 0.05 ? fresh() : m;
  let { tag, key } = m;
  const attrs = { ...m.attrs };
  if (r() < 0.04) tag = pick(TAGS);
  if (r() < 0.05) key = r() < 0.5 ? undefined : pick(KEYS);
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
    if (r() < 0.1) items.reverse();
    if (r() < 0.2 && items.length >= 2) {
      // Swap two items (the ends most often): the diff's crossed-ends path.
      const i = r() < 0.5 ? 0 : Math.floor(r() * items.length), j = r() < 0.5 ? items.length - 1 : Math.floor(r() * items.length);
      [items[i], items[j]] = [items[j]!, items[i]!];
    }
    return items;
  });
  if (r() < 0.1) kids.push(r() < 0.5 ? fresh() : [fresh(), fresh()]);
  return { kind: "el", tag, key, attrs, kids };
}

/** SSR of `from`, hydrated, patched to `to`: must equal SSR of `to`. Returns the next state for chaining. */
function roundTrip(alloc: ReturnType<typeof createIdAllocator>, mounted: ReturnType<typeof mount>, from: ReturnType<typeof lower>, to: Model) {
  const next = toVNode(to);
  const { tree, ops } = diff(from, next, { alloc });
  mounted.applier.apply(JSON.parse(JSON.stringify(ops)));
  expect(canonical(mounted.root)).toBe(canonical(mount(renderToString(tree)).root));
  expect(idsResolve(mounted.applier, tree)).toBeUndefined();
  expect(withoutIds(tree)).toEqual(withoutIds(lower(next, { alloc: createIdAllocator() })));
  expect(diff(tree, toVNode(to), { alloc }).ops).toEqual([]); // an unchanged tree costs nothing
  return tree;
}

describe("diff + applier round trip (property)", () => {
  it("SSR(a) hydrated + apply(diff(a, b)) gives the DOM of SSR(b), ids included, for 2,000 random pairs (and on to a third tree)", () => {
    fc.assert(
      fc.property(rootArb, randomArb, fc.boolean(), (a0, r, independent) => {
        const a = fix(a0);
        // Mostly b is an edit of a (so nodes match and move); sometimes an unrelated tree.
        const b = fix(independent && r() < 0.3 ? mutate(mutate(mutate(a, r), r), r) : mutate(a, r));
        const c = fix(mutate(b, r));
        const alloc = createIdAllocator();
        const A = lower(toVNode(a), { alloc });
        const mounted = mount(renderToString(A));
        const B = roundTrip(alloc, mounted, A, b);
        roundTrip(alloc, mounted, B, c);
      }),
      { numRuns: 2000 },
    );
  }, 60_000);
});

describe("diff over renders that reuse node objects (property)", () => {
  it("gives the DOM of SSR of each render over five renders, when an app returns subtrees built by earlier renders, also twice in one", () => {
    fc.assert(
      fc.property(rootArb, randomArb, (a0, r) => {
        // The app's cache: a subtree equal to one an earlier render built is often that very object (a field, a memo,
        // markdown()), wherever it stands now and however many times.
        const built = new Map<string, VNode>();
        const reusing = (m: Model): VNode => {
          if (m.kind === "text") return text(m.text);
          const name = JSON.stringify(m);
          const had = built.get(name);
          if (had !== undefined && r() < 0.7) return had;
          const kids = m.kids.map((x) => (x === null ? null : Array.isArray(x) ? x.map(reusing) : reusing(x)));
          const v = h(m.tag, { ...m.attrs, key: m.key }, ...kids);
          built.set(name, v);
          return v;
        };
        let model = fix(a0);
        const alloc = createIdAllocator();
        let tree = lower(reusing(model), { alloc });
        const mounted = mount(renderToString(tree));
        for (let k = 0; k < 4; k++) {
          model = fix(r() < 0.3 ? model : mutate(model, r));
          const { tree: next, ops } = diff(tree, reusing(model), { alloc });
          mounted.applier.apply(JSON.parse(JSON.stringify(ops)));
          expect(canonical(mounted.root)).toBe(canonical(mount(renderToString(next)).root));
          expect(idsResolve(mounted.applier, next)).toBeUndefined();
          expect(withoutIds(next)).toEqual(withoutIds(lower(toVNode(model), { alloc: createIdAllocator() })));
          tree = next;
        }
        // Every subtree the app still holds shows what it was built from: no diff wrote another render's content into it.
        for (const [name, v] of built) expect(withoutIds(lower(v, { alloc: createIdAllocator() }))).toEqual(withoutIds(lower(toVNode(JSON.parse(name) as Model), { alloc: createIdAllocator() })));
      }),
      { numRuns: 500 },
    );
  }, 60_000);
});

/** Length of a longest increasing subsequence, the slow obvious way (independent of src/vdom/lis.ts). */
function lisLength(xs: number[]): number {
  const best = xs.map(() => 1);
  for (let i = 0; i < xs.length; i++) for (let j = 0; j < i; j++) if (xs[j]! < xs[i]!) best[i] = Math.max(best[i]!, best[j]! + 1);
  return Math.max(0, ...best);
}

describe("keyed moves (property)", () => {
  it("moves exactly n − LIS when rows are swapped or reversed, with inserts and removals around them", () => {
    const editArb = fc.record({
      n: fc.integer({ min: 2, max: 30 }),
      reversal: fc.option(fc.tuple(fc.nat(), fc.nat())),
      swaps: fc.array(fc.tuple(fc.nat(), fc.nat()), { maxLength: 3 }),
      removals: fc.array(fc.nat(), { maxLength: 2 }),
      inserts: fc.array(fc.nat(), { maxLength: 2 }),
      ends: fc.boolean(),
    });
    fc.assert(
      fc.property(editArb, ({ n, reversal, swaps, removals, inserts, ends }) => {
        const before = Array.from({ length: n }, (_, i) => i);
        let after = before.slice();
        if (reversal !== null) {
          // Reverse a stretch (the whole list when both ends are drawn as 0 and n − 1).
          const [a, b] = [reversal[0] % n, reversal[1] % n].sort((x, y) => x - y) as [number, number];
          after = [...after.slice(0, a), ...after.slice(a, b + 1).reverse(), ...after.slice(b + 1)];
        }
        if (ends) [after[0], after[n - 1]] = [after[n - 1]!, after[0]!];
        for (const [a, b] of swaps) [after[a % n], after[b % n]] = [after[b % n]!, after[a % n]!];
        for (const x of removals) if (after.length > 0) after.splice(x % after.length, 1);
        inserts.forEach((x, k) => after.splice(x % (after.length + 1), 0, 100 + k));
        const list = (keys: number[]) => h("ul", {}, keys.map((k) => h("li", { key: k }, String(k))));
        const alloc = createIdAllocator();
        const old = lower(list(before), { alloc });
        const { ops, tree } = diff(old, list(after), { alloc });
        const kept = after.filter((k) => before.includes(k)).map((k) => before.indexOf(k));
        expect(ops.filter((o) => o.op === "move")).toHaveLength(kept.length - lisLength(kept));
        const mounted = mount(renderToString(old));
        mounted.applier.apply(JSON.parse(JSON.stringify(ops)));
        expect(canonical(mounted.root)).toBe(canonical(mount(renderToString(tree)).root));
      }),
      { numRuns: 1000 },
    );
  });

  it("moves exactly n − LIS keyed children, where n counts the children kept", () => {
    const listArb = fc.uniqueArray(fc.integer({ min: 0, max: 40 }), { maxLength: 30 });
    fc.assert(
      fc.property(listArb, listArb, (before, after) => {
        const list = (keys: number[]) => h("ul", {}, keys.map((k) => h("li", { key: k }, String(k))));
        const alloc = createIdAllocator();
        const { ops } = diff(lower(list(before), { alloc }), list(after), { alloc });
        const kept = after.filter((k) => before.includes(k)).map((k) => before.indexOf(k));
        expect(ops.filter((o) => o.op === "move")).toHaveLength(kept.length - lisLength(kept));
        expect(ops.filter((o) => o.op === "insert" || o.op === "append")).toHaveLength(after.length - kept.length);
        // When no old child stays, one text op empties the list instead of a remove per child.
        const cleared = kept.length === 0 && before.length > 0;
        expect(ops.filter((o) => o.op === "remove")).toHaveLength(cleared ? 0 : before.length - kept.length);
        expect(ops.filter((o) => o.op === "text")).toEqual(cleared ? [{ op: "text", id: "w-1", text: "" }] : []);
      }),
      { numRuns: 1000 },
    );
  });
});
