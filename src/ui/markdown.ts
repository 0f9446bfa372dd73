import markdownIt, { type MarkdownIt, type Token } from "markdown-it";
import { LRUCache } from "lru-cache";
import { UsageError } from "../errors.js";
import { h, type Child } from "../vdom/h.js";
import { memo } from "../vdom/memo.js";
import type { VNode } from "../vdom/types.js";

/** Options of {@link markdown}. */
export interface MarkdownOptions {
  /** A single newline in a paragraph becomes a line break (`<br>`), as in chat messages. Default false. */
  breaks?: boolean;
  /** Bare URLs (`https://…`, `www.…`) become links. Default false. */
  linkify?: boolean;
  /** Smart quotes and dashes (“…”, —). Default false. */
  typographer?: boolean;
  /** Class of the wrapping `<div>`, after `rv-markdown`. */
  class?: string;
  /**
   * The longest source parsed, in characters (default 100,000, about 20 pages): a longer one
   * is shown whole as plain text in a `<pre>`, unparsed. Parsing costs the server's event loop
   * seconds per megabyte on some shapes of text (`"**_".repeat(…)`), and every session waits
   * meanwhile; raise it (`Infinity`) only for documents you trust.
   */
  maxLength?: number;
  /**
   * The most elements a source may become (default 5,000; 99 KB of this project's README made 1,612): a
   * source past it is shown whole as plain text in a `<pre>`, as is one whose links and images
   * hold more than `maxLength` characters of addresses and titles (a reference definition is
   * copied into every use of it). Every session showing it builds,
   * diffs and sends each element, so 100 KB of `"*a"` (25,000 elements) sent to 20 pages held the
   * server 9 s; raise it (`Infinity`) for large tables you trust.
   */
  maxElements?: number;
}

/** The elements markdown-it's CommonMark rules (tables and strikethrough included) produce; anything else is text. */
const TAGS = new Set(["p", "h1", "h2", "h3", "h4", "h5", "h6", "ul", "ol", "li", "blockquote", "table", "thead", "tbody", "tr", "th", "td", "em", "strong", "s", "a", "img", "code", "pre", "hr", "br"]);
/** The attributes kept, per element: the ones those rules set. */
const ATTRS: Readonly<Record<string, readonly string[]>> = { a: ["href", "title"], img: ["src", "alt", "title"], ol: ["start"], th: ["style"], td: ["style"] };
const ALIGN = /^text-align:(left|right|center)$/;

const parsers = new Map<string, MarkdownIt>();
/** Heap per element of a cached tree, with its text, as weighed (1,000 lists of 1,000 short items held 204 MB: ≈ 200 B each). */
const ELEMENT_BYTES = 200;
/**
 * Trees by options and source: the same text gives the very same tree, which the diff then skips whole.
 * Weighed in bytes by their source and elements, so that it holds 32 MB at most: counted in source
 * characters, 10 MB of lists a visitor sent pinned 205 MB that no session's memory budget saw.
 */
const trees = new LRUCache<string, { tree: VNode; bytes: number }>({ max: 500, maxSize: 32_000_000, sizeCalculation: (v) => v.bytes });

/**
 * Markdown as a tree of elements, through `markdown-it` (CommonMark, tables,
 * strikethrough): its tokens become `h()` elements, never HTML parsed in the
 * page. Raw HTML in the source stays text, and every link and image URL must
 * pass markdown-it's `validateLink` (no `javascript:`, `vbscript:`, `file:`, or
 * `data:` but images), so text from users is safe to show.
 *
 * The same source (with the same options) gives the very same tree, kept in a
 * cache of 500 across sessions, and in each session the component is memoised
 * on its source and options, so an unchanged document costs the diff nothing. A source
 * longer than `maxLength` (100,000 characters) is shown as plain text. Blocks are
 * keyed by their first line (see `blockKey`): an edit patches the blocks it
 * adds, removes or changes, wherever it is in the document.
 *
 * @example
 * import { markdown } from "revue/ui";
 * render() {
 *   return h("article", {}, markdown(this.post.body, { linkify: true }));
 * }
 */
