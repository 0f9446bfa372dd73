import { RenderError } from "../errors.js";
import { VOID_TAGS } from "./h.js";
import { isRefusedTag } from "./tags.js";
import { EMPTY_CHILDREN, createIdAllocator, duplicateKey, keyedId as keyedIdOf, lower, oneText as oneTextOf, textOnlyError, type LowerOptions, type Ctx } from "./lower.js";
import { CACHED_CHARS, EMPTY_ATTRS, lowerAttrs as lowerAttrsOf, noBinder, type LoweredAttrs } from "./props.js";
import { ID_ATTR, TEXT_ONLY_TAGS, isUnsafeAttr, isUnsafeTag, type ElementNode, type Node, type TextNode, type VElement, type VNode, type VText } from "./types.js";
import { ElementVNode, TextVNode } from "./vnode.js";

/*
 * How ids reach the DOM (what the applier's hydration reads back):
 *
 * - an element carries its id in `data-rv="<id>"`, written first;
 * - an element whose content is one text (`ElementNode.text`, most texts in a
 *   page) holds it with no marker: it is addressed by the element's id. So do
 *   <textarea>, <title> and <style>, where a comment would be read as text;
 * - any other text node is preceded by a comment holding its id:
 *   `<!--w-5-->hello`. Adjacent text nodes therefore stay separate in the
 *   parsed DOM, and an empty text node is a marker with nothing after it
 *   (hydration creates the empty Text node).
 *
 * Ids are built from `w-`, digits and escaped keys (letters, digits, `_`, `-`),
 * so they can sit in an attribute or a comment as they are: no `--`, no `>`.
 *
 * Text never becomes markup. Every text is escaped, except the CSS of a
 * `<style>` in HTML, which the parser reads raw (RAWTEXT: `&lt;` would stay
 * `&lt;`) up to the first `</style`: that is written `<\/style`, which CSS
 * reads as the same text (in a string or a comment, where it can be). Inside
 * `<svg>` or `<math>` the same `<style>` is a foreign element whose content is
 * parsed as markup, so its text is escaped like any other (the parser decodes
 * it back). Tags are compared in lower case, as the parser does (`<STYLE>` is
 * a `<style>`).
 */

/**
 * Escapes text content: `&`, `<`, `>`.
 *
 * @example
 * escapeText("a < b & c") // "a &lt; b &amp; c"
 */
export function escapeText(s: string): string {
  return escape(s, false);
}

/**
 * Escapes a double-quoted attribute value: `&`, `"`, `<`, `>`.
 *
 * @example
 * escapeAttr('say "hi"') // "say &quot;hi&quot;"
 */
export function escapeAttr(s: string): string {
  return escape(s, true);
}

/**
 * `s` with `&`, `<`, `>` (and `"` when `quote`), and carriage returns, as entities. A loop that
 * copies the runs between them: most strings hold none and come back as they
 * are, and one that does costs a quarter of a `replace` with a callback.
 */
function escape(s: string, quote: boolean): string {
  let out = "", from = 0;
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i);
    if (c > 62) continue; // letters and most punctuation: one comparison
    // A carriage return as a reference: the parser turns a raw one (and CRLF) into a newline.
    const entity = c === 38 ? "&amp;" : c === 60 ? "&lt;" : c === 62 ? "&gt;" : c === 34 && quote ? "&quot;" : c === 13 ? "&#13;" : undefined;
    if (entity === undefined) continue;
    out += s.slice(from, i) + entity;
    from = i + 1;
  }
  return from === 0 ? s : out + s.slice(from);
}

/** Ids: letters, digits and `_` in runs joined by single `-` (what lowering makes: `w-5`, `k-w-4-a_20_b`). */
function isSafeId(id: string): boolean {
  let dash = true; // no leading "-", no "--"
  for (let i = 0; i < id.length; i++) {
    const c = id.charCodeAt(i);
    if (c === 45) {
      if (dash) return false;
      dash = true;
    } else if ((c >= 48 && c <= 57) || (c >= 65 && c <= 90) || (c >= 97 && c <= 122) || c === 95) dash = false;
    else return false;
  }
  return !dash;
}

