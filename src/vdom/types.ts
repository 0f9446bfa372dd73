/**
 * The shapes a tree takes on its way from `render()` to the page.
 *
 * - {@link VNode} is what `h()` / JSX build: tags, props (possibly holding
 *   functions), children. It has no ids yet.
 * - {@link Node} is a *lowered* node: every node has a stable id, props are
 *   plain string attributes, event handlers are encoded as `data-rv-on-<event>`
 *   attributes. Lowered nodes are plain JSON: they are what `init` snapshots
 *   and `replace`/`append`/`insert` ops carry, and the browser runtime shares
 *   these types (and nothing else) with the server.
 */

/** Props as written in `h()` / JSX. `key` identifies a child among its siblings. */
export type Props = Record<string, unknown> & { key?: string | number };

/** An element built by `h()` before ids are assigned. */
export interface VElement {
  readonly type: "element";
  readonly tag: string;
  readonly props: Readonly<Record<string, unknown>>;
  readonly key: string | undefined;
  readonly children: readonly VNode[];
  /**
   * Which source position ("slot") each child came from, when that differs from
   * its index: `h()` records holes (`null`, `false`, …) and array arguments here
   * so that showing or hiding one child does not shift the identity of the
   * children after it. Absent when every child's slot is its index.
   */
  readonly slots?: readonly number[];
  /**
   * The element's content when it is exactly one text, as in the lowered
   * {@link ElementNode.text}: `h("td", {}, "1")` keeps `"1"` here and its
   * `children` are empty (no text node, no list: the cell of a table, the
   * label of a button, the row of a list are most of a page's elements).
   * Undefined when the content is in `children`.
   */
  readonly text?: string;
}

/** A text node built by `h()` from a string or number child. */
export interface VText {
  readonly type: "text";
  readonly text: string;
}

/** What `render()` returns. */
export type VNode = VElement | VText;

/** A lowered element: stable id, string attributes, lowered children. */
export interface ElementNode {
  /** Stable node id (`k-…` for keyed nodes, `w-<n>` otherwise). Lives in the `data-rv` attribute. */
  id: string;
  tag: string;
  /** The user's key, if any (kept so the diff can match keyed children). */
  key?: string;
  attrs: Record<string, string>;
  /** The element's child nodes; empty when its content is {@link ElementNode.text}. */
  children: Node[];
  /**
   * The element's content when it is exactly one text (`h("td", {}, "1")`):
   * the text is the element's `textContent` and has no id or node of its own,
   * and a change to it is a `text` op on the element's id. Most texts in a page
   * are alone in their element (labels, cells, buttons), so this spares each a
   * node, an id, and a marker in the page. Undefined when `children` holds the
   * content (a text next to other children is a {@link TextNode} there).
   *
   * @example
   * lower(h("b", {}, "hi"), { alloc }) // { id: "w-1", tag: "b", attrs: {}, children: [], text: "hi" }
   */
  text?: string;
}

/** A lowered text node. */
export interface TextNode {
  id: string;
  text: string;
}

/** A lowered node, as shipped in `init` snapshots and ops. */
export type Node = ElementNode | TextNode;

/** Patch operations (§5 of ARCHITECTURE.md); `op` is the discriminator. */
export type PatchOp =
  | { op: "replace"; id: string; node: Node }
  | { op: "attrs"; id: string; set: Record<string, string>; remove: string[] }
  | { op: "text"; id: string; text: string }
  | { op: "append"; parent: string; node: Node }
  | { op: "insert"; parent: string; before: string; node: Node }
  | { op: "move"; id: string; parent: string; before: string | null }
  | { op: "remove"; id: string };

/** The attribute that carries a node's framework id in the DOM. */
export const ID_ATTR = "data-rv";

/** Prefix of the attribute that carries an event binding: `data-rv-on-click="r:increment"`. */
export const ON_ATTR_PREFIX = "data-rv-on-";

/**
 * Turns a function-valued (or otherwise suspicious) `on*` prop into the string
 * stored in `data-rv-on-<event>`; throws a `BindError` for anything that is not
 * a bindable method of the app being rendered. Supplied by the registry layer so
 * that `vdom` does not depend on it.
 *
 * @param tag   the element's tag, for the error message
 * @param prop  the prop as written, e.g. `onClick`
 * @param value the prop's value
 */
export type Binder = (tag: string, prop: string, value: unknown) => string;

