import { lis } from "./lis.js";
import { copiedMemo as copiedMemoOf } from "./memo.js";
import { duplicateKey, lowerNode as lowerNodeOf, setText as setTextOf, slotsOf as slotsOfNode, textOnlyError, type Ctx, type LowerOptions } from "./lower.js";
import { attrChanges, isList as isListOf, noBinder, sameStrings as sameStringsOf, updateList as updateListOf, updateLowered, updateRecord as updateRecordOf, type LoweredAttrs } from "./props.js";
import { isTextOnly as isTextOnlyOf } from "./tags.js";
import type { ElementNode, Node, PatchOp, TextNode, VElement, VNode } from "./types.js";
import { fresh as freshOf, isFresh as isFreshOf, rawKeyOf as rawKeyOfOf, UNPACKED as UNPACKED_PROPS, type ElementVNode } from "./vnode.js";

/*
 * The sibling modules' functions that run for every node, bound once to local
 * names. Under tsx (the bench, the tests, `npm start`) modules are compiled to
 * CommonJS and every call of an imported name first runs a getter: about a
 * quarter of the diff's time on a 10,000-node tree. A local binding is a plain call.
 */
const lowerNode = lowerNodeOf, slotsOf = slotsOfNode, isList = isListOf, updateList = updateListOf, updateRecord = updateRecordOf, sameStrings = sameStringsOf, isTextOnly = isTextOnlyOf, setText = setTextOf;
const isFresh = isFreshOf, fresh = freshOf, rawKeyOf = rawKeyOfOf, copiedMemo = copiedMemoOf, UNPACKED = UNPACKED_PROPS;

/** True for a lowered text node (`isTextNode` of types.ts, inlined for the same reason). */
function isText(node: Node): node is TextNode {
  return (node as ElementNode).tag === undefined;
}

export { createIdAllocator, lower, type IdAllocator, type LowerOptions } from "./lower.js";

/** Options plus the ops collected so far: one object threaded through the recursion, no closures. */
export interface DiffCtx extends Ctx {
  ops: PatchOp[];
  /** The element whose children the diff is writing (see {@link outOf}), and its copy of them. */
  outOf: ElementVNode | null;
  out: VNode[];
}

/**
 * Diffs the session's last lowered tree against a fresh `render()` result.
 * Returns the new lowered tree and the ops that turn the page's DOM of `old`
 * into the DOM of `tree`, in the order they must be applied. The new tree is
 * made of `old`'s nodes where nothing changed (a subtree equal to the old one
 * is the old one) and of `next`'s nodes, lowered in place, where something
 * did (ids and attributes written into the nodes `h()` built, see vnode.ts),
 * so `next` must not be diffed again; `old` itself is not written to.
 *
 * Nodes that the diff matches keep their ids, and an unchanged subtree costs no
 * ops (a subtree kept from the last render, the very same objects, is not even
 * walked). Matching: keyed children by key, unkeyed children by slot, i.e.
 * by their position in the `h()` call (see `VElement.slots`); a match whose tag
 * differs (or element vs text) is replaced in place.
 *
 * @example
 * const alloc = createIdAllocator();
 * const old = lower(h("p", {}, "0"), { alloc });
 * diff(old, h("p", {}, "1"), { alloc }).ops // [{ op: "text", id: "w-1", text: "1" }]
 */
export function diff(old: Node, next: VNode, opts: LowerOptions): { tree: Node; ops: PatchOp[] } {
  const ctx: DiffCtx = { alloc: opts.alloc, bind: opts.bind ?? noBinder, ops: [], outOf: null, out: [] };
  const tree = patchNode(ctx, old, next, "r");
  return { tree, ops: ctx.ops };
}

/**
 * Patches one matched pair and returns the node that takes `old`'s place: `next`
 * lowered in place (or a copy of it, see vnode.ts), or `old` itself when `next`
 * *is* `old` (a subtree kept from the last render: nothing in it can have
 * changed) or turned out the same (see patchElement). `parentId` is only needed when `next` must be lowered afresh (a
 * replace), to scope its keyed id.
 */
export function patchNode(ctx: DiffCtx, old: Node, next: VNode, parentId: string): Node {
  if ((next as unknown) === old) return old;
  const v = isFresh(next) ? next : fresh(next);
  if (v.type === "text") {
    if (isText(old)) {
      if (old.text === v.text) return old;
      v.id = old.id;
      ctx.ops.push({ op: "text", id: old.id, text: v.text });
      return v as unknown as TextNode;
    }
  } else if (!isText(old) && old.tag === v.tag && sameKey(old, v)) {
    return patchElement(ctx, old, v);
  }
  const node = lowerNode(ctx, v, parentId);
  ctx.ops.push({ op: "replace", id: old.id, node });
  return node;
}

