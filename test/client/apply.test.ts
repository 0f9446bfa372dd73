// @vitest-environment jsdom
import { beforeEach, describe, expect, it } from "vitest";
import { createApplier } from "../../client/apply.js";
import { createIdAllocator, diff, h, lower, renderToString, type PatchOp, type VNode } from "../../src/vdom/index.js";
import { canonical, mount } from "../vdom/dom-helpers.js";

/** Server side: renders `a` to HTML, diffs to `b`. Browser side: hydrates and applies. */
function patchPage(a: VNode, b: VNode) {
  const alloc = createIdAllocator();
  const old = lower(a, { alloc });
  const page = mount(renderToString(old));
  document.body.replaceChildren(page.root);
  const { tree, ops } = diff(old, b, { alloc });
  page.applier.apply(ops);
  return { ...page, expected: canonical(mount(renderToString(tree)).root) };
}

/** An applier over `<div data-rv="w-1"></div>`, to feed hand-written (hostile) ops. */
function bare() {
  const page = mount('<div data-rv="w-1"></div>');
  const el = page.root.firstElementChild!;
  const set = (attrs: Record<string, string>) => page.applier.apply([{ op: "attrs", id: "w-1", set: attrs, remove: [] }]);
  return { ...page, el, set };
}

beforeEach(() => document.body.replaceChildren());

describe("applier: ops", () => {
  it("hydrates ids from data-rv and text markers", () => {
    const { applier } = mount('<p data-rv="w-1"><!--w-2-->hi<!--w-3--></p>');
    expect(applier.get("w-1")?.nodeName).toBe("P");
    expect(applier.get("w-2")?.textContent).toBe("hi");
    expect(applier.get("w-3")?.nodeType).toBe(3); // an empty text node, created by hydration
  });

  it("sets text with textContent, escaping nothing into markup", () => {
    const { root, applier } = mount('<p data-rv="w-1"><!--w-2-->a</p>');
    applier.apply([{ op: "text", id: "w-2", text: "<img src=x onerror=alert(1)>" }]);
    expect(root.querySelector("img")).toBeNull();
    expect(root.textContent).toBe("<img src=x onerror=alert(1)>");
  });

  it("sets an element's lone text through the element's id, and turns it into children and back", () => {
    const steps = [h("p", {}, "one"), h("p", {}, "two"), h("p", {}, "a", h("b", {}, "b")), h("p", {}, "three"), h("p", {}), h("p", {}, "four")];
    const alloc = createIdAllocator();
    let tree = lower(steps[0]!, { alloc });
    const page = mount(renderToString(tree));
    expect(page.root.innerHTML).toBe('<p data-rv="w-1">one</p>');
    for (const next of steps.slice(1)) {
      const d = diff(tree, next, { alloc });
      page.applier.apply(d.ops);
      tree = d.tree;
      expect(canonical(page.root)).toBe(canonical(mount(renderToString(tree)).root));
    }
    expect(page.root.textContent).toBe("four");
    expect(page.applier.get("w-2")).toBeUndefined(); // the text node of step 3 was forgotten with it
  });

  it("inserts, appends, moves and removes keyed rows, texts moving with their markers", () => {
    const list = (ks: string[]) => h("ul", {}, ks.map((k) => h("li", { key: k }, k)), "tail");
    const { root, expected } = patchPage(list(["a", "b", "c", "d"]), list(["d", "x", "b", "a"]));
    expect(canonical(root)).toBe(expected);
    expect(root.textContent).toBe("dxbatail");
  });

  it("replaces nodes, including the root and a keyed node that keeps its id", () => {
    const { root, applier, expected } = patchPage(h("div", {}, h("b", {}, "x"), h("p", { key: "k" })), h("section", {}, "t"));
    expect(canonical(root)).toBe(expected);
    expect(applier.get("w-1")).toBeUndefined(); // the old root and everything in it is forgotten
    const keyed = patchPage(h("ul", {}, h("li", { key: "a" }, "1")), h("ul", {}, h("p", { key: "a" }, "2")));
    expect(canonical(keyed.root)).toBe(keyed.expected);
    expect(keyed.applier.get("k-w-1-a")?.nodeName).toBe("P");
  });

  it("empties an element with one text op, forgetting the ids of everything removed, and keeps the element", () => {
    const list = (ks: string[]) => h("ul", { class: "rows" }, ks.map((k) => h("li", { key: k }, h("b", {}, k))));
    const { root, applier, expected } = patchPage(list(["a", "b", "c"]), list([]));
    expect(canonical(root)).toBe(expected);
    expect(root.querySelector("ul")!.childNodes.length).toBe(0);
    expect(applier.get("w-1")).toBe(root.querySelector("ul")); // the same element, still known
    expect(applier.get("k-w-1-a")).toBeUndefined();
    const area = patchPage(h("div", {}, h("textarea", {}, "x")), h("div", {}, h("textarea", {})));
    expect(canonical(area.root)).toBe(area.expected);
  });

  it("init() replaces everything with a snapshot", () => {
    const { root, applier } = mount('<p data-rv="w-1"><!--w-2-->old</p>');
    const tree = lower(h("main", {}, "new"), { alloc: createIdAllocator(10) });
    applier.init(tree);
    expect(canonical(root)).toBe(canonical(mount(renderToString(tree)).root));
    expect(applier.get("w-1")).toBeUndefined();
    expect(applier.get("w-11")?.textContent).toBe("new");
  });

  it("throws on an op naming an unknown node, so the runtime can ask for a snapshot", () => {
    expect(() => mount("").applier.apply([{ op: "remove", id: "w-9" }])).toThrow(/unknown node w-9/);
  });

  it("creates SVG children in the SVG namespace", () => {
    const { root } = patchPage(h("div", {}), h("div", {}, h("svg", { viewBox: "0 0 1 1" }, h("path", { d: "M0 0" }))));
    expect(root.querySelector("path")!.namespaceURI).toBe("http://www.w3.org/2000/svg");
  });
});

