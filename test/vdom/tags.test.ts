// @vitest-environment jsdom
import { describe, expect, it } from "vitest";
import { RenderError } from "../../src/errors.js";
import { isRefusedTag, isTextOnly } from "../../src/vdom/tags.js";
import { createIdAllocator, diff, h, isUnsafeAttr, isUnsafeTag, lower, renderToString, type ElementNode, type Node, type VNode } from "../../src/vdom/index.js";

/** A hand-built element, as a store or a JSON snapshot could hand back: no h(), no lowering. */
const el = (tag: string, extra: Partial<ElementNode> = {}): ElementNode => ({ id: "w-1", tag, attrs: {}, children: [], ...extra });
const html = (v: VNode, nonce?: string) => renderToString(lower(v, { alloc: createIdAllocator() }), { nonce });
/** What a browser's parser makes of the page's HTML. */
const parse = (markup: string) => {
  const box = document.createElement("div");
  box.innerHTML = markup;
  return box;
};

const REFUSED = ["script", "SCRIPT", "Script", "sCrIpT", "base", "BASE", "object", "Object", "embed", "EMBED"];

describe("the tag rule (isUnsafeTag, shared with the browser)", () => {
  it.each(REFUSED)("refuses %j", (tag) => {
    expect(isUnsafeTag(tag)).toBe(true);
    expect(isRefusedTag(tag)).toBe(true);
  });

  it("refuses names outside letters, digits and '-', and accepts SVG's camelCase names", () => {
    for (const tag of ["", "img onerror=x", "a>", "1a", "-a", "a_b", "é", "script\0", " script", "x:script"]) expect(isUnsafeTag(tag)).toBe(true);
    for (const tag of ["div", "DIV", "linearGradient", "foreignObject", "my-element", "h1", "select", "option", "button", "meta", "style"]) {
      expect(isUnsafeTag(tag)).toBe(false);
      expect(isRefusedTag(tag)).toBe(false);
    }
  });

  it("refuses every spelling of the refused names, whatever the case of each letter", () => {
    // The server's fast path looks at a tag's length and first and last letters before the rule: it must let none through.
    for (const name of ["script", "base", "object", "embed", "plaintext", "xmp", "noembed", "noframes"]) {
      for (let mask = 0; mask < 1 << name.length; mask++) {
        const tag = [...name].map((c, i) => (mask & (1 << i) ? c.toUpperCase() : c)).join("");
        expect(isRefusedTag(tag), tag).toBe(true);
        if (["script", "base", "object", "embed"].includes(name)) expect(isUnsafeTag(tag), tag).toBe(true);
        // Lowering's own pre-check must send every spelling to the rule.
        expect(() => lower(h(tag, {}), { alloc: createIdAllocator() }), tag).toThrow(/elements cannot be rendered/);
      }
    }
    for (const tag of ["noscript", "nav", "xml", "node-d", "nobr"]) expect(isRefusedTag(tag), tag).toBe(false);
  });

  it("compares textarea, title, style, iframe and noscript in any case", () => {
    for (const tag of ["style", "STYLE", "Title", "TEXTAREA", "iframe", "IFrame", "noscript", "NOSCRIPT"]) expect(isTextOnly(tag)).toBe(true);
    expect(isTextOnly("styles")).toBe(false);
    expect(isTextOnly("iframes")).toBe(false);
  });
});

