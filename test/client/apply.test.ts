// @vitest-environment jsdom
import { beforeEach, describe, expect, it } from "vitest";
import { createApplier, type Field } from "../../client/apply.js";
import { createIdAllocator, diff, h, lower, renderToString, type Node as VNodeWire, type PatchOp, type VNode } from "../../src/vdom/index.js";
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
    expect(() => mount("").applier.apply([{ op: "remove", id: "w-9" }])).toThrow(/w-9/);
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

describe("applier: tags and raw text", () => {
  const hostile = (tag: string, id = "w-9"): VNodeWire => ({ id, tag, attrs: { src: "https://evil.test/x.js", data: "https://evil.test/x", href: "https://evil.test/" }, children: [] });

  it.each(["script", "SCRIPT", "Script", "base", "BASE", "object", "Object", "embed", "EMBED", "img onerror=x", ""])(
    "never creates <%s>: append, insert, replace and init all throw and leave the DOM as it was",
    (tag) => {
      const page = mount('<div data-rv="w-1"><p data-rv="w-2"></p></div>');
      const before = page.root.innerHTML;
      for (const op of [
        { op: "append", parent: "w-1", node: hostile(tag) },
        { op: "insert", parent: "w-1", before: "w-2", node: hostile(tag) },
        { op: "replace", id: "w-2", node: hostile(tag, "w-2") },
        // A refused tag deep inside an innocent subtree.
        { op: "append", parent: "w-1", node: { id: "w-8", tag: "div", attrs: {}, children: [hostile(tag)] } },
      ] as PatchOp[]) {
        expect(() => page.applier.apply([op])).toThrow();
        expect(page.root.querySelectorAll("script, base, object, embed")).toHaveLength(0);
      }
      expect(page.root.innerHTML).toBe(before.replace('<p data-rv="w-2"></p>', "")); // only the replace's removal happened
      expect(() => page.applier.init({ id: "w-1", tag: "div", attrs: {}, children: [hostile(tag)] })).toThrow();
      expect(page.root.querySelectorAll("script, base, object, embed")).toHaveLength(0);
    },
  );

  it("never creates a <script> in the SVG namespace either", () => {
    const page = mount('<svg data-rv="w-1"></svg>');
    for (const tag of ["script", "Script"]) expect(() => page.applier.apply([{ op: "append", parent: "w-1", node: hostile(tag) }])).toThrow();
    expect(page.root.querySelector("svg")!.childNodes).toHaveLength(0);
  });

  it("drops http-equiv from a <meta>, when it is created and when an attrs op adds it", () => {
    const page = mount('<div data-rv="w-1"></div>');
    page.applier.apply([{ op: "append", parent: "w-1", node: { id: "w-2", tag: "meta", attrs: { "http-equiv": "refresh", content: "0;url=https://evil.test" }, children: [] } }]);
    page.applier.apply([{ op: "attrs", id: "w-2", set: { "HTTP-EQUIV": "refresh", "Http-Equiv": "refresh" }, remove: [] }]);
    expect(page.root.querySelector("meta")!.outerHTML).toBe('<meta data-rv="w-2" content="0;url=https://evil.test">');
  });

  it("sets the text of a <style> with textContent, so it is never parsed as markup", () => {
    const page = mount('<div data-rv="w-1"></div>');
    const text = "</style><img src=x onerror=alert(1)>";
    page.applier.apply([{ op: "append", parent: "w-1", node: { id: "w-2", tag: "svg", attrs: {}, children: [{ id: "w-3", tag: "style", attrs: {}, children: [], text }] } }]);
    expect(page.root.querySelector("img")).toBeNull();
    expect(page.root.querySelector("style")!.textContent).toBe(text);
  });

  it("gives the <style> elements it creates the nonce of the page's root (and no other element), after their attributes", () => {
    const page = mount('<div data-rv="w-1"></div>');
    page.root.nonce = "n0nce";
    const style = (id: string, tag = "style"): VNodeWire => ({ id, tag, attrs: { nonce: "forged" }, children: [], text: "p{color:red}" });
    page.applier.apply([
      { op: "append", parent: "w-1", node: style("w-2") },
      { op: "append", parent: "w-1", node: style("w-3", "STYLE") },
      { op: "append", parent: "w-1", node: { id: "w-4", tag: "svg", attrs: {}, children: [style("w-5")] } },
      { op: "append", parent: "w-1", node: { id: "w-6", tag: "link", attrs: { rel: "stylesheet", href: "/x.css" }, children: [] } },
    ]);
    const styles = Array.from(page.root.querySelectorAll("style"));
    expect(styles.map((s) => s.nonce)).toEqual(["n0nce", "n0nce", "n0nce"]);
    expect(page.root.querySelector("link")!.nonce).toBe("");
  });

  it("keeps a base64 data: image in src and drops other data: URLs", () => {
    const { el, set } = bare();
    set({ src: "data:image/png;base64,iVBORw0KGgo=" });
    expect(el.getAttribute("src")).toBe("data:image/png;base64,iVBORw0KGgo=");
    set({ src: "data:image/svg+xml;base64,PHN2Zz4=" });
    expect(el.getAttribute("src")).toBe("data:image/png;base64,iVBORw0KGgo="); // refused, so the old value stays
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

  it("does set a focused field the server already had the text of (a form reset, a sent chat line): the server's change wins", () => {
    const page = mount('<div data-rv="w-1"><input data-rv="w-2" value="a"></div>');
    document.body.append(page.root);
    const input = page.root.querySelector("input")!;
    input.focus();
    input.value = "hello";
    // The server learnt "hello" (the field's binding), then emptied it after the submit.
    page.applier.apply([{ op: "attrs", id: "w-2", set: { value: "hello" }, remove: [] }]);
    expect(input.value).toBe("hello");
    page.applier.apply([{ op: "attrs", id: "w-2", set: { value: "" }, remove: [] }]);
    expect(input.value).toBe("");
    expect(document.activeElement).toBe(input); // the visitor keeps typing there
    // Text typed since then is the visitor's, not the server's to overwrite.
    input.value = "more";
    page.applier.apply([{ op: "attrs", id: "w-2", set: { value: "stale" }, remove: [] }]);
    expect(input.value).toBe("more");
    input.remove();
  });

  it("keeps a focused field's text until its typing is answered, even text equal to the last value the server set; a value derived from the typing too, not a later one", () => {
    const root = document.createElement("div");
    root.innerHTML = '<div data-rv="w-1"><input data-rv="w-2" value="abc"></div>';
    document.body.append(root);
    const applier = createApplier(root);
    const input: Field = root.querySelector("input")!;
    input.focus();
    // "abcd" was sent, then a Backspace, sent too (client/events.ts gives the field an empty box, filled once the answer is in): "abc" again, as the server last set it.
    input.value = "abc";
    const agreed: string[] = [];
    input.agreed = agreed;
    applier.apply([{ op: "attrs", id: "w-2", set: { value: "abcd" }, remove: [] }]);
    expect(input.value).toBe("abc");
    expect(input.getAttribute("value")).toBe("abcd");
    // The answer to "abc": the server trims it to "ab" (say); the visitor's text stays under the caret, and now agrees.
    applier.apply([{ op: "attrs", id: "w-2", set: { value: "ab" }, remove: [] }]);
    expect(input.value).toBe("abc");
    agreed[0] = "abc";
    // Then the server's value wins (a form reset), whatever else is unanswered.
    applier.apply([{ op: "attrs", id: "w-2", set: { value: "" }, remove: [] }]);
    expect(input.value).toBe("");
    expect(document.activeElement).toBe(input);
    input.remove();
  });

  it("keeps the focus, the text and the caret of the field being typed in across an init, only into the same field", () => {
    const page = mount('<div data-rv="w-1"><input data-rv="w-2" name="memo"><input data-rv="w-3" name="other"></div>');
    document.body.append(page.root);
    const typed = page.root.querySelector<HTMLInputElement>("[name=memo]")!;
    typed.focus();
    typed.value = "half a thought";
    typed.setSelectionRange(4, 6);
    const tree = (names: string[]): VNodeWire => ({ id: "w-1", tag: "div", attrs: {}, children: names.map((name, i) => ({ id: `w-${i + 2}`, tag: "input", attrs: { name }, children: [] })) });
    page.applier.init(tree(["memo", "other"]));
    const now = page.root.querySelector<HTMLInputElement>("[name=memo]")!;
    expect(now).not.toBe(typed);
    expect(document.activeElement).toBe(now);
    expect([now.value, now.selectionStart, now.selectionEnd]).toEqual(["half a thought", 4, 6]);
    // After a restart an id may name another field: it gets neither the focus nor the text.
    now.value = "mine";
    page.applier.init(tree(["search", "memo"]));
    expect(page.root.querySelector<HTMLInputElement>("[name=search]")!.value).toBe("");
    expect(page.root.querySelector<HTMLInputElement>("[name=memo]")!.value).toBe("");
    expect(document.activeElement).toBe(document.body);
    // A field without a caret (email, number) keeps its value too.
    const email = (value?: string): VNodeWire => ({ id: "w-1", tag: "div", attrs: {}, children: [{ id: "w-2", tag: "input", attrs: { type: "email", name: "to", ...(value ? { value } : {}) }, children: [] }] });
    page.applier.init(email());
    const to = page.root.querySelector<HTMLInputElement>("[name=to]")!;
    to.focus();
    to.value = "a@b.c";
    page.applier.init(email("old@b.c"));
    expect(document.activeElement?.getAttribute("name")).toBe("to");
    expect(page.root.querySelector<HTMLInputElement>("[name=to]")!.value).toBe("a@b.c");
  });

  it("after a restart numbered the page afresh, finds the field being typed in by its id attribute, never another kind of element", () => {
    const page = mount('<div data-rv="w-1"><input data-rv="w-2" id="q" name="q"></div>');
    document.body.append(page.root);
    const typed = page.root.querySelector<HTMLInputElement>("#q")!;
    typed.focus();
    typed.value = "hal";
    typed.setSelectionRange(3, 3);
    // A banner rendered first now holds w-2; the field is w-3.
    const field = (tag: string): VNodeWire => ({ id: "w-3", tag, attrs: { id: "q", name: "q" }, children: [] });
    page.applier.init({ id: "w-1", tag: "div", attrs: {}, children: [{ id: "w-2", tag: "p", attrs: {}, children: [] }, field("input")] });
    const now = page.root.querySelector<HTMLInputElement>("#q")!;
    expect(now).not.toBe(typed);
    expect(document.activeElement).toBe(now);
    expect([now.value, now.selectionStart]).toEqual(["hal", 3]);
    // The same id on a textarea is another field: no focus, no text.
    page.applier.init({ id: "w-1", tag: "div", attrs: {}, children: [{ id: "w-2", tag: "p", attrs: {}, children: [] }, field("textarea")] });
    expect(document.activeElement).toBe(document.body);
    expect(page.root.querySelector<HTMLTextAreaElement>("#q")!.value).toBe("");
    page.root.remove();
  });

  it("updates the text of a textarea, whose text child has no marker", () => {
    const { root, expected } = patchPage(h("div", {}, h("textarea", {}, "a")), h("div", {}, h("textarea", {}, "b")));
    expect(canonical(root)).toBe(expected);
    expect(root.querySelector("textarea")!.value).toBe("b");
  });
});
