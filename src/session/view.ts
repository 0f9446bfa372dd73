import { hash } from "node:crypto";
import { treeHash, type InitMessage, type PageExtras, type PatchMessage } from "../protocol.js";
import { createIdAllocator, diff, lower, type IdAllocator } from "../vdom/diff.js";
import { renderToBytes, renderVNodeToBytes } from "../vdom/html.js";
import { MemoCache } from "../vdom/memo.js";
import { pack, unpack, type PackedTree } from "../vdom/pack.js";
import type { Binder, Node, VNode } from "../vdom/types.js";
import { PageCache, type ServedHtml } from "./page-cache.js";

/** A message for the page and its JSON body without `type` (an `init`'s is serialised once, for the hash and the frame). */
export interface ViewMessage {
  message: InitMessage | PatchMessage;
  data?: string;
}

/** Heap a tree held as objects costs per character of its JSON (the todo example: 1.0 MB of heap for 0.55 MB of JSON)… */
const HEAP_PER_JSON_CHAR = 2;
/** …per byte of its packed form (1.0 MB for 83 KB)… */
const HEAP_PER_PACKED_BYTE = 12;
/** …and per byte of its HTML (1.0 MB for 0.34 MB). */
const HEAP_PER_HTML_BYTE = 3;

/**
 * Pages served, per binder: a page's HTML is a function of its tree and of the
 * binder that wrote its handlers (one per app class, see hub.ts).
 */
const pageCaches = new WeakMap<Binder, PageCache>();

function pageCacheOf(bind: Binder): PageCache {
  let cache = pageCaches.get(bind);
  if (cache === undefined) pageCaches.set(bind, (cache = new PageCache()));
  return cache;
}

/**
 * A page as it was served: the hash of its app HTML (the content of
 * `#rv-root`) and the CSP nonce written in it. JSON-safe, so a snapshot can
 * carry it to another node.
 */
export interface ServedPage {
  hash: string;
  nonce: string;
}

/** `extras` as the tail of a message's JSON body (`,"s":{…},"x":{…}`), or "". */
function extrasJson(extra: PageExtras | undefined): string {
  if (!extra) return "";
  return (extra.s ? `,"s":${JSON.stringify(extra.s)}` : "") + (extra.x ? `,"x":${JSON.stringify(extra.x)}` : "") + (extra.t !== undefined ? `,"t":${JSON.stringify(extra.t)}` : "");
}

/** A tree's HTML as the page is served it, in UTF-8: hashed and sent as these bytes. */
function pageHtml(tree: Node, nonce: string): Buffer {
  return renderToBytes(tree, { nonce });
}

/**
 * The hash a served page is known by: SHA-1 of its HTML, which is only ever
 * compared with the HTML the same server code renders again (an equality
 * check, not a defence against forgery); native, about 0.2 ms for 350 KB.
 */
function htmlHash(html: Buffer): string {
  return hash("sha1", html, "base64"); // one call, no Hash object per page (SHA-1: the fastest digest OpenSSL has here, SHA-256 +15 %)
}

/**
 * What one session's page shows, as the server knows it: the last tree sent,
 * its revision, and what to send after the next render.
 *
 * The tree is held in one of four forms:
 * - **hot**: lowered node objects, diffed directly (a session in use);
 * - **packed**: a compact copy ({@link pack}) while the session is at rest,
 *   unpacked when it is next needed (about a tenth of the memory);
 * - **served**: only the hash of the HTML a page was just served, while the
 *   session is pending. Keeping the tree would cost the page's every visitor
 *   (packing a 1,000-row page costs as much as writing its HTML), and most of
 *   it again in memory while nobody may ever connect. When the page connects
 *   or calls, the tree is rendered again and its HTML compared with the hash:
 *   the same page (the state did not change meanwhile and `render()` gave
 *   the same tree) is diffed against from then on, with no `init`; another
 *   one makes the next message an `init`;
 * - **cold**: none, after hibernation; the next message is an `init`.
 */
export class View {
  /** The revision of the last tree sent. */
  private revision = 0;
  /** The `ack` of the last message sent. */
  private sentAck = 0;
  private tree: Node | null = null;
  private packed: PackedTree | null = null;
  private served: ServedPage | null = null;
  private alloc: IdAllocator = createIdAllocator();
  /** The page does not show what `tree` describes: the next message is an `init`. */
  private stale = false;
  /** An estimate of the hot tree's heap, from its JSON or packed size when last known. */
  private hotBytes = 0;
  /** What `memo()` components built for the hot tree: renders that diff against it reuse it. */
  private readonly memos = new MemoCache();