export function markdown(source: string, options: MarkdownOptions = {}): VNode {
  if (typeof source !== "string") throw new UsageError(`markdown(source): source must be a string, got ${source === null ? "null" : typeof source}. Pass the text, e.g. markdown(this.body ?? "").`);
  const { breaks = false, linkify = false, typographer = false, maxLength = 100_000, maxElements = 5_000 } = options;
  if (typeof maxLength !== "number" || !(maxLength >= 0)) throw new UsageError(`markdown(source, { maxLength }): maxLength must be a number of characters (0 or more, Infinity for no limit), got ${String(maxLength)}.`);
  if (typeof maxElements !== "number" || !(maxElements >= 0)) throw new UsageError(`markdown(source, { maxElements }): maxElements must be a number of elements (0 or more, Infinity for no limit), got ${String(maxElements)}.`);
  return h(Markdown, { source, breaks: !!breaks, linkify: !!linkify, typographer: !!typographer, maxLength, maxElements, cls: options.class });
}

/**
 * The document, memoised per session on its source and options: the tree the
 * cache shares is placed (given ids) by one session's diff only, so another
 * session's diff copied and walked it at every render (a click beside a 95 KB
 * document, 20 sessions: 720 µs; now what the click itself costs), as did the
 * first one's once its tree had rested and been rebuilt (perf probe).
 */
const Markdown = memo((p: { source: string; breaks: boolean; linkify: boolean; typographer: boolean; maxLength: number; maxElements: number; cls: string | undefined }): VNode => {
  const { source, breaks, linkify, typographer, maxLength, maxElements, cls } = p;
  const wrapper = () => ({ class: cls ? `rv-markdown ${cls}` : "rv-markdown" });
  /** The source whole, unparsed: what a source past the limits shows. */
  const plain = () => h("div", wrapper(), h("pre", {}, source));
  // Cheap to build, and kept out of the cache, whose room is counted in source characters.
  // Counted as parsed: a CRLF line end is one character (a note from Windows was cut 8 % shorter).
  if (source.length > maxLength && source.replace(/\r\n/g, "\n").length > maxLength) return plain();
  const flags = `${+breaks}${+linkify}${+typographer}`;
  // Both limits are in the key: they decide whether the same source is parsed or shown plain.
  const key = `${flags}\0${maxLength}\0${maxElements}\0${cls ?? ""}\0${source}`;
  const cached = trees.get(key);
  if (cached) return cached.tree;
  let md = parsers.get(flags);
  if (!md) parsers.set(flags, (md = markdownIt({ html: false, breaks, linkify, typographer })));
  const tokens = md.parse(source, {});
  const elements = countElements(tokens, maxElements, maxLength, breaks);
  // Lines as markdown-it numbers them (its `map`s): newlines normalised as it does.
  const tree = elements < 0 ? plain() : h("div", wrapper(), build(md, tokens, source.replace(/\r\n?/g, "\n").split("\n")));
  trees.set(key, { tree, bytes: 2 * key.length + ELEMENT_BYTES * (elements < 0 ? 2 : elements + 1) });
  return tree;
});

/**
 * How many elements `tokens` make (openings, and the tokens that are elements
 * of their own: a line break, a `<br>` with `breaks`); -1 past `maxElements`,
 * or when links and images have attributes of more than `maxChars` characters
 * together: a reference definition copies its address into every use, and 94
 * KB of them made a tree of 295 MB. Texts are not counted: next to each other
 * they are one node (see `build`), so there are at most about as many as
 * elements.
 */
