import { EMPTY_CHILDREN, createIdAllocator, keyedId as keyedIdOf, slotsOf as slotsOfNode } from "./lower.js";
import { EMPTY_ATTRS } from "./props.js";
import type { ElementNode, Node, TextNode, VNode } from "./types.js";
import { ElementVNode as ElementVNodeOf, TextVNode as TextVNodeOf, UNPACKED, rawKeyOf as rawKeyOfNode } from "./vnode.js";

/*
 * A session between two renders keeps its last lowered tree only so that the
 * next render can be diffed against it. As node objects that tree costs about
 * 1 MB for a 1,000-row page (an 88-byte ElementVNode per element, plus attribute
 * records, children arrays and strings); packed it is one byte array and one
 * table of the strings the tree already held: about 70 KB for the 1,000-row
 * todo (55 KB of bytes), packed in about half the time lowering that tree
 * takes and unpacked in about a quarter of it.
 *
 * The bytes are the nodes in pre-order. Each node is a flags byte, then:
 *
 *   id       (unless ID_KEYED) a varint n for "w-<n>", or a string index (ID_STRING)
 *   tag      string index                                  (elements only)
 *   key      n × 4 + 1 for a key h() gave as an integer n ≥ 0; else its   (KEY)
 *            string index × 4, + 3 for any other number
 *   attrs    name index + 1, value index, …, then 0        (ATTRS)
 *   slots    count, then each slot                         (SLOTS)
 *   text     string index                                  (TEXT; for a text node, always)
 *   children count, then each child                        (CHILDREN)
 *
 * Varints are unsigned LEB128. Ids are the bulk of a tree's distinct strings,
 * and none is stored: a `w-<n>` id is its number, and a keyed id is rebuilt
 * from its parent's id and its key, as lowering built it. Everything else
 * (tags, attribute names and values, keys, texts) goes through the table,
 * deduplicated, so a string used by every row is stored once and the
 * interned tag and attribute names stay shared with the code that wrote them.
 */

/** Bound locally: under tsx every use of an imported name runs a getter first (see diff.ts). */
const ElementVNode = ElementVNodeOf, TextVNode = TextVNodeOf, keyedId = keyedIdOf, slotsOf = slotsOfNode, rawKeyOf = rawKeyOfNode;

/** Flags of a node. An id is a `w-<n>` number unless ID_KEYED or ID_STRING says otherwise. */
const ELEMENT = 1, ID_KEYED = 2, ID_STRING = 4, KEY = 8, ATTRS = 16, SLOTS = 32, TEXT = 64, CHILDREN = 128;

/** A lowered tree in a compact form (opaque): a session at rest keeps this instead of its node objects. */
export interface PackedTree {
  /** Bytes it retains: the byte array, 8 per string reference, and each string's length (an upper bound: the strings may be shared). */
  readonly bytes: number;
}

class Packed implements PackedTree {
  readonly bytes: number;
  constructor(
    readonly data: Uint8Array,
    readonly strings: readonly string[],
    /** The marks found ({@link pack}'s `marks`): each node's number in pre-order, then its mark. */
    readonly marked: readonly unknown[],
  ) {
    let bytes = data.byteLength + 8 * strings.length + 8 * marked.length;
    for (let i = 0; i < strings.length; i++) bytes += strings[i]!.length;
    this.bytes = bytes;
  }
}

// ---- packing -------------------------------------------------------------

/**
 * One scratch buffer, grown as needed and reused by every pack (each result is
 * an exact-length copy): a tree's size is not known until it is walked, and
 * growing a fresh buffer per call would copy the bytes several times over.
 */
let out = new Uint8Array(1 << 16);
let end = 0;
let strings: string[] = [];
let index = new Map<string, number>();
/** The nodes packed so far (a node's number in pre-order), and the marks being looked for and found. */
let count = 0;
let marks: WeakMap<object, unknown> | undefined;
let marked: unknown[] = [];
const NO_MARKS: readonly unknown[] = [];