/** What writing an element needs to know of its tag, worked out once per distinct tag. */
interface TagInfo {
  /** `<tag data-rv="`: the element's opening up to its id. */
  readonly open: string;
  /** `</tag>`. */
  readonly close: string;
  /** The tag in lower case, as the parser compares it. */
  readonly lower: string;
  readonly isVoid: boolean;
  /** textarea, title, style: one text, no child nodes. */
  readonly textOnly: boolean;
}

/**
 * Tags seen valid, each with what writing it needs: a page has a handful, so
 * each is checked once. Tags come from lowering, but a tree may also be built
 * by hand or read back from a store: anything `isUnsafeTag` refuses (an
 * invalid name, `script`, `base`, `object`, `embed`, in any case) is not
 * written, nor what `isRefusedTag` refuses: `plaintext`, which would turn the
 * rest of the page (the runtime's own script included) into text, and the
 * obsolete raw-text `xmp`, `noembed`, `noframes`.
 */
const tagInfos = new Map<string, TagInfo>();

function tagInfo(tag: string): TagInfo {
  let info = tagInfos.get(tag);
  if (info === undefined) {
    if (typeof tag !== "string" || isUnsafeTag(tag) || isRefusedTag(tag)) unsafe("tag", String(tag));
    const lower = tag.toLowerCase();
    info = { open: "<" + tag + " " + ID_ATTR + '="', close: "</" + tag + ">", lower, isVoid: VOID_TAGS.has(lower), textOnly: TEXT_ONLY_TAGS.has(lower) };
    if (tagInfos.size < 1024 && tag.length <= CACHED_CHARS) tagInfos.set(tag, info);
  }
  return info;
}

/**
 * Ids and tags come from lowering and are safe, but a tree may also be read
 * back from a session store: anything outside their alphabet is refused rather
 * than written into markup.
 */
function unsafe(what: string, value: string): never {
  throw new RenderError(`renderToString: unsafe ${what} ${JSON.stringify(value.slice(0, 40))}; was the tree built by lower()/diff()? Tags must be letters, digits and "-", and <script>, <base>, <object>, <embed>, <plaintext>, <xmp>, <noembed>, <noframes> are never written.`);
}

/** An attribute that may be written: its `" name="` (closing the quote before it) and whether its value is a URL checked each time (see `isUnsafeAttr`). */
interface AttrInfo {
  readonly prefix: string;
  readonly url: boolean;
  /** `prefix` + the escaped value, by value, for the values seen first (see {@link attrPiece}). */
  readonly pieces: Map<string, string>;
  /** The same followed by `">`, for the element's last attribute. */
  readonly lastPieces: Map<string, string>;
}

/** Attributes by name, decided once per name: `null` for one never written. */
const attrInfos = new Map<string, AttrInfo | null>();

function attrInfo(name: string): AttrInfo | null {
  let info = attrInfos.get(name);
  if (info === undefined) {
    info = isUnsafeAttr(name, "") ? null : { prefix: '" ' + name + '="', url: isUnsafeAttr(name, "javascript:"), pieces: new Map(), lastPieces: new Map() };
    if (attrInfos.size < 4096 && name.length <= CACHED_CHARS) attrInfos.set(name, info);
  }
  return info;
}

/** Where the parser is: in HTML, or inside `<svg>` / `<math>` (foreign content, where `<style>` is not raw text). */
const HTML = 0, SVG = 1, MATH = 2;

/** The mode of an element's children, given its own (lower-cased) tag and the mode it is in. */
function childMode(tag: string, mode: number): number {
  if (mode === HTML) return tag === "svg" ? SVG : tag === "math" ? MATH : HTML;
  // An SVG <foreignObject> or <desc> holds HTML again (the parser's "HTML
  // integration points"). MathML's are left out: everything in <math> stays
  // foreign here. Escaping a <style>'s text where the parser reads it raw is
  // safe (only `&`, `<`, `>` in its CSS would show as entities); the reverse is not.
  return mode === SVG && (tag === "foreignobject" || tag === "desc") ? HTML : mode;
}

/** The content of an element whose content is one text: escaped, except a `<style>`'s CSS in HTML (raw text, see the top). */
function writeText(tag: string, text: string, mode: number): string {
  // A `</style` would end the element and turn the rest into markup: written `<\/style`, the same CSS (`\/` is an escaped `/`).
  if (tag === "style" && mode === HTML) return /<\/style/i.test(text) ? text.replace(/<\/(style)/gi, "<\\/$1") : text;
  // The parser drops one newline right after <textarea>, <pre> and <listing>; keep a leading one by doubling it.
  return ((tag === "textarea" || tag === "pre" || tag === "listing") && text.charCodeAt(0) === 10 ? "\n" : "") + escape(text, false);
}

