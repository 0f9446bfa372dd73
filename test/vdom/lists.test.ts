import fc from "fast-check";
import { afterEach, describe, expect, it } from "vitest";
import { createIdAllocator, diff, h, lower, renderToString, text, type VNode } from "../../src/vdom/index.js";
import { renderVNodeToBytes, writeListsByShape } from "../../src/vdom/html.js";

/*
 * The items of a long list are written by a writer compiled for their shape
 * (src/vdom/html.ts); the walk writes anything else. Both must give the same
 * bytes, ids included, for any list: items of one shape, of several, with
 * texts, attributes that are dropped or escaped, keys, void and refused
 * elements, nested lists.
 */

afterEach(() => writeListsByShape(true));

const tags = fc.constantFrom("div", "span", "td", "tr", "a", "p", "b", "li", "img", "br", "input", "svg", "textarea", "SPAN", "plaintext");
const texts = fc.constantFrom("", "plain", "a < b & c", '"quoted"', "é ✓ 🙂", "</td>", "\n lead");
const attrs = fc.record(
  {
    class: fc.constantFrom("x", "a b", "", '"><script>'),
    title: texts,
    href: fc.constantFrom("/ok", "javascript:alert(1)", " JAVASCRIPT:x", "https://e.example/?a=1&b=2"),
    name: fc.constantFrom("q", "getElementById", "parentNode", "title"),
    id: fc.constantFrom("i1", "body", "x y"),
    "data-n": fc.integer({ min: -5, max: 5 }),
    hidden: fc.boolean(),
  },
  { requiredKeys: [] },
);

/** `h(...)`, or a plain span where h() itself refuses (a void element with content). */
function made(tag: string, props: Record<string, unknown>, ...kids: Array<VNode | string>): VNode {
  try {
    return h(tag, props, ...kids);
  } catch {
    return h("span", {}, "refused by h()");
  }
}

/** A random item: an element with a text, or children (texts and elements), rarely a keyed inner node. */
const item: fc.Arbitrary<VNode> = fc.letrec<{ node: VNode }>((tie) => ({
  node: fc.oneof(
    { depthSize: "small", withCrossShrink: true },
    fc.tuple(tags, attrs, texts).map(([t, a, s]) => made(t, a, s)),
    fc.tuple(tags, attrs, fc.array(fc.oneof(texts.map((s) => text(s)), tie("node")), { maxLength: 4 }), fc.boolean()).map(([t, a, kids, keyed]) =>
      made(t, keyed ? { ...a, key: "inner" } : a, ...kids)),
  ),
})).node;

/** A list: copies of a few item shapes (so that a compiled writer is used) with fresh texts, keyed or not. */
const list = fc.tuple(fc.array(item, { minLength: 1, maxLength: 3 }), fc.integer({ min: 8, max: 24 }), fc.boolean()).map(([kinds, n, keyed]) =>
  h("ul", {}, Array.from({ length: n }, (_, i) => {
    const v = kinds[i % kinds.length]!;
    const one = v.type === "element" ? made(v.tag, { ...(v.props ?? {}), ...(keyed ? { key: `k${i}` } : {}) }, ...(v.children ?? []), ...(v.text !== undefined ? [v.text] : [])) : v;
    return one;
  })));

/** What `f` gives, or the error it throws. */
const outcome = (f: () => string): string => {
  try {
    return f();
  } catch (err) {
    return `throws ${(err as Error).message}`;
  }
};

/** `f`'s outcome with the compiled writers, then with the walk alone. */
const both = (f: () => string): [string, string] => {
  writeListsByShape(false);
  const walked = outcome(f);
  writeListsByShape(true);
  return [outcome(f), walked];
};

