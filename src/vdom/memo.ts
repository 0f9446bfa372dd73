import type { Component } from "./h.js";
import type { Props, VNode } from "./types.js";

/*
 * Memoised components. The diff does not walk a subtree that is the very
 * object it placed at that spot in the last render (diff.ts, `patchNode`),
 * so a component that returns last render's node for the same props costs
 * one props comparison, however big its subtree. What a `memo()` component
 * built is remembered per session: in the {@link MemoCache} its view renders
 * with, by component and key, for one render to the next. Outside such a
 * render (a test calling `render()`, a page rendered once) it is an ordinary
 * component.
 */

/** What one memo component built for one key in the last render. */
export interface MemoEntry {
  props: Readonly<Props>;
  args: readonly unknown[];
  /** The node `h()` returned, or the copy the diff placed instead (see {@link copiedMemo}). */
  node: VNode;
}

interface MemoSpec {
  /** True when the component would build the same subtree for `next` as for `prev`. */
  equal: (prev: Readonly<Props>, next: Readonly<Props>) => boolean;
}

/** The memo components, with the component each one wraps. */
const SPECS = new WeakMap<Function, MemoSpec>();

/** The entry of each node a memo component returned, so that a copy of it can take its place there. */
const ENTRY = new WeakMap<VNode, MemoEntry>();

/**
 * Called by `fresh()` when the diff copies a placed node: if a memo component
 * returned it, the copy (which is what the tree will hold) is what it returns
 * next time. Without this, a memo node that moved to another parent, or
 * outlived a packed tree, would be copied again at every render.
 */
export function copiedMemo(node: VNode, copy: VNode): void {
  const entry = ENTRY.get(node);
  if (entry === undefined) return;
  entry.node = copy;
  ENTRY.set(copy, entry);
}

/** The cache of the render in progress, if it runs through {@link MemoCache.render}. */
let active: MemoCache | undefined;

type Entries = Map<Function, Map<string | number, MemoEntry>>;

/**
 * What the memo components of one session built in its last render. One per
 * view (the session's page); it holds the nodes of the tree the page shows
 * and nothing else: entries a render did not use are dropped after it.
 */
export class MemoCache {
  private last: Entries = new Map();
  private next: Entries | undefined;
  /** How many unkeyed calls of each memo component this render made so far: their identity is their order. */
  private order = new Map<Function, number>();

  /**
   * Runs `render` with this cache: a memo component called with the same
   * props (and the same key) as in the last render returns the node it
   * returned then. If `render` throws, the cache is left as it was.
   */
  render<T>(render: () => T): T {
    const outer = active;
    active = this;
    this.next = new Map();
    this.order.clear();
    try {
      const out = render();
      this.last = this.next;
      return out;
    } finally {
      this.next = undefined;
      active = outer;
    }
  }

  /** Forgets everything (the tree it matches was packed or dropped). */
  clear(): void {
    this.last = new Map();
  }

  /** The node for this call of memo component `tag`: last render's when nothing it depends on changed, else `build()`'s. */
  call(tag: Function, spec: MemoSpec, props: Readonly<Props>, key: string | undefined, args: readonly unknown[], build: () => VNode): VNode {
    let id: string | number;
    if (key !== undefined) id = key;
    else {
      id = this.order.get(tag) ?? 0;
      this.order.set(tag, id + 1);
    }
    let now = this.next!.get(tag);
    if (now === undefined) this.next!.set(tag, (now = new Map()));
    // The same component and key twice in one render: one node cannot stand in two places, so the second is built.
    if (now.has(id)) return build();
    const entry = this.last.get(tag)?.get(id);
    if (entry !== undefined && sameArgs(entry.args, args) && spec.equal(entry.props, props)) {
      now.set(id, entry);
      return entry.node;
    }
    const node = build();
    // Only an element is remembered: a fragment's children are spliced into its parent, a text is cheap.
    if (node.type === "element" && node.tag !== "#fragment") {
      const e: MemoEntry = { props, args, node };
      ENTRY.set(node, e);
      now.set(id, e);
    }
    return node;
  }
}

/** The memo cache to use for a call of `tag`, or undefined when `tag` is not a memo component or no cache is rendering. */
export function memoOf(tag: Function): { cache: MemoCache; spec: MemoSpec } | undefined {
  if (active === undefined) return undefined;
  const spec = SPECS.get(tag);
  return spec === undefined ? undefined : { cache: active, spec };
}

function sameArgs(a: readonly unknown[], b: readonly unknown[]): boolean {
  if (a.length !== b.length) return false;
  for (let i = 0; i < a.length; i++) if (!Object.is(a[i], b[i])) return false;
  return true;
}

/** The default comparison: the same own props, each `Object.is` equal to its old value. */
export function shallowEqual(prev: Readonly<Props>, next: Readonly<Props>): boolean {
  let n = 0;
  for (const k in next) {
    if (!Object.is(prev[k], next[k])) return false;
    n++;
  }
  for (const _ in prev) n--;
  return n === 0;
}

/**
 * Memoises a function component, as `React.memo` and Preact's `memo` do:
 * when a session re-renders, `h(Row, props)` returns the subtree this call
 * returned in the session's last render if its props (and children) are
 * equal, and the diff skips that subtree without walking it. An event that
 * changes one row of a long list then costs the comparison of each row's
 * props, not the diff of every row.
 *
 * Calls are told apart by `key` (give one in lists), else by their order
 * among the calls of the same component in one render. Props are compared
 * with `Object.is`, one by one (pass `equal` to compare otherwise), and
 * children by identity: pass the data a component depends on as props, and
 * a new object when it changes. An object changed in place (`item.done = true`)
 * compares equal, so the row would not change: pass its fields (`done`,
 * `title`) rather than the object, or replace the object.
 *
 * @param render - the component.
 * @param equal - true when `render` would build the same subtree for `next` as for `prev`.
 *
 * @example
 * const Row = memo((p: { id: number; title: string; done: boolean; app: Todo }) =>
 *   h("li", { key: p.id, class: { done: p.done } },
 *     h("input", { type: "checkbox", checked: p.done, onChange: handler(p.app.toggle, { args: [p.id] }) }),
 *     p.title));
 *
 * // in render(): one change to one item re-renders that row only
 * h("ul", {}, this.items.map((it) => h(Row, { key: it.id, id: it.id, title: it.title, done: it.done, app: this })));
 */
export function memo<P extends object>(render: Component<P>, equal: (prev: Readonly<P>, next: Readonly<P>) => boolean = shallowEqual as never): Component<P> {
  const wrapped: Component<P> = (props) => render(props);
  SPECS.set(wrapped, { equal: equal as MemoSpec["equal"] });
  return wrapped;
}