/**
 * Appends `node`'s HTML to `out`. String concatenation: V8 builds it as a
 * rope, about 3× faster than pushing parts and joining (and than copying each
 * piece into a byte buffer from JS). Each element's start tag is built apart
 * and appended once, each piece closing the quote the one before it opened: a
 * rope of fewer, larger pieces is cheaper to build and to make flat when it is
 * sent (−12 % for the 1,000-row table, flattened).
 */
function write(node: Node, out: string, mode: number, nonce: string): string {
  const tag = (node as ElementNode).tag;
  return tag === undefined ? writeTextNode(node as TextNode, out) : writeElement(node as ElementNode, tagInfo(tag), out, mode, nonce);
}

/**
 * The node's id, checked unless lowering made it: a node `lower()`, `diff()`
 * or `unpack()` placed (an `ElementVNode` or `TextVNode` with its id) has an
 * id from the allocator or `keyedId` (keys escaped); any other object, a tree
 * built by hand, has its id checked against that alphabet before it is
 * written into markup. Not reading every id's characters again: −20 % of
 * `renderToString`'s instructions for the 1,000-row table (callgrind).
 */
function idOf(node: Node): string {
  const id = node.id;
  if (typeof id !== "string" || (!(node instanceof ElementVNode || node instanceof TextVNode) && !isSafeId(id))) unsafe("node id", String(id));
  return id;
}

function writeTextNode(node: TextNode, out: string): string {
  return out + ("<!--" + idOf(node) + "-->") + escape(node.text, false);
}

function writeElement(node: ElementNode, tag: TagInfo, out: string, mode: number, nonce: string): string {
  const id = idOf(node);
  const start = startTag(tag, id, (node as unknown as ElementVNode).lowAttrs ?? node.attrs, nonce);
  if (tag.isVoid) {
    if (node.text !== undefined || node.children.length > 0) voidContent(node.tag, id);
    return out + start;
  }
  if (node.text !== undefined) return out + (start + writeText(tag.lower, node.text, mode) + tag.close);
  const children = node.children;
  // A textarea/title/style holds text only: a child node there would be written as text.
  if (children.length > 0 && tag.textOnly) throw new RenderError(`renderToString: <${node.tag}> (id ${id}) has child nodes; its content must be one text (ElementNode.text).`);
  out += start;
  const inner = childMode(tag.lower, mode);
  // A list's items are written by the writer compiled for their shape, each item that has it (see below).
  const shaped = children.length >= LIST && inner === HTML && byShape ? listWriter(placedShapes, children, placedShape, false) : undefined;
  // Siblings mostly share their tag (a list's items, a row's cells): its info is looked up once per run of them (−7 % of renderToString's instructions for the 1,000-row table, callgrind).
  let lastTag: string | undefined, info: TagInfo | undefined;
  for (let i = 0; i < children.length; i++) {
    const c = children[i]!, t = (c as ElementNode).tag;
    let html: string | undefined;
    if (shaped !== undefined && (html = shaped(c)) !== undefined) out += html;
    else if (t === undefined) out = writeTextNode(c as TextNode, out);
    else {
      if (t !== lastTag) info = tagInfo((lastTag = t));
      out = writeElement(c as ElementNode, info!, out, inner, nonce);
    }
    if (bytes !== null && out.length >= CHUNK) out = bytes.flush(out);
  }
  return out + tag.close;
}

/** An element's start tag, `<tag data-rv="id" name="value"…>`, with the page's nonce on a `<style>`. */
function startTag(tag: TagInfo, id: string, attrs: LoweredAttrs, nonce: string): string {
  const start = tag.open + id;
  // The page's nonce lets the CSS of a <style> apply under the CSP's `style-src 'nonce-…'`.
  return (tag.lower === "style" && nonce !== "" ? start + '" nonce="' + nonce : start) + attrPieces(attrs, true);
}

/**
 * The attributes of a start tag, as written after its id: each attribute's
 * piece closing the quote before it, and with `close` the tag's `">` (after
 * the last attribute, in its piece: one piece fewer in the rope).
 */
