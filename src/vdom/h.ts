import { RenderError } from "../errors.js";
import { isTextOnly as isTextOnlyOf, refuseTag } from "./tags.js";
import { TEXT_ONLY_TAGS, type Props, type VElement, type VNode, type VText } from "./types.js";
import { keepMemo as keepMemoOf, memoEntry as memoEntryOf, type memo } from "./memo.js";
import { ElementVNode, TextVNode } from "./vnode.js";

/** Anything `h()` accepts as a child. Booleans, `null`, `undefined` and `""` render nothing. */
export type Child = VNode | string | number | bigint | boolean | null | undefined | readonly Child[];

/** A function component: called once per `h()` call with its props and normalized children. */
export type Component<P = Record<string, unknown>> = (props: P & { children: VNode[] }) => VNode | null;

/**
 * The tag of a fragment. `h()` splices a fragment's children into its parent,
 * so a fragment never reaches the lowered tree (except as a root, which is an error).
 *
 * @example
 * h("ul", {}, h(Fragment, {}, h("li", {}, "a"), h("li", {}, "b"))) // <ul> with two <li>
 */
export const Fragment = "#fragment";

/**
 * Elements that never have children or a closing tag.
 *
 * @example
 * VOID_TAGS.has("input") // true: h("input", {}, "x") throws
 */
export const VOID_TAGS: ReadonlySet<string> = new Set([
  "area", "base", "br", "col", "embed", "hr", "img", "input", "link", "meta", "source", "track", "wbr",
]);

/**
 * Slot encoding (see `VElement.slots`): a child's slot is the index of the
 * `h()` argument it came from; a child inside an array argument gets
 * `arg * ARRAY_SLOT + position` instead, positions counting holes too. When the
 * children are one array argument, or no argument is an array, the simpler
 * scheme (position / argument index) is used so the common cases need no slots.
 * The choice depends on the shape of the `h()` call, which is fixed by the code
 * that renders, so it is the same from one render to the next.
 */
const ARRAY_SLOT = 2 ** 21;

/** Bound locally: under tsx every call of an imported name runs a getter first (see diff.ts). */
const isTextOnly = isTextOnlyOf, memoEntry = memoEntryOf, keepMemo = keepMemoOf;

const EMPTY_PROPS: Readonly<Record<string, unknown>> = Object.freeze({});
const NO_CHILDREN: VNode[] = Object.freeze([]) as unknown as VNode[];

/** Collects normalized children and their slots; `slots` is only allocated once a slot differs from its index. */
interface ChildList {
  children: VNode[];
  slots: number[] | undefined;
}

function push(list: ChildList, node: VNode, slot: number): void {
  const i = list.children.length;
  if (list.slots === undefined && slot !== i) {
    list.slots = [];
    for (let k = 0; k < i; k++) list.slots.push(k);
  }
  list.children.push(node);
  list.slots?.push(slot);
}

/** Adds one child; returns how many slots it used (arrays and fragments use one per item). */
function add(list: ChildList, child: unknown, slot: number): number {
  if (child === null || child === undefined || typeof child === "boolean" || child === "") return 1;
  if (typeof child === "string" || typeof child === "number" || typeof child === "bigint") {
    push(list, new TextVNode(String(child)), slot);
    return 1;
  }
  if (Array.isArray(child)) {
    // Nested arrays share their argument's position counter, so `[a, [b, c]]` numbers b and c 1 and 2.
    let used = 0;
    for (const item of child) used += add(list, item, slot + used);
    return used;
  }
  const node = child as VNode;
  if (node.type === "element" && node.tag === Fragment) {
    node.children.forEach((c, k) => push(list, c, slot + k));
    return Math.max(node.children.length, 1);
  }
  if (node.type !== "element" && node.type !== "text") {
    const proto = typeof child === "object" && child !== null ? Object.getPrototypeOf(child) : null;
    const kind = proto && proto !== Object.prototype && typeof proto.constructor === "function" && proto.constructor.name ? `a ${proto.constructor.name}` : `a value of type ${typeof child}`;
    throw new RenderError(`h(): cannot render ${kind} as a child (${JSON.stringify(String(child).slice(0, 40))}); children are elements, strings, numbers, arrays, or null/false to render nothing. Turn it into text first (String(value), date.toLocaleDateString(), JSON.stringify(value)).`);
  }
  push(list, node, slot);
  return 1;
}