/**
 * Returns `old` itself when `next` turned out the same as it (attributes,
 * text, and every child kept in its place), else `next` lowered in place.
 * Keeping the old objects is what lets a render's tree die young: the
 * session holds its tree until its next event, and a tree that replaced the
 * last one at every render survived the young generation to die in the old
 * one (20 sessions clicking a 500-row list: the garbage collector 57 % of
 * the process). Now only what changed, and the path above it, is new.
 */
function patchElement(ctx: DiffCtx, old: ElementNode, next: ElementVNode): ElementNode {
  // Read as the diff left them (a list, see vnode.ts), or as a record from a node not built by h().
  const prev = (old as unknown as ElementVNode).lowAttrs ?? old.attrs;
  const attrs = diffAttrs(ctx, old, next, prev);
  const nc = next.children, nn = nc.length, on = old.children.length;
  let text = next.text;
  if (text === undefined && nn === 1 && nc[0]!.type === "text") setText(next, (text = nc[0]!.text));
  if (text !== undefined) {
    // One text: the element's text (see ElementNode.text), set over whatever was there.
    if (text === old.text) {
      if (attrs === prev) return kept(old, next);
    } else if (!(text === "" && old.text === undefined && on === 0)) ctx.ops.push(new TextOp(old.id, text));
    return placed(next, old, attrs);
  }
  if (nn > 0 && isTextOnly(next.tag)) textOnlyError(next.tag, old.id);
  // Leaves and single-child elements (most of a typical tree) skip the generic child loop.
  const outer = ctx.outOf, outerList = ctx.out;
  let same: boolean;
  if (old.text !== undefined) same = fromText(ctx, old, next);
  else if (on === 1 && nn === 1) same = diffOnlyChild(ctx, old, next);
  else if (on !== 0 || nn !== 0) same = diffChildren(ctx, old, next, slotsOf(old));
  else same = true;
  if (ctx.outOf !== outer) {
    ctx.outOf = outer;
    ctx.out = outerList;
  }
  if (same) {
    if (attrs === prev) return kept(old, next);
    // Every child kept where it was: the old list is the new one (no node writes into a placed node's list).
    next.children = old.children as unknown as VNode[];
  }
  return placed(next, old, attrs);
}

/** `next` placed where `old` was: its id and lowered attributes written in. */
function placed(next: ElementVNode, old: ElementNode, attrs: LoweredAttrs): ElementNode {
  next.id = old.id;
  next.lowAttrs = attrs;
  return next as unknown as ElementNode;
}

/** `old` kept for `next`, the same subtree: a memo component that returned `next` returns `old` next time. */
function kept(old: ElementNode, next: ElementVNode): ElementNode {
  copiedMemo(next, old as unknown as VNode);
  return old;
}

/**
 * The children of an element whose content was one text (`old.text`) and now
 * is not: the text is emptied with one op and every new child is appended.
 */
function fromText(ctx: DiffCtx, old: ElementNode, next: ElementVNode): false {
  const nc = next.children;
  // A key met twice is refused, as on every path that inserts several children (two elements got one id).
  if (nc.length > 1 && hasKey(nc, 0, nc.length - 1)) indexMiddle(nc, 0, nc.length - 1, undefined, old);
  if (old.text !== "") ctx.ops.push({ op: "text", id: old.id, text: "" });
  for (let i = 0; i < nc.length; i++) insertNew(ctx, next, nc, i, old.id, null);
  return false;
}

/** Lowers the new child `i` of `next` (`newCh` as `h()` built it), places it, and inserts it before `before` (appends on null). */
function insertNew(ctx: DiffCtx, next: ElementVNode, newCh: readonly VNode[], i: number, parent: string, before: string | null): void {
  const node = lowerNode(ctx, newCh[i]!, parent);
  place(ctx, next, i, newCh[i]!, node);
  insert(ctx, node, parent, before);
}

/**
 * Puts `node`, what the diff made of the new child `v` at position `i`, in
 * `next`'s children: nothing to do when it is `v` itself, lowered in place (the
 * usual case); a copy, or an old node kept, is swapped in.
 */
