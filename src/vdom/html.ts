import { RenderError } from "../errors.js";
import { VOID_TAGS } from "./h.js";
import { ID_ATTR, TEXT_ONLY_TAGS, isTextNode, isUnsafeAttr, type Node } from "./types.js";

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
 */

const TEXT_ESCAPES: Record<string, string> = { "&": "&amp;", "<": "&lt;", ">": "&gt;", '"': "&quot;" };

/**
 * Escapes text content: `&`, `<`, `>`.
 *
 * @example
 * escapeText("a < b & c") // "a &lt; b &amp; c"
 */
export function escapeText(s: string): string {
  return /[&<>]/.test(s) ? s.replace(/[&<>]/g, (c) => TEXT_ESCAPES[c]!) : s;
}

/**
 * Escapes a double-quoted attribute value: `&`, `"`, `<`, `>`.
 *
 * @example
 * escapeAttr('say "hi"') // "say &quot;hi&quot;"
 */
export function escapeAttr(s: string): string {
  return /[&"<>]/.test(s) ? s.replace(/[&"<>]/g, (c) => TEXT_ESCAPES[c]!) : s;
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

const SAFE_TAG = /^[a-zA-Z][a-zA-Z0-9-]*$/;
/** Tags seen valid: a page has a handful, so each is checked by the regular expression once. */
const safeTags = new Set<string>();

/**
 * Ids and tags come from lowering and are safe, but a tree may also be read
 * back from a session store: anything outside their alphabet is refused rather
 * than written into markup.
 */
function unsafe(what: string, value: string): never {
  throw new RenderError(`renderToString: unsafe ${what} ${JSON.stringify(value.slice(0, 40))}; was the tree built by lower()/diff()?`);
}

/**
 * Whether an attribute may be written as it is: decided once per name, except
 * for URL attributes, whose value is checked each time (see `isUnsafeAttr`).
 */
const attrRule = new Map<string, "ok" | "drop" | "url">();
function writable(name: string, value: string): boolean {
  let rule = attrRule.get(name);
  if (rule === undefined) {
    rule = isUnsafeAttr(name, "") ? "drop" : isUnsafeAttr(name, "javascript:") ? "url" : "ok";
    if (attrRule.size < 4096) attrRule.set(name, rule);
  }
  return rule === "ok" || (rule === "url" && !isUnsafeAttr(name, value));
}

/** The content of an element whose content is one text: escaped, except in <style> (raw text: h() refused "</style"). */
function writeText(tag: string, text: string): string {
  if (tag === "style") return text;
  // The parser drops one newline right after <textarea>; keep a leading one by doubling it.
  return (tag === "textarea" && text.startsWith("\n") ? "\n" : "") + escapeText(text);
}

/** Appends `node`'s HTML to `out` (string concatenation: V8 builds it as a rope, about 3× faster than pushing parts and joining). */
function write(node: Node, out: string): string {
  if (isTextNode(node)) {
    if (!isSafeId(node.id)) unsafe("node id", node.id);
    return out + "<!--" + node.id + "-->" + escapeText(node.text);
  }
  const tag = node.tag;
  if (!safeTags.has(tag)) {
    if (!SAFE_TAG.test(tag)) unsafe("tag", tag);
    if (safeTags.size < 1024) safeTags.add(tag);
  }
  if (!isSafeId(node.id)) unsafe("node id", node.id);
  out += "<" + tag + " " + ID_ATTR + '="' + node.id + '"';
  const attrs = node.attrs;
  for (const name in attrs) {
    const value = attrs[name]!;
    if (writable(name, value)) out += " " + name + '="' + escapeAttr(value) + '"';
  }
  out += ">";
  if (VOID_TAGS.has(tag)) return out;
  if (node.text !== undefined) out += writeText(tag, node.text);
  else {
    const children = node.children;
    // A textarea/title/style holds text only: a child node there would be written as text.
    if (children.length > 0 && TEXT_ONLY_TAGS.has(tag)) throw new RenderError(`renderToString: <${tag}> (id ${node.id}) has child nodes; its content must be one text (ElementNode.text).`);
    for (let i = 0; i < children.length; i++) out = write(children[i]!, out);
  }
  return out + "</" + tag + ">";
}

/**
 * Serializes a lowered tree to HTML for the first page load. Text and
 * attribute values are escaped; every node carries the id the browser
 * applier needs to hydrate it (see the comment at the top of this file).
 *
 * @example
 * renderToString(lower(h("p", { title: 'a"b' }, "1 < 2"), { alloc: createIdAllocator() }))
 * // '<p data-rv="w-1" title="a&quot;b">1 &lt; 2</p>'
 */
export function renderToString(node: Node): string {
  return write(node, "");
}