function attrPieces(attrs: LoweredAttrs, close: boolean): string {
  // Each attribute is appended once the next is known.
  let out = "", last: AttrInfo | null = null, lastValue = "";
  if (Array.isArray(attrs)) {
    // A lowered tree's attribute list (props.ts AttrList), read as it is: no record built for writing.
    const list = attrs as readonly string[];
    for (let i = 0; i < list.length; i += 2) {
      const name = list[i]!, info = attrInfo(name);
      if (info === null) continue;
      const value = list[i + 1]!;
      if (info.url && isUnsafeAttr(name, value)) continue;
      if (last !== null) out += attrPiece(last, lastValue, false);
      last = info;
      lastValue = value;
    }
  } else {
    const record = attrs as Readonly<Record<string, string>>;
    for (const name in record) {
      const info = attrInfo(name);
      if (info === null) continue;
      const value = record[name]!;
      if (info.url && isUnsafeAttr(name, value)) continue;
      if (last !== null) out += attrPiece(last, lastValue, false);
      last = info;
      lastValue = value;
    }
  }
  if (last === null) return close ? '">' : "";
  return out + attrPiece(last, lastValue, close);
}

/**
 * How many pieces (see {@link attrPiece}) are remembered, over all attributes:
 * a page repeats a few values per attribute (classes, types, labels), and
 * values that come from data (one per row) fill the rest and then pass by.
 */
const MAX_PIECES = 16_384;
let pieces = 0;

/**
 * `" name="value"`'s opening and value, escaped (and with the tag's closing
 * `">` when `last`), remembered per value: most attributes of a page take a
 * handful of values, each written for many elements (a table's cells, a
 * list's buttons), and a lookup costs less than escaping the value and
 * joining it to the name again: −10 % of the instructions of render() and
 * writing for the 1,000-row table, −2 % for examples/todo (whose bindings
 * differ per row), counted with callgrind.
 */
function attrPiece(info: AttrInfo, value: string, last: boolean): string {
  const map = last ? info.lastPieces : info.pieces;
  let piece = map.get(value);
  if (piece === undefined) {
    piece = info.prefix + escape(value, true) + (last ? '">' : "");
    if (pieces < MAX_PIECES && value.length <= CACHED_CHARS) {
      pieces++;
      map.set(value, piece);
    }
  }
  return piece;
}

/**
 * {@link attrPieces} (without the tag's close) for one element of a compiled
 * list writer, which remembers each attribute's name, value and piece by
 * position in the last item: a list's items have the same attributes in the
 * same order, most with the same values (a cell's class), so the item's name
 * and value are compared with the last item's instead of looked up in two
 * maps. `renderToString` of the 1,000-row table ÷ a template literal: 2.4× →
 * 1.8× (medians of three alternated runs, one process each).
 */
class ItemAttrs {
  private readonly names: string[] = [];
  private readonly values: string[] = [];
  private readonly pieces: string[] = [];

  write(attrs: LoweredAttrs): string {
    let out = "", j = 0;
    if (Array.isArray(attrs)) {
      const list = attrs as readonly string[];
      for (let i = 0; i < list.length; i += 2) out += this.piece(j++, list[i]!, list[i + 1]!);
    } else {
      const record = attrs as Readonly<Record<string, string>>;
      for (const name in record) out += this.piece(j++, name, record[name]!);
    }
    return out;
  }

  /** The piece of attribute `j`, `""` for one not written (as `attrPieces` leaves it out). */
  private piece(j: number, name: string, value: string): string {
    if (j < this.names.length && this.names[j] === name && this.values[j] === value) return this.pieces[j]!;
    const info = attrInfo(name);
    const piece = info === null || (info.url && isUnsafeAttr(name, value)) ? "" : attrPiece(info, value, false);
    this.names[j] = name;
    this.values[j] = value;
    this.pieces[j] = piece;
    return piece;
  }
}

function voidContent(tag: string, id: string): never {
  throw new RenderError(`renderToString: <${tag}> (id ${id}) is a void element and cannot have content; put it next to the element.`);
}

/** Bound locally: under tsx every call of an imported name runs a getter first (see diff.ts). */
const lowerAttrs = lowerAttrsOf, keyedId = keyedIdOf, oneText = oneTextOf;