  constructor(
    private readonly render: () => VNode,
    private readonly bind: Binder,
    /** What rides on the next message besides the tree (`full`: every `@synced` field, for an `init`); called after each render. */
    private readonly extras: (full: boolean) => PageExtras | undefined = () => undefined,
  ) {}

  /** The revision of the last tree sent. */
  get rev(): number {
    return this.revision;
  }

  /** Whether no tree is held (a hibernated session). */
  get cold(): boolean {
    return this.tree === null && this.packed === null && this.served === null;
  }

  /** Whether the page lacks the held tree (or none is held): its next message must be an `init`. */
  get needsInit(): boolean {
    return this.stale || this.cold;
  }

  /** An estimate of the memory the view holds, in bytes. */
  get bytes(): number {
    return this.tree ? this.hotBytes : this.packed ? this.packed.bytes : this.served ? 64 : 0;
  }

  /**
   * The first render of a page served by `GET /` at `address` (its path and
   * query), at revision 1: its HTML in UTF-8 (with `nonce` on its `<style>`
   * elements), which the view keeps only as a hash (see the class comment).
   * When the last page served at that address had the same tree, its bytes
   * are served again (session/page-cache.ts).
   */
  firstPage(nonce: string, address = ""): { rev: number; html: Buffer } {
    const vnode = this.render();
    const cache = pageCacheOf(this.bind);
    let page: ServedHtml | undefined = cache.find(address, vnode);
    if (page === undefined) {
      // Written straight from render()'s tree: the HTML lowering it would give, without keeping the lowered tree.
      const html = renderVNodeToBytes(vnode, { alloc: createIdAllocator(), bind: this.bind, nonce });
      page = { html, hash: htmlHash(html) };
      cache.keep(address, vnode, page, nonce);
    }
    this.revision = 1;
    this.served = { hash: page.hash, nonce };
    return { rev: 1, html: page.html };
  }

  /**
   * The first render of a session started by `POST /api/session`, at revision
   * 1: its tree, its JSON and hash. The page builds its DOM from that tree, so
   * the view keeps it (packed) to diff against.
   */
  firstTree(): { rev: number; tree: Node; json: string; hash: string } {
    const alloc = createIdAllocator();
    const tree = this.memos.render(() => lower(this.render(), { alloc, bind: this.bind }));
    this.alloc = alloc;
    this.revision = 1;
    // What the page will show: for a session given afresh (Hub.reissue), this replaces what it held.
    this.tree = this.served = null;
    this.stale = false;
    this.packed = pack(tree, this.memos.entries);
    this.memos.park();
    const json = JSON.stringify(tree);
    return { rev: 1, tree, json, hash: treeHash(json) };
  }

  /** The page served and not yet connected, if the view holds only that (for a snapshot that moves the session). */
  get servedPage(): ServedPage | undefined {
    return this.served ?? undefined;
  }

  /**
   * Makes the tree hot before it is diffed or sent: unpacks a packed one, or
   * renders a served page again and keeps it if its HTML is the page's (a
   * hibernated view stays cold).
   */
  warm(): void {
    if (this.packed) {
      this.tree = unpack(this.packed, this.memos.relink);
      this.hotBytes = this.packed.bytes * HEAP_PER_PACKED_BYTE;
      this.packed = null;
    } else if (this.served) this.rebuild(this.served);
  }

  /**
   * Renders a served page again: kept when its HTML hashes as the page's did
   * (or its tree is the tree that page was cached with), else the page gets
   * an `init`.
   */
  private rebuild(page: ServedPage): void {
    this.served = null;
    const alloc = createIdAllocator();
    const cache = pageCacheOf(this.bind);
    let tree: Node, html: Buffer;
    let kept: ServedHtml | undefined;
    try {
      tree = this.memos.render(() => {
        const vnode = this.render();
        kept = cache.check(page.hash, vnode);
        return lower(vnode, { alloc, bind: this.bind });
      });
      html = kept?.html ?? pageHtml(tree, page.nonce);
    } catch {
      // The next message renders again for its `init`, and that failure reaches the page as an `error`.
      this.stale = true;
      return;
    }
    if (kept === undefined && htmlHash(html) !== page.hash) {
      this.stale = true;
      return;
    }
    this.tree = tree;
    this.alloc = alloc;
    this.hotBytes = html.length * HEAP_PER_HTML_BYTE;
  }

