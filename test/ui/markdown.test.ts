import { afterEach, expect, it } from "vitest";
import { App, h, server } from "revue";
import { createIdAllocator, lower, renderToString } from "revue/internals";
import { markdown } from "revue/ui";
import { mount, type TestSession } from "revue/testing";
import { createBinder } from "../../src/registry/bind.js";
import { getSpec } from "../../src/registry/spec.js";
import { View } from "../../src/session/view.js";
import type { ElementNode } from "../../src/vdom/index.js";

class Doc extends App {
  source = "";
  options: Parameters<typeof markdown>[1] = {};
  @server.rpc show(source: string, options: Parameters<typeof markdown>[1] = {}) {
    this.source = source;
    this.options = options;
  }
  override render() {
    return h("main", {}, markdown(this.source, this.options));
  }
}

let t: TestSession<Doc> | undefined;
afterEach(async () => {
  await t?.unmount();
  t = undefined;
});

async function shown(source: string, options: Parameters<typeof markdown>[1] = {}): Promise<Element> {
  t ??= await mount(Doc);
  await t.rpc("show", source, options);
  await t.settle();
  return t.find(".rv-markdown")!;
}

/** HTML without Revue's ids and text markers. */
const bare = (html: string) => html.replace(/ data-rv="[^"]*"/g, "").replace(/<!--[^>]*-->/g, "");
/** The element's HTML without Revue's ids. */
const clean = (el: Element) => bare(el.innerHTML);
/** What a page rendering `source` afresh shows inside the markdown's element. */
const rendered = (source: string) => bare(renderToString(lower(markdown(source), { alloc: createIdAllocator() }))).replace(/^<div class="rv-markdown">|<\/div>$/g, "");

it("renders CommonMark, tables and strikethrough as elements", async () => {
  const el = await shown(
    "# Title\n\nSome *em*, **strong**, ~~gone~~ and `code`.\n\n- one\n- two\n\n3. three\n4. four\n\n> quoted\n\n```ts\nconst x = 1 < 2;\n```\n\n| a | b |\n|:--|--:|\n| 1 | 2 |\n\n---\n\n[link](https://example.com \"tip\") and ![pic *one*](/img.png)",
  );
  expect(clean(el)).toBe(
    "<h1>Title</h1>" +
      "<p>Some <em>em</em>, <strong>strong</strong>, <s>gone</s> and <code>code</code>.</p>" +
      "<ul><li>one</li><li>two</li></ul>" +
      '<ol start="3"><li>three</li><li>four</li></ol>' +
      "<blockquote><p>quoted</p></blockquote>" +
      '<pre><code class="language-ts">const x = 1 &lt; 2;\n</code></pre>' +
      '<table><thead><tr><th style="text-align:left">a</th><th style="text-align:right">b</th></tr></thead><tbody><tr><td style="text-align:left">1</td><td style="text-align:right">2</td></tr></tbody></table>' +
      "<hr>" +
      '<p><a href="https://example.com" title="tip" rel="noopener noreferrer nofollow">link</a> and <img src="/img.png" alt="pic one"></p>',
  );
});

it("keeps raw HTML as text and drops links and images whose URL is not safe, keeping their text", async () => {
  const el = await shown(
    '<script>alert(1)</script>\n\n<img src=x onerror="alert(2)"> inline\n\n[a](javascript:alert(3)) [b](JAVASCRIPT:alert(4)) [c](vbscript:x) [d](data:text/html;base64,PHNjcmlwdD4=) <javascript:alert(5)> ![e](javascript:alert(6)) [f](&#106;avascript:alert(7))',
  );
  expect(el.querySelectorAll("script, [onerror]")).toHaveLength(0);
  expect([...el.querySelectorAll("a, img")].map((e) => e.outerHTML)).toEqual([]);
  expect(el.textContent).toContain("<script>alert(1)</script>");
  expect(el.textContent).toContain('<img src=x onerror="alert(2)"> inline');
  expect(el.textContent).toContain("[a](javascript:alert(3)) [b](JAVASCRIPT:alert(4))"); // markdown-it leaves a refused link as the text it was written as
});

