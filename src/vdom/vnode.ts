import { copiedMemo } from "./memo.js";
import { attrRecord, EMPTY_ATTRS, type LoweredAttrs } from "./props.js";
import type { ElementNode, Node, TextNode, VElement, VNode, VText } from "./types.js";

/*
 * The nodes `h()` builds, and what they become: a diff lowers a new tree *in
 * place*. Each node it places gets its id (and an element its lowered
 * attributes) written into it, and becomes part of the session's tree, as
 * snabbdom's `patch` writes `elm` into each new vnode; where nothing changed
 * the diff keeps the old tree's node instead (diff.ts `patchElement`).
 * Lowering into separate objects cost an object per node and an array per
 * parent (16 allocations per row of the benchmark's table), which was most of
 * the time a 1,000-row create took.
 *
 * An element whose only child is a text keeps that text as its `text` once
 * placed, and its children become the shared empty list (`ElementNode.text`).
 *
 * `id` says where a node is in that life:
 * - `null`: fresh from `h()`, never placed; a diff may write into it;
 * - a string: placed in some tree (this session's, another's, or a render
 *   that threw). It is never written again: a placed node that shows up again
 *   (a subtree kept between renders, one vnode used twice) is the same
 *   subtree when it stands where it stood in the old tree, and is otherwise
 *   copied (`fresh()`) before it is placed;
 * - `undefined`: an object built without `h()` (a literal `{type: "element", …}`);
 *   it is copied too, so what goes over the wire always has the shape below.
 */

/** An element built by `h()`; once placed, also the lowered {@link ElementNode}. */
export class ElementVNode implements VElement {
  /** "element", on the prototype: a field fewer in each node (see the end of the file). */
  declare readonly type: "element";
  /** Null until the node is placed in a tree (see above). */
  id: string | null = null;
  readonly tag: string;
  /**
   * The key as `h()` was given it: a number stays a number (`key` is its
   * text), since most keys are ids and the diff compares them as they are
   * (`1` and `"1"` are still one key, see diff.ts `identity`). `String()` on
   * each key was a third of the time `h()` took for a keyed list of 5,000
   * after a full collection (which empties V8's cache of number strings).
   */
  readonly rawKey: string | number | undefined;
  /**
   * The lowered attributes, set when the node is placed: the props object
   * itself when it holds only string attributes (or the empty record), else a
   * list (props.ts `AttrList`), which the next diff compares by position.
   * Read by name through `attrs`.
   */
  lowAttrs: LoweredAttrs = EMPTY_ATTRS;
  /** The children; once placed, the lowered children (a child that had to be copied is swapped in, see `writableChildren`). */
  children: VNode[];
  /** The element's content when it is one text (see `VElement.text`, `ElementNode.text`): `h()` sets it for a lone string or number, lowering for any other lone text child; `children` is then empty. */
  text: string | undefined;
  readonly props: Readonly<Record<string, unknown>>;
  readonly slots: readonly number[] | undefined;
  constructor(tag: string, props: Readonly<Record<string, unknown>>, key: string | number | undefined, children: VNode[], slots: readonly number[] | undefined, text?: string) {
    this.tag = tag;
    this.rawKey = key;
    this.children = children;
    this.props = props;
    this.slots = slots;
    this.text = text;
  }
  /** The key as text (`VElement.key`, `ElementNode.key`). */
  get key(): string | undefined {
    const k = this.rawKey;
    return typeof k === "number" ? String(k) : k;
  }
  /** The lowered attributes as a record (`ElementNode.attrs`): a list is turned into one, and kept as one, the first time it is read (`pack()`, code reading a tree by name; the HTML writer reads lists as they are). */
  get attrs(): Record<string, string> {
    const a = this.lowAttrs;
    return Array.isArray(a) ? (this.lowAttrs = attrRecord(a as readonly string[])) : (a as Record<string, string>);
  }
  set attrs(a: Record<string, string>) {
    this.lowAttrs = a;
  }
  /** The wire form (§5): `{id, tag, key?, attrs, children, text?}` once placed; unplaced, what `h()` was given. */
  toJSON(): ElementNode | { type: "element"; tag: string; key?: string; props: Readonly<Record<string, unknown>>; children: VNode[]; text?: string } {
    if (this.id === null) return { type: "element", tag: this.tag, key: this.key, props: this.props, children: this.children, text: this.text };
    // A list is written as a record without keeping it: the node stays as the next diff compares it fastest.
    const a = this.lowAttrs;
    const attrs = Array.isArray(a) ? attrRecord(a as readonly string[]) : (a as Record<string, string>);
    return { id: this.id, tag: this.tag, key: this.key, attrs, children: this.children as unknown as Node[], text: this.text };
  }
}

