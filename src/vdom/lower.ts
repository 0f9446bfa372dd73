import { RenderError } from "../errors.js";
import { Fragment } from "./h.js";
import { lowerAttrs as lowerAttrsOf, noBinder } from "./props.js";
import { isRefusedTag as isRefusedTagOf, isTextOnly as isTextOnlyOf, refuseTag } from "./tags.js";
import type { Binder, ElementNode, Node, TextNode, VNode } from "./types.js";
import { fresh as freshOf, isFresh as isFreshOf, UNPACKED as UNPACKED_PROPS, writableChildren as writableOf, type ElementVNode } from "./vnode.js";

/**
 * Hands out `w-<n>` ids. One allocator per session: ids only need to be unique
 * within one page, and a per-session counter keeps them short.
 */
export interface IdAllocator {
  /** The next unused id: `w-1`, `w-2`, … */
  next(): string;
  /** How many ids were handed out; pass it back to `createIdAllocator` to resume a persisted session. */
  readonly count: number;
}

/**
 * Creates a session's id allocator.
 *
 * @example
 * const alloc = createIdAllocator();
 * alloc.next() // "w-1"
 * alloc.next() // "w-2"
 */
export function createIdAllocator(start = 0): IdAllocator {
  return new Allocator(start);
}

/** A class rather than a closure: `next()` is then a method the diff's hot loop inlines. */
class Allocator implements IdAllocator {
  private n: number;
  constructor(start: number) {
    this.n = start;
  }
  next(): string {
    const n = ++this.n;
    return n < IDS.length ? IDS[n]! : idString(n);
  }
  get count(): number {
    return this.n;
  }
}

/*
 * Every session numbers its nodes from 1, so all sessions hand out the same
 * id strings: `IDS[n]` is "w-<n>", built the first time any session needs it
 * and shared from then on. A new node then costs no string (building one was
 * about a tenth of lowering a tree), and thousands of sessions holding similar
 * trees share one copy of each id. Ids past the table are built per call.
 */
const ID_TABLE_SIZE = 1 << 16;
const IDS: string[] = [];

/** "w-<n>" for an `n` past the table's end: the table grows (in order, so it stays a packed array) up to its cap. */
function idString(n: number): string {
  if (n >= ID_TABLE_SIZE) return "w-" + n;
  while (IDS.length <= n) IDS.push("w-" + IDS.length);
  return IDS[n]!;
}

/** What lowering and diffing need: where ids come from and how handlers are bound. */
export interface LowerOptions {
  alloc: IdAllocator;
  /** Validates and encodes `on*` props; defaults to one that rejects every handler. */
  bind?: Binder;
}

/** Resolved options, passed down the recursion as one object. */
export interface Ctx {
  alloc: IdAllocator;
  bind: Binder;
}

/**
 * The slots (`VElement.slots`) of a lowered element's children, or undefined
 * when each child's slot is its index. A tree read back from JSON has none: its
 * unkeyed children are then matched by index, still correct, only less stable.
 */
export function slotsOf(node: ElementNode): readonly number[] | undefined {
  return (node as { slots?: readonly number[] }).slots;
}

/** The children of an element whose content is its text, or nothing: one frozen list, shared. */
export const EMPTY_CHILDREN: Node[] = Object.freeze([]) as unknown as Node[];

/**
 * An element's content when it is one text, as lowering makes it: `h()` kept
 * it as `text` (no children), or it is a lone text child (lowering moves it
 * to `text`). What writing a tree and comparing two trees (same.ts) read.
 */
export function oneText(text: string | undefined, children: readonly VNode[]): string | undefined {
  if (children.length === 0) return text;
  return children.length === 1 && children[0]!.type === "text" ? children[0]!.text : undefined;
}

/** Bound locally: under tsx every call of an imported name runs a getter first (see diff.ts). */
const UNPACKED = UNPACKED_PROPS, lowerAttrs = lowerAttrsOf, isFresh = isFreshOf, fresh = freshOf, writableChildren = writableOf, isRefusedTag = isRefusedTagOf, isTextOnly = isTextOnlyOf;

/** True when every character of `key` is an ASCII letter or digit (a loop: this runs for every keyed node). */
function isSafeKey(key: string): boolean {
  for (let i = 0; i < key.length; i++) {
    const c = key.charCodeAt(i);
    if (!((c >= 48 && c <= 57) || (c >= 65 && c <= 90) || (c >= 97 && c <= 122))) return false;
  }
  return key.length > 0;
}

/**
 * Escapes a key so that the id is safe in an attribute and in a comment, and
 * so that distinct keys give distinct ids: letters and digits stay, any other
 * character becomes `_<hex code point>_`. The result never contains `-`, so the
 * last `-` of `k-<parent>-<key>` always separates parent from key, and it is
 * never `_` alone, which is what the empty key becomes.
 */
function escapeKey(key: string): string {
  if (isSafeKey(key)) return key;
  if (key === "") return "_";
  let out = "";
  for (const ch of key) out += /[A-Za-z0-9]/.test(ch) ? ch : "_" + ch.codePointAt(0)!.toString(16) + "_";
  return out;
}

/**
 * The id of a keyed node: `k-<parent id>-<escaped key>`. Scoped by the parent
 * so that two lists may both have a row keyed `1`.
 *
 * @example
 * keyedId("w-4", "a b") // "k-w-4-a_20_b"
 */
export function keyedId(parentId: string, key: string): string {
  // The siblings of a list share their parent: its "k-<parent>-" is built once, not once per row.
  if (parentId !== keyParent) {
    keyParent = parentId;
    keyPrefix = "k-" + parentId + "-";
  }
  return keyPrefix + escapeKey(key);
}
let keyParent = "", keyPrefix = "k--";

