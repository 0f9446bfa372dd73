import type { Component } from "./h.js";
import type { Props, VNode } from "./types.js";

/*
 * Memoised components. The diff does not walk a subtree that is the very
 * object it placed at that spot in the last render (diff.ts, `patchNode`),
 * so a component that returns last render's node for the same props costs
 * one props comparison, however big its subtree. What a `memo()` component
 * built is remembered per session: in the {@link MemoCache} its view renders
 * with, by component and key, from one render to the next. Outside such a
 * render (a test calling `render()`, a page rendered once) it is an ordinary
 * component.
 */

/** What one call of a memo component built, as of the last render that made that call. */
export interface MemoEntry {
  /** The call's props, for the component's own `equal` (none kept for the default comparison, which reads what {@link listProps} kept). */
  props: Readonly<Props>;
  /**
   * For {@link sameProps}: the props' names in order (one array shared by the
   * calls of a component that name the same props), their first
   * {@link INLINE} values in the entry itself and the others in `rest`. A hit
   * reads the entry and a shared array rather than an array of its own, out
   * of the CPU's caches when many pages are in memory (1,000 chat pages of 200
   * memo messages: 0.75–0.83× the CPU per delivery, 463 → 445 KB a session).
   */
  names: readonly string[];
  v0: unknown;
  v1: unknown;
  v2: unknown;
  v3: unknown;
  v4: unknown;
  v5: unknown;
  v6: unknown;
  v7: unknown;
  rest: unknown[] | undefined;
  args: readonly unknown[];
  /** The call's key, undefined for an unkeyed call. */
  key: unknown;
  /**
   * The keyed call of the same component that came right after this one, when
   * this one was last made: where {@link MemoCache.enter} looks first. Only
   * ever an entry of the cache (links are cut when entries are dropped).
   */
  next: MemoEntry | null;
  /** The node `h()` returned (or the copy the diff placed instead, see {@link copiedMemo}); undefined until built, or when not reusable. */
  node: VNode | undefined;
  /** The render that last used the entry: a second call with the same identity in that render does not get it. */
  gen: number;
  /** The render that last built `node`. */
  built: number;
  /** The memo call whose build made this call, if any: while that one's node is in the page, so is this one's. */
  parent: MemoEntry | null;
}

/** One component's calls, in one cache. */
interface Calls {
  /** Keyed calls, by key (as written: `1` and `"1"` are told apart, which costs only a rebuild). */
  byKey: Map<unknown, MemoEntry>;
  /** The keyed call made first in the last render that made one, and the one this render made last. */
  first: MemoEntry | null;
  last: MemoEntry | null;
  /** Unkeyed calls, by order among the component's calls in one render. */
  ordered: MemoEntry[];
  /** Unkeyed calls made so far in render `gen`. */
  count: number;
  gen: number;
  /** The names of the props the last listed call had, shared by the entries that have the same (see {@link MemoEntry.names}). */
  names: readonly string[];
}

interface MemoSpec {
  /** True when the component would build the same subtree for `next` as for `prev`; undefined for {@link shallowEqual}. */
  equal: ((prev: Readonly<Props>, next: Readonly<Props>) => boolean) | undefined;
  /** Called with a kept call's props when its session rests (see {@link MemoCache.park}): lets go of what is costly to hold. */
  rest?: (props: Readonly<Props>) => void;
}

/**
 * Where a memo component keeps its {@link MemoSpec}: a property of the
 * function `memo()` returns. Read for every `h()` of a component, where a
 * property load costs a few ns and the WeakMap it replaces cost ≈ 15.
 */
const SPEC = Symbol("revue.memo");
type MemoComponent = Function & { [SPEC]?: MemoSpec };

/**
 * Called by `fresh()` when the diff copies a placed node: if a memo component
 * returned it, the copy (which is what the tree will hold) is what it returns
 * next time. Without this, a memo node that moved to another parent, or
 * outlived a packed tree, would be copied again at every render.
 */
export function copiedMemo(node: VNode, copy: VNode): void {
  const entries = active?.entries;
  const entry = entries?.get(node);
  if (entry === undefined) return;
  entry.node = copy;
  entries!.set(copy, entry);
}

/** The cache of the render in progress, if it runs through {@link MemoCache.render}. */
let active: MemoCache | undefined;

/**
 * What the memo components of one session built. One per view (the
 * session's page). Entries live from one render to the next; whenever their
 * number has doubled, those whose node is no longer in the page are dropped
 * (an entry is in the page if the last render used it, or if it was made
 * while building a memo node that is: a row inside a panel that was reused
 * whole), so the cache stays within twice what the page shows.
 */