it("marks a scheme-relative link (//host) as going to another site, as it does https:", async () => {
  const el = await shown("[a](//evil.example/x) [b](/here) [c](https://example.com)");
  expect([...el.querySelectorAll("a")].map((a) => [a.getAttribute("href"), a.getAttribute("rel")])).toEqual([
    ["//evil.example/x", "noopener noreferrer nofollow"],
    ["/here", null],
    ["https://example.com", "noopener noreferrer nofollow"],
  ]);
});

it("shows a source over maxLength (100,000 characters by default) as plain text, unparsed", async () => {
  // 300 KB of emphasis marks overflowed the stack (a page that showed it answered 500 to every visitor), after seconds of parsing.
  const marks = "**_".repeat(100_000);
  expect((markdown(marks) as unknown as { children: unknown[] }).children).toEqual([expect.objectContaining({ tag: "pre", text: marks })]);
  const long = "# Not a heading\n\n" + "word ".repeat(21_000);
  const el = await shown(long);
  expect(el.children).toHaveLength(1);
  expect(el.firstElementChild!.tagName).toBe("PRE");
  expect(el.textContent).toBe(long);
  expect(clean(await shown(long, { maxLength: 200_000 }))).toMatch(/^<h1>Not a heading<\/h1><p>word word/);
  expect(clean(await shown("*a*", { maxLength: 2 }))).toBe("<pre>*a*</pre>");
  expect(clean(await shown("*a*\r\n\r\n*b*", { maxLength: 8 }))).toBe("<p><em>a</em></p><p><em>b</em></p>"); // CRLF counts as one
  for (const bad of [Number.NaN, -1, null, "5"]) expect(() => markdown("x", { maxLength: bad as number })).toThrow(/maxLength must be a number of characters/);
});