/**
 * The fast path of {@link normalize}: when every child is a node, a non-empty
 * string or a number (no holes, no nested arrays, no fragments), the slots are
 * the indexes and the children are the list itself, with strings and numbers
 * turned into text nodes. `own` says whether the list may be written to (the
 * rest array of one `h()` call); a list the caller passed in is copied first.
 * Returns undefined when the general path is needed.
 *
 * Why: a typical render has one h() call per element, and reusing the array it
 * was called with gives the tree exact-size children arrays laid out next to
 * their nodes, which the diff then walks faster.
 */
function plainChildren(list: readonly unknown[], own: boolean): VNode[] | undefined {
  let out = list as VNode[];
  for (let i = 0; i < list.length; i++) {
    const c = list[i];
    if (typeof c === "object" && c !== null) {
      const type = (c as VNode).type;
      if (type === "text" || (type === "element" && (c as VElement).tag !== Fragment)) continue;
      return undefined; // an array, a fragment, or something normalize() rejects with its error
    }
    if (typeof c === "string" ? c === "" : typeof c !== "number") return undefined;
    if (out === list && !own) out = list.slice() as VNode[];
    out[i] = new TextVNode(String(c));
  }
  return out;
}

function normalize(args: readonly unknown[]): ChildList {
  const list: ChildList = { children: [], slots: undefined };
  if (args.length === 1 && Array.isArray(args[0])) {
    add(list, args[0], 0);
    return list;
  }
  const mixed = args.some((a) => Array.isArray(a) || ((a as VNode | null)?.type === "element" && (a as VElement).tag === Fragment));
  args.forEach((arg, j) => add(list, arg, mixed ? j * ARRAY_SLOT : j));
  return list;
}

/** Joins the text children of a textarea/title/style into the one markerless text node they may hold. */
function textOnly(tag: string, children: VNode[]): VNode[] {
  let text = "";
  for (const c of children) {
    if (c.type !== "text") throw new RenderError(`<${tag}> can only contain text, but got a <${c.tag}> child. Render the markup next to it instead.`);
    text += c.text;
  }
  return text === "" ? [] : [new TextVNode(text)];
}

/**
 * Builds a virtual DOM node. Children may be strings, numbers, nodes, arrays
 * (flattened) and `null`/`undefined`/`true`/`false`/`""` (rendered as nothing,
 * but they keep their place, so toggling one never changes the ids of the
 * children after it). A `key` prop identifies a child among its siblings.
 * A function as `tag` is a component: it is called with `{...props, children}`
 * and its result (keyed with `props.key`, if given) is returned; a {@link memo}
 * component is not called when a session's last render made the same call.
 *
 * Tags that would load or run something (`script`, `base`, `object`,
 * `embed`, in any case: `isUnsafeTag`) and an `http-equiv` prop make the
 * render throw a `RenderError` when the tree is lowered. The text of a
 * `<style>` may not contain `</style`.
 *
 * The tree keeps what it is given: a props object of plain strings becomes the
 * element's attribute record as is, and an array of children may become its
 * children list (it is never written to). Build a new object or array for the
 * next render instead of mutating one already passed to `h()`, as in React.
 * Props are a plain object's own properties (a literal, or JSX's). Rows given
 * straight to a `<table>` go in a `<tbody>`, where the browser puts them.
 *
 * @example
 * h("ul", { class: "todos" },
 *   todos.map((t) => h("li", { key: t.id, class: { done: t.done } }, t.title)),
 *   todos.length === 0 && h("p", {}, "Nothing to do"))
 */