describe("refused tags on the server", () => {
  const render = (v: VNode) => lower(h("main", {}, v), { alloc: createIdAllocator() });

  it.each(REFUSED)("rendering <%s> throws a RenderError that names the tag and the fix", (tag) => {
    expect(() => render(h(tag, { src: "https://evil.test/x.js" }))).toThrow(RenderError);
    expect(() => render(h(tag, {}))).toThrow(/(h|render)\(\): <\w+> elements cannot be rendered.*check it against a list of the tags you allow/);
  });

  it("h() itself refuses the lowercase <script> at once", () => {
    expect(() => h("script", {})).toThrow(/h\(\): <script> elements cannot be rendered.*@client methods/);
  });

  it("refuses <plaintext>, and http-equiv in any spelling, and allows other metas", () => {
    expect(() => render(h("PLAINTEXT", {}))).toThrow(/turns the rest of the page into text/);
    for (const props of [{ "http-equiv": "refresh" }, { "HTTP-EQUIV": "refresh" }, { httpEquiv: "refresh" }]) {
      expect(() => render(h("meta", { ...props, content: "0;url=https://evil.test" }))).toThrow(/http-equiv cannot be rendered/);
      expect(() => render(h("META", props))).toThrow(RenderError);
    }
    expect(render(h("meta", { itemprop: "name", content: "x" }))).toBeTruthy();
  });

  it("refuses the obsolete raw-text <xmp>, <noembed>, <noframes>; <iframe> and <noscript> hold one text, written without a marker", () => {
    for (const tag of ["xmp", "NoEmbed", "noframes"]) expect(() => render(h(tag, {}, "a<", h("b", {}, "bold")))).toThrow(/obsolete element whose content the browser reads as raw text/);
    for (const tag of ["iframe", "noscript"]) {
      expect(() => render(h(tag, {}, "a<", h("b", {}, "bold")))).toThrow(/can only (contain|hold one) text/);
      const alloc = createIdAllocator();
      const old = lower(h("div", {}, h(tag, {}, "x")), { alloc });
      expect(() => diff(old, h("div", {}, h(tag, {}, h("b", {}, "bold"))), { alloc })).toThrow(/text/);
    }
    expect(html(h("noscript", {}, "Turn on JavaScript & reload"))).toBe('<noscript data-rv="w-1">Turn on JavaScript &amp; reload</noscript>');
    expect(() => renderToString({ id: "w-1", tag: "div", attrs: {}, children: [el("xmp", { id: "w-2" })] })).toThrow(/unsafe tag/);
  });

  it("refuses http-equiv added to a <meta> by a later render", () => {
    const alloc = createIdAllocator();
    const old = lower(h("div", {}, h("meta", { itemprop: "x", content: "a" })), { alloc });
    expect(() => diff(old, h("div", {}, h("meta", { itemprop: "x", content: "a", "http-equiv": "refresh" })), { alloc })).toThrow(/http-equiv/);
  });

  it.each(REFUSED)("lowering refuses a hand-built <%s> node", (tag) => {
    const node = { type: "element", tag, props: { src: "https://evil.test/x.js" }, key: undefined, children: [] } as unknown as VNode;
    expect(() => lower(h("div", {}, node), { alloc: createIdAllocator() })).toThrow(/render\(\): <\w+> elements cannot be rendered/);
  });

  it("the diff refuses a hand-built refused tag in a patch (append, insert and replace)", () => {
    const alloc = createIdAllocator();
    const old = lower(h("ul", {}, h("li", { key: "a" })), { alloc });
    const hostile = { type: "element", tag: "SCRIPT", props: { src: "https://evil.test/x.js" }, key: "b", children: [] } as unknown as VNode;
    expect(() => diff(old, h("ul", {}, h("li", { key: "a" }), hostile), { alloc })).toThrow(RenderError);
    expect(() => diff(old, h("ul", {}, hostile, h("li", { key: "a" })), { alloc })).toThrow(RenderError);
    const old2 = lower(h("div", {}, h("p", {})), { alloc });
    expect(() => diff(old2, h("div", {}, { ...(hostile as object), key: undefined } as unknown as VNode), { alloc })).toThrow(RenderError);
  });

  it.each([...REFUSED, "plaintext", "PlainText", "img onerror=alert(1)", "x><script>", ""])("renderToString refuses a tree read back with the tag %j", (tag) => {
    expect(() => renderToString({ id: "w-1", tag: "div", attrs: {}, children: [el(tag, { id: "w-2" })] })).toThrow(/unsafe tag/);
  });

  it("never writes http-equiv, and the meta it leaves is inert", () => {
    const tree = el("meta", { attrs: { "http-equiv": "refresh", "HTTP-EQUIV": "refresh", content: "0;url=https://evil.test" } });
    expect(renderToString(tree)).toBe('<meta data-rv="w-1" content="0;url=https://evil.test">');
    expect(isUnsafeAttr("Http-Equiv", "refresh")).toBe(true);
  });
});