function place(ctx: DiffCtx, next: ElementVNode, i: number, v: VNode, node: Node): void {
  if ((node as unknown) !== v) outOf(ctx, next)[i] = node as unknown as VNode;
}

/**
 * `next`'s children as a list the diff may write to: a copy made at the first
 * write (the list `h()` was given may be the app's own array), which becomes
 * `next`'s children. Every write into `next`'s children happens while
 * `patchElement(…, next)` runs, which restores the one it interrupted on its way out.
 */
function outOf(ctx: DiffCtx, next: ElementVNode): VNode[] {
  if (ctx.outOf === next) return ctx.out;
  ctx.outOf = next;
  return (ctx.out = next.children = next.children.slice());
}

/**
 * The children of `next` before `s`, each the old child at its index (kept,
 * see patchElement), written into `next`'s children once another child is
 * not: then `next` is the node placed, and holds them.
 */
function keepBefore(ctx: DiffCtx, next: ElementVNode, oldCh: readonly Node[], s: number): void {
  if (s === 0) return;
  const out = outOf(ctx, next);
  for (let i = 0; i < s; i++) out[i] = oldCh[i] as unknown as VNode;
}

/** The id of `next`'s child `i`, once placed. */
function idAt(next: ElementVNode, i: number): string {
  return (next.children[i] as unknown as Node).id;
}

/** `diffChildren` for one old and one new child of the same identity, without its list machinery. */
function diffOnlyChild(ctx: DiffCtx, old: ElementNode, next: ElementVNode): boolean {
  const o = old.children[0]!, v = next.children[0]!;
  const oldSlots = slotsOf(old), newSlots = next.slots;
  // Same identity: the same key (texts have none) and the same slot (0 unless `h()` recorded another).
  if (!sameKey(o, v) || (oldSlots === undefined ? 0 : oldSlots[0]) !== (newSlots === undefined ? 0 : newSlots[0])) return diffChildren(ctx, old, next, oldSlots);
  // Patched in place (a text compared, an element diffed), replaced if its kind changed.
  const node = patchNode(ctx, o, v, old.id);
  if (node === o) return true;
  place(ctx, next, 0, v, node);
  return false;
}

/**
 * Returns `prev`, `old`'s lowered attributes, when nothing changed (the
 * common case, checked without allocating), else the new ones (a list, see
 * props.ts `AttrList`), pushing one `attrs` op with only the attributes that
 * were set or removed.
 */
function diffAttrs(ctx: DiffCtx, old: ElementNode, next: VElement, prev: LoweredAttrs): LoweredAttrs {
  // props.ts updateAttrs, its two halves called here: one call fewer for every element of every render.
  const props = next.props;
  // A copy of an unpacked node (vnode.ts `UNPACKED`) brings its attributes lowered already.
  const attrs = props === UNPACKED ? updateLowered(prev, (next as ElementVNode).lowAttrs) : isList(prev) ? updateList(prev, props, next.tag, ctx.bind) : sameStrings(prev, props) ? prev : updateRecord(prev, props, next.tag, ctx.bind);
  if (attrs !== prev) ctx.ops.push(new AttrsOp(old.id, attrChanges.set, attrChanges.remove));
  return attrs;
}

/**
 * A child's identity among its siblings: its key if it has one, else its slot
 * as `-1 - slot`. A key is compared as `h()` was given it (ElementVNode.rawKey),
 * with one form for a number and its text (`1` and `"1"` are one key): an
 * integer from 0 to 999,999,999 as a number, any other key as text. So
 * keys and slots live in one Map without colliding, and the usual keys, ids,
 * need no string.
 */
type Identity = string | number;

function identity(node: VNode | Node, i: number, slots: readonly number[] | undefined): Identity {
  const key = rawKeyOf(node);
  return key !== undefined ? keyIdentity(key) : -1 - (slots !== undefined ? slots[i]! : i);
}

/** A key's identity (see {@link Identity}); reading a string's digits allocates nothing. */
function keyIdentity(key: string | number): Identity {
  if (typeof key === "number") return key >= 0 && key < 1e9 && (key | 0) === key ? key : String(key);
  const n = key.length;
  let c = key.charCodeAt(0);
  // At most 9 digits, no leading zero ("0" alone is 0): the text of such an integer.
  if (n === 0 || n > 9 || c < 48 || c > 57 || (c === 48 && n > 1)) return key;
  let value = c - 48;
  for (let i = 1; i < n; i++) {
    c = key.charCodeAt(i);
    if (c < 48 || c > 57) return key;
    value = value * 10 + (c - 48);
  }
  return value;
}