function countElements(tokens: readonly Token[], maxElements: number, maxChars: number, breaks: boolean): number {
  let elements = 0, chars = 0;
  const walk = (list: readonly Token[]): boolean => {
    for (const t of list) {
      if (t.nesting === 1 || (t.nesting === 0 && t.type !== "text" && t.type !== "inline" && (t.type !== "softbreak" || breaks))) elements++;
      if (t.attrs) for (const [, value] of t.attrs) chars += String(value).length;
      if (elements > maxElements || chars > maxChars || (t.children && walk(t.children))) return true;
    }
    return false;
  };
  return walk(tokens) ? -1 : elements;
}

/**
 * Turns a token list (a document's blocks, or one inline token's children) into children.
 * `lines`: the source's lines, for the keys of blocks (see {@link blockKey}).
 */
function build(md: MarkdownIt, tokens: readonly Token[], lines: readonly string[]): Child[] {
  const root: Frame = { children: [], seen: new Map() };
  const stack: Array<Frame & { token: Token }> = [];
  const out = () => stack.at(-1) ?? root;
  for (const token of tokens) {
    if (token.nesting === 1) {
      stack.push({ token, children: [], seen: new Map() });
      continue;
    }
    if (token.nesting === -1) {
      const open = stack.pop();
      if (!open) continue;
      endRun(open);
      const parent = out();
      // A tight list's paragraphs are hidden: their content goes straight into the <li>.
      // Lists are pushed as one child, never spread (h() flattens them): a spread of 100,000 inline tokens overflowed the stack.
      if (open.token.hidden) parent.children.push(open.children);
      else parent.children.push(element(md, open.token, open.children, blockKey(open.token, lines, parent.seen)));
      endRun(parent);
      continue;
    }
    const parent = out();
    const made = leaf(md, token, lines, parent.seen);
    // Texts next to each other are one text node (the page shows the same): a paragraph of 50,000
    // lines was 100,000 nodes (each line, each line break), 4 MB of tree that no element limit saw.
    if (made.length === 1 && typeof made[0] === "string") {
      if (parent.run) parent.run.parts.push(made[0]);
      else parent.children.push((parent.run = { slot: made as [string], parts: [made[0]] }).slot);
      continue;
    }
    endRun(parent);
    parent.children.push(made);
  }
  endRun(root);
  return root.children;
}

/** The children being built for one element (or the document), and the keys given among them. */
interface Frame {
  children: Child[];
  seen: Map<string, number>;
  /** The last child when it is a text (`slot`), and the texts that make it: joined by {@link endRun}. */
  run?: { slot: [string]; parts: string[] };
}

/** Writes the frame's text run into its slot as one flat string (`+=` would keep 50,000 pieces as a rope, 2.6 MB for 100 KB). */
function endRun(frame: Frame): void {
  const run = frame.run;
  if (run === undefined) return;
  if (run.parts.length > 1) run.slot[0] = run.parts.join("");
  frame.run = undefined;
}

/** Elements that hold other blocks: keyed by their kind and rank among their siblings, not by their text. */
const CONTAINERS = new Set(["ul", "ol", "blockquote", "table", "thead", "tbody"]);

/**
 * The key of a block among its siblings, so that an edit that adds, removes or
 * merges blocks (a new paragraph at the top, a heading typed into a
 * paragraph) patches those blocks and not every block after them: typing one
 * character at the top of a 5,000-line note made a patch of 1.3 MB when
 * blocks were matched by position. A block holding text (a paragraph,
 * heading, list item, table row, code block, rule) is keyed by a hash of its
 * first line (a code block's first line of code; five base-36 digits), then
 * its rank among the siblings with that hash when it is not the first (the
 * same line twice): an edit further down a long paragraph or code block keeps
 * the block and patches its text (a 300-line paragraph replaced whole was 23 KB
 * a keystroke). A container (a list, quote, table) is keyed by its tag in
 * capitals and its rank among the containers of that tag, so an edit inside
 * it keeps it and patches its blocks. Keys are letters and digits only:
 * anything else would be escaped into a longer id.
 */