/**
 * Packs a lowered tree (a session's tree, or any tree of the JSON shape) into
 * its compact form. The tree is only read: it stays usable.
 *
 * @example
 * const tree = lower(h("ul", {}, rows.map((r) => h("li", { key: r.id }, r.title))), { alloc });
 * const packed = pack(tree); // packed.bytes: a few bytes per row, plus its title
 * renderToString(unpack(packed)) === renderToString(tree) // true
 *
 * @param nodeMarks - values attached to some of the tree's nodes (a memo cache's
 *   entries, by the node each built): {@link unpack} hands each one back with
 *   the node that replaces its node.
 */
export function pack(tree: Node, nodeMarks?: WeakMap<object, unknown>): PackedTree {
  end = count = 0;
  marks = nodeMarks;
  try {
    packNode(tree, "r"); // "r": the parent id lowering scopes a keyed root with
    return new Packed(out.slice(0, end), strings.slice(), marked.length > 0 ? marked : NO_MARKS); // exact-length copies: no spare capacity kept
  } finally {
    // Not kept alive by the module once the call returns.
    strings = [];
    index = new Map();
    marks = undefined;
    marked = [];
  }
}

function packNode(node: Node, parentId: string): void {
  const id = node.id;
  const tag = (node as ElementNode).tag;
  if (marks !== undefined) {
    const mark = marks.get(node);
    if (mark !== undefined) marked.push(count, mark);
  }
  count++;
  room(48); // flags, id, tag, key: at most 1 + 8 + 3 * 8 bytes
  const at = end++; // the flags byte, filled in once known
  if (tag === undefined) {
    const n = wNumber(id);
    if (n >= 0) writeUint(n);
    else writeUint(stringIndex(id));
    writeUint(stringIndex((node as TextNode).text));
    out[at] = n >= 0 ? 0 : ID_STRING;
    return;
  }
  const el = node as ElementNode;
  const rawKey = rawKeyOf(el);
  // A key h() was given as an integer (most keys: ids) is written as its number, never made text.
  const keyNumber = typeof rawKey === "number" && rawKey >= 0 && rawKey <= MAX_KEY_NUMBER && Number.isInteger(rawKey) ? rawKey : -1;
  const key = keyNumber >= 0 || rawKey === undefined ? undefined : String(rawKey);
  let flags = ELEMENT;
  // A keyed id that lowering would rebuild the same costs nothing; any other id is kept as it is.
  if (keyNumber >= 0 ? isNumberKeyedId(id, parentId, keyNumber) : key !== undefined && id === keyedId(parentId, key)) flags |= ID_KEYED;
  else {
    const n = wNumber(id);
    if (n >= 0) writeUint(n);
    else {
      flags |= ID_STRING;
      writeUint(stringIndex(id));
    }
  }
  writeUint(stringIndex(tag));
  if (rawKey !== undefined) {
    flags |= KEY;
    // A number stays a number: the diff compares a kept node's key with h()'s as given (vnode.ts `rawKey`).
    writeUint(keyNumber >= 0 ? keyNumber * 4 + 1 : stringIndex(key!) * 4 + (typeof rawKey === "number" ? 3 : 0));
  }
  // A lowered list is read as it is (`attrs` would turn it into a record and keep that in the tree).
  const low = (el as unknown as ElementVNodeOf).lowAttrs;
  if (Array.isArray(low)) {
    const list = low as readonly string[];
    for (let i = 0; i < list.length; i += 2) {
      room(16);
      writeUint(stringIndex(list[i]!) + 1);
      writeUint(stringIndex(list[i + 1]!));
      flags |= ATTRS;
    }
  } else {
    const attrs = (low as Readonly<Record<string, string>> | undefined) ?? el.attrs;
    for (const name in attrs) {
      room(16);
      writeUint(stringIndex(name) + 1);
      writeUint(stringIndex(attrs[name]!));
      flags |= ATTRS;
    }
  }
  room(1);
  if (flags & ATTRS) out[end++] = 0;
  const slots = slotsOf(el);
  if (slots !== undefined) {
    flags |= SLOTS;
    room(8);
    writeUint(slots.length);
    for (let i = 0; i < slots.length; i++) {
      const s = slots[i]!;
      if (!(Number.isSafeInteger(s) && s >= 0)) throw new RangeError(`pack: slot ${s} of <${tag}> (id ${id}) is not a non-negative integer.`);
      room(8);
      writeUint(s);
    }
  }
  room(16); // text, children count
  if (el.text !== undefined) {
    flags |= TEXT;
    writeUint(stringIndex(el.text));
  }
  const children = el.children, n = children.length;
  if (n > 0) {
    flags |= CHILDREN;
    writeUint(n);
  }
  out[at] = flags;
  for (let i = 0; i < n; i++) packNode(children[i]!, id);
}

