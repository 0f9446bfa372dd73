// @vitest-environment jsdom
import { describe, expect, it } from "vitest";
import { setFlagsFromString } from "node:v8";
import { runInNewContext } from "node:vm";
import { createIdAllocator, diff, Fragment, h, lower, renderToBytes, renderToString, text, type ElementNode, type VNode } from "../../src/vdom/index.js";
import { renderVNodeToBytes } from "../../src/vdom/html.js";

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

  it("escapes a value each time it is written, for many elements and many attributes", () => {
    const cells = Array.from({ length: 3 }, (_, i) => h("td", { class: `"c"`, title: `t${i % 2} & more` }));
    expect(html(h("tr", {}, cells))).toBe(
      '<tr data-rv="w-1"><td data-rv="w-2" class="&quot;c&quot;" title="t0 &amp; more"></td><td data-rv="w-3" class="&quot;c&quot;" title="t1 &amp; more"></td><td data-rv="w-4" class="&quot;c&quot;" title="t0 &amp; more"></td></tr>',
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
    // So does <pre> (and <listing>): the parser drops one newline after its start tag. In a list too.
    box.innerHTML = html(h("pre", {}, "\nline0"));
    expect(box.firstElementChild!.textContent).toBe("\nline0");
    // A carriage return is written as a reference: raw, the parser makes it (and CRLF) a newline.
    box.innerHTML = html(h("pre", {}, "\r\nCRLF\rCR"));
    expect(box.firstElementChild!.textContent).toBe("\r\nCRLF\rCR");
    box.innerHTML = html(h("p", { title: "a\r\nb" }, "x"));
    expect(box.firstElementChild!.getAttribute("title")).toBe("a\r\nb");
    box.innerHTML = html(h("div", {}, Array.from({ length: 9 }, (_, i) => h("pre", { key: i }, `\ncode ${i}`))));
    expect(Array.from(box.querySelectorAll("pre"), (p) => p.textContent)).toEqual(Array.from({ length: 9 }, (_, i) => `\ncode ${i}`));
  });

  it("refuses ids and tags that did not come from lowering", () => {
    expect(() => renderToString({ id: "w-1--><script>", text: "x" })).toThrow(/unsafe node id/);
    expect(() => renderToString({ id: "w-1", tag: "p", attrs: {}, children: [{ id: 'w-2" onclick="x', tag: "b", attrs: {}, children: [] }] })).toThrow(/unsafe node id/);
    // A tree from h() that no lowering placed has no ids to write.
    expect(() => renderToString(h("p", {}, "x") as never)).toThrow(/unsafe node id "null"; was the tree built by lower\(\)\/diff\(\)\?/);
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

describe("renderVNodeToBytes", () => {
  const bind = (_tag: string, prop: string, value: unknown) => {
    if (value !== click) throw new Error(`${prop} is not bindable`);
    return "r:click";
  };
  function click() {}
  const Card = (p: { title: string; children: VNode[] }) => h("section", { class: "card" }, h("h2", {}, p.title), ...p.children);
  const shared = h("footer", {}, "kept ", h("b", {}, "between"), " renders");
  lower(shared, { alloc: createIdAllocator() }); // placed in another tree already: lowering copies it, writing reads it as it is
  const trees: Record<string, () => VNode> = {
    "a table of keyed rows": () => h("table", {}, h("tbody", {}, Array.from({ length: 50 }, (_, i) => h("tr", { key: i, class: i % 7 ? "" : "danger" }, h("td", {}, i), h("td", {}, h("a", { href: `/r/${i}` }, `row <${i}> & "q"`)))))),
    "mixed text, holes and arrays": () => h("p", { title: 'a"b' }, "one ", false, h("b", {}, "two"), null, ["three", h("i", {}, "four")], 5, h("span", {})),
    "keys that need escaping, and handlers": () => h("ul", { onClick: click }, ["a b", "é", "", "x-y", 3].map((k) => h("li", { key: k, "data-k": String(k) }, String(k)))),
    "svg, style, textarea, void elements and the nonce": () =>
      h("div", { class: ["x", { y: true, z: false }], style: { fontSize: "12px" } },
        h("style", {}, "p { color: red } a > b"),
        h("svg", { viewBox: "0 0 1 1" }, h("style", {}, "a < b & c"), h("foreignObject", {}, h("style", {}, "q{}"))),
        h("textarea", {}, "\nfirst line", " & more"),
        h("input", { value: "v", disabled: true, checked: false }),
        h("img", { src: "javascript:alert(1)", alt: "x" }),
        h("br", {}),
        h("title", {}, "A ", "& B")),
    "components and a subtree placed elsewhere": () => h("main", {}, h(Card, { title: "t", key: "c1" }, h("p", {}, "body"), "tail"), shared, h(Card, { title: "u" })),
    "non-ASCII everywhere": () => h("div", { title: "é😀" }, "ünï ", h("b", {}, "😀 <&>"), "ç"),
    "a text at the root": () => text("just text"),
  };
  for (const [name, tree] of Object.entries(trees)) {
    it(`writes what lowering then renderToBytes write: ${name}`, () => {
      const expected = renderToBytes(lower(tree(), { alloc: createIdAllocator(), bind }), { nonce: "n0" });
      expect(renderVNodeToBytes(tree(), { alloc: createIdAllocator(), bind, nonce: "n0" }).toString()).toBe(expected.toString());
    });
  }

  it("continues the allocator's ids, and leaves the tree as render() built it, to be lowered afterwards", () => {
    const alloc = createIdAllocator(10);
    const tree = h("p", {}, "a", h("b", {}, "b"));
    expect(renderVNodeToBytes(tree, { alloc }).toString()).toBe('<p data-rv="w-11"><!--w-12-->a<b data-rv="w-13">b</b></p>');
    expect(alloc.count).toBe(13);
    expect(renderToString(lower(tree, { alloc: createIdAllocator(10) }))).toBe('<p data-rv="w-11"><!--w-12-->a<b data-rv="w-13">b</b></p>');
  });

  it("fails as lowering fails: a refused tag, a fragment at the root, a duplicate key, an unbindable handler", () => {
    const fails = (v: VNode) => {
      let lowering: unknown, writing: unknown;
      try { lower(v, { alloc: createIdAllocator(), bind }); } catch (err) { lowering = err; }
      try { renderVNodeToBytes(v, { alloc: createIdAllocator(), bind }); } catch (err) { writing = err; }
      expect(lowering).toBeInstanceOf(Error);
      expect(writing).toEqual(lowering);
      expect((writing as Error).constructor).toBe((lowering as Error).constructor);
    };
    fails(h("div", {}, { type: "element", tag: "SCRIPT", props: {}, key: undefined, children: [] } as VNode));
    fails(h("div", {}, h("plaintext", {}, "x")));
    fails(h(Fragment, {}, h("p", {})));
    fails(h("ul", {}, h("li", { key: 1 }), h("li", { key: "1" })));
    fails(h("button", { onClick: () => {} }, "x"));
  });
});

describe("SVG animations", () => {
  it("cannot point a link at a script URL: an attributeName naming href is dropped, on the first page and in patches", () => {
    const url = "javascript:window.__pwned=2";
    const link = (u: string) =>
      h("svg", {}, h("a", { href: "/ok" }, h("animate", { attributeName: "href", values: u }), h("set", { attributeName: "xlink:href", to: u }), h("set", { attributeName: " HREF ", to: u }), h("animate", { attributeName: "opacity", values: "0;1" }), h("text", {}, "go")));
    const html = renderToString(lower(link(url), { alloc: createIdAllocator() }));
    expect(html).not.toMatch(/attributeName="[^"]*href/i);
    expect(html).toContain('attributeName="opacity"');
    const alloc = createIdAllocator();
    const old = lower(h("svg", {}, h("a", {}, h("set", { attributeName: "fill", to: "red" }))), { alloc });
    const { ops } = diff(old, h("svg", {}, h("a", {}, h("set", { attributeName: "href", to: url }))), { alloc });
    expect(JSON.stringify(ops)).not.toMatch(/"attributeName":"href"/);
    expect(JSON.stringify(ops)).toContain('"attributeName"'); // removed
  });
});

describe("URLs in other attributes", () => {
  it("drops a javascript: (or vbscript:, data:) URL from poster, cite and the like, and from any entry of ping or srcset, on the first page and in patches", () => {
    // " \x01JAVA…": browsers strip a URL's leading controls and spaces (in a list, a tab or a space would split it instead).
    const bad = ["javascript:window.__pwned=3", "\x01JAVASCRIPT:alert(1)", "vbscript:x", "data:text/html,<script>alert(1)</script>"];
    const page = (u: string) =>
      h("main", {},
        h("video", { poster: u }), h("blockquote", { cite: u }), h("img", { alt: "", longdesc: u, srcset: `/a.png 1x, ${u} 2x` }),
        h("a", { href: "/ok", ping: `/count ${u}` }, "go"), h("table", { background: u }));
    for (const u of bad) {
      const html = renderToString(lower(page(u), { alloc: createIdAllocator() }));
      expect(html).not.toMatch(/poster=|cite=|longdesc=|srcset=|ping=|background=/);
      const alloc = createIdAllocator();
      const { ops } = diff(lower(page("/x.png"), { alloc }), page(u), { alloc });
      expect(ops.flatMap((op) => (op.op === "attrs" ? Object.keys(op.set) : []))).toEqual([]);
    }
    const fine = renderToString(lower(page("/media/x.png"), { alloc: createIdAllocator() }));
    for (const attr of ['poster="/media/x.png"', 'cite="/media/x.png"', 'srcset="/a.png 1x, /media/x.png 2x"', 'ping="/count /media/x.png"']) expect(fine).toContain(attr);
    expect(renderToString(lower(h("video", { poster: "data:image/png;base64,iVBORw0KGgo=" }), { alloc: createIdAllocator() }))).toContain('poster="data:image/png;base64,');
    // One URL loses its tabs and newlines, as in a browser: "JAVA\tSCRIPT:" is a script URL there.
    expect(renderToString(lower(h("video", { poster: " JAVA\tSCRIPT:alert(1)" }), { alloc: createIdAllocator() }))).not.toContain("poster");
    // A base64 image in a srcset keeps its comma, and stays; a script URL after it, without a space, does not pass.
    const gif = "data:image/gif;base64,R0lGODlhAQABAAAAACw=";
    expect(renderToString(lower(h("img", { alt: "", srcset: `${gif} 1x,${gif} 2x` }), { alloc: createIdAllocator() }))).toContain(`srcset="${gif} 1x,${gif} 2x"`);
    for (const srcset of ["/a.png 1x,javascript:alert(1) 2x", "a.png\t,javascript:alert(1) 2x", "a.png\n,javascript:alert(1)", "a.png,\tjavascript:alert(1)", "/a.png x((y),javascript:alert(1)"]) {
      // A tab or a newline separates candidates as a space does: it must not glue two URLs into one.
      expect(renderToString(lower(h("img", { alt: "", srcset }), { alloc: createIdAllocator() }))).not.toContain("srcset");
    }
    // Read in one pass: 200 KB of commas between two letters took a pattern that backtracked ≈ 40 s (it takes ms).
    const started = Date.now();
    expect(renderToString(lower(h("img", { alt: "", srcset: `x${",".repeat(200_000)}x` }), { alloc: createIdAllocator() }))).toContain("srcset");
    expect(Date.now() - started).toBeLessThan(2_000);
  });
});

describe("DOM clobbering", () => {
  it("drops a name or id from data that would hide a member of the document or of a form, on the first page, through the page writer and in patches", () => {
    const page = (name: string) =>
      h("main", {},
        h("img", { name, alt: "" }), h("form", { name }, h("button", { name: "title" }, "go")), h("iframe", { name }), h("form", { NAME: name }),
        h("p", { id: name }, "a paragraph may have any id"), h("img", { id: "logo", alt: "" }));
    for (const name of ["getElementById", "createElement", "body", "querySelectorAll", "activeElement"]) {
      const html = renderToString(lower(page(name), { alloc: createIdAllocator() }));
      // Only the paragraph keeps it: a <p> is no property of the document or of a form.
      expect(html.match(new RegExp(`"${name}"`, "g"))).toHaveLength(1);
      expect(html).toContain(`id="${name}">a paragraph`);
      expect(html).toContain('name="title"'); // a field's usual name stays, whatever it hides of its form
      expect(renderVNodeToBytes(page(name), { alloc: createIdAllocator() }).toString()).toBe(html);
    }
    // An image's name (obsolete) always goes: with it, the image is exposed under its id as well. Its id alone stays.
    expect(renderToString(lower(h("img", { name: "avatar", id: "title", alt: "" }), { alloc: createIdAllocator() }))).toBe('<img data-rv="w-1" id="title" alt="">');
    // A form's fields: names that walk or edit the tree are dropped, field names stay.
    const fields = (name: string) => h("form", {}, h("input", { name }), h("select", { id: name }), h("textarea", { name }));
    for (const name of ["parentNode", "parentElement", "getAttribute", "firstChild", "nextSibling", "setAttribute"]) {
      expect(renderToString(lower(fields(name), { alloc: createIdAllocator() }))).not.toContain(name);
    }
    for (const name of ["name", "id", "title", "action", "method", "value", "remove", "append", "before", "className", "email"]) {
      expect(renderToString(lower(fields(name), { alloc: createIdAllocator() })).match(new RegExp(`"${name}"`, "g"))).toHaveLength(3);
    }
    // In a patch: a name that comes with data later is dropped as well.
    const alloc = createIdAllocator();
    const old = lower(h("form", { name: "search" }, h("input", { name: "q" })), { alloc });
    const { ops } = diff(old, h("form", { name: "getElementById" }, h("input", { name: "parentNode" })), { alloc });
    expect(JSON.stringify(ops)).not.toMatch(/getElementById|parentNode/);
    expect(ops.map((o) => o.op)).toEqual(["attrs", "attrs"]); // both names removed
  });
});

describe("requests a page's markup could make on its own", () => {
  it("drops a <link rel> that fetches or connects ahead, and a <meta name=\"referrer\">, on the first page and in patches; other rels and names stay", () => {
    const page = (rel: string, name: string) => h("main", {}, h("link", { rel, href: "https://elsewhere.example/x" }), h("meta", { name, content: "unsafe-url" }));
    for (const [rel, name] of [["prefetch", "referrer"], ["DNS-Prefetch", " Referrer "], ["stylesheet preconnect", "REFERRER"], ["prerender", "referrer"]] as const) {
      const html = renderToString(lower(page(rel, name), { alloc: createIdAllocator() }));
      expect(html).not.toMatch(/rel=|name=/);
      const alloc = createIdAllocator();
      const { ops } = diff(lower(page("stylesheet", "description"), { alloc }), page(rel, name), { alloc });
      expect(ops).toEqual(expect.arrayContaining([expect.objectContaining({ op: "attrs", remove: ["rel"] }), expect.objectContaining({ op: "attrs", remove: ["name"] })]));
    }
    const fine = renderToString(lower(page("stylesheet", "description"), { alloc: createIdAllocator() }));
    expect(fine).toContain('rel="stylesheet"');
    expect(fine).toContain('name="description"');
    // Only on <link> and <meta>: an <a rel="prefetch"> fetches nothing.
    expect(html(h("a", { rel: "prefetch", href: "/x" }, "x"))).toContain('rel="prefetch"');
  });
});

describe("style objects", () => {
  it("writes each property under its CSS name, and leaves out a key that is not a property's name (one from data could write declarations of its own)", () => {
    const styled = (style: Record<string, unknown>) => html(h("p", { style }));
    expect(styled({ fontSize: "1em", "--gap": 4, WebkitTransform: "none", "-webkit-box-flex": 1 })).toBe('<p data-rv="w-1" style="font-size:1em;--gap:4;-webkit-transform:none;-webkit-box-flex:1"></p>');
    expect(styled({ "color:red;background:url(/x)": "1px", "a b": 1, "x}": 2, "": 3, top: "0" })).toBe('<p data-rv="w-1" style="top:0"></p>');
    // The same in a patch, against a style that had none of them.
    const alloc = createIdAllocator();
    const { ops } = diff(lower(h("p", { style: { top: "1px" } }), { alloc }), h("p", { style: { "top:0;left": "2px", top: "0" } }), { alloc });
    expect(ops).toEqual([{ op: "attrs", id: "w-1", set: { style: "top:0" }, remove: [] }]);
  });
});

describe("SVG names", () => {
  it("writes SVG's presentation attributes under their hyphenated names when given in camelCase, as JSX writes them; SVG's own camelCase names stay", () => {
    expect(html(h("svg", { viewBox: "0 0 4 4", preserveAspectRatio: "none" }, h("path", { strokeWidth: 2, strokeLinecap: "round", fillOpacity: 0.5, textAnchor: "end", d: "M0 0" }))))
      .toBe('<svg data-rv="w-1" viewBox="0 0 4 4" preserveAspectRatio="none"><path data-rv="w-2" stroke-width="2" stroke-linecap="round" fill-opacity="0.5" text-anchor="end" d="M0 0"></path></svg>');
    const alloc = createIdAllocator();
    const { ops } = diff(lower(h("path", { strokeWidth: 2 }), { alloc }), h("path", { strokeWidth: 3, "stroke-width": "4" }), { alloc });
    expect(ops).toEqual([{ op: "attrs", id: "w-1", set: { "stroke-width": "4" }, remove: [] }]); // two props naming one attribute: the last one's value
  });

  it("writes attribute names as the HTML parser leaves them, so that a patch's setAttribute on an SVG element makes the same attribute (fuzz)", () => {
    const tree = lower(h("svg", { viewbox: "0 0 4 4", tabIndex: 0, "data-Row": "1", PreserveAspectRatio: "none" }, h("use", { "xlink:href": "#icon", "XLINK:HREF": "#icon" })), { alloc: createIdAllocator() });
    expect(renderToString(tree)).toBe('<svg data-rv="w-1" viewBox="0 0 4 4" tabindex="0" data-row="1" preserveAspectRatio="none"><use data-rv="w-2" href="#icon"></use></svg>');
    // What a patch carries: the same names.
    expect((tree as ElementNode).attrs).toEqual({ viewBox: "0 0 4 4", tabindex: "0", "data-row": "1", preserveAspectRatio: "none" });
    // A script URL under a renamed name is still dropped.
    expect(html(h("a", { HREF: "javascript:alert(1)", "xlink:href": "javascript:alert(1)" }))).toBe('<a data-rv="w-1"></a>');
    // A name or id that would hide a member of the document is still dropped when written in capitals.
    expect(html(h("form", { NAME: "getElementById" }))).toBe('<form data-rv="w-1"></form>');
  });
});

describe("what writing keeps", () => {
  it("keeps no long value from data in its caches: 100 pages of 100 KB attribute values and classes leave the heap as it was", () => {
    setFlagsFromString("--expose-gc");
    const gc = runInNewContext("gc") as () => void;
    const page = (big: string) => h("main", {}, h("input", { value: big, title: big }), h("p", { class: { [big]: true, b: true }, "data-x": big }, "x"));
    // The short values the caches are for are written first, so that only what the long ones would add is measured.
    renderToString(lower(page("short"), { alloc: createIdAllocator() }));
    renderVNodeToBytes(page("short"), { alloc: createIdAllocator() });
    gc();
    gc();
    const before = process.memoryUsage().heapUsed;
    for (let i = 0; i < 100; i++) {
      const big = String(i).padEnd(100_000, "x");
      renderToString(lower(page(big), { alloc: createIdAllocator() }));
      renderVNodeToBytes(page(big), { alloc: createIdAllocator() });
    }
    gc();
    gc();
    // Kept, they were 10 MB of values, held for the life of the process (written into the caches three times over).
    expect(process.memoryUsage().heapUsed - before).toBeLessThan(4_000_000);
  });
});
