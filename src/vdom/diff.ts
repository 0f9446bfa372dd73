import { diffChildren } from "./children.js";
import { keepSlots, lowerNode, slotsOf, type Ctx, type LowerOptions } from "./lower.js";
import { lowerProps, noBinder, sameAttrs } from "./props.js";
import { isTextNode, type ElementNode, type Node, type PatchOp, type VElement, type VNode } from "./types.js";

export { createIdAllocator, lower, type IdAllocator, type LowerOptions } from "./lower.js";

/** Options plus the ops collected so far: one object threaded through the recursion, no closures. */
export interface DiffCtx extends Ctx {
  ops: PatchOp[];
}

/**
 * Diffs the session's last lowered tree against a fresh `render()` result.
 * Returns the new lowered tree and the ops that turn the page's DOM of `old`
 * into the DOM of `tree`, in the order they must be applied.
 *
 * Nodes that the diff matches keep their ids (and, when nothing in them
 * changed, their very objects, so an unchanged subtree costs no ops and no
 * allocation). Matching: keyed children by key, unkeyed children by slot, i.e.
 * by their position in the `h()` call (see `VElement.slots`); a match whose tag
 * differs (or element vs text) is replaced in place.
 *
 * @example
 * const alloc = createIdAllocator();
 * const old = lower(h("p", {}, "0"), { alloc });
 * diff(old, h("p", {}, "1"), { alloc }).ops // [{ op: "text", id: "w-2", text: "1" }]
 */
export function diff(old: Node, next: VNode, opts: LowerOptions): { tree: Node; ops: PatchOp[] } {
  const ctx: DiffCtx = { alloc: opts.alloc, bind: opts.bind ?? noBinder, ops: [] };
  const tree = patchNode(ctx, old, next, "r", "");
  return { tree, ops: ctx.ops };
}

/**
 * Patches one matched pair; `parentId`/`parentTag` are only needed when `next`
 * must be lowered afresh (a replace).
 */
export function patchNode(ctx: DiffCtx, old: Node, next: VNode, parentId: string, parentTag: string): Node {
  if (next.type === "text") {
    if (isTextNode(old)) {
      if (old.text === next.text) return old;
      ctx.ops.push({ op: "text", id: old.id, text: next.text });
      return { id: old.id, text: next.text };
    }
  } else if (!isTextNode(old) && old.tag === next.tag && old.key === next.key) {
    return patchElement(ctx, old, next);
  }
  const node = lowerNode(ctx, next, parentId, parentTag);
  ctx.ops.push({ op: "replace", id: old.id, node });
  return node;
}

function patchElement(ctx: DiffCtx, old: ElementNode, next: VElement): ElementNode {
  const attrs = diffAttrs(ctx, old, next);
  const children = diffChildren(ctx, old, next, slotsOf(old));
  if (attrs === old.attrs && children === old.children) return old;
  const node: ElementNode = { id: old.id, tag: old.tag, key: old.key, attrs, children };
  keepSlots(node, next);
  return node;
}

/**
 * Returns `old.attrs` itself when nothing changed (the common case, checked
 * without allocating), else the new attribute record, pushing one `attrs` op
 * with only the attributes that were set or removed.
 */
function diffAttrs(ctx: DiffCtx, old: ElementNode, next: VElement): Record<string, string> {
  const prev = old.attrs;
  if (sameAttrs(prev, next.props, next.tag, ctx.bind)) return prev;
  // Something changed: build the new record and compare it name by name.
  const attrs = lowerProps(next.tag, next.props, ctx.bind);
  const set: Record<string, string> = {};
  const remove: string[] = [];
  let changed = false;
  for (const k in attrs) {
    if (!Object.hasOwn(prev, k) || prev[k] !== attrs[k]) {
      set[k] = attrs[k]!;
      changed = true;
    }
  }
  for (const k in prev) if (!Object.hasOwn(attrs, k)) remove.push(k);
  if (!changed && remove.length === 0) return prev;
  ctx.ops.push({ op: "attrs", id: old.id, set, remove });
  return attrs;
}
