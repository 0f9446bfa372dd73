import { treeHash, type InitMessage, type PatchMessage } from "../protocol.js";
import { createIdAllocator, diff, lower, type IdAllocator } from "../vdom/diff.js";
import { MemoCache } from "../vdom/memo.js";
import { pack, unpack, type PackedTree } from "../vdom/pack.js";
import type { Binder, Node, VNode } from "../vdom/types.js";

/** A message for the page and, for an `init`, its JSON body (serialised once, for the hash and the frame). */
export interface ViewMessage {
  message: InitMessage | PatchMessage;
  data?: string;
}

/** Heap a tree held as objects costs per character of its JSON (the todo example: 1.0 MB of heap for 0.55 MB of JSON)… */
const HEAP_PER_JSON_CHAR = 2;
/** …and per byte of its packed form (1.0 MB for 83 KB). */
const HEAP_PER_PACKED_BYTE = 12;

/**
 * What one session's page shows, as the server knows it: the last tree sent,
 * its revision, and what to send after the next render.
 *
 * The tree is held in one of three forms:
 * - **hot**: lowered node objects, diffed directly (a session in use);
 * - **packed**: a compact copy ({@link pack}) while the session is at rest
 *   or its page was just served and has not connected yet, unpacked when it
 *   is next needed (about a tenth of the memory);
 * - **cold**: none, after hibernation; the next message is an `init`.
 */
export class View {
  /** The revision of the last tree sent. */
  private revision = 0;
  /** The `ack` of the last message sent. */
  private sentAck = 0;
  private tree: Node | null = null;
  private packed: PackedTree | null = null;
  private alloc: IdAllocator = createIdAllocator();
  /** The page does not show what `tree` describes: the next message is an `init`. */
  private stale = false;
  /** An estimate of the hot tree's heap, from its JSON or packed size when last known. */
  private hotBytes = 0;
  /** What `memo()` components built for the hot tree: renders that diff against it reuse it. */
  private readonly memos = new MemoCache();

  constructor(private readonly render: () => VNode, private readonly bind: Binder) {}

  /** The revision of the last tree sent. */
  get rev(): number {
    return this.revision;
  }

  /** Whether no tree is held (a hibernated session). */
  get cold(): boolean {
    return this.tree === null && this.packed === null;
  }

  /** Whether the page lacks the held tree (or none is held): its next message must be an `init`. */
  get needsInit(): boolean {
    return this.stale || this.cold;
  }

  /** An estimate of the memory the view holds, in bytes. */
  get bytes(): number {
    return this.tree ? this.hotBytes : (this.packed?.bytes ?? 0);
  }

  /**
   * The first render of a page (served by `GET /` or `POST /api/session`), at
   * revision 1, with its JSON and hash when `json` is asked for. The view
   * keeps it packed: the session is pending until its page connects, and
   * then diffs against exactly what the page shows.
   */
  firstPage(json: boolean): { rev: number; tree: Node; json?: string; hash?: string } {
    const alloc = createIdAllocator();
    const tree = lower(this.render(), { alloc, bind: this.bind });
    this.alloc = alloc;
    this.revision = 1;
    this.packed = pack(tree);
    if (!json) return { rev: 1, tree };
    const text = JSON.stringify(tree);
    return { rev: 1, tree, json: text, hash: treeHash(text) };
  }

  /** Unpacks a packed tree before it is diffed or sent (a hibernated view stays cold). */
  warm(): void {
    if (!this.packed) return;
    this.tree = unpack(this.packed);
    this.hotBytes = this.packed.bytes * HEAP_PER_PACKED_BYTE;
    this.packed = null;
  }

  /**
   * Renders after handlers ran: a `patch` with the ops (or only a new `ack`),
   * an `init` when the page lacks the previous tree, or nothing.
   * Throws what `render()` or the diff throws; the view is unchanged then.
   */
  update(ack: number): ViewMessage | undefined {
    this.warm();
    if (!this.tree || this.stale) return this.init(ack, true);
    const { tree, ops } = diff(this.tree, this.memos.render(this.render), { alloc: this.alloc, bind: this.bind });
    // The new tree even when nothing changed: nodes a render keeps from one call to the next then stay in place.
    this.tree = tree;
    if (ops.length === 0 && ack === this.sentAck) return undefined;
    this.sentAck = ack;
    return { message: { type: "patch", rev: ++this.revision, ops, ack } };
  }

  /**
   * The snapshot for a page that lacks the state (a stream opened with no
   * replay possible): the current tree, or a fresh render when none is held.
   */
  snapshot(ack: number): ViewMessage {
    this.warm();
    return this.init(ack, !this.tree || this.stale);
  }

  /** The tree the page shows, if one is held (unpacked if need be). */
  current(): Node | null {
    this.warm();
    return this.tree;
  }

  /** Packs the tree while the session is at rest; its next render unpacks it. */
  rest(): void {
    if (!this.tree) return;
    this.packed = pack(this.tree);
    this.tree = null;
    this.memos.clear();
  }

  /** Continues a restored session's revisions; it holds no tree, so its next message is an `init`. */
  resume(rev: number): void {
    this.revision = rev;
    this.hibernate();
  }

  /** Drops the tree: the session keeps its state, and its next message is an `init`. */
  hibernate(): void {
    this.tree = this.packed = null;
    this.memos.clear();
    this.stale = true;
  }

  /** A fresh render with fresh ids (the page will replace its whole DOM, or it is a new page). */
  private fresh(): { tree: Node; json: string; hash: string } {
    const alloc = createIdAllocator();
    const tree = lower(this.memos.render(this.render), { alloc, bind: this.bind });
    this.alloc = alloc;
    const json = JSON.stringify(tree);
    this.hotBytes = json.length * HEAP_PER_JSON_CHAR;
    return { tree, json, hash: treeHash(json) };
  }

  /** An `init` of the held tree, or (`renew`) of a fresh render under a new revision. */
  private init(ack: number, renew: boolean): ViewMessage {
    let json: string, tree: Node, hash: string;
    if (renew) {
      ({ tree, json, hash } = this.fresh());
      this.tree = tree;
      this.revision++;
      this.stale = false;
    } else {
      tree = this.tree!;
      json = JSON.stringify(tree);
      this.hotBytes = json.length * HEAP_PER_JSON_CHAR;
      hash = treeHash(json);
    }
    this.sentAck = ack;
    const rev = this.revision;
    return { message: { type: "init", rev, tree, hash, ack }, data: `{"rev":${rev},"tree":${json},"hash":"${hash}","ack":${ack}}` };
  }
}