export class MemoCache {
  /** Each component's calls; made at the first memo call (a page without one holds no table). */
  private calls: Map<Function, Calls> | undefined;
  /** The component called last, and its calls: the calls of a list follow one another. */
  private lastTag: Function | undefined;
  private lastCalls: Calls | undefined;
  private gen = 0;
  private size = 0;
  /** The size after the last sweep. */
  private kept = 0;
  /** The memo call being built, whose build the next calls are part of. */
  private building: MemoEntry | null = null;
  /**
   * The entry of each node a memo component returned, so that a copy of it
   * can take its place. One table per cache, dropped with it: a weak table
   * keeps the capacity of its busiest moment, so one shared by every session
   * held 1 MB after all of them had ended. Made at the first memo node.
   */
  entries: WeakMap<VNode, MemoEntry> | undefined;

  /**
   * Runs `work` with this cache: a memo component called with the same
   * props (and the same key) as in the last render returns the node it
   * returned then. `work` is a render and the lowering or diff of what it
   * returned (`cache.render(() => diff(tree, app.render(), opts))`), so that a
   * node the diff copies takes its original's place in this cache.
   */
  render<T>(work: () => T): T {
    const outer = active;
    active = this;
    this.gen++;
    this.building = null;
    try {
      const out = work();
      if (this.size > 2 * this.kept + 64) this.sweep();
      return out;
    } catch (err) {
      // The tree was left as it was, and the entries this render updated no longer match it (a copy the failed diff made,
      // props it changed): a later rest relinked a call whose props changed to the node built for the old ones. Rebuilt instead.
      this.clear();
      throw err;
    } finally {
      active = outer;
    }
  }

  /**
   * Lets go of the nodes, whose tree is being packed, keeping what each call
   * was made with: pack that tree with {@link entries} as its marks and unpack
   * it with {@link relink}, and each call whose node was in it is reused
   * again. Memo rows then cost nothing at the first render after a rest (it
   * re-ran every row: a broadcast to sessions at rest took 20× one to
   * sessions in use).
   */
  park(): void {
    this.entries = undefined;
    for (const [tag, calls] of this.calls ?? []) {
      const rest = (tag as MemoComponent)[SPEC]?.rest;
      for (const e of calls.byKey.values()) (e.node = undefined), rest?.(e.props);
      for (const e of calls.ordered) (e.node = undefined), rest?.(e.props);
    }
  }

  /** Gives a parked entry the node that replaces its node (an `unpack` callback, see {@link park}). */
  readonly relink = (node: object, entry: unknown): void => {
    (entry as MemoEntry).node = node as VNode;
    (this.entries ??= new WeakMap()).set(node as VNode, entry as MemoEntry);
  };

  /** Forgets everything (the tree it matches was dropped). */
  clear(): void {
    this.calls = this.entries = undefined;
    this.lastTag = this.lastCalls = undefined;
    this.size = this.kept = 0;
  }

  /**
   * The entry of one call: its `node` set when last render's can be reused,
   * else cleared, for {@link keepMemo} to fill once built. Null when this
   * render used the entry already (one node cannot stand in two places: it
   * is built).
   */
  enter(tag: Function, spec: MemoSpec, props: Readonly<Props>, key: unknown, args: readonly unknown[]): MemoEntry | null {
    const calls = tag === this.lastTag ? this.lastCalls! : this.callsOf(tag);
    if (calls.gen !== this.gen) {
      calls.gen = this.gen;
      calls.count = 0;
      calls.last = null;
    }
    let e: MemoEntry | undefined;
    if (key !== undefined && key !== null) {
      // The call that followed the previous one in the last render is most often this one: then a
      // list costs a comparison per row instead of a Map lookup (≈ 13 ns of a hit's ≈ 45).
      const last = calls.last;
      const guess = last === null ? calls.first : last.next;
      if (guess !== null && guess.key === key) e = guess;
      else {
        e = calls.byKey.get(key);
        if (e === undefined) calls.byKey.set(key, (e = this.add(key, args)));
      }
      if (last === null) calls.first = e;
      else last.next = e;
      calls.last = e;
    } else {
      const i = calls.count++;
      e = calls.ordered[i];
      if (e === undefined) calls.ordered[i] = e = this.add(key, args);
    }
    if (e.gen === this.gen) return null;
    e.gen = this.gen;
    e.parent = this.building;
    if (e.node !== undefined && sameArgs(e.args, args) && (spec.equal === undefined ? sameProps(e, props) : spec.equal(e.props, props))) return e;
    if (e.node !== undefined) this.entries?.delete(e.node);
    if (spec.equal === undefined) listProps(e, calls, props);
    else e.props = props;
    e.args = args.length === 0 ? NO_ARGS : args;
    e.node = undefined;
    e.built = this.gen;
    this.building = e;
    return e;
  }