/** True when two nodes have the same key, or none: as given when `h()` built both, else as text. */
function sameKey(a: VNode | Node, b: VNode | Node): boolean {
  const k = (a as ElementVNode).rawKey;
  return (k !== undefined && k === (b as ElementVNode).rawKey) || (a as ElementNode).key === (b as ElementNode).key;
}

/** In the map, a claimed old child (or a key a new child already took). */
const CLAIMED = -1;

/**
 * Diffs the children of a matched element, pushing ops. Returns true when
 * every new child is the old child at its index (see patchElement): then
 * nothing was written into `next`. Otherwise `next.children` holds the new
 * children: those lowered in place, and the old ones kept (see `place`).
 * `oldSlots` are the slots of `parent`'s children (see `slotsOf`), looked up by
 * the caller. Lists longer than {@link LONG} go to {@link diffLongChildren}
 * (why: see there).
 *
 * 1. Skip the common prefix and suffix (same identities, patched in place):
 *    appends, removals at one spot and most updates end here.
 * 2. Move crossed ends (see diffMiddle); then match what is left of the
 *    middle by identity through a Map of the *new* middle (a repeated key is
 *    a duplicate, and so is a prefix or suffix key found in it), looking up
 *    each old child of the middle.
 * 3. Remove unmatched old children (or, when none stays, empty the parent
 *    with one op); then walk the middle right to left,
 *    inserting new children before the already-placed next sibling and moving
 *    every matched child that is not in the LIS of old positions: the minimum
 *    number of moves.
 * A new list that is empty empties the parent with one op (see clearChildren).
 *
 * Ops order: patches of a child (including its `replace`) come before its
 * `move`, which names the replaced node's new id; removals come before any
 * insert; every `before` of an insert or a move is a node of the new list
 * already in its final place (the right-hand crossed ends are placed first,
 * the left-hand ones last).
 */
export function diffChildren(ctx: DiffCtx, parent: ElementNode, next: ElementVNode, oldSlots: readonly number[] | undefined): boolean {
  const oldCh = parent.children, newCh = next.children;
  const oldLen = oldCh.length, newLen = newCh.length;
  if (newLen === 0) {
    clearChildren(ctx, parent);
    return false;
  }
  // Long lists take a copy of this function: see diffLongChildren.
  if (oldLen > LONG || newLen > LONG) return diffLongChildren(ctx, parent, next, oldSlots);
  const newSlots = next.slots;
  const pid = parent.id;

  // True while every child so far is the old one in its place (see patchElement): nothing is written into `next` then.
  let same = oldLen === newLen;
  let s = 0;
  let oe = oldLen - 1, ne = newLen - 1;
  for (; s < oldLen && s < newLen; s++) {
    const o = oldCh[s]!, v = newCh[s]!;
    // A subtree kept from the last render (a memo() hit) in its place: nothing to do, not even a call.
    if ((v as unknown) === o) continue;
    // identity(o) !== identity(v), inlined: this loop runs for nearly every node of every render.
    // The same key as h() gave both (a list's rows), else compared as text; children without a key by slot.
    const key = (o as ElementVNode).rawKey;
    if (key === undefined || key !== (v as ElementVNode).rawKey) {
      const text = (o as ElementNode).key;
      if (text !== undefined ? identity(o, s, oldSlots) !== identity(v, s, newSlots) : (v as VElement).key !== undefined) break;
      if (text === undefined && (oldSlots === undefined ? s : oldSlots[s]) !== (newSlots === undefined ? s : newSlots[s])) break;
    }
    const node = patchNode(ctx, o, v, pid);
    if (node !== o) {
      if (same) {
        keepBefore(ctx, next, oldCh, s);
        same = false;
      }
      place(ctx, next, s, v, node);
    } else if (!same) place(ctx, next, s, v, node);
  }
  if (same) {
    if (s === newLen) return true;
    keepBefore(ctx, next, oldCh, s);
  }
  for (; oe >= s && ne >= s; oe--, ne--) {
    const o = oldCh[oe]!, v = newCh[ne]!;
    if ((v as unknown) === o) continue;
    const key = (o as ElementVNode).rawKey;
    if ((key === undefined || key !== (v as ElementVNode).rawKey) && identity(o, oe, oldSlots) !== identity(v, ne, newSlots)) break;
    place(ctx, next, ne, v, patchNode(ctx, o, v, pid));
  }
  if (s <= oe || s <= ne) diffMiddle(ctx, parent, next, newCh, oldSlots, s, oe, ne);
  return false;
}

