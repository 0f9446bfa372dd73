// @vitest-environment jsdom
import { describe, expect, it } from "vitest";
import { createIdAllocator, h, lower, renderToBytes, renderToString, type VNode } from "../../src/vdom/index.js";

const html = (v: VNode) => renderToString(lower(v, { alloc: createIdAllocator() }));

describe("renderToString", () => {
  it("writes data-rv on every element and a comment marker before every text among other children", () => {
    expect(html(h("p", { class: "x" }, "a", h("b", {}, "b")))).toBe('<p data-rv="w-1" class="x"><!--w-2-->a<b data-rv="w-3">b</b></p>');
  });

  it("escapes text and attribute values so they cannot break out", () => {
    expect(html(h("p", { title: `"><script>x</script>&` }, "</p><script>alert(1)</script> & -->"))).toBe(
      '<p data-rv="w-1" title="&quot;&gt;&lt;script&gt;x&lt;/script&gt;&amp;">&lt;/p&gt;&lt;script&gt;alert(1)&lt;/script&gt; &amp; --&gt;</p>',
    );
  });

  it("parses back to the same text and attributes", () => {
    const box = document.createElement("div");
    box.innerHTML = html(h("p", { title: 'a"b<c>&d' }, "x < y && z > w", "-->"));
    const p = box.firstElementChild!;
    expect(p.getAttribute("title")).toBe('a"b<c>&d');
    expect(Array.from(p.childNodes, (n) => n.nodeType === 3 && n.textContent)).toEqual([false, "x < y && z > w", false, "-->"]);
  });

  it("writes void elements without a closing tag", () => {
    expect(html(h("div", {}, h("input", { value: "v" }), h("br", {})))).toBe('<div data-rv="w-1"><input data-rv="w-2" value="v"><br data-rv="w-3"></div>');
  });

  it("writes the text of textarea and title without a marker, keeping a leading newline", () => {
    expect(html(h("title", {}, "A & B"))).toBe('<title data-rv="w-1">A &amp; B</title>');
    const box = document.createElement("div");
    box.innerHTML = html(h("textarea", {}, "\nline"));
    expect((box.firstElementChild as HTMLTextAreaElement).value).toBe("\nline");
  });

  it("refuses ids and tags that did not come from lowering", () => {
    expect(() => renderToString({ id: "w-1--><script>", text: "x" })).toThrow(/unsafe node id/);
    expect(() => renderToString({ id: "w-1", tag: "img onerror=x", attrs: {}, children: [] })).toThrow(/unsafe tag/);
    // A comment marker inside <textarea> would be read as its text.
    expect(() => renderToString({ id: "w-1", tag: "textarea", attrs: {}, children: [{ id: "w-2", text: "x" }] })).toThrow(
      "renderToString: <textarea> (id w-1) has child nodes; its content must be one text (ElementNode.text).",
    );
  });

  it("renderToBytes writes the same HTML as UTF-8, for a page larger than its buffer with non-ASCII text everywhere, and after a render that threw", () => {
    const items = Array.from({ length: 5000 }, (_, i) => h("li", { key: i, title: `é${i}"` }, `ünïcødé ${i} 😀 <&> ${"x".repeat(i % 50)}`));
    const tree = lower(h("ul", {}, items), { alloc: createIdAllocator() });
    const expected = Buffer.from(renderToString(tree, { nonce: "n0" }));
    expect(expected.length).toBeGreaterThan(256 * 1024);
    expect(renderToBytes(tree, { nonce: "n0" }).equals(expected)).toBe(true);
    expect(() => renderToBytes({ id: "w-1", tag: "div", attrs: {}, children: [tree, { id: "w-2--><script>", text: "x" }] })).toThrow(/unsafe node id/);
    expect(renderToBytes(tree, { nonce: "n0" }).equals(expected)).toBe(true);
    expect(renderToString(tree, { nonce: "n0" })).toBe(expected.toString());
  });
});
