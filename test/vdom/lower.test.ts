import { describe, expect, it, vi } from "vitest";
import { BindError, RenderError } from "../../src/errors.js";
import { createIdAllocator, h, keyedId, lower, type ElementNode, type VNode } from "../../src/vdom/index.js";

const attrsOf = (v: VNode, bind?: (t: string, p: string, v: unknown) => string) =>
  (lower(v, { alloc: createIdAllocator(), bind }) as ElementNode).attrs;

describe("lowering props to attributes", () => {
  it("maps class/className, style objects, htmlFor, booleans and numbers", () => {
    expect(attrsOf(h("label", { className: ["a", false, "b"], htmlFor: "x", tabindex: 0, hidden: true, disabled: false, title: null }))).toEqual({
      class: "a b",
      for: "x",
      tabindex: "0",
      hidden: "",
    });
    expect(attrsOf(h("div", { class: { on: true, off: false }, style: { fontSize: "12px", "--gap": 4, color: null } }))).toEqual({
      class: "on",
      style: "font-size:12px;--gap:4",
    });
  });

  it("keeps a style value from starting another declaration or rule, render after render", () => {
    const style = { backgroundColor: "red; position: fixed", width: "1px} body {x:y", "--Gap": 2 };
    for (let i = 0; i < 3; i++) expect(attrsOf(h("div", { style })).style).toBe("background-color:red position: fixed;width:1px body x:y;--Gap:2");
  });

  it("binds on* props through the binder into data-rv-on-<event>", () => {
    const bind = vi.fn((_tag: string, prop: string) => `r:${prop}`);
    const handler = () => {};
    expect(attrsOf(h("input", { onClick: handler, onKeyDown: handler, onchange: handler, onBlur: false }), bind)).toEqual({
      "data-rv-on-click": "r:onClick",
      "data-rv-on-keydown": "r:onKeyDown",
      "data-rv-on-change": "r:onchange",
    });
    expect(bind).toHaveBeenCalledWith("input", "onClick", handler);
    expect(bind).toHaveBeenCalledTimes(3); // onBlur: false means "no handler", nothing to validate
  });

  it("lets the binder's BindError escape, and rejects handlers when no app binds them", () => {
    const bind = () => {
      throw new BindError("nope");
    };
    expect(() => attrsOf(h("button", { onClick: () => {} }), bind)).toThrow("nope");
    expect(() => attrsOf(h("button", { onClick: () => {} }))).toThrow(BindError);
    expect(() => attrsOf(h("a", { onclick: "alert(1)" }))).toThrow(BindError);
  });

  it("drops markup injection, unsafe URLs, invalid names and forged framework attributes", () => {
    expect(
      attrsOf(
        h("a", {
          srcdoc: "<script>",
          SrcDoc: "x",
          dangerouslySetInnerHTML: { __html: "<b>" },
          innerHTML: "<b>",
          href: " JavaScript:alert(1)",
          'x" onmouseover="a': "1",
          "data-rv": "w-1",
          "data-rv-on-click": "r:deleteAll",
          title: "ok",
        }),
      ),
    ).toEqual({ title: "ok" });
  });

  it("refuses attribute values that are functions or objects, naming the element and the prop", () => {
    expect(() => attrsOf(h("div", { ref: () => {} }))).toThrow(/<div ref> got a function/);
    expect(() => attrsOf(h("div", { "data-x": { a: 1 } }))).toThrow(RenderError);
  });
});

describe("ids", () => {
  it("allocates w-<n> per session and resumes from a count", () => {
    const alloc = createIdAllocator();
    expect([alloc.next(), alloc.next(), alloc.count]).toEqual(["w-1", "w-2", 2]);
    expect(createIdAllocator(41).next()).toBe("w-42");
  });

  it("gives keyed nodes k-<parent id>-<key>, so equal keys under different parents do not collide", () => {
    const tree = lower(h("div", {}, h("ul", {}, h("li", { key: 1 })), h("ul", {}, h("li", { key: 1 }))), { alloc: createIdAllocator() }) as ElementNode;
    const [a, b] = tree.children.map((ul) => (ul as ElementNode).children[0]!.id);
    expect(a).toBe("k-w-2-1");
    expect(b).toBe("k-w-3-1");
  });

  it("escapes keys into an attribute-safe, collision-free form", () => {
    expect(keyedId("w-1", "a b")).toBe("k-w-1-a_20_b");
    expect(keyedId("w-1", "a-b")).toBe("k-w-1-a_2d_b");
    expect(keyedId("w-1", "a_2d_b")).not.toBe(keyedId("w-1", "a-b"));
    expect(keyedId("w-1", "")).toBe("k-w-1-_");
    expect(keyedId("w-1", '"><script>')).toMatch(/^[\w-]+$/);
  });

  it("throws a RenderError naming the duplicate key and the parent", () => {
    const list = h("ul", { class: "todos" }, h("li", { key: "x" }), h("li", { key: "x" }));
    expect(() => lower(list, { alloc: createIdAllocator() })).toThrow(
      'Duplicate key "x" among the children of <ul> (id w-1). Keys must be unique among siblings',
    );
  });

  it("rejects invalid tags and fragment roots", () => {
    expect(() => lower(h("img src=x onerror=alert(1)", {}), { alloc: createIdAllocator() })).toThrow(/not a valid tag name/);
    expect(() => lower(h("#fragment", {}, "a"), { alloc: createIdAllocator() })).toThrow(/fragment cannot be the root/);
  });
});

describe("lowered trees on the wire", () => {
  it("serialize to exactly the JSON of plain {id, tag, attrs, children, text} and {id, text} objects", () => {
    const tree = lower(h("ul", { class: "x" }, h("li", { key: "a" }, "hi"), h("li", {}, "a", h("b", {}))), { alloc: createIdAllocator() });
    expect(JSON.stringify(tree)).toBe(
      '{"id":"w-1","tag":"ul","attrs":{"class":"x"},"children":[{"id":"k-w-1-a","tag":"li","key":"a","attrs":{},"children":[],"text":"hi"},' +
        '{"id":"w-2","tag":"li","attrs":{},"children":[{"id":"w-3","text":"a"},{"id":"w-4","tag":"b","attrs":{},"children":[]}]}]}',
    );
  });
});

describe("createIdAllocator", () => {
  it('hands out exactly "w-" + n, across thousands and from any start', () => {
    for (const start of [0, 1, 998, 999, 1000, 1999, 123_456]) {
      const alloc = createIdAllocator(start);
      for (let n = start + 1; n <= start + 2500; n++) expect(alloc.next()).toBe("w-" + n);
      expect(alloc.count).toBe(start + 2500);
    }
  });
});