/** Lists longer than this are diffed by {@link diffLongChildren}. */
const LONG = 32;

/**
 * The same code as {@link diffChildren}, for long lists. Why a copy: V8 would
 * otherwise compile diffChildren "on stack" (OSR) in the middle of a long
 * list's loop, while the recursive calls for that list's children make it hot;
 * when a deopt comes first, the process kept running every call through the
 * OSR entry, at half speed for its whole life (seen as two speed modes of the
 * bench; `--no-use-osr` made them one). A separate function keeps the long
 * loop's OSR away from the function called once per element.
 */
function diffLongChildren(ctx: DiffCtx, parent: ElementNode, next: ElementVNode, oldSlots: readonly number[] | undefined): boolean {
  const oldCh = parent.children, newCh = next.children;
  const oldLen = oldCh.length, newLen = newCh.length;
  const newSlots = next.slots;
  const pid = parent.id;

  // True while every child so far is the old one in its place (see patchElement): nothing is written into `next` then.
  let same = oldLen === newLen;
  let s = 0;
  let oe = oldLen - 1, ne = newLen - 1;
  for (; s < oldLen && s < newLen; s++) {
    const o = oldCh[s]!, v = newCh[s]!;
    // A subtree kept from the last render (a memo() hit) in its place: nothing to do, not even a call.
    if ((v as unknown) === o) continue;
    // identity(o) !== identity(v), inlined: this loop runs for nearly every node of every render.
    // The same key as h() gave both (a list's rows), else compared as text; children without a key by slot.
    const key = (o as ElementVNode).rawKey;
    if (key === undefined || key !== (v as ElementVNode).rawKey) {
      const text = (o as ElementNode).key;
      if (text !== undefined ? identity(o, s, oldSlots) !== identity(v, s, newSlots) : (v as VElement).key !== undefined) break;
      if (text === undefined && (oldSlots === undefined ? s : oldSlots[s]) !== (newSlots === undefined ? s : newSlots[s])) break;
    }
    const node = patchNode(ctx, o, v, pid);
    if (node !== o) {
      if (same) {
        keepBefore(ctx, next, oldCh, s);
        same = false;
      }
      place(ctx, next, s, v, node);
    } else if (!same) place(ctx, next, s, v, node);
  }
  if (same) {
    if (s === newLen) return true;
    keepBefore(ctx, next, oldCh, s);
  }
  for (; oe >= s && ne >= s; oe--, ne--) {
    const o = oldCh[oe]!, v = newCh[ne]!;
    if ((v as unknown) === o) continue;
    const key = (o as ElementVNode).rawKey;
    if ((key === undefined || key !== (v as ElementVNode).rawKey) && identity(o, oe, oldSlots) !== identity(v, ne, newSlots)) break;
    place(ctx, next, ne, v, patchNode(ctx, o, v, pid));
  }
  if (s <= oe || s <= ne) diffMiddle(ctx, parent, next, newCh, oldSlots, s, oe, ne);
  return false;
}

/**
 * Steps 2 and 3 for the old children `[s, oe]` and new children `[s, ne]`
 * (the prefix and suffix are placed already). `newCh` is the new list as
 * `h()` built it: `next.children` may have become a copy with some of the
 * placed children swapped (see `place`), whose ids are read from there.
 * Kept apart from the prefix/suffix loops, which run for every element, so
 * that they stay small.
 */