export function h<P extends object>(tag: (props: P) => VNode | null, props: Omit<P, "children"> & { key?: string | number | null }, ...children: Child[]): VNode;
export function h(tag: string, props?: Props | null, ...children: Child[]): VNode;
export function h(tag: string | ((props: any) => VNode | null), maybeProps?: object | null, ...args: Child[]): VNode {
  const props = maybeProps as Props | null | undefined;
  if (typeof tag === "function") return component(tag as Component<any>, props, args);
  const k = props === null || props === undefined ? undefined : props.key;
  // A string or a number as given (see ElementVNode.rawKey).
  const key = k === undefined || k === null ? undefined : typeof k === "string" || typeof k === "number" ? k : String(k);
  if (args.length === 1) {
    // One string or number: it becomes the element's text (VElement.text), with no text node and no
    // list. Most elements of a page hold one text; this halves what h() allocates for each of them.
    const c = args[0];
    const text = typeof c === "string" ? c : typeof c === "number" ? String(c) : undefined;
    if (text !== undefined && text !== "" && !needsCheck(tag)) return new ElementVNode(tag, props ?? EMPTY_PROPS, key, NO_CHILDREN, undefined, text);
  }
  const single = args.length === 1 && Array.isArray(args[0]);
  let children = single ? plainChildren(args[0] as readonly unknown[], false) : plainChildren(args, true);
  let slots: number[] | undefined;
  if (children === undefined) ({ children, slots } = normalize(args));
  else if (children.length === 0) children = NO_CHILDREN; // every leaf shares one (frozen) empty list
  if (children.length === 0 && tag.length === 8 && (typeof props?.value === "string" || typeof props?.value === "number") && tag.toLowerCase() === "textarea") return textareaOf(tag, props!, key);
  if (tag.length === 5 && children.length > 0 && (tag === "table" || tag.toLowerCase() === "table")) {
    const bodied = withBodies(children, slots);
    if (bodied !== undefined) (children = bodied), (slots = undefined);
  }
  if (children.length === 0 ? tag !== "script" : !needsCheck(tag)) return new ElementVNode(tag, props ?? EMPTY_PROPS, key, children, slots);
  if (VOID_TAGS.has(tag)) {
    throw new RenderError(`<${tag}> is a void element and cannot have children (got ${children.length}). Put the content next to it.`);
  }
  // The common mistake, caught where it is made. Every refused tag, in any case, is refused
  // when the tree is lowered (see isTag in lower.ts), where it costs nothing per element.
  if (tag === "script") refuseTag(tag, "h()");
  // <STYLE> is a <style>: a tag in another case is looked up only when there are several children to join.
  if (TEXT_ONLY_TAGS.has(tag) || (children.length > 1 && isTextOnly(tag))) {
    // A textarea given a value and children shows its value, as in React: the first page showed the children, one a patch made the value.
    if (tag.length === 8 && (typeof props?.value === "string" || typeof props?.value === "number") && tag.toLowerCase() === "textarea") {
      return new ElementVNode(tag, props, key, NO_CHILDREN, undefined, String(props.value) || undefined);
    }
    return new ElementVNode(tag, props ?? EMPTY_PROPS, key, textOnly(tag, children), undefined);
  }
  return new ElementVNode(tag, props ?? EMPTY_PROPS, key, children, slots);
}

/**
 * A table's children with each run of `<tr>`s in a `<tbody>`, as the HTML
 * parser puts them when it reads the first page: rows a patch added went into
 * the `<table>`, beside the parser's `<tbody>` (fuzz probe). Undefined when
 * no row is a direct child.
 */
function withBodies(children: readonly VNode[], slots: readonly number[] | undefined): VNode[] | undefined {
  let out: VNode[] | undefined, run: VNode[] | undefined, runSlots: number[] | undefined;
  for (let i = 0; i < children.length; i++) {
    const c = children[i]!;
    if (c.type === "element" && c.tag.length === 2 && c.tag.toLowerCase() === "tr") {
      out ??= children.slice(0, i) as VNode[];
      // The rows keep their places among the table's holes (`cond && row`): an unkeyed row does not take over the one before it.
      if (!run) out.push(new ElementVNode("tbody", EMPTY_PROPS, undefined, (run = []), (runSlots = [])));
      run.push(c);
      runSlots!.push(slots ? slots[i]! : i);
    } else {
      run = undefined;
      out?.push(c);
    }
  }
  return out;
}