function blockKey(token: Token, lines: readonly string[], seen: Map<string, number>): string | undefined {
  if (!token.block || !token.map) return undefined;
  const container = CONTAINERS.has(token.tag);
  const first = token.type === "fence" && token.map[1] - token.map[0] > 2 ? token.map[0] + 1 : token.map[0];
  const base = container ? token.tag.toUpperCase() : sourceHash(lines, first, first + 1);
  const rank = seen.get(base) ?? 0;
  seen.set(base, rank + 1);
  return rank === 0 && !container ? base : base + rank;
}

/** FNV-1a of lines `from` to `to` (excluded), folded to 24 bits, as five base-36 digits. */
function sourceHash(lines: readonly string[], from: number, to: number): string {
  let hash = 0x811c9dc5;
  for (let i = from; i < to && i < lines.length; i++) {
    const line = lines[i]!;
    for (let j = 0; j < line.length; j++) hash = Math.imul(hash ^ line.charCodeAt(j), 0x01000193);
    hash = Math.imul(hash ^ 10, 0x01000193);
  }
  return ((hash ^ (hash >>> 24)) & 0xffffff).toString(36).padStart(5, "0");
}

/** The props of an element with only a key (if any). */
function keyed(key: string | undefined): { key?: string } {
  return key === undefined ? {} : { key };
}

function leaf(md: MarkdownIt, token: Token, lines: readonly string[], seen: Map<string, number>): Child[] {
  switch (token.type) {
    case "inline":
      return build(md, token.children ?? [], lines);
    case "text":
    case "html_inline":
    case "html_block":
      return [token.content];
    case "softbreak":
      return [md.options.breaks ? h("br", {}) : "\n"];
    case "hardbreak":
      return [h("br", {})];
    case "code_inline":
      return [h("code", {}, token.content)];
    case "fence":
    case "code_block": {
      const lang = token.info.trim().split(/\s+/)[0] ?? "";
      const props = /^[\w+#.-]{1,40}$/.test(lang) ? { class: `language-${lang}` } : {};
      return [h("pre", keyed(blockKey(token, lines, seen)), h("code", props, token.content))];
    }
    case "hr":
      return [h("hr", keyed(blockKey(token, lines, seen)))];
    case "image": {
      const props = attrs(md, token);
      props.alt = plain(token.children ?? []);
      return props.src === undefined ? [props.alt] : [h("img", props)];
    }
    default:
      return token.content ? [token.content] : [];
  }
}

function element(md: MarkdownIt, token: Token, children: Child[], key: string | undefined): Child {
  if (!TAGS.has(token.tag)) return children;
  const props = attrs(md, token);
  if (key !== undefined) props.key = key;
  // A link whose URL did not pass is shown as its text.
  if (token.tag === "a" && props.href === undefined) return children;
  // To another site: a scheme (but mailto:), or a scheme-relative `//host/…`.
  if (token.tag === "a" && /^([a-z][a-z0-9+.-]*:|\/\/)/i.test(String(props.href)) && !/^mailto:/i.test(String(props.href))) props.rel = "noopener noreferrer nofollow";
  return h(token.tag, props, children);
}

/** The token's attributes that its element may carry; URLs checked once more by `validateLink`. */
function attrs(md: MarkdownIt, token: Token): Record<string, string> {
  const allowed = ATTRS[token.tag];
  const props: Record<string, string> = {};
  if (!allowed || !token.attrs) return props;
  for (const [name, raw] of token.attrs) {
    if (!allowed.includes(name)) continue;
    const value = String(raw);
    if ((name === "href" || name === "src") && !md.validateLink(value)) continue;
    if (name === "style" && !ALIGN.test(value)) continue;
    if (name === "start" && !/^\d{1,9}$/.test(value)) continue;
    props[name] = value;
  }
  return props;
}

/** An image's alt text: the text of its description, markup dropped. */
function plain(tokens: readonly Token[]): string {
  let text = "";
  for (const t of tokens) text += t.type === "text" || t.type === "code_inline" ? t.content : t.children ? plain(t.children) : t.type === "softbreak" || t.type === "hardbreak" ? " " : "";
  return text;
}
