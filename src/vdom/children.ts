import { patchNode, type DiffCtx } from "./diff.js";
import { lis } from "./lis.js";
import { duplicateKey, lowerNode } from "./lower.js";
import type { ElementNode, Node, VElement, VNode } from "./types.js";

/**
 * A child's identity among its siblings: its key (a string) if it has one,
 * else its slot (a number). Keys and slots live in one Map without colliding
 * because a string never equals a number.
 */
type Identity = string | number;

function oldIdentity(node: Node, i: number, slots: readonly number[] | undefined): Identity {
  const key = (node as ElementNode).key;
  return key !== undefined ? key : slots !== undefined ? slots[i]! : i;
}

function newIdentity(v: VNode, i: number, slots: readonly number[] | undefined): Identity {
  if (v.type === "element" && v.key !== undefined) return v.key;
  return slots !== undefined ? slots[i]! : i;
}

/** In the map, a claimed old child (or a key a new child already took). */
const CLAIMED = -1;

/**
 * The result array, created at the first child that differs: until then the
 * old array is the answer, so an unchanged list allocates nothing. Copies what
 * was already matched unchanged: the prefix `[0, s)` and the suffix after
 * `oe` (old) / `ne` (new).
 */
function materialize(oldCh: readonly Node[], newLen: number, s: number, oe: number, ne: number): Node[] {
  const out = new Array<Node>(newLen);
  for (let i = 0; i < s; i++) out[i] = oldCh[i]!;
  for (let k = 1; ne + k < newLen; k++) out[ne + k] = oldCh[oe + k]!;
  return out;
}

/**
 * Diffs the children of a matched element, pushing ops, and returns the new
 * children (the old array itself if nothing changed). `oldSlots` are the
 * slots of `parent`'s children (see `slotsOf`), looked up by the caller: the
 * prefix loop below runs long, and V8 compiles a function whose loop runs
 * long in a way that does not recover well from a deopt, so the loop's
 * function touches nothing but arrays and nodes.
 *
 * 1. Skip the common prefix and suffix (same identities, patched in place):
 *    appends, removals at one spot and most updates end here.
 * 2. Match the remaining new children to old ones by identity through a Map
 *    of the *whole* old list: a new key found outside the old middle belongs
 *    to a prefix or suffix sibling, so it is a duplicate, found without a
 *    second pass.
 * 3. Remove unmatched old children; then walk the middle right to left,
 *    inserting new children before the already-placed next sibling and moving
 *    every matched child that is not in the LIS of old positions: the minimum
 *    number of moves.
 *
 * Ops order: patches of a child (including its `replace`) come before its
 * `move`, which names the replaced node's new id; removals come before any
 * insert, and an insert's `before` is always a node of the new list.
 */
export function diffChildren(ctx: DiffCtx, parent: ElementNode, next: VElement, oldSlots: readonly number[] | undefined): Node[] {
  const oldCh = parent.children, newCh = next.children;
  const oldLen = oldCh.length, newLen = newCh.length;
  const newSlots = next.slots;
  const pid = parent.id, ptag = parent.tag, ops = ctx.ops;
  let out: Node[] | undefined;

  let s = 0;
  let oe = oldLen - 1, ne = newLen - 1;
  for (; s < oldLen && s < newLen; s++) {
    const o = oldCh[s]!, v = newCh[s]!;
    // oldIdentity(o) !== newIdentity(v), inlined: this loop runs for nearly every node of every render.
    const key = (o as ElementNode).key;
    if (key !== (v as VElement).key) break;
    if (key === undefined && (oldSlots === undefined ? s : oldSlots[s]) !== (newSlots === undefined ? s : newSlots[s])) break;
    const n = patchNode(ctx, o, v, pid, ptag);
    if (n !== o) out ??= materialize(oldCh, newLen, s, oe, ne);
    if (out !== undefined) out[s] = n;
  }
  for (; oe >= s && ne >= s; oe--, ne--) {
    const o = oldCh[oe]!, v = newCh[ne]!;
    if (oldIdentity(o, oe, oldSlots) !== newIdentity(v, ne, newSlots)) break;
    const n = patchNode(ctx, o, v, pid, ptag);
    if (n !== o) out ??= materialize(oldCh, newLen, s, oe, ne);
    if (out !== undefined) out[ne] = n;
  }
  if (s > oe && s > ne) return out ?? oldCh;
  return diffMiddle(ctx, parent, next, oldSlots, out ?? materialize(oldCh, newLen, s, oe, ne), s, oe, ne);
}