function diffMiddle(ctx: DiffCtx, parent: ElementNode, next: ElementVNode, newCh: readonly VNode[], oldSlots: readonly number[] | undefined, s: number, oe: number, ne: number): void {
  const oldCh = parent.children, newSlots = next.slots;
  const same = (i: number, j: number) => identity(oldCh[i]!, i, oldSlots) === identity(newCh[j]!, j, newSlots);
  const pid = parent.id;
  /*
   * Crossed ends: the first old child of the middle is the last new one and the last old
   * child is the first new one (two rows swapped, say). Both must move in any solution with
   * the fewest moves, provided a child between them stays: in old positions the new order
   * reads [last, ..., first], and no increasing run can hold either end together with
   * anything else. So both are moved, the ends are skipped again, and the middle left over
   * (often nothing) is matched as usual: swapping two rows of a long list, or reversing it,
   * costs no map.
   */
  let crossed: number[] | undefined;
  // "A child between them stays" is checked on the four cheapest candidates: the inner
  // children next to each end, in the same order (a swap) or crossed again (a reversal).
  while (
    s + 2 <= oe && s + 2 <= ne && same(s, ne) && same(oe, s) &&
    (same(s + 1, s + 1) || same(oe - 1, ne - 1) || same(s + 1, ne - 1) || same(oe - 1, s + 1))
  ) {
    place(ctx, next, ne, newCh[ne]!, patchNode(ctx, oldCh[s]!, newCh[ne]!, pid));
    place(ctx, next, s, newCh[s]!, patchNode(ctx, oldCh[oe]!, newCh[s]!, pid));
    (crossed ??= []).push(s++, ne--);
    oe--;
    for (; s <= oe && s <= ne && same(s, s); s++) place(ctx, next, s, newCh[s]!, patchNode(ctx, oldCh[s]!, newCh[s]!, pid));
    for (; oe >= s && ne >= s && same(oe, ne); oe--, ne--) place(ctx, next, ne, newCh[ne]!, patchNode(ctx, oldCh[oe]!, newCh[ne]!, pid));
  }
  if (crossed === undefined) return matchMiddle(ctx, parent, next, newCh, oldSlots, s, oe, ne);
  // Placed right to left like every other move: the right-hand ends first (outermost first,
  // each before its next sibling, already in place), then the rest of the middle, then the
  // left-hand ends (innermost first).
  const ops = ctx.ops, newLen = newCh.length;
  for (let c = 1; c < crossed.length; c += 2) {
    const p = crossed[c]!;
    ops.push(new MoveOp(idAt(next, p), pid, p + 1 < newLen ? idAt(next, p + 1) : null));
  }
  if (s <= oe || s <= ne) matchMiddle(ctx, parent, next, newCh, oldSlots, s, oe, ne);
  for (let c = crossed.length - 2; c >= 0; c -= 2) {
    const p = crossed[c]!;
    ops.push(new MoveOp(idAt(next, p), pid, idAt(next, p + 1)));
  }
}

/** The middle once its crossed ends are placed: pure insertion, or matching through a map and placing by LIS. */
function matchMiddle(ctx: DiffCtx, parent: ElementNode, next: ElementVNode, newCh: readonly VNode[], oldSlots: readonly number[] | undefined, s: number, oe: number, ne: number): void {
  const oldCh = parent.children;
  const oldLen = oldCh.length, newLen = newCh.length;
  const newSlots = next.slots;
  const pid = parent.id, ops = ctx.ops;
  const mid = ne - s + 1;
  if (s > oe) {
    // Pure insertion (creating a list, appending to one): nothing to match. A new key
    // may still repeat another new one, or one of the old children (all in the prefix
    // and suffix now): the index of the new children and one lookup per old key find both.
    if (hasKey(newCh, s, ne)) checkAround(oldCh, s, oe, indexMiddle(newCh, s, ne, newSlots, parent), parent);
    const before = ne + 1 < newLen ? idAt(next, ne + 1) : null;
    for (let i = s; i <= ne; i++) insertNew(ctx, next, newCh, i, pid, before);
    return;
  }

  if (slid(ctx, parent, next, newCh, oldSlots, s, oe, ne)) return;
  const index = indexMiddle(newCh, s, ne, newSlots, parent);
  if (index.size > 0) checkAround(oldCh, s, oe, index, parent);
  // Look every old child of the middle up: `sources[i]` is the old position of new child s + i.
  const sources = new Int32Array(mid > 0 ? mid : 0).fill(CLAIMED);
  const claimed = new Uint8Array(oe - s + 1);
  let anyClaimed = false;
  for (let i = s; i <= oe; i++) {
    const j = index.get(identity(oldCh[i]!, i, oldSlots));
    if (j === undefined || sources[j - s] !== CLAIMED) continue;
    sources[j - s] = i;
    claimed[i - s] = 1;
    anyClaimed = true;
  }
  if (!anyClaimed && s === 0 && oe === oldLen - 1) {
    // Nothing of the old list stays (e.g. every row replaced): one op empties the parent,
    // instead of one `remove` per old child, and the new children are appended in order.
    clearChildren(ctx, parent);
    for (let i = 0; i < newLen; i++) insertNew(ctx, next, newCh, i, pid, null);
    return;
  }
  // Patch the matched children and lower the new ones, in the new order.
  let moved = false, lastOld = -1;
  for (let i = 0; i < mid; i++) {
    const j = sources[i]!, v = newCh[s + i]!;
    if (j === CLAIMED) {
      place(ctx, next, s + i, v, lowerNode(ctx, v, pid));
      continue;
    }
    // Old positions that ever decrease mean some child must move.
    if (j < lastOld) moved = true;
    else lastOld = j;
    place(ctx, next, s + i, v, patchNode(ctx, oldCh[j]!, v, pid));
  }
  for (let i = s; i <= oe; i++) if (claimed[i - s] === 0) ops.push({ op: "remove", id: oldCh[i]!.id });

  const stay = moved ? lis(sources) : undefined;
  let k = stay === undefined ? -1 : stay.length - 1;
  const out = next.children as unknown as readonly Node[];
  let before = ne + 1 < newLen ? out[ne + 1]!.id : null;
  for (let i = mid - 1; i >= 0; i--) {
    const node = out[s + i]!;
    if (sources[i]! === CLAIMED) insert(ctx, node, pid, before);
    else if (stay !== undefined) {
      if (k >= 0 && stay[k] === i) k--;
      else ops.push(new MoveOp(node.id, pid, before));
    }
    before = node.id;
  }
}