/** The string's index in the table, adding it the first time. */
function stringIndex(s: string): number {
  let i = index.get(s);
  if (i === undefined) {
    i = strings.length;
    strings.push(s);
    index.set(s, i);
  }
  return i;
}

/** The largest integer key written as its number (n × 4 + 1 stays a safe integer). */
const MAX_KEY_NUMBER = 2 ** 50;

/** True when `id` is `keyedId(parentId, String(n))`, read without building it (digits need no escaping). */
function isNumberKeyedId(id: string, parentId: string, n: number): boolean {
  const from = parentId.length + 3; // "k-" + parentId + "-"
  if (id.length <= from || id.charCodeAt(0) !== 107 /* k */ || id.charCodeAt(1) !== 45 || id.charCodeAt(from - 1) !== 45 || !id.startsWith(parentId, 2)) return false;
  if (id.length > from + 1 && id.charCodeAt(from) === 48) return false; // a leading zero: not String(n)
  let value = 0;
  for (let i = from; i < id.length; i++) {
    const d = id.charCodeAt(i) - 48;
    if (d < 0 || d > 9) return false;
    value = value * 10 + d;
  }
  return value === n;
}

/** n for an id that is exactly "w-" + n (so it is rebuilt the same), else -1. */
function wNumber(id: string): number {
  const len = id.length;
  // At most 15 digits: a safe integer. A leading zero ("w-01") would not come back the same.
  if (len < 3 || len > 17 || id.charCodeAt(0) !== 119 /* w */ || id.charCodeAt(1) !== 45 /* - */ || (len > 3 && id.charCodeAt(2) === 48)) return -1;
  let n = 0;
  for (let i = 2; i < len; i++) {
    const d = id.charCodeAt(i) - 48;
    if (d < 0 || d > 9) return -1;
    n = n * 10 + d;
  }
  return n;
}

/** Callers reserve room first (one check per node, not per byte): a varint of a safe integer takes at most 8 bytes. */
function writeUint(n: number): void {
  while (n > 127) {
    out[end++] = (n & 127) | 128;
    n = (n - (n & 127)) / 128; // not `>>> 7`: slots may pass 2^32
  }
  out[end++] = n;
}

/** Makes room for `n` more bytes (doubling). */
function room(n: number): void {
  if (end + n <= out.length) return;
  const next = new Uint8Array(Math.max(out.length * 2, end + n));
  next.set(out.subarray(0, end));
  out = next;
}

// ---- unpacking -----------------------------------------------------------

let src: Uint8Array = new Uint8Array(0);
let at = 0;
let table: readonly string[] = [];

/**
 * Rebuilds the tree {@link pack} was given: new node objects, equal to the
 * originals in everything the diff, `renderToString` and JSON read (ids, tags,
 * keys, attributes, text or children, slots). They are placed `ElementVNode`s
 * and `TextVNode`s, the shapes a diffed tree is made of (so the diff's loads
 * see the objects they always see), and leaves share the empty attribute
 * record and children list. Their props are empty: a placed node's are never read.
 *
 * A subtree the app kept from the render before is not the very object of the
 * old tree any more: the diff walks it (copying it) instead of skipping it, and
 * finds nothing to change.
 *
 * @example
 * session.packed = pack(session.tree);            // at rest
 * const { tree, ops } = diff(unpack(session.packed), app.render(), { alloc, bind });
 *
 * @param found - called with each new node whose original carried a mark (see {@link pack}), and that mark.
 */
export function unpack(packed: PackedTree, found?: (node: Node, mark: unknown) => void): Node {
  if (!(packed instanceof Packed)) throw new TypeError("unpack: not a tree made by pack().");
  src = packed.data;
  table = packed.strings;
  at = count = 0;
  const list = (wanted = found ? packed.marked : []);
  nextMarked = list.length > 0 ? (list[0] as number) : -1;
  try {
    const tree = unpackNode("r");
    if (at !== src.length) throw new RangeError(`unpack: ${src.length - at} bytes left over; the packed tree is corrupt.`);
    for (let i = 0; i < markedNodes.length; i++) found!(markedNodes[i]!, list[2 * i + 1]);
    return tree;
  } finally {
    src = new Uint8Array(0);
    table = [];
    wanted = [];
    markedNodes = [];
  }
}