  /** The build of `entry` is over (see {@link keepMemo}). */
  done(entry: MemoEntry): void {
    this.building = entry.parent;
  }

  private callsOf(tag: Function): Calls {
    const all = (this.calls ??= new Map());
    let calls = all.get(tag);
    if (calls === undefined) all.set(tag, (calls = { byKey: new Map(), first: null, last: null, ordered: [], count: 0, gen: 0, names: NO_NAMES }));
    this.lastTag = tag;
    this.lastCalls = calls;
    return calls;
  }

  private add(key: unknown, args: readonly unknown[]): MemoEntry {
    this.size++;
    return { props: NO_PROPS, names: NO_NAMES, v0: undefined, v1: undefined, v2: undefined, v3: undefined, v4: undefined, v5: undefined, v6: undefined, v7: undefined, rest: undefined, args: args.length === 0 ? NO_ARGS : args, key, next: null, node: undefined, gen: 0, built: 0, parent: null };
  }

  /** Whether `e`'s node is in the page this render built. */
  private live(e: MemoEntry): boolean {
    if (e.gen === this.gen) return true;
    const p = e.parent;
    return p !== null && e.gen >= p.built && this.live(p);
  }

  /** Drops the entries whose node is no longer in the page. */
  private sweep(): void {
    let size = 0;
    const all = this.calls ?? new Map<Function, Calls>();
    for (const [tag, calls] of all) {
      const { byKey, ordered } = calls;
      // Links to a dropped entry must go (see MemoEntry.next): all are cut, and the next render relinks them.
      for (const [key, e] of byKey) if (!this.live(e)) byKey.delete(key);
      else e.next = null;
      calls.first = calls.last = null;
      // Unkeyed entries are known by their order: kept up to the first one no longer in the page.
      let n = 0;
      while (n < ordered.length && this.live(ordered[n]!)) n++;
      ordered.length = n;
      if (byKey.size === 0 && n === 0) all.delete(tag);
      size += byKey.size + n;
    }
    this.lastTag = this.lastCalls = undefined;
    this.size = this.kept = size;
  }
}

/**
 * The memo entry for a call of component `tag` (see {@link MemoCache.enter}),
 * or null when `tag` is not a memo component, no cache is rendering, or the
 * entry is taken: then the component is simply called.
 */
export function memoEntry(tag: Function, props: Readonly<Props>, args: readonly unknown[]): MemoEntry | null {
  if (active === undefined) return null;
  const spec = (tag as MemoComponent)[SPEC];
  return spec === undefined ? null : active.enter(tag, spec, props, props.key, args);
}