/** Throws the error users see for duplicate sibling keys. */
export function duplicateKey(key: string, parent: { tag: string; id: string }): never {
  throw new RenderError(
    `Duplicate key "${key}" among the children of <${parent.tag}> (id ${parent.id}). ` +
      `Keys must be unique among siblings: derive them from a stable unique field such as a database id.`,
  );
}

/**
 * Lowers a new subtree in place (see vnode.ts): fresh ids for everything in it,
 * written into its nodes, which are returned (or a copy of a node that was
 * placed already). `parentId` scopes keyed ids.
 */
export function lowerNode(ctx: Ctx, v: VNode, parentId: string): Node {
  const f = isFresh(v) ? v : fresh(v);
  if (f.type === "text") {
    f.id = ctx.alloc.next();
    return f as unknown as TextNode;
  }
  return lowerElement(ctx, f, parentId);
}

/** Throws the error for a textarea/title/style whose content is not one text (h() joins texts; a hand-built tree may not). */
export function textOnlyError(tag: string, id: string): never {
  throw new RenderError(`<${tag}> (id ${id}) can only hold one text child; build it with h() so its text is joined.`);
}

/**
 * Makes `v`, an element whose only child is a text, carry that text as its
 * `text` (see `ElementNode.text`): its children become the shared empty list.
 */
export function setText(v: ElementVNode, text: string): void {
  v.text = text;
  v.children = EMPTY_CHILDREN as unknown as ElementVNode["children"];
}

function lowerElement(ctx: Ctx, v: ElementVNode, parentId: string): ElementNode {
  const tag = v.tag;
  if (!isTag(tag)) {
    // A tree built without h() (a literal node, one read back from JSON) meets the tag rule here.
    if (typeof tag === "string" && isRefusedTag(tag)) refuseTag(tag, "render()");
    if (tag === Fragment) throw new RenderError(`A fragment cannot be the root of render(): wrap its children in one element (e.g. h("div", {}, ...)).`);
    throw new RenderError(`<${String(tag).slice(0, 40)}> is not a valid tag name: use letters, digits and "-".`);
  }
  const key = v.key;
  const id = key === undefined ? ctx.alloc.next() : keyedId(parentId, key);
  v.id = id;
  // A copy of an unpacked node carries its attributes lowered already (vnode.ts `UNPACKED`).
  if (v.props !== UNPACKED) v.lowAttrs = lowerAttrs(tag, v.props, ctx.bind);
  const vc = v.children, n = vc.length;
  if (n === 0) return v as unknown as ElementNode;
  const first = vc[0]!;
  if (n === 1 && first.type === "text") {
    setText(v, first.text);
    return v as unknown as ElementNode;
  }
  if (isTextOnly(tag)) textOnlyError(tag, id);
  let keys: Set<string> | undefined;
  for (let i = 0; i < n; i++) {
    const x = vc[i]!;
    // A child placed already (or not built by h()) is copied, and the copy takes its place in this list.
    const c = isFresh(x) ? x : (writableChildren(v)[i] = fresh(x));
    // A text among other children is a node of its own, with an id.
    if (c.type === "text") {
      c.id = ctx.alloc.next();
      continue;
    }
    if (c.rawKey !== undefined) {
      // As text: `1` and `"1"` are one key.
      const k = c.key!;
      keys ??= new Set();
      if (keys.has(k)) duplicateKey(k, { tag, id });
      keys.add(k);
    }
    lowerElement(ctx, c, id);
  }
  return v as unknown as ElementNode;
}

/**
 * True when `tag` is a valid tag name (an ASCII letter, then letters, digits
 * and `-`) that the server does not refuse (`isRefusedTag`: `script`, `base`,
 * `object`, `embed`, `plaintext`, `xmp`, `noembed`, `noframes`, in any case). A loop over the characters: it
 * runs for every element lowered, and tags are short. In profiles of a
 * 1,000-row create, the per-tag cache used before (a keyed load from a
 * null-prototype record) took 8 % of the time and this loop takes 2–3 %. The
 * refused names are looked up only for tags that start and end as one of them
 * does (`s…t`, `o…t`, `p…t`, `b…e`, `e…d`, `n…d`, `x…p`, `n…s`).
 */
function isTag(tag: string): boolean {
  if (typeof tag !== "string" || tag.length === 0) return false;
  const first = tag.charCodeAt(0) | 32; // ASCII letters to lower case
  if (first < 97 || first > 122) return false;
  let c = first;
  for (let i = 1; i < tag.length; i++) {
    c = tag.charCodeAt(i);
    if (!((c >= 97 && c <= 122) || (c >= 48 && c <= 57) || c === 45 || (c >= 65 && c <= 90))) return false;
  }
  c |= 32;
  if (c === 116 ? first === 115 || first === 111 || first === 112 : c === 101 ? first === 98 : c === 100 ? first === 101 || first === 110 : (c === 112 && first === 120) || (c === 115 && first === 110)) return !isRefusedTag(tag);
  return true;
}

/** Fills in the defaults of {@link LowerOptions}. */
export function context(opts: LowerOptions): Ctx {
  return { alloc: opts.alloc, bind: opts.bind ?? noBinder };
}

/**
 * Lowers a tree for its first render: assigns ids, turns props into string
 * attributes and binds `on*` handlers (throwing `BindError` for unbindable
 * ones and `RenderError` for duplicate keys).
 *
 * @example
 * const alloc = createIdAllocator();
 * lower(h("p", { class: "x" }, "hi"), { alloc })
 * // (as JSON) { id: "w-1", tag: "p", attrs: { class: "x" }, children: [], text: "hi" }
 */
export function lower(vnode: VNode, opts: LowerOptions): Node {
  return lowerNode(context(opts), vnode, "r");
}