/**
 * `h("textarea", { value })`: a textarea shows its text, not a `value`
 * attribute (which a browser ignores there: the first page showed an empty
 * box), so the value becomes its text, as `h("textarea", {}, value)` gives.
 */
function textareaOf(tag: string, props: Props, key: string | number | undefined): VNode {
  const { value, ...rest } = props;
  const text = String(value);
  return new ElementVNode(tag, rest, key, NO_CHILDREN, undefined, text === "" ? undefined : text);
}

/**
 * False for every tag that needs none of the checks on an element with
 * content (void elements, `script`, the text-only textarea, title and style in
 * any case, and fragments): a switch on the length, then a comparison or two,
 * instead of three set lookups for each element built.
 */
function needsCheck(tag: string): boolean {
  switch (tag.length) {
    case 2:
      return tag === "br" || tag === "hr";
    case 3:
      return tag === "col" || tag === "img" || tag === "wbr";
    case 4:
      return tag === "area" || tag === "base" || tag === "link" || tag === "meta";
    case 5:
      return tag === "embed" || tag === "input" || tag === "track" || isTextOnly(tag);
    case 6:
      return tag === "source" || tag === "script";
    case 8:
      return isTextOnly(tag);
    case 9:
      return tag === Fragment; // its children are spliced into its parent's: a text must stay a child
    default:
      return false;
  }
}

/** `h(Component, props, ...children)`: calls the component with `{...props, children}`, the caller's key going on what it returns. */
function component(tag: Component<any>, props: Props | null | undefined, args: Child[]): VNode {
  const memo = memoEntry(tag, props ?? EMPTY_PROPS, args);
  if (memo === null) return callComponent(tag, props, args);
  // A memo component whose props did not change: last render's node, which the diff will not walk.
  if (memo.node !== undefined) return memo.node;
  const node = callComponent(tag, props, args);
  keepMemo(memo, node);
  return node;
}

function callComponent(tag: Component<any>, props: Props | null | undefined, args: Child[]): VNode {
  const k = props?.key;
  const key = k === undefined || k === null ? undefined : typeof k === "string" || typeof k === "number" ? k : String(k);
  const single = args.length === 1 && Array.isArray(args[0]);
  let children = single ? plainChildren(args[0] as readonly unknown[], false) : plainChildren(args, true);
  if (children === undefined) children = normalize(args).children;
  // A component gets an array of its own, never the caller's (it may change what it is given).
  const own = (single && children === args[0]) || children.length === 0 ? children.slice() : children;
  // The props' own enumerable entries but `key`, copied one by one: 0.2× the time of `const { key, ...rest } = props; { ...rest, children }` (1,000 calls).
  const given: Record<string | symbol, unknown> = {};
  if (props) {
    for (const name in props) if (name !== "key" && Object.hasOwn(props, name)) given[name] = props[name];
    for (const sym of Object.getOwnPropertySymbols(props)) if (Object.prototype.propertyIsEnumerable.call(props, sym)) given[sym] = (props as Record<symbol, unknown>)[sym];
  }
  given.children = own;
  const out = tag(given) ?? new ElementVNode(Fragment, EMPTY_PROPS, undefined, [], undefined);
  // The caller's key goes on a copy: the component may return a node it keeps (or one already placed).
  return key !== undefined && out.type === "element" && out.key === undefined ? new ElementVNode(out.tag, out.props, key, out.children as VNode[], out.slots, out.text) : out;
}

/**
 * Builds a text node. `h()` does this for string and number children; use it
 * when a render function must return text on its own.
 *
 * @example
 * const label: VNode = text(`${count} items`);
 */
export function text(value: string | number): VText {
  return new TextVNode(String(value));
}