it("shows a source that would make more than maxElements (5,000 by default) elements as plain text", async () => {
  // 99 KB of "*a": 25,000 <em>s, which every page showing it would build, diff and be sent.
  const marks = "*a".repeat(49_500);
  expect((markdown(marks) as unknown as { children: unknown[] }).children).toEqual([expect.objectContaining({ tag: "pre", text: marks })]);
  expect(markdown(marks)).toBe(markdown(marks)); // parsed once: the same tree again
  const doc = "# Title\n\n" + "A paragraph with *some* **words**.\n\n".repeat(1_000); // 3,001 elements
  expect((await shown(doc)).querySelectorAll("p")).toHaveLength(1_000);
  expect(clean(await shown(doc, { maxElements: 3_000 }))).toMatch(/^<pre># Title/);
  expect(clean(await shown("*a* *b*", { maxElements: 3 }))).toBe("<p><em>a</em> <em>b</em></p>");
  expect(clean(await shown("*a* *b*", { maxElements: 2 }))).toBe("<pre>*a* *b*</pre>");
  for (const bad of [Number.NaN, -1, null, "5"]) expect(() => markdown("x", { maxElements: bad as number })).toThrow(/maxElements must be a number of elements/);
  // A reference definition is copied into every use: 94 KB of them would be a 295 MB tree. Shown as text too.
  const refs = "[r]: http://e.co/" + "a".repeat(60_000) + "\n\n" + "[a][r] ".repeat(4_900);
  expect((markdown(refs) as unknown as { children: unknown[] }).children).toEqual([expect.objectContaining({ tag: "pre", text: refs })]);
  const fewRefs = "[r]: http://e.co/x\n\n" + "[a][r] ".repeat(100);
  expect((await shown(fewRefs)).querySelectorAll("a")).toHaveLength(100);
  // The limits decide what a source becomes: a tree made under one is not given under another.
  expect(clean(await shown(fewRefs, { maxLength: 1_000 }))).toMatch(/^<pre>/);
});

it("counts line breaks: a paragraph of many short lines is one text, or past maxElements with breaks", async () => {
  // 100 KB of "a\n": each line and each line break was a node of its own (100,000 nodes, 4 MB of
  // tree) that maxElements did not count; 67 such edits took a 1 GB heap down (attacker probe).
  const lines = "a\n".repeat(50_000);
  const p = (markdown(lines) as unknown as { children: Array<{ tag: string; children: unknown[]; text?: string }> }).children;
  expect(p).toHaveLength(1);
  expect(p[0]!.tag).toBe("p");
  const texts = p[0]!.text !== undefined ? [p[0]!.text] : p[0]!.children.map((c) => (c as { text: string }).text);
  expect(texts).toEqual([lines.slice(0, -1)]); // one text node
  expect((markdown(lines, { breaks: true }) as unknown as { children: unknown[] }).children).toEqual([expect.objectContaining({ tag: "pre", text: lines })]);
  // Within the limit, the page shows the same as before: texts joined, breaks as <br>.
  expect(clean(await shown("one\ntwo *three*\nfour"))).toBe("<p>one\ntwo <em>three</em>\nfour</p>");
  expect(clean(await shown("one\ntwo\nthree", { breaks: true, maxElements: 3 }))).toBe("<p>one<br>two<br>three</p>");
  expect(clean(await shown("one\ntwo\nthree", { breaks: true, maxElements: 2 }))).toBe("<pre>one\ntwo\nthree</pre>");
});

it("follows its options: line breaks, bare links, smart quotes and a class", async () => {
  const el = await shown('one\ntwo "quoted" -- see https://example.com/x', { breaks: true, linkify: true, typographer: true, class: "note" });
  expect(el.getAttribute("class")).toBe("rv-markdown note");
  expect(clean(el)).toBe('<p>one<br>two “quoted” – see <a href="https://example.com/x" rel="noopener noreferrer nofollow">https://example.com/x</a></p>');
});

it("gives the very same tree for the same source, so an unchanged block sends nothing", async () => {
  expect(markdown("# same")).toBe(markdown("# same"));
  expect(markdown("# same")).not.toBe(markdown("# same", { breaks: true }));
  await shown("# a\n\nb");
  const before = t!.ops.length;
  await t!.rpc("show", "# a\n\nb");
  await t!.settle();
  expect(t!.ops.slice(before).flat()).toEqual([]);
  // A block whose text changed is replaced; the others are not touched.
  await t!.rpc("show", "# a\n\nc");
  await t!.settle();
  expect(t!.ops.slice(before).flat().map((op) => op.op)).toEqual(["remove", "append"]);
  expect(clean(t!.find(".rv-markdown")!)).toBe("<h1>a</h1><p>c</p>");
});

it("patches only the blocks an edit adds, removes or merges, wherever it is in a long note", async () => {
  const note = Array.from({ length: 400 }, (_, i) => (i % 4 === 0 ? `## Part ${i}` : `Line ${i}, with *emphasis*.`)).join("\n\n");
  await shown(note);
  const html = () => clean(t!.find(".rv-markdown")!);
  const patched = async (source: string) => {
    const before = t!.ops.length;
    await t!.rpc("show", source);
    await t!.settle();
    const ops = t!.ops.slice(before).flat();
    expect(html()).toBe(rendered(source));
    return { count: ops.length, bytes: JSON.stringify(ops).length };
  };
  // A new paragraph at the top: one insert (matched by position, every block after it was patched: 400 ops).
  expect(await patched("New\n\n" + note)).toMatchObject({ count: 1 });
  expect(await patched(note)).toMatchObject({ count: 1 });
  // A heading typed into the paragraph after it (the first line loses its `##`): the two blocks become one.
  const merged = await patched("x" + note.replace("\n\n", "\n"));
  expect(merged.count).toBe(3); // two removed, one inserted
  expect(await patched(note)).toMatchObject({ count: 3 });
  expect(merged.bytes).toBeLessThan(1_000);
  // A duplicate paragraph inserted, then removed: the same text twice is two blocks.
  expect((await patched(note.replace("Line 5,", "Line 1, with *emphasis*.\n\nLine 5,"))).count).toBe(1);
  expect((await patched(note)).count).toBe(1);
});

it("patches the text of a long paragraph or code block edited below its first line, and keeps the block", async () => {
  const para = Array.from({ length: 300 }, (_, i) => `line ${i} of one long paragraph`).join("\n");
  const code = "```ts\n" + Array.from({ length: 300 }, (_, i) => `const v${i} = ${i};`).join("\n") + "\n```";
  const note = `# Notes\n\n${para}\n\n${code}\n\nThe end.`;
  await shown(note);
  for (const edited of [note.replace("line 150 of", "line 150 (edited) of"), note.replace("const v150 = 150;", "const v150 = 151;")]) {
    const before = t!.ops.length;
    await t!.rpc("show", edited);
    await t!.settle();
    const ops = t!.ops.slice(before).flat();
    expect(ops.map((op) => op.op)).not.toContain("remove");
    // A 300-line block replaced whole was 23 KB a keystroke.
    expect(JSON.stringify(ops).length).toBeLessThan(12_000);
    expect(clean(t!.find(".rv-markdown")!)).toBe(rendered(edited));
    await t!.rpc("show", note);
    await t!.settle();
  }
});

it("says what to pass when the source is not a string", () => {
  expect(() => markdown(undefined as unknown as string)).toThrow('markdown(source): source must be a string, got undefined. Pass the text, e.g. markdown(this.body ?? "").');
});

it("keeps the heap its cache of trees holds bounded when visitors send many distinct long lists", async () => {
  const { setFlagsFromString } = await import("node:v8");
  const { runInNewContext } = await import("node:vm");
  setFlagsFromString("--expose-gc");
  const gc = runInNewContext("gc") as () => void;
  const heap = () => (gc(), gc(), process.memoryUsage().heapUsed);
  const before = heap();
  // 600 lists of 1,000 short items (2.4 MB of source), each different.
  for (let n = 0; n < 600; n++) markdown(`${n}\n\n` + "- a\n".repeat(1_000));
  const held = heap() - before;
  expect(held).toBeLessThan(48 * 1024 * 1024); // the cache weighs 32 MB at most (counted in characters, it held ≈ 120 MB)
}, 60_000);

it("is not copied nor walked again at each render in any session showing it, nor after a session rested", () => {
  const source = Array.from({ length: 400 }, (_, i) => `## Part ${i}\n\nSome *text* with a [link](/p/${i}) and \`code\`.`).join("\n\n");
  class Page extends App {
    clicks = 0;
    override render() {
      return h("main", {}, h("p", {}, String(this.clicks)), markdown(source));
    }
  }
  class Bare extends App {
    clicks = 0;
    override render() {
      return h("main", {}, h("p", {}, String(this.clicks)));
    }
  }
  const open = (cls: typeof Page | typeof Bare) => {
    const app = new cls();
    const view = new View(() => app.render(), createBinder(getSpec(cls)));
    view.firstTree();
    return { app, view };
  };
  // A click beside the document, in the second session showing it (the parse is shared), and after it rested:
  // about what a click beside nothing costs (2–8× here), not a walk of the document's nodes (≈ 150× it).
  const clicks = (s: { app: { clicks: number }; view: View }, n: number) => {
    const t0 = process.cpuUsage();
    for (let i = 0; i < n; i++) {
      s.app.clicks++;
      s.view.update(i);
    }
    const { user, system } = process.cpuUsage(t0);
    return user + system;
  };
  open(Page);
  const second = open(Page), bare = open(Bare);
  clicks(second, 200);
  clicks(bare, 200);
  expect(clicks(second, 400) / clicks(bare, 400)).toBeLessThan(30);
  second.view.rest();
  clicks(second, 50);
  expect(clicks(second, 400) / clicks(bare, 400)).toBeLessThan(30);
});