/**
 * Appends the HTML of `v`, a tree as `render()` returned it, to `out`: what
 * {@link write} gives for `lower(v)`, ids and attributes included, without
 * building the lowered tree (a page served by `GET /` is kept only as the
 * hash of its HTML, so nothing needs it). Lowering's rules apply as it would
 * apply them: ids in the same order, the same attributes, and the same errors
 * for a refused tag, a duplicate key, an unbindable handler.
 */
function writeVNode(ctx: Ctx, v: VNode, parentId: string, out: string, mode: number, nonce: string): string {
  return v.type === "text" ? writeVText(ctx, v, out) : writeVElement(ctx, v, v.key, vTagInfo(v.tag), parentId, out, mode, nonce);
}

function writeVText(ctx: Ctx, v: VText, out: string): string {
  return out + ("<!--" + ctx.alloc.next() + "-->") + escape(v.text, false);
}

/** What writing needs of `tag`; a tag met for the first time is checked by lowering, so a refused one fails as a diff would fail. */
function vTagInfo(tag: string): TagInfo {
  let info = tagInfos.get(tag);
  if (info === undefined) {
    lower(new ElementVNode(tag, EMPTY_ATTRS, undefined, [], undefined), { alloc: createIdAllocator() });
    info = tagInfo(tag);
  }
  return info;
}

/** Writes element `v`; `key` is its key as text (`v.key`, read once by the caller: a number key becomes text on each read). */
function writeVElement(ctx: Ctx, v: VElement, key: string | undefined, tag: TagInfo, parentId: string, out: string, mode: number, nonce: string): string {
  const id = key === undefined ? ctx.alloc.next() : keyedId(parentId, key);
  const start = startTag(tag, id, lowerAttrs(v.tag, v.props ?? EMPTY_ATTRS, ctx.bind), nonce);
  const children = v.children ?? EMPTY_CHILDREN, n = children.length;
  const text = oneText(v.text, children);
  if (tag.isVoid) {
    if (text !== undefined || n > 0) voidContent(v.tag, id);
    return out + start;
  }
  if (text !== undefined) return out + (start + writeText(tag.lower, text, mode) + tag.close);
  if (n === 0) return out + start + tag.close;
  if (tag.textOnly) textOnlyError(v.tag, id);
  out += start;
  const inner = childMode(tag.lower, mode);
  // As in writeElement: a list's items by the writer compiled for their shape.
  const shaped = n >= LIST && inner === HTML && byShape ? listWriter(vnodeShapes, children, vnodeShape, true) : undefined;
  let keys: Set<string> | undefined;
  // As in writeElement: a run of siblings with one tag looks it up once.
  let lastTag: string | undefined, info: TagInfo | undefined;
  for (let i = 0; i < n; i++) {
    const c = children[i]!;
    if (c.type === "text") out = writeVText(ctx, c, out);
    else {
      const k = c.key;
      if (k !== undefined) {
        keys ??= new Set();
        if (keys.has(k)) duplicateKey(k, { tag: v.tag, id });
        keys.add(k);
      }
      let html: string | undefined;
      if (shaped !== undefined && (html = shaped(c, k, id, ctx)) !== undefined) out += html;
      else {
        if (c.tag !== lastTag) info = vTagInfo((lastTag = c.tag));
        out = writeVElement(ctx, c, k, info!, id, out, inner, nonce);
      }
    }
    if (bytes !== null && out.length >= CHUNK) out = bytes.flush(out);
  }
  return out + tag.close;
}

/*
 * Lists by compiled writers. A template writes a row in one expression, whose
 * constant text runs from one element into the next (`</td><td class="`); a
 * walk of the tree spends more on its structure (a call, a tag lookup, checks
 * and pieces per element) than on the text. So the items of a list of at
 * least LIST children are written by a function compiled for the shape of
 * its first element item (its tags, where it has texts and children; not its
 * attribute values), which checks that an item has that shape, node by node,
 * and writes it in one expression, or returns undefined: the walk writes that
 * item. The output is the walk's, byte for byte, ids included; only plain HTML
 * elements take part (no <svg>/<math>, no text-only tags, so no <style> and
 * its nonce, no <pre>/<listing> and their leading newline), no node of an
 * item but its first has a key, and an item has at most SHAPE_NODES nodes.
 * Figures: `renderToString` of the 1,000-row table ÷ a
 * template literal building the same string, 2.8× → 1.9× (medians of 8
 * alternated runs); a first page that differs at every visit (hub.open and
 * its HTML), −10 % CPU.
 */