/**
 * Steps 2 and 3 for the old children `[s, oe]` and new children `[s, ne]`, filling
 * `out` (whose prefix and suffix are already in place). Kept apart from the
 * prefix/suffix loops, which run for every element, so that they stay small.
 */
function diffMiddle(ctx: DiffCtx, parent: ElementNode, next: VElement, oldSlots: readonly number[] | undefined, out: Node[], s: number, oe: number, ne: number): Node[] {
  const oldCh = parent.children, newCh = next.children;
  const oldLen = oldCh.length, newLen = newCh.length;
  const newSlots = next.slots;
  const pid = parent.id, ptag = parent.tag, ops = ctx.ops;
  const mid = ne - s + 1;
  if (s > oe && !hasKey(newCh, s, ne)) {
    // Pure unkeyed insertion: nothing to match, nothing that could be a duplicate.
    const before = ne + 1 < newLen ? out[ne + 1]!.id : null;
    for (let i = s; i <= ne; i++) insert(ctx, (out[i] = lowerNode(ctx, newCh[i]!, pid, ptag)), pid, before);
    return out;
  }

  const map = new Map<Identity, number>();
  if (mid > 0) for (let i = 0; i < oldLen; i++) map.set(oldIdentity(oldCh[i]!, i, oldSlots), i);
  const sources = new Int32Array(mid > 0 ? mid : 0).fill(CLAIMED);
  let moved = false, lastOld = -1;
  for (let i = 0; i < mid; i++) {
    const v = newCh[s + i]!;
    const id = newIdentity(v, s + i, newSlots);
    const j = map.get(id);
    if (j !== undefined && j >= s && j <= oe) {
      map.set(id, CLAIMED);
      sources[i] = j;
      // Old positions that ever decrease mean some child must move.
      if (j < lastOld) moved = true;
      else lastOld = j;
      out[s + i] = patchNode(ctx, oldCh[j]!, v, pid, ptag);
      continue;
    }
    // j is CLAIMED (an earlier new sibling has this key) or outside the middle (a
    // prefix/suffix sibling has it). For a slot that cannot happen unless two
    // arguments overflowed ARRAY_SLOT positions: treat it as new, not as an error.
    if (j !== undefined && typeof id === "string") duplicateKey(id, { tag: ptag, id: pid });
    if (j === undefined) map.set(id, CLAIMED);
    out[s + i] = lowerNode(ctx, v, pid, ptag);
  }
  for (let i = s; i <= oe; i++) {
    const o = oldCh[i]!;
    if (mid === 0 || map.get(oldIdentity(o, i, oldSlots)) !== CLAIMED) ops.push({ op: "remove", id: o.id });
  }

  const stay = moved ? lis(sources) : undefined;
  let k = stay === undefined ? -1 : stay.length - 1;
  let before = ne + 1 < newLen ? out[ne + 1]!.id : null;
  for (let i = mid - 1; i >= 0; i--) {
    const node = out[s + i]!;
    if (sources[i]! === CLAIMED) insert(ctx, node, pid, before);
    else if (stay !== undefined) {
      if (k >= 0 && stay[k] === i) k--;
      else ops.push({ op: "move", id: node.id, parent: pid, before });
    }
    before = node.id;
  }
  return out;
}

function insert(ctx: DiffCtx, node: Node, parent: string, before: string | null): void {
  ctx.ops.push(before === null ? { op: "append", parent, node } : { op: "insert", parent, before, node });
}

function hasKey(children: readonly VNode[], from: number, to: number): boolean {
  for (let i = from; i <= to; i++) {
    const c = children[i]!;
    if (c.type === "element" && c.key !== undefined) return true;
  }
  return false;
}