/**
 * True for a lowered text node (it has no tag).
 *
 * @example
 * isTextNode({ id: "w-2", text: "hi" }) // true
 */
export function isTextNode(node: Node): node is TextNode {
  return (node as ElementNode).tag === undefined;
}

/** Attributes whose value is a URL that a browser may navigate to or load. */
const URL_ATTRS = /^(href|src|action|formaction|xlink:href)$/;
/**
 * Attribute names (lower-cased) that `setAttribute` accepts and that cannot
 * smuggle markup, minus the names refused whatever their value: `on*`
 * handlers, `srcdoc` (a document in an attribute), the framework's own id
 * (`ID_ATTR`), and `http-equiv` (a `<meta>` carrying it can navigate the page
 * away, `refresh`, as soon as it is inserted or changed).
 */
const SAFE_NAME = /^(?!on|(srcdoc|data-rv|http-equiv)$)[a-z_:][-\w:.]*$/;
/**
 * URLs a browser would run (`javascript:`, `vbscript:`) or read as a document
 * (`data:`), except the one kind of `data:` URL allowed: a base64 PNG, JPEG,
 * GIF or WebP image (an `<img src>`, a favicon), which a browser decodes as an
 * image and never runs (SVG, which may hold script, is not among them).
 */
const UNSAFE_URL = /^((java|vb)script:|data:(?!(image\/(png|jpeg|gif|webp)|application\/octet-stream);base64,))/i;

/**
 * The rule both ends enforce on every attribute: the server drops these while
 * lowering and the browser applier drops them again, so a patch built by hand
 * (or by a compromised server) still cannot reach the DOM with them. Rejects
 * invalid names, `on*` handlers, `srcdoc`, `http-equiv`, the framework's own id
 * attribute, and `javascript:`/`vbscript:`/`data:` URLs in `href`, `src`,
 * `action`, `formaction`, `xlink:href`, except a base64 PNG, JPEG, GIF or WebP
 * image (`data:image/png;base64,…`). Browsers strip leading C0 controls and
 * spaces from a URL and remove tabs and newlines anywhere in it, so
 * `"\x01 java\tscript:"` runs as `javascript:`: the check does the same before
 * looking at the scheme.
 *
 * @example
 * isUnsafeAttr("href", " JAVA\nSCRIPT:alert(1)")         // true
 * isUnsafeAttr("href", "/docs")                          // false
 * isUnsafeAttr("src", "data:image/png;base64,iVBORw0KG") // false
 * isUnsafeAttr("http-equiv", "refresh")                  // true
 */
export function isUnsafeAttr(name: string, value: string): boolean {
  const n = name.toLowerCase();
  return !SAFE_NAME.test(n) || (URL_ATTRS.test(n) && UNSAFE_URL.test(value.replace(/[\t\n\r]/g, "").replace(/^[\0-\x20]+/, "")));
}

/**
 * Tag names neither end ever writes or creates. A tag must be an ASCII letter
 * followed by letters, digits and `-` (so it cannot smuggle markup), and is
 * refused, in any case (`SCRIPT`, `Script`), when it would load or run
 * something: `script` (a script the page's runtime creates is trusted by the
 * CSP's `strict-dynamic`), `base` (rewrites every relative URL), `object` and
 * `embed` (plugins, documents). The server refuses them while building and
 * lowering a tree and writing the page; the browser applier refuses them again
 * in any op or snapshot, however it was built.
 *
 * @example
 * isUnsafeTag("SCRIPT")         // true
 * isUnsafeTag("img onerror=x")  // true
 * isUnsafeTag("linearGradient") // false
 */
export function isUnsafeTag(tag: string): boolean {
  return !SAFE_TAG.test(tag);
}
export const SAFE_TAG = /^(?!(script|base|object|embed)$)[a-z][a-z\d-]*$/i;

/**
 * Elements whose content the HTML parser reads as plain text (RCDATA/RAWTEXT):
 * they hold at most one text, always as their {@link ElementNode.text} (a
 * comment marker inside them would become visible text, and elements written
 * in them would be text on the first page but elements once patched). `iframe`
 * and `noscript` (raw text in a browser that runs scripts) are among them.
 * Compare a tag's lower case (`isTextOnly`): `<STYLE>` is a `<style>` to the parser.
 */
export const TEXT_ONLY_TAGS: ReadonlySet<string> = new Set(["textarea", "title", "style", "iframe", "noscript"]);