const LIST = 8;
const SHAPE_NODES = 64;
let byShape = true;

/** @internal Turns the compiled list writers off (`false`) or on: tests compare their output with the walk's. */
export function writeListsByShape(on: boolean): void {
  byShape = on;
}

/** An item's shape: an element (its tag's info; `text`: its content is one text) or a text node (`null`). */
type Shape = { readonly tag: string; readonly info: TagInfo; readonly text: boolean; readonly children: readonly Shape[] } | null;

/** Writes a placed node of the shape, or answers undefined. */
type PlacedWriter = (node: Node) => string | undefined;
/** Writes a `render()` node of the shape, with the id its key (or the allocator) gives it, or answers undefined. */
type VNodeWriter = (v: VNode, key: string | undefined, parentId: string, ctx: Ctx) => string | undefined;

/** Compiled writers by shape (see {@link shapeKey}), null for a shape that failed to compile; new shapes past 256 are walked. */
const placedShapes = new Map<string, PlacedWriter | null>();
const vnodeShapes = new Map<string, VNodeWriter | null>();

/** The writer for the shape of the list's first element item, compiled on first use, if the shape takes part. */
function listWriter<N, W>(cache: Map<string, W | null>, children: readonly N[], shapeOf: (node: N, count: { nodes: number }) => Shape | undefined, vnode: boolean): W | undefined {
  let first: N | undefined;
  for (let i = 0; i < children.length && first === undefined; i++) if ((children[i] as { tag?: unknown }).tag !== undefined) first = children[i];
  const shape = first === undefined ? undefined : shapeOf(first, { nodes: 0 });
  if (!shape) return undefined;
  const key = shapeKey(shape);
  let writer = cache.get(key);
  if (writer === undefined) {
    if (cache.size >= 256) return undefined;
    writer = compileShape(shape, vnode) as W | null;
    cache.set(key, writer);
  }
  return writer ?? undefined;
}

/** A shape as text: `td'` (one text), `tr(td',td(a'))`, `#` (a text node). */
function shapeKey(shape: Shape): string {
  if (shape === null) return "#";
  return shape.text ? shape.tag + "'" : `${shape.tag}(${shape.children.map(shapeKey).join(",")})`;
}

/** The tag's info if an element of that tag may be in a shape (see above). */
function shapeTag(tag: unknown, vnode: boolean): TagInfo | undefined {
  if (typeof tag !== "string") return undefined;
  let info: TagInfo;
  try {
    info = vnode ? vTagInfo(tag) : tagInfo(tag);
  } catch {
    return undefined; // the walk reports it
  }
  // <pre> and <listing> as <textarea>: their text's leading newline is written twice (see writeText).
  return info.textOnly || info.lower === "svg" || info.lower === "math" || info.lower === "pre" || info.lower === "listing" ? undefined : info;
}

/** The shape of a placed node, if it takes part. */
function placedShape(node: Node, count: { nodes: number }): Shape | undefined {
  if (++count.nodes > SHAPE_NODES) return undefined;
  if (node instanceof TextVNode) return null;
  if (!(node instanceof ElementVNode)) return undefined;
  const info = shapeTag(node.tag, false);
  if (info === undefined || (info.isVoid && (node.text !== undefined || node.children.length > 0))) return undefined;
  if (node.text !== undefined) return { tag: node.tag, info, text: true, children: [] };
  const children: Shape[] = [];
  for (const c of node.children as unknown as Node[]) {
    const shape = placedShape(c, count);
    if (shape === undefined) return undefined;
    children.push(shape);
  }
  return { tag: node.tag, info, text: false, children };
}

/** The shape of a `render()` node, if it takes part (its own key aside, no key in it). */
function vnodeShape(v: VNode, count: { nodes: number }, top = true): Shape | undefined {
  if (++count.nodes > SHAPE_NODES) return undefined;
  if (v instanceof TextVNode) return null;
  if (!(v instanceof ElementVNode) || (!top && v.rawKey !== undefined)) return undefined;
  const info = shapeTag(v.tag, true);
  const children = v.children ?? EMPTY_CHILDREN;
  const text = oneText(v.text, children);
  if (info === undefined || (info.isVoid && (text !== undefined || children.length > 0))) return undefined;
  if (text !== undefined) return { tag: v.tag, info, text: true, children: [] };
  const shapes: Shape[] = [];
  for (const c of children) {
    const shape = vnodeShape(c, count, false);
    if (shape === undefined) return undefined;
    shapes.push(shape);
  }
  return { tag: v.tag, info, text: false, children: shapes };
}

