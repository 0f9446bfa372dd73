import { describe, expect, it } from "vitest";
import { h, handler } from "revue";
import { createIdAllocator, lower } from "../../src/vdom/diff.js";
import { renderVNodeToBytes } from "../../src/vdom/html.js";
import { sameShape, sameTree as sameTrees, shapeOf } from "../../src/vdom/same.js";
import type { VElement, VNode } from "../../src/vdom/types.js";

// sameTree and sameShape say whether a tree gives the same HTML as another (or as the one a shape was taken of); a served
// page is reused on their word, so every "same" below is checked against the HTML the two trees write.

function inc(..._args: unknown[]) {}
function dec() {}
const bind = (_tag: string, _prop: string, v: unknown) => {
  const b = v as { fn?: Function; args?: unknown[] };
  const fn = typeof v === "function" ? v : b.fn!;
  return `r:${fn.name}${b.args ? " " + JSON.stringify(b.args) : ""}`;
};
const html = (v: VNode) => renderVNodeToBytes(v, { alloc: createIdAllocator(), bind, nonce: "n" }).toString();

/** sameTree's answer, which sameShape must give too. */
function sameTree(a: VNode, b: VNode): boolean {
  const same = sameTrees(a, b);
  expect(sameShape(shapeOf(a), b)).toBe(same);
  return same;
}

/** Asserts the answer for two trees (each way round), and that "same" means the same HTML. */
function check(a: VNode, b: VNode, same: boolean) {
  expect(sameTree(a, b)).toBe(same);
  expect(sameTree(b, a)).toBe(same);
  if (same) expect(html(b)).toBe(html(a));
}

describe("sameTree and sameShape", () => {
  it("is true for two renders of the same page: props built anew, class and style objects, bindings with args", () => {
    const page = () =>
      h("main", { class: "app" },
        h("ul", {}, [1, 2, 3].map((i) => h("li", { key: i, class: { row: true, odd: i % 2 === 1 }, style: { marginTop: `${i}px` } },
          h("input", { type: "checkbox", checked: i === 2, onChange: handler(inc, { args: [i, { deep: [i] }] }) }),
          h("button", { onClick: dec }, "x"), `item `, String(i)))));
    check(page(), page(), true);
  });

  it("tells apart a text, a prop value, a key, a tag, a child count", () => {
    check(h("p", {}, "a"), h("p", {}, "b"), false);
    check(h("p", { title: "a" }), h("p", { title: "b" }), false);
    check(h("p", { title: "1" }), h("p", { title: 1 }), false);
    check(h("p", { key: "1" }), h("p", { key: "2" }), false);
    check(h("p", {}), h("div", {}), false);
    check(h("ul", {}, h("li", {})), h("ul", {}, h("li", {}), h("li", {})), false);
    check(h("p", {}, ["a"]), h("p", {}, [h("b", {}, "a")]), false);
    check(h("p", {}, "a", "b"), h("p", {}, "ab"), false);
  });

  it("tells apart the order of props, of class entries, and a missing or extra prop", () => {
    check(h("p", { a: "1", b: "2" }), h("p", { b: "2", a: "1" }), false);
    check(h("p", { class: { x: true, y: true } }), h("p", { class: { y: true, x: true } }), false);
    check(h("p", { a: "1" }), h("p", { a: "1", b: undefined }), false);
    check(h("p", { a: undefined }), h("p", { b: undefined }), false);
  });

  it("compares handlers by method and args, and anything but plain data by identity", () => {
    check(h("p", { onClick: inc }), h("p", { onClick: dec }), false);
    check(h("p", { onClick: handler(inc, { args: [1] }) }), h("p", { onClick: handler(inc, { args: [2] }) }), false);
    check(h("p", { onClick: handler(inc, { debounce: 10 }) }), h("p", { onClick: handler(inc, { debounce: 20 }) }), false);
    check(h("p", { onClick: handler(inc, {}) }), h("p", { onClick: { fn: inc, debounce: undefined, args: undefined } }), false);
    // (a Date is no attribute value: compared here without writing)
    const at = new Date(0);
    expect(sameTree(h("p", { title: new Date(0) }), h("p", { title: new Date(0) }))).toBe(false);
    expect(sameTree(h("p", { title: at }), h("p", { title: at }))).toBe(true);
  });

  it("reads an element's one text the same whether it was placed (lowered) or not", () => {
    const kept = h("p", {}, ["hi"]);
    const fresh = h("div", {}, h("p", {}, ["hi"]));
    expect((kept as VElement).children).toHaveLength(1);
    lower(h("div", {}, kept), { alloc: createIdAllocator() }); // placed: its lone text child became its `text`
    expect((kept as VElement).children).toHaveLength(0);
    check(h("div", {}, kept), fresh, true);
  });

  it("takes the same object in both as the same", () => {
    const big = h("ul", {}, Array.from({ length: 3 }, (_, i) => h("li", {}, String(i))));
    expect(sameTree(h("main", {}, big), h("main", {}, big))).toBe(true);
  });
});
