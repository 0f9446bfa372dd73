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

const SAFE_ID = /^[A-Za-z0-9_]+(?:-[A-Za-z0-9_]+)*$/;
const SAFE_TAG = /^[a-zA-Z][a-zA-Z0-9-]*$/;

/**
 * Ids and tags come from lowering and are safe, but a tree may also be read
 * back from a session store: anything outside their alphabet is refused rather
 * than written into markup.
 */
function checked(re: RegExp, value: string, what: string): string {
  if (!re.test(value)) throw new RenderError(`renderToString: unsafe ${what} ${JSON.stringify(value.slice(0, 40))}; was the tree built by lower()/diff()?`);
  return value;
}

/** The content of an element whose content is one text: escaped, except in <style> (raw text: h() refused "</style"). */
function writeText(tag: string, text: string, out: string[]): void {
  if (tag === "style") out.push(text);
  // The parser drops one newline right after <textarea>; keep a leading one by doubling it.
  else out.push(tag === "textarea" && text.startsWith("\n") ? "\n" : "", escapeText(text));
}

function write(node: Node, out: string[]): void {
  if (isTextNode(node)) {
    out.push("<!--", checked(SAFE_ID, node.id, "node id"), "-->", escapeText(node.text));
    return;
  }
  const tag = node.tag;
  out.push("<", checked(SAFE_TAG, tag, "tag"), " ", ID_ATTR, '="', checked(SAFE_ID, node.id, "node id"), '"');
  for (const name in node.attrs) {
    const value = node.attrs[name]!;
    if (isUnsafeAttr(name, value)) continue;
    out.push(" ", name, '="', escapeAttr(value), '"');
  }
  out.push(">");
  if (VOID_TAGS.has(tag)) return;
  if (node.text !== undefined) writeText(tag, node.text, out);
  else {
    // A textarea/title/style holds text only: a child node there would be written as text.
    if (node.children.length > 0 && TEXT_ONLY_TAGS.has(tag)) throw new RenderError(`renderToString: <${tag}> (id ${node.id}) has child nodes; its content must be one text (ElementNode.text).`);
    for (const child of node.children) write(child, out);
  }
  out.push("</", tag, ">");
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
  const out: string[] = [];
  write(node, out);
  return out.join("");
}