/**
 * Compiles the writer of `shape`: checks that read the item as the walk reads
 * it, then the HTML as one expression, evaluated left to right, so that ids
 * are handed out in the walk's order. Tags in the code are checked tag names
 * (JSON strings); everything else comes from the item at run time, through
 * the walk's own functions. Null if it does not compile.
 */
function compileShape(shape: Shape, vnode: boolean): PlacedWriter | VNodeWriter | null {
  const checks: string[] = [], parts: string[] = [], attrs: ItemAttrs[] = [];
  let text = "", n = 0;
  const constant = (s: string) => void (text += s);
  const value = (expr: string) => {
    if (text) parts.push(JSON.stringify(text));
    text = "";
    parts.push(expr);
  };
  const visit = (shape: Shape, v: string, top: boolean): void => {
    checks.push(`${v} instanceof ${shape === null ? "TV" : "EV"}`);
    if (shape === null) {
      if (!vnode) checks.push(`typeof ${v}.id === "string"`);
      constant("<!--"), value(vnode ? "N()" : `${v}.id`), constant("-->"), value(`E(${v}.text)`);
      return;
    }
    checks.push(`${v}.tag === ${JSON.stringify(shape.tag)}`);
    if (vnode) {
      if (!top) checks.push(`${v}.rawKey === undefined`);
      checks.push(`(${v}c = ${v}.children ?? EC) !== undefined`);
      checks.push(shape.text ? `(${v}t = O(${v}.text, ${v}c)) !== undefined` : `O(${v}.text, ${v}c) === undefined && ${v}c.length === ${shape.children.length}`);
    } else {
      checks.push(`typeof ${v}.id === "string"`, `(${v}c = ${v}.children) !== undefined`);
      checks.push(shape.text ? `(${v}t = ${v}.text) !== undefined` : `${v}.text === undefined && ${v}c.length === ${shape.children.length}`);
    }
    constant(shape.info.open);
    value(vnode ? (top ? "ID" : "N()") : `${v}.id`);
    // Each element of the shape remembers its last item's attributes (ItemAttrs).
    const a = `A[${attrs.push(new ItemAttrs()) - 1}]`;
    value(vnode ? `${a}.write(L(${JSON.stringify(shape.tag)}, ${v}.props ?? EA, ctx.bind))` : `${a}.write(${v}.lowAttrs ?? ${v}.attrs)`);
    constant('">');
    if (shape.text) value(`E(${v}t)`);
    shape.children.forEach((c, i) => {
      const cv = "n" + ++n;
      checks.push(`(${cv} = ${v}c[${i}]) !== undefined`);
      visit(c, cv, false);
    });
    if (!shape.info.isVoid) constant(shape.info.close);
  };
  visit(shape, "n0", true);
  value("");
  const vars = Array.from({ length: n + 1 }, (_, i) => `${i ? `n${i}, ` : ""}n${i}c, n${i}t`).join(", ");
  const html = parts.filter((p) => p !== "").join(" + ");
  const body = vnode
    ? `return function (n0, key, pid, ctx) { let ${vars}; if (!(${checks.join(" && ")})) return undefined; const N = () => ctx.alloc.next(), ID = key === undefined ? N() : K(pid, key); return ${html}; };`
    : `return function (n0) { let ${vars}; if (!(${checks.join(" && ")})) return undefined; return ${html}; };`;
  try {
    return new Function("EV", "TV", "A", "E", "L", "O", "K", "EA", "EC", `"use strict"; ${body}`)(ElementVNode, TextVNode, attrs, escapeText, lowerAttrs, oneText, keyedId, EMPTY_ATTRS, EMPTY_CHILDREN);
  } catch {
    return null;
  }
}

/**
 * UTF-8 output for {@link renderToBytes}: the rope is encoded into one buffer
 * every {@link CHUNK} characters, while its pieces are still in the CPU's
 * cache, instead of made flat and encoded once whole (−20 % for the 1,000-row
 * table's 350 KB). One sink serves every call: writing calls no user code,
 * so two calls never overlap.
 */
class ByteSink {
  private buf = Buffer.allocUnsafeSlow(64 * 1024);
  private pos = 0;