describe("text in raw-text elements never becomes markup", () => {
  const hostile = `</style></title></textarea><img src=x onerror=alert(1)><script>alert(1)</script>`;

  it("escapes the text of an SVG <style>, where the parser reads markup, and the browser reads it back as the same CSS", () => {
    const css = `a > b { fill: red } /* <img src=x onerror=alert(1)> & */`;
    const markup = html(h("svg", {}, h("style", {}, css)));
    expect(markup).toBe(`<svg data-rv="w-1"><style data-rv="w-2">a &gt; b { fill: red } /* &lt;img src=x onerror=alert(1)&gt; &amp; */</style></svg>`);
    const box = parse(markup);
    expect(box.querySelector("img")).toBeNull();
    expect(box.querySelector("style")!.textContent).toBe(css);
  });

  it("escapes an SVG <style> that a hand-built tree gives a closing tag, in any case", () => {
    for (const tag of ["style", "STYLE"]) {
      const tree: Node = { id: "w-1", tag: "svg", attrs: {}, children: [el(tag, { id: "w-2", text: hostile })] };
      const box = parse(renderToString(tree));
      expect(box.querySelectorAll("img, script")).toHaveLength(0);
      expect(box.querySelector("svg")!.textContent).toBe(hostile);
    }
  });

  it("writes an HTML <style>'s CSS raw, a </style in it (any case, hand-built too) as <\\/style: the same CSS, still one element", () => {
    expect(html(h("style", {}, "a > b { color: red }"))).toBe('<style data-rv="w-1">a > b { color: red }</style>');
    for (const tag of ["style", "STYLE", "Style"]) {
      for (const text of [hostile, "a{}</STYLE ><img src=x onerror=alert(1)>", "</sTyLe\n>", "p::after { content: \"</style>\" }"]) {
        const markup = renderToString(el(tag, { text }));
        const box = document.createElement("div");
        box.innerHTML = markup;
        expect(box.children).toHaveLength(1);
        // The DOM's CSS text differs from the tree's only by a backslash before each `/` of `</style`, which CSS reads as the `/`.
        expect(box.firstElementChild!.textContent).toBe(text.replace(/<\/(style)/gi, "<\\/$1"));
      }
    }
    // Read by the CSS parser: the rule's string is the tree's text.
    const sheet = document.createElement("div");
    document.body.append(sheet);
    sheet.innerHTML = renderToString(el("style", { text: 'p::after { content: "</style>" }' }));
    expect((sheet.querySelector("style")!.sheet!.cssRules[0] as CSSStyleRule).style.getPropertyValue("content")).toBe('"</style>"');
    sheet.remove();
  });

  it("writes <style> raw again inside an SVG <foreignObject>, where it is HTML", () => {
    const markup = html(h("svg", {}, h("foreignObject", {}, h("div", {}, h("style", {}, "p > b { color: red }")))));
    expect(markup).toContain(">p > b { color: red }</style>");
    expect(parse(markup).querySelector("style")!.textContent).toBe("p > b { color: red }");
    // A </style there is written <\/style as in any HTML: the style stays one element, nothing else is parsed.
    const box = parse(renderToString({ id: "w-1", tag: "svg", attrs: {}, children: [{ ...el("foreignObject", { id: "w-2" }), children: [el("style", { id: "w-3", text: hostile })] }] }));
    expect(box.querySelectorAll("img, script, textarea, title")).toHaveLength(0);
    expect(box.querySelector("style")!.textContent).toBe(hostile.replace("</style", "<\\/style"));
  });

  it("escapes a <style> inside <math> (foreign content too)", () => {
    const box = parse(renderToString({ id: "w-1", tag: "math", attrs: {}, children: [el("style", { id: "w-2", text: "<img src=x onerror=alert(1)>" })] }));
    expect(box.querySelector("img")).toBeNull();
  });

  it.each(["title", "TITLE", "textarea", "TextArea"])("escapes the text of <%s>, in HTML and in SVG", (tag) => {
    for (const tree of [el(tag, { text: hostile }), { id: "w-1", tag: "svg", attrs: {}, children: [el(tag, { id: "w-2", text: hostile })] } as Node]) {
      const box = parse(renderToString(tree));
      expect(box.querySelectorAll("img, script")).toHaveLength(0);
      expect(box.textContent).toBe(hostile);
    }
  });

  it.each(["TEXTAREA", "Title", "STYLE"])("refuses child nodes in <%s>, as in lowercase", (tag) => {
    expect(() => h(tag, {}, h("b", {}), "x")).toThrow(/can only contain text/);
    expect(() => renderToString({ ...el(tag), children: [{ id: "w-2", text: hostile }] })).toThrow(/has child nodes/);
  });

  it("refuses content in a void element written in any case", () => {
    expect(() => renderToString(el("IMG", { text: "<b>x</b>" }))).toThrow(/void element/);
  });
});