/** How far {@link slid} looks for the first child the two middles share: a window moved by up to this many children at once. */
const SLIDE = 8;

/**
 * A window that slid: a log that drops its oldest rows as new ones come (old
 * `[s, s+d)` gone, the rest of the old middle the start of the new one, new
 * children after it), or a feed that adds at the top what it drops at the
 * bottom (the mirror image), with `d` ≤ {@link SLIDE}. No child moves then, and
 * the middle is matched pair by pair, with a map of the added children only
 * (a log of 50 or 200 rows taking one message and dropping one: render, diff
 * and JSON in 0.84–0.85× the time of matching through a map of every row).
 * Emits the ops {@link matchMiddle} would; returns false, having done nothing,
 * for any other middle.
 */
function slid(ctx: DiffCtx, parent: ElementNode, next: ElementVNode, newCh: readonly VNode[], oldSlots: readonly number[] | undefined, s: number, oe: number, ne: number): boolean {
  if (s > ne) return false; // the new middle is empty: the old one's children are removed
  const oldCh = parent.children, newSlots = next.slots;
  const same = (i: number, j: number) => {
    const o = oldCh[i]!, v = newCh[j]!, key = (o as ElementVNode).rawKey;
    return (key !== undefined && key === (v as ElementVNode).rawKey) || identity(o, i, oldSlots) === identity(v, j, newSlots);
  };
  // d: how many children one end lost (the old middle's first, or the new middle's first, gained).
  let d = 1;
  while (d <= SLIDE && s + d <= oe && !same(s + d, s)) d++;
  const forward = d <= SLIDE && s + d <= oe;
  if (!forward) {
    d = 1;
    while (d <= SLIDE && s + d <= ne && !same(s, s + d)) d++;
    if (d > SLIDE || s + d > ne) return false;
  }
  // The children both keep, in the same order: the rest of the old middle (forward) or of the new one.
  const n = forward ? oe - s - d + 1 : ne - s - d + 1;
  if (n > (forward ? ne : oe) - s + 1) return false;
  const o0 = forward ? s + d : s, n0 = forward ? s : s + d;
  for (let i = 1; i < n; i++) if (!same(o0 + i, n0 + i)) return false;
  // The children gone and those added; one that is in both moved, which matchMiddle places.
  const goneFrom = forward ? s : s + n, goneTo = forward ? s + d - 1 : oe;
  const addedFrom = forward ? s + n : s, addedTo = forward ? ne : s + d - 1;
  const added = indexMiddle(newCh, addedFrom, addedTo, newSlots, parent);
  for (let i = goneFrom; i <= goneTo; i++) if (added.has(identity(oldCh[i]!, i, oldSlots))) return false;
  if (hasKey(newCh, addedFrom, addedTo)) checkAround(oldCh, goneFrom, goneTo, added, parent);

  // Patched and lowered in the new order, then the removals, then the inserts right to left.
  const pid = parent.id, ops = ctx.ops;
  for (let j = s; j <= ne; j++) {
    const v = newCh[j]!;
    place(ctx, next, j, v, j >= n0 && j < n0 + n ? patchNode(ctx, oldCh[o0 + j - n0]!, v, pid) : lowerNode(ctx, v, pid));
  }
  for (let i = goneFrom; i <= goneTo; i++) ops.push({ op: "remove", id: oldCh[i]!.id });
  const out = next.children as unknown as readonly Node[];
  let before = addedTo + 1 < out.length ? out[addedTo + 1]!.id : null;
  for (let j = addedTo; j >= addedFrom; j--) {
    insert(ctx, out[j]!, pid, before);
    before = out[j]!.id;
  }
  return true;
}