/** While unpacking: the marks to hand back, the number of the next node that carried one (-1: none), and the nodes made for them so far. */
let wanted: readonly unknown[] = [];
let nextMarked = -1;
let markedNodes: Node[] = [];

/** Takes the next mark (for the node being unpacked, before its children): the index its node goes at in `markedNodes`. */
function takeMark(): number {
  const slot = markedNodes.length;
  markedNodes.push(null as unknown as Node);
  const i = 2 * (slot + 1);
  nextMarked = i < wanted.length ? (wanted[i] as number) : -1;
  return slot;
}

function unpackNode(parentId: string): Node {
  const mark = count++ === nextMarked ? takeMark() : -1;
  const flags = src[at++]!;
  let id = flags & ID_KEYED ? "" : flags & ID_STRING ? table[readUint()]! : idOf(readUint());
  if (!(flags & ELEMENT)) {
    const t = new TextVNode(table[readUint()]!);
    t.id = id;
    if (mark >= 0) markedNodes[mark] = t as unknown as TextNode;
    return t as unknown as TextNode;
  }
  const tag = table[readUint()]!;
  let key: string | undefined, rawKey: string | number | undefined;
  if (flags & KEY) {
    const k = readUint();
    if ((k & 3) === 1) key = String((rawKey = (k - 1) / 4));
    else {
      rawKey = key = table[(k - (k & 3)) / 4]!;
      if ((k & 3) === 3) rawKey = Number(key);
    }
  }
  if (flags & ID_KEYED) id = keyedId(parentId, key!);
  let attrs = EMPTY_ATTRS;
  if (flags & ATTRS) {
    attrs = {};
    for (let name = readUint(); name !== 0; name = readUint()) {
      const n = table[name - 1]!, value = table[readUint()]!;
      // `__proto__` would set the prototype instead; a props record used as attributes can own one.
      if (n === "__proto__") Object.defineProperty(attrs, n, { value, enumerable: true, writable: true, configurable: true });
      else attrs[n] = value;
    }
  }
  let slots: number[] | undefined;
  if (flags & SLOTS) {
    slots = [];
    for (let i = readUint(); i > 0; i--) slots.push(readUint());
  }
  const text = flags & TEXT ? table[readUint()] : undefined;
  let children = EMPTY_CHILDREN as unknown as VNode[];
  if (flags & CHILDREN) {
    // Pushed, not `new Array(n)`: a holey array would make the diff's loads from children polymorphic.
    children = [];
    for (let i = readUint(); i > 0; i--) children.push(unpackNode(id) as unknown as VNode);
  }
  const el = new ElementVNode(tag, UNPACKED, rawKey, children, slots);
  el.id = id;
  el.attrs = attrs;
  el.text = text; // as setText() leaves it: children are then the shared empty list
  if (mark >= 0) markedNodes[mark] = el as unknown as ElementNode;
  return el as unknown as ElementNode;
}

function readUint(): number {
  let b = src[at++]!;
  if (b < 128) return b;
  let n = b & 127, scale = 128;
  do {
    b = src[at++]!;
    n += (b & 127) * scale;
    scale *= 128;
  } while (b > 127);
  return n;
}

/*
 * "w-<n>" for n: the very string lowering hands out (lower.ts shares one table
 * of them among all sessions), so an unpacked tree holds no id strings of its
 * own. This is an index into that table, filled in order through an allocator
 * (the table itself is private to lower.ts), up to the size lower.ts shares.
 */
const SHARED_IDS = 1 << 16;
const ids: string[] = [];

function idOf(n: number): string {
  if (n < ids.length) return ids[n]!;
  if (n >= SHARED_IDS) return "w-" + n;
  const alloc = createIdAllocator(ids.length - 1);
  while (ids.length <= n) ids.push(alloc.next());
  return ids[n]!;
}