describe("style elements carry the page's nonce", () => {
  it("writes the nonce on every <style>, in HTML and SVG, before any other attribute, and on nothing else", () => {
    const markup = html(h("div", {}, h("style", { media: "screen" }, "p{}"), h("svg", {}, h("style", {}, "c{}")), h("link", { rel: "stylesheet", href: "/a.css" })), "abc+/=");
    expect(markup).toBe(
      '<div data-rv="w-1"><style data-rv="w-2" nonce="abc+/=" media="screen">p{}</style><svg data-rv="w-3"><style data-rv="w-4" nonce="abc+/=">c{}</style></svg><link data-rv="w-5" rel="stylesheet" href="/a.css"></div>',
    );
  });

  it("drops a nonce written in render(), and refuses a nonce that is not base64", () => {
    expect((lower(h("style", { nonce: "guess" }, "p{}"), { alloc: createIdAllocator() }) as ElementNode).attrs).toEqual({});
    expect(() => renderToString(el("p"), { nonce: '"><script>' })).toThrow(/not base64/);
  });
});

describe("data: URLs", () => {
  it("accepts base64 PNG, JPEG, GIF and WebP images, and no other data: URL", () => {
    for (const type of ["png", "jpeg", "gif", "webp", "PNG"]) expect(isUnsafeAttr("src", `data:image/${type};base64,iVBORw0KGgo=`)).toBe(false);
    expect(isUnsafeAttr("src", " \tdata:image/png;base64,AAAA")).toBe(false);
    for (const url of ["data:image/svg+xml;base64,PHN2Zz4=", "data:image/png,%89PNG", "data:image/pngx;base64,AA", "data:text/html;base64,PHNjcmlwdD4=", "data:image/png;charset=utf-8;base64,AA", "data:,x"]) {
      expect(isUnsafeAttr("src", url), url).toBe(true);
    }
  });

  it("lowering keeps an <img> data: image and drops an SVG one", () => {
    const png = "data:image/png;base64,iVBORw0KGgo=";
    expect((lower(h("img", { src: png }), { alloc: createIdAllocator() }) as ElementNode).attrs).toEqual({ src: png });
    expect((lower(h("img", { src: "data:image/svg+xml,<svg onload=alert(1)>" }), { alloc: createIdAllocator() }) as ElementNode).attrs).toEqual({});
    expect(renderToString(el("img", { attrs: { src: png } }))).toBe(`<img data-rv="w-1" src="${png}">`);
  });
});