/**
 * Removes every child of `parent` with one `text` op setting its text to ""
 * (the page sets `textContent`, which empties an element): a cleared list of a
 * thousand rows costs one op, not a thousand `remove`s, and the diff does not
 * need to read the old children at all. The element itself stays.
 */
function clearChildren(ctx: DiffCtx, parent: ElementNode): void {
  if (parent.children.length > 0) ctx.ops.push({ op: "text", id: parent.id, text: "" });
}

/*
 * The ops a diff emits by the thousand are class instances, not object
 * literals: V8 gives every literal an allocation site, and once what is built
 * there is seen surviving a collection it allocates it straight into the old
 * generation, which made lowering twice as slow in the second session's bench;
 * objects built by a constructor were not pretenured there (`node
 * --trace-pretenuring-statistics`). They serialize like the literals of PatchOp.
 */
class AppendOp {
  readonly op = "append";
  readonly parent: string;
  readonly node: Node;
  constructor(parent: string, node: Node) {
    this.parent = parent;
    this.node = node;
  }
}
class InsertOp {
  readonly op = "insert";
  readonly parent: string;
  readonly before: string;
  readonly node: Node;
  constructor(parent: string, before: string, node: Node) {
    this.parent = parent;
    this.before = before;
    this.node = node;
  }
}
class TextOp {
  readonly op = "text";
  readonly id: string;
  readonly text: string;
  constructor(id: string, text: string) {
    this.id = id;
    this.text = text;
  }
}
class AttrsOp {
  readonly op = "attrs";
  readonly id: string;
  readonly set: Record<string, string>;
  readonly remove: string[];
  constructor(id: string, set: Record<string, string>, remove: string[]) {
    this.id = id;
    this.set = set;
    this.remove = remove;
  }
}
class MoveOp {
  readonly op = "move";
  readonly id: string;
  readonly parent: string;
  readonly before: string | null;
  constructor(id: string, parent: string, before: string | null) {
    this.id = id;
    this.parent = parent;
    this.before = before;
  }
}

function insert(ctx: DiffCtx, node: Node, parent: string, before: string | null): void {
  ctx.ops.push(before === null ? new AppendOp(parent, node) : new InsertOp(parent, before, node));
}

/**
 * The new middle `newCh[s..ne]` by identity (identity → position), throwing
 * for a repeated key. Built right to left so that, should a slot repeat (only
 * possible past ARRAY_SLOT positions), its first child is the one matched.
 */
function indexMiddle(newCh: readonly VNode[], s: number, ne: number, newSlots: readonly number[] | undefined, parent: ElementNode): Map<Identity, number> {
  const index = new Map<Identity, number>();
  for (let i = ne; i >= s; i--) {
    const id = identity(newCh[i]!, i, newSlots);
    const size = index.size;
    if (index.set(id, i).size === size && (typeof id === "string" || id >= 0)) duplicateKey(String(id), parent);
  }
  return index;
}

/**
 * Throws when a key of the old prefix `[0, s)` or suffix `(oe, end]` is among
 * `middle`, the identities of the new middle: the prefix and suffix keep their
 * keys, so the new list would hold that key twice.
 */
function checkAround(oldCh: readonly Node[], s: number, oe: number, middle: { has(id: Identity): boolean }, parent: ElementNode): void {
  for (let i = 0; i < oldCh.length; i++) {
    if (i === s) i = oe + 1;
    const key = i < oldCh.length ? rawKeyOf(oldCh[i]!) : undefined;
    if (key !== undefined && middle.has(keyIdentity(key))) duplicateKey(String(key), parent);
  }
}

function hasKey(children: readonly VNode[], from: number, to: number): boolean {
  for (let i = from; i <= to; i++) {
    const c = children[i]!;
    if (rawKeyOf(c) !== undefined) return true;
  }
  return false;
}