/** A text node built by `h()` (or `text()`); once placed, also the lowered {@link TextNode}. */
export class TextVNode implements VText {
  declare readonly type: "text";
  id: string | null = null;
  readonly text: string;
  constructor(text: string) {
    this.text = text;
  }
  /** The wire form: `{id, text}` once placed. */
  toJSON(): TextNode | { type: "text"; text: string } {
    return this.id === null ? { type: "text", text: this.text } : { id: this.id, text: this.text };
  }
}

/**
 * The props of a node `unpack()` rebuilt: a packed tree keeps each element's
 * lowered attributes, not the props they came from (bindings were functions),
 * so such a node's attributes are its `lowAttrs`, and a copy of it keeps them
 * (`fresh`): lowering a copy takes them as they are, and the diff compares
 * them as lowered attributes (props.ts `updateLowered`). A memo row kept
 * across a rest is such a node: shown again after it left the page, its copy
 * had lost every attribute.
 */
export const UNPACKED: Readonly<Record<string, unknown>> = Object.freeze({});

/** A node's key as `h()` was given it (`ElementVNode.rawKey`), or as text for a node built without `h()`; undefined for none. */
export function rawKeyOf(v: VNode | Node): string | number | undefined {
  const k = (v as ElementVNode).rawKey;
  return k !== undefined ? k : (v as ElementNode).key;
}

/** A node a diff may write into: built by `h()` and never placed. */
export function isFresh(v: VNode): v is ElementVNode | TextVNode {
  return (v as { id?: unknown }).id === null;
}

/**
 * A fresh copy of a node that was placed already (or built without `h()`):
 * same tag, props, key, slots, children and text, no id. The children are copied as
 * a list (so the copy may swap some of them) but not as nodes: each is
 * checked, and copied if need be, when the diff reaches it.
 */
export function fresh(v: VNode): ElementVNode | TextVNode {
  if (v.type === "text") return new TextVNode(v.text);
  // An element whose content is its text has no children (see `VElement.text`): the copy keeps the text.
  const text = v.text, key = rawKeyOf(v);
  let copy: ElementVNode;
  if (text !== undefined) copy = new ElementVNode(v.tag, v.props, key, v.children as VNode[], v.slots, text);
  else {
    copy = new ElementVNode(v.tag, v.props, key, v.children.slice(), v.slots);
    OWN.add(copy.children);
  }
  if (v.props === UNPACKED) copy.lowAttrs = (v as ElementVNode).lowAttrs;
  copiedMemo(v, copy);
  return copy;
}

/**
 * Children arrays the diff may write to: those `fresh()` made. Any other may
 * be an array the user passed to `h()` (or one shared with a placed node), so
 * it is copied the first time a child must be swapped (`writableChildren`).
 * Swaps are rare (a reused subtree moved, or a literal node), so this costs a
 * weak-set lookup only then.
 */
const OWN = new WeakSet<VNode[]>();

/** `v`'s children as an array the diff may write to (copied on the first write; `v` is fresh). */
export function writableChildren(v: ElementVNode): VNode[] {
  let c = v.children;
  if (!OWN.has(c)) {
    c = c.slice();
    OWN.add(c);
    v.children = c;
  }
  return c;
}

Object.defineProperty(ElementVNode.prototype, "type", { value: "element" });
Object.defineProperty(TextVNode.prototype, "type", { value: "text" });
