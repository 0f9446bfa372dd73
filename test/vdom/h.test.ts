import { describe, expect, it } from "vitest";
import { Fragment, h, memo, text, type Child, type VElement, type VNode } from "../../src/vdom/index.js";

const texts = (v: VNode) => (v as VElement).children.map((c) => (c.type === "text" ? c.text : `<${c.tag}>`));

describe("h()", () => {
  it("turns strings and numbers into text nodes and keeps adjacent ones separate", () => {
    expect(texts(h("p", {}, "a", 1, 0, 2n))).toEqual(["a", "1", "0", "2"]);
  });

  it("renders nothing for null, undefined, true, false and empty strings", () => {
    expect(texts(h("p", {}, null, undefined, true, false, "", "x"))).toEqual(["x"]);
  });

  it("flattens nested arrays of children", () => {
    expect(texts(h("ul", {}, ["a", ["b", ["c"]]], "d"))).toEqual(["a", "b", "c", "d"]);
  });

  it("never writes to an array of children the caller passed in", () => {
    const items: Child[] = ["a", 1, h("b", {})];
    const v = h("ul", {}, items) as VElement;
    expect(items).toEqual(["a", 1, h("b", {})]);
    expect(v.children).toEqual([text("a"), text("1"), h("b", {})]);
    // Leaves share one empty list, and a component still gets an array of its own.
    expect((h("br", {}) as VElement).children).toBe((h("hr", {}) as VElement).children);
    h((p: { children: VNode[] }) => (p.children.push(text("x")), h("p", {}, p.children)), {});
    // Nor does a component get the caller's array to change.
    const nodes = [h("i", {}), h("u", {})];
    h((p: { children: VNode[] }) => (p.children.pop(), h("p", {}, p.children)), {}, nodes);
    expect(nodes).toHaveLength(2);
  });

  it("stringifies keys and leaves the other props alone", () => {
    const li = h("li", { key: 7, class: "x" }) as VElement;
    expect(li.key).toBe("7");
    expect(li.props.class).toBe("x");
  });

  it("records the slot of each child when a hole or an array shifts positions", () => {
    const shown = h("div", {}, h("b", {}), h("i", {})) as VElement;
    const hidden = h("div", {}, false, h("i", {})) as VElement;
    expect(shown.slots).toBeUndefined(); // slot = index, nothing to store
    expect(hidden.slots).toEqual([1]); // <i> keeps slot 1 while <b> is hidden
    const list = h("div", {}, h("h1", {}), ["x", "y"], h("footer", {})) as VElement;
    expect(list.slots).toEqual([0, 2 ** 21, 2 ** 21 + 1, 2 * 2 ** 21]);
  });

  it("checks a component's props by its type (the type check is the test)", () => {
    const Item = (p: { label: string }) => h("li", {}, p.label);
    const Memo = memo((p: { id: number }) => h("li", {}, String(p.id)));
    // @ts-expect-error a misspelt prop
    h(Item, { lable: "a" });
    // @ts-expect-error a prop of the wrong type
    h(Memo, { id: "1" });
    expect((h(Item, { label: "a", key: 1 }) as VElement).key).toBe("1");
    expect((h(Memo, { id: 2 }) as VElement).tag).toBe("li");
  });

  it("calls function components with their props and normalized children, keyed by the caller", () => {
    const Item = (p: { label: string; children: VNode[] }) => h("li", {}, p.label, ...p.children);
    const li = h(Item, { label: "a", key: 3 }, "!", null) as VElement;
    expect(li.tag).toBe("li");
    expect(li.key).toBe("3");
    expect(texts(li)).toEqual(["a", "!"]);
  });

  it("gives a component its own copy of the props, all but key, symbol-keyed ones too, and nothing inherited", () => {
    const tag = Symbol("tag");
    let got: Record<string | symbol, unknown> = {};
    const Spy = (p: Record<string | symbol, unknown>) => ((got = p), h("p", {}));
    const props = Object.assign(Object.create({ inherited: 1 }), { key: "k", a: 1, [tag]: "t" });
    h(Spy, props, "x");
    expect(Object.keys(got)).toEqual(["a", "children"]);
    expect(got[tag]).toBe("t");
    expect(got).not.toBe(props);
    expect(got.inherited).toBeUndefined();
  });

  it("splices fragments and components that return null into the parent", () => {
    const Nothing = () => null;
    const ul = h("ul", {}, h(Fragment, {}, h("li", {}, "a"), h("li", {}, "b")), h(Nothing, {}), h("li", {}, "c"));
    expect(texts(ul)).toEqual(["<li>", "<li>", "<li>"]);
  });

  it("makes a textarea's value prop its text, which a browser shows (it ignores a value attribute there)", () => {
    const v = h("textarea", { value: "typed", rows: 3, key: "k" }) as VElement;
    expect(v.text).toBe("typed");
    expect(v.props).toEqual({ rows: 3, key: "k" });
    expect((h("TEXTAREA", { value: 7 }) as VElement).text).toBe("7");
    expect((h("textarea", { value: "" }) as VElement).text).toBeUndefined();
    // Given children too, the value is its text, and the prop stays (the kit's controls pass both): a page a patch
    // built (whose applier sets the live value from the prop) shows what the first page shows (fuzz).
    expect((h("textarea", { value: "a" }, "a") as VElement).props).toEqual({ value: "a" });
    expect((h("textarea", { value: "from value" }, "from children") as VElement).text).toBe("from value");
    expect((h("textarea", { value: "" }, "x", "y") as VElement).text).toBeUndefined();
  });

  it("puts each run of rows given straight to a table in a tbody, as the HTML parser does", () => {
    const tags = (v: VNode): unknown => (v.type === "text" ? v.text : v.children.length ? { [v.tag]: v.children.map(tags) } : v.tag);
    const row = (k: number) => h("tr", { key: k });
    expect(tags(h("table", {}, h("thead", {}), row(1), row(2), h("tfoot", {}), row(3)))).toEqual({ table: ["thead", { tbody: ["tr", "tr"] }, "tfoot", { tbody: ["tr"] }] });
    expect(tags(h("table", {}, h("tbody", {}, row(1))))).toEqual({ table: [{ tbody: ["tr"] }] });
    const body = (h("table", {}, [row(1), row(2)]) as VElement).children[0] as VElement;
    expect([body.tag, ...body.children.map((r) => String((r as VElement).key))]).toEqual(["tbody", "1", "2"]);
    expect(tags(h("TABLE", {}, row(1)))).toEqual({ TABLE: [{ tbody: ["tr"] }] }); // a tag in any case, as the parser reads it
    // Unkeyed rows keep their places among the holes (`cond && row`): the second row stays the second when the first goes.
    const slotsOf = (v: VNode) => ((v as VElement).children.at(-1) as unknown as { slots?: readonly number[] }).slots;
    expect(slotsOf(h("table", {}, h("caption", {}), null, h("tr", {}), h("tr", {})))).toEqual([2, 3]);
    expect(slotsOf(h("table", {}, h("caption", {}), h("tr", {}), h("tr", {})))).toEqual([1, 2]);
  });

  it("joins the text of textarea, title and style into one child", () => {
    expect(texts(h("title", {}, "Count: ", 3))).toEqual(["Count: 3"]);
    expect(() => h("textarea", {}, h("b", {}))).toThrow(/<textarea> can only contain text/);
    expect(texts(h("style", {}, "a{}", "</style>"))).toEqual(["a{}</style>"]); // written safely (html.ts), in HTML as in <svg>
  });

  it("rejects children of void elements and <script>", () => {
    expect(() => h("input", {}, "x")).toThrow(/<input> is a void element/);
    expect(() => h("script", {}, "alert(1)")).toThrow(/<script> elements cannot be rendered/);
  });

  it("text() builds a standalone text node", () => {
    expect(text(5)).toMatchObject({ type: "text", text: "5" });
  });
});