  /** Encodes `out` after what was written; returns the empty rope to go on with. */
  flush(out: string): string {
    const room = out.length * 3; // the most UTF-8 bytes a UTF-16 unit becomes
    if (this.pos + room > this.buf.length) {
      const bigger = Buffer.allocUnsafeSlow(Math.max(this.buf.length * 2, this.pos + room));
      this.buf.copy(bigger, 0, 0, this.pos);
      this.buf = bigger;
    }
    this.pos += this.buf.write(out, this.pos);
    return "";
  }

  /**
   * What was written, handed over without a copy (350 KB for the 1,000-row
   * table); the sink goes on in a new buffer the size of this page and a chunk.
   */
  take(): Buffer {
    const out = this.buf.subarray(0, this.pos);
    this.buf = Buffer.allocUnsafeSlow(Math.min(Math.max(64 * 1024, this.pos + CHUNK * 3), 4 << 20));
    this.pos = 0;
    return out;
  }

  /** Empties the sink (and makes it small again after a page far larger than most). */
  clear(): void {
    this.pos = 0;
    if (this.buf.length > 4 << 20) this.buf = Buffer.allocUnsafeSlow(64 * 1024);
  }
}

const CHUNK = 16 * 1024;
const sink = new ByteSink();
/** The sink while {@link renderToBytes} runs, else null (renderToString keeps one rope). */
let bytes: ByteSink | null = null;

/** Options of {@link renderToString}. */
export interface RenderOptions {
  /**
   * The page's CSP nonce, written on every `<style>` so that its CSS applies
   * under `style-src 'nonce-…'` (the page does this; a fragment rendered for
   * anything else needs none). Base64 characters only.
   */
  nonce?: string;
}

/**
 * Serializes a lowered tree to HTML for the first page load. Text and
 * attribute values are escaped; every node carries the id the browser
 * applier needs to hydrate it (see the comment at the top of this file).
 *
 * @example
 * renderToString(lower(h("p", { title: 'a"b' }, "1 < 2"), { alloc: createIdAllocator() }))
 * // '<p data-rv="w-1" title="a&quot;b">1 &lt; 2</p>'
 * renderToString(lower(h("style", {}, "p{color:red}"), { alloc }), { nonce })
 * // '<style data-rv="w-2" nonce="…">p{color:red}</style>'
 */
export function renderToString(node: Node, options?: RenderOptions): string {
  return write(node, "", HTML, checkedNonce(options));
}

/**
 * {@link renderToString} as UTF-8 bytes, ready to send (what a page is
 * served), made faster than encoding the string.
 *
 * @example
 * ctx.body = renderToBytes(tree, { nonce });
 */
export function renderToBytes(node: Node, options?: RenderOptions): Buffer {
  const nonce = checkedNonce(options);
  sink.clear(); // of what a render that threw left behind
  bytes = sink;
  try {
    sink.flush(write(node, "", HTML, nonce));
    return sink.take();
  } finally {
    bytes = null;
  }
}

/**
 * {@link renderToBytes} of what lowering `vnode` would give, without
 * lowering it: the HTML of a first page, whose tree is not kept. The ids are
 * those `lower(vnode, options)` assigns (`options.alloc` hands them out), so a
 * page written this way and a later diff of the lowered tree agree; the
 * lowering's errors are thrown as it throws them. Nothing is written into
 * `vnode`.
 *
 * @example
 * renderVNodeToBytes(app.render(), { alloc: createIdAllocator(), bind, nonce })
 * // the bytes of renderToBytes(lower(app.render(), { alloc, bind }), { nonce })
 */
export function renderVNodeToBytes(vnode: VNode, options: LowerOptions & RenderOptions): Buffer {
  const nonce = checkedNonce(options);
  const ctx: Ctx = { alloc: options.alloc, bind: options.bind ?? noBinder };
  sink.clear();
  bytes = sink;
  try {
    sink.flush(writeVNode(ctx, vnode, "r", "", HTML, nonce));
    return sink.take();
  } finally {
    bytes = null;
  }
}

function checkedNonce(options: RenderOptions | undefined): string {
  const nonce = options?.nonce ?? "";
  if (!/^[\w+/=-]*$/.test(nonce)) throw new RenderError(`renderToString: the nonce ${JSON.stringify(nonce.slice(0, 40))} is not base64; pass the nonce the page's CSP names.`);
  return nonce;
}