describe("applier: sanitization", () => {
  it("drops on* and srcdoc attributes, whatever their case", () => {
    const { el, set } = bare();
    set({ onclick: "alert(1)", ONMOUSEOVER: "alert(1)", srcdoc: "<script>", SrcDoc: "x", title: "ok" });
    expect(Array.from(el.attributes, (a) => a.name)).toEqual(["data-rv", "title"]);
  });

  it.each([
    ["javascript:alert(1)"],
    ["JAVASCRIPT:alert(1)"],
    ["  javascript:alert(1)"],
    ["\x01 java\tscript:alert(1)"],
    ["\x00\x1fjavascript:alert(1)"],
    ["java\nscript:alert(1)"],
    ["jav\r\nascript:alert(1)"],
    ["vbscript:msgbox(1)"],
    ["VbScRiPt:x"],
    ["data:text/html,<script>alert(1)</script>"],
    [" \tDaTa:image/svg+xml,<svg onload=alert(1)>"],
  ])("drops the URL %j in href, src, action and formaction", (url) => {
    const { el, set } = bare();
    set({ href: url, src: url, action: url, formaction: url, "xlink:href": url });
    expect(Array.from(el.attributes, (a) => a.name)).toEqual(["data-rv"]);
  });

  it("keeps ordinary URLs, and lookalikes that browsers do not run", () => {
    const { el, set } = bare();
    set({ href: "/javascript:docs", src: "https://x.test/a.png", action: "&#106;avascript:x", formaction: "javascript" });
    expect(el.getAttribute("href")).toBe("/javascript:docs");
    expect(el.getAttribute("action")).toBe("&#106;avascript:x"); // setAttribute does not decode entities
    expect(el.attributes).toHaveLength(5);
  });

  it("ignores an attempt to overwrite a node's id or to set an invalid attribute name", () => {
    const { el, set, applier } = bare();
    set({ "data-rv": "w-2", 'x"y': "1", "a b": "1" });
    expect(el.getAttribute("data-rv")).toBe("w-1");
    expect(applier.get("w-1")).toBe(el);
    expect(el.attributes).toHaveLength(1);
  });

  it("drops unsafe attributes inside inserted nodes too", () => {
    const { root, applier } = bare();
    const op: PatchOp = { op: "append", parent: "w-1", node: { id: "w-2", tag: "a", attrs: { href: "javascript:x", onclick: "y", class: "c" }, children: [] } };
    applier.apply([op]);
    expect(root.querySelector("a")!.outerHTML).toBe('<a data-rv="w-2" class="c"></a>');
  });
});

describe("applier: form state", () => {
  it("sets value, checked and selected as properties, keeping the attributes in sync", () => {
    const page = mount('<div data-rv="w-1"><input data-rv="w-2" type="checkbox"><input data-rv="w-3" value="a"></div>');
    const [box, text] = Array.from(page.root.querySelectorAll("input"));
    text!.value = "typed"; // makes the value dirty: from now on only the property shows
    page.applier.apply([
      { op: "attrs", id: "w-2", set: { checked: "" }, remove: [] },
      { op: "attrs", id: "w-3", set: { value: "server" }, remove: [] },
    ]);
    expect(box!.checked).toBe(true);
    expect(text!.value).toBe("server");
    expect(text!.getAttribute("value")).toBe("server");
    page.applier.apply([{ op: "attrs", id: "w-2", set: {}, remove: ["checked"] }]);
    expect(box!.checked).toBe(false);
  });

  it("does not overwrite the value of a focused text input while the user types", () => {
    const page = mount('<div data-rv="w-1"><input data-rv="w-2" value="a"><textarea data-rv="w-3">a</textarea></div>');
    document.body.append(page.root);
    const input = page.root.querySelector("input")!;
    input.focus();
    input.value = "user typing";
    page.applier.apply([{ op: "attrs", id: "w-2", set: { value: "stale" }, remove: [] }]);
    expect(input.value).toBe("user typing");
    input.blur();
    page.applier.apply([{ op: "attrs", id: "w-2", set: { value: "fresh" }, remove: [] }]);
    expect(input.value).toBe("fresh");
  });

  it("updates the text of a textarea, whose text child has no marker", () => {
    const { root, expected } = patchPage(h("div", {}, h("textarea", {}, "a")), h("div", {}, h("textarea", {}, "b")));
    expect(canonical(root)).toBe(expected);
    expect(root.querySelector("textarea")!.value).toBe("b");
  });
});