describe("lists written by a compiled writer", () => {
  it("give the walk's HTML, from a placed tree and from render()'s tree, for any list", () => {
    fc.assert(
      fc.property(list, (tree) => {
        let placed: ReturnType<typeof lower>;
        try {
          placed = lower(tree, { alloc: createIdAllocator() });
        } catch {
          fc.pre(false); // a list lowering refuses (a void element with content): no page to write
          return;
        }
        const [compiled, walked] = both(() => renderToString(placed));
        expect(compiled).toBe(walked);
        const [fromVNode, walkedVNode] = both(() => renderVNodeToBytes(tree, { alloc: createIdAllocator() }).toString());
        expect(fromVNode).toBe(walkedVNode);
        expect(fromVNode).toBe(walked);
      }),
      { numRuns: 300 },
    );
  });

  it("leave to the walk an item that differs from the first in what the shape does not show: a key inside it, a text where the first has an element", () => {
    const row = (i: number, inner: Record<string, unknown>, cell: VNode | string) => h("tr", { key: i }, h("td", inner, cell), h("td", {}, `#${i}`));
    const table = h("table", {}, h("tbody", {}, Array.from({ length: 12 }, (_, i) =>
      row(i, i === 5 ? { key: "cell" } : {}, i === 7 ? "a text" : i === 9 ? h("b", {}, h("i", {}, "deeper")) : h("b", {}, `bold ${i}`)))));
    const [compiled, walked] = both(() => renderVNodeToBytes(table, { alloc: createIdAllocator() }).toString());
    expect(compiled).toBe(walked);
    expect(compiled).toContain('<td data-rv="k-k-w-2-5-cell">'); // the keyed cell, id from its key
    const placed = lower(table, { alloc: createIdAllocator() });
    expect(both(() => renderToString(placed))).toEqual([walked, walked]);
  });

  it("write each item's own attributes where items of one shape differ in their values, names, order and number", () => {
    const props = (i: number): Record<string, unknown> =>
      [{ class: "a", title: `t${i}` }, { title: `t${i}`, class: "a" }, { class: "a" }, { class: "a", href: "javascript:alert(1)" }, { class: "a", href: "/ok" }, { class: "b", hidden: true, "data-x": 1 }, {}][i % 7]!;
    const tree = h("ul", {}, Array.from({ length: 30 }, (_, i) => h("li", { key: i, ...props(i) }, h("a", props(i + 3), `item ${i}`))));
    const [compiled, walked] = both(() => renderVNodeToBytes(tree, { alloc: createIdAllocator() }).toString());
    expect(compiled).toBe(walked);
    expect(compiled).toContain('<li data-rv="k-w-1-1" title="t1" class="a">');
    expect(compiled).not.toContain("javascript");
    const placed = lower(tree, { alloc: createIdAllocator() });
    expect(both(() => renderToString(placed))).toEqual([walked, walked]);
  });

  it("fail as the walk fails: a duplicate key, a refused tag, an inline handler string", () => {
    const rows = (extra: VNode) => h("ul", {}, ...Array.from({ length: 9 }, (_, i) => h("li", { key: i }, h("b", {}, `row ${i}`))), extra);
    for (const bad of [h("li", { key: 3 }, h("b", {}, "again")), h("li", {}, h("plaintext", {}, "x")), h("li", {}, h("b", { onClick: "alert(1)" }, "x"))]) {
      const walk = (() => {
        writeListsByShape(false);
        try {
          renderVNodeToBytes(rows(bad), { alloc: createIdAllocator() });
          return "no error";
        } catch (err) {
          return (err as Error).message;
        } finally {
          writeListsByShape(true);
        }
      })();
      expect(walk).not.toBe("no error");
      expect(() => renderVNodeToBytes(rows(bad), { alloc: createIdAllocator() })).toThrow(walk);
    }
  });

  it("write the ids a diff of the same tree then uses: the page's next patch finds its nodes", () => {
    const page = (n: number) => h("table", {}, h("tbody", {}, Array.from({ length: 20 }, (_, i) => h("tr", { key: i }, h("td", {}, String(i)), h("td", {}, h("a", {}, `row ${i}, ${n}`))))));
    const alloc = createIdAllocator();
    const html = renderVNodeToBytes(page(1), { alloc: createIdAllocator() }).toString();
    const old = lower(page(1), { alloc });
    expect(renderToString(old)).toBe(html);
    const { ops } = diff(old, page(2), { alloc });
    for (const op of ops) expect(html).toContain(`data-rv="${(op as { id: string }).id}"`);
  });
});