  /**
   * A patch that only acknowledges the calls up to `ack`, for a render that
   * failed: the page keeps its tree, and learns that its calls ran (an rpc
   * awaited in the page resolves on its ack). Nothing when the page has that
   * ack already, or holds no tree this view can patch.
   */
  acknowledge(ack: number): ViewMessage | undefined {
    if (ack === this.sentAck || !this.tree || this.stale) return undefined;
    this.sentAck = ack;
    const rev = ++this.revision;
    return { message: { type: "patch", rev, ops: [], ack }, data: `{"rev":${rev},"ops":[],"ack":${ack}}` };
  }

  /**
   * Renders after handlers ran: a `patch` with the ops (or only a new `ack`),
   * an `init` when the page lacks the previous tree, or nothing.
   * Throws what `render()` or the diff throws; the view is unchanged then.
   */
  update(ack: number): ViewMessage | undefined {
    this.warm();
    if (!this.tree || this.stale) return this.init(ack, true);
    const { tree, ops } = this.memos.render(() => diff(this.tree!, this.render(), { alloc: this.alloc, bind: this.bind }));
    // Before the view moves on: a field the page cannot be sent (an @url value the address cannot hold) fails the render, not half of it.
    const extra = this.extras(false);
    this.tree = tree;
    if (ops.length === 0 && ack === this.sentAck && !extra) return undefined;
    this.sentAck = ack;
    const rev = ++this.revision;
    // Its body as the stream sends it, written here rather than by copying the message without its `type`.
    return { message: { type: "patch", rev, ops, ack, ...extra }, data: `{"rev":${rev},"ops":${JSON.stringify(ops)},"ack":${ack}${extrasJson(extra)}}` };
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

  /** Whether the tree is held packed (the session is at rest). */
  get resting(): boolean {
    return this.packed !== null;
  }

  /** Packs the tree while the session is at rest; its next render unpacks it. False when no hot tree was held. */
  rest(): boolean {
    if (!this.tree) return false;
    this.packed = pack(this.tree, this.memos.entries);
    this.tree = null;
    this.memos.park();
    return true;
  }

  /**
   * Continues a restored session's revisions. It holds no tree, so its next
   * message is an `init`, unless its page was served and never connected
   * (`page`): then that page is rendered again and checked as on the node
   * that served it.
   */
  resume(rev: number, page?: ServedPage): void {
    this.revision = rev;
    this.hibernate();
    // From a snapshot read back from the store: anything but two strings is no page to check against.
    if (typeof page?.hash === "string" && typeof page.nonce === "string") {
      this.served = page;
      this.stale = false;
    }
  }

  /** Drops the tree: the session keeps its state, and its next message is an `init`. */
  hibernate(): void {
    this.tree = this.packed = this.served = null;
    this.memos.clear();
    this.stale = true;
  }

  /** A fresh render with fresh ids (the page will replace its whole DOM, or it is a new page). */
  private fresh(): { tree: Node; json: string; hash: string; alloc: IdAllocator } {
    const alloc = createIdAllocator();
    const tree = this.memos.render(() => lower(this.render(), { alloc, bind: this.bind }));
    const json = JSON.stringify(tree);
    return { tree, json, hash: treeHash(json), alloc };
  }

  /** An `init` of the held tree, or (`renew`) of a fresh render under a new revision. */
  private init(ack: number, renew: boolean): ViewMessage {
    let json: string, tree: Node, hash: string, alloc: IdAllocator | undefined;
    if (renew) {
      ({ tree, json, hash, alloc } = this.fresh());
    } else {
      tree = this.tree!;
      json = JSON.stringify(tree);
      hash = treeHash(json);
    }
    const extra = this.extras(true);
    if (renew) {
      this.tree = tree;
      this.alloc = alloc!;
      this.revision++;
      this.stale = false;
    }
    this.hotBytes = json.length * HEAP_PER_JSON_CHAR;
    this.sentAck = ack;
    const rev = this.revision;
    return { message: { type: "init", rev, tree, hash, ack, ...extra }, data: `{"rev":${rev},"tree":${json},"hash":"${hash}","ack":${ack}${extrasJson(extra)}}` };
  }

}