/** Remembers what a memo call built. Only an element is: a fragment's children are spliced into its parent. */
export function keepMemo(entry: MemoEntry, node: VNode): void {
  active?.done(entry);
  if (node.type !== "element" || node.tag === "#fragment") return;
  entry.node = node;
  if (active !== undefined) (active.entries ??= new WeakMap()).set(node, entry);
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
 * {@link shallowEqual} against the props as {@link listProps} kept them, in
 * the same order (props written by one `h()` call always are): reads of the
 * entry instead of a lookup of each name in the old props, whose shapes vary
 * from one component to the next (≈ 12 ns of a hit's ≈ 45).
 */
function sameProps(e: MemoEntry, next: Readonly<Props>): boolean {
  const names = e.names;
  let i = 0;
  for (const k in next) {
    if (k !== names[i]) return false;
    // Value i of those kept: a binary search of the eight fields, then `rest`.
    const old = i >= INLINE ? e.rest![i - INLINE] : i < 4 ? (i < 2 ? (i === 0 ? e.v0 : e.v1) : i === 2 ? e.v2 : e.v3) : i < 6 ? (i === 4 ? e.v4 : e.v5) : i === 6 ? e.v6 : e.v7;
    if (!Object.is(old, next[k])) return false;
    i++;
  }
  return i === names.length;
}

/** How many values of the props an entry keeps in itself (see {@link MemoEntry.names}). */
const INLINE = 8;

/** Keeps `props` in `e` for {@link sameProps}: their names (shared with the component's last call's when the same) and values. */
function listProps(e: MemoEntry, calls: Calls, props: Readonly<Props>): void {
  let same = true, n = 0;
  const shared = calls.names;
  for (const k in props) {
    if (k !== shared[n]) same = false;
    n++;
  }
  let names = shared;
  if (!same || n !== shared.length) {
    const own = new Array<string>(n);
    let i = 0;
    for (const k in props) own[i++] = k;
    calls.names = names = own;
  }
  e.names = names;
  e.rest = n > INLINE ? new Array<unknown>(n - INLINE) : undefined;
  let i = 0;
  for (const k in props) keep(e, i++, props[k]);
  // Values past the props' count are left over from the entry's last call: cleared, so they keep nothing alive.
  for (; i < INLINE; i++) keep(e, i, undefined);
}

/** Sets value `i` of the props `e` keeps (a miss only: hits read the fields in {@link sameProps}). */
function keep(e: MemoEntry, i: number, v: unknown): void {
  switch (i) {
    case 0: e.v0 = v; break;
    case 1: e.v1 = v; break;
    case 2: e.v2 = v; break;
    case 3: e.v3 = v; break;
    case 4: e.v4 = v; break;
    case 5: e.v5 = v; break;
    case 6: e.v6 = v; break;
    case 7: e.v7 = v; break;
    default: e.rest![i - INLINE] = v;
  }
}

const NO_NAMES: readonly string[] = [];

const NO_PROPS: Readonly<Props> = Object.freeze({});
/**
 * The children of a call that has none, kept by every such entry instead of
 * the call's own empty array: one object fewer per entry, and the comparison
 * of a hit reads a shared array rather than one of its own.
 */
const NO_ARGS: readonly unknown[] = [];

/**
 * What {@link memo} returns: a component whose children are optional, so that
 * JSX may use it without any (`<Row id={1} />`); `h()` still passes them.
 */
export type MemoOf<P> = (props: P & { children?: VNode[] }) => VNode | null;

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
 * with `Object.is`, one by one and in the order they are written (the same
 * props in another order rebuild the subtree once; pass `equal` to compare
 * otherwise), and children by identity: pass the data a component depends
 * on as props, and a new object when it changes. An object changed in place (`item.done = true`)
 * compares equal, so the row would not change: pass its fields (`done`,
 * `title`) rather than the object, or replace the object. Only `h(Row, props)`
 * (or JSX) is memoised: `Row(props)` is a plain call and builds the subtree every time.
 *
 * @param render - the component.
 * @param equal - true when `render` would build the same subtree for `next` as for `prev`.
 *
 * @example
 * const Row = memo((p: { id: number; title: string; done: boolean; app: Todo }) =>
 *   h("li", { class: { done: p.done } },
 *     h("input", { type: "checkbox", checked: p.done, onChange: handler(p.app.toggle, { args: [p.id] }) }),
 *     p.title));
 *
 * // in render(): one change to one item re-renders that row only
 * h("ul", {}, this.items.map((it) => h(Row, { key: it.id, id: it.id, title: it.title, done: it.done, app: this })));
 */
export function memo<P extends object>(render: Component<P>, equal: (prev: Readonly<P>, next: Readonly<P>) => boolean = shallowEqual as never): MemoOf<P> {
  const wrapped: Component<P> & MemoComponent = (props) => render(props);
  wrapped[SPEC] = { equal: equal === (shallowEqual as never) ? undefined : (equal as MemoSpec["equal"]) };
  // h() always passes children (an empty list for none): the optional type is for JSX's sake.
  return wrapped as MemoOf<P>;
}

/**
 * {@link memo}, with `rest` called on each kept call's props when its
 * session rests: for a component that keeps something costly besides its
 * node (revue/ui's kept charts drop their facts, ≈ 52 KB for a 1,000-point line).
 *
 * @example
 * const Chart = restingMemo(draw, sameData, (p) => (p.kept.facts = null));
 */
export function restingMemo<P extends object>(render: Component<P>, equal: (prev: Readonly<P>, next: Readonly<P>) => boolean, rest: (props: Readonly<P>) => void): MemoOf<P> {
  const wrapped = memo(render, equal);
  (wrapped as unknown as MemoComponent)[SPEC]!.rest = rest as MemoSpec["rest"];
  return wrapped;
}
