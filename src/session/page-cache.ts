import { sameShape, sameTree, shapeOf, type TreeShape } from "../vdom/same.js";
import type { VNode } from "../vdom/types.js";

/** A page `GET /` served: its HTML and the HTML's hash. */
export interface ServedHtml {
  readonly html: Buffer;
  readonly hash: string;
}

/**
 * A page kept for reuse: its HTML, and the tree it was written from, or once
 * it has been served again, that tree's shape (cheaper to compare with, not
 * worth building for a page nobody else sees).
 */
interface CachedPage extends ServedHtml {
  /** Undefined when neither is kept (see {@link PageCache.keep}). */
  tree: VNode | undefined;
  shape: TreeShape | undefined;
  /** How many pages in a row the address got, each unlike the one before. */
  misses: number;
}

/**
 * Pages in a row, each unlike the last, after which an address's pages are
 * no longer kept but once in {@link RETRY}: keeping a tree costs its move to
 * the old generation, a loss when the next visitor sees another page anyway
 * (a page per user, a clock on the page).
 */
const MAX_MISSES = 2, RETRY = 16;

/** Addresses longer than this are not cached (a query is the user's to make long). */
const MAX_ADDRESS = 1024;

/**
 * The last page served at each address, kept so that the next visitor whose
 * `render()` returns the same tree gets the same bytes without writing them
 * again: most first visits to an address see what the one before saw (a
 * list, a form, a landing page), and comparing a tree with a page's shape
 * costs about a tenth of writing the tree and hashing it (the 1,000-row
 * table: 0.2 ms against 1.9–2.3 ms). A page whose tree differs (another
 * user's name, new data) is written as usual and replaces the entry, at no
 * cost beyond the comparison, which stops at the first difference. Reuse is
 * decided by comparing trees ({@link sameTree}, {@link sameShape}), never by
 * the address alone, so one visitor never gets what another's state rendered.
 *
 * Only pages whose HTML does not hold the CSP nonce are kept (a `<style>` in
 * the tree carries it): the bytes of any other page are the same whatever
 * the nonce. Bounded by entries and bytes, the least recently used leaving
 * first.
 */
export class PageCache {
  /** By address, least recently used first. */
  private readonly byAddress = new Map<string, CachedPage>();
  /** The same pages by hash, for a pending page checked when it connects. */
  private readonly byHash = new Map<string, CachedPage>();
  private bytes = 0;

  constructor(
    private readonly maxEntries = 64,
    /** HTML bytes kept in all; the trees cost about three times as much heap. */
    private readonly maxBytes = 4 << 20,
  ) {}

  /** The page served at `address` if `tree` is written as its tree was. */
  find(address: string, tree: VNode): ServedHtml | undefined {
    const page = this.byAddress.get(address);
    if (page === undefined || !writesAs(page, tree)) return undefined;
    this.byAddress.delete(address);
    this.byAddress.set(address, page);
    return page;
  }

  /** The page known by `hash` if it is still kept and `tree` is written as it was. */
  check(hash: string, tree: VNode): ServedHtml | undefined {
    const page = this.byHash.get(hash);
    return page !== undefined && writesAs(page, tree) ? page : undefined;
  }

  /**
   * Keeps `served`, written from `tree`, as `address`'s page, unless its HTML
   * holds `nonce`, it is too big, or the address's pages keep changing.
   */
  keep(address: string, tree: VNode, served: ServedHtml, nonce: string): void {
    if (address.length > MAX_ADDRESS || served.html.length > this.maxBytes / 4) return;
    const last = this.byAddress.get(address);
    const misses = last !== undefined && last.shape === undefined ? last.misses + 1 : 0;
    // A page not kept still leaves its count of misses, without its bytes (the nonce is looked for last: it reads the whole page).
    const kept = (misses < MAX_MISSES || misses % RETRY === 0) && nonce !== "" && !served.html.includes(nonce);
    const page: CachedPage = kept ? { ...served, tree, shape: undefined, misses } : { html: NO_HTML, hash: "", tree: undefined, shape: undefined, misses };
    this.drop(address);
    this.byAddress.set(address, page);
    if (kept) this.byHash.set(page.hash, page);
    this.bytes += page.html.length;
    for (const [oldest] of this.byAddress) {
      if (this.byAddress.size <= this.maxEntries && this.bytes <= this.maxBytes) break;
      this.drop(oldest);
    }
  }

  private drop(address: string): void {
    const page = this.byAddress.get(address);
    if (page === undefined) return;
    this.byAddress.delete(address);
    this.bytes -= page.html.length;
    // The same page may be kept at another address too: that one stays findable by hash.
    if (page.hash !== "" && this.byHash.get(page.hash) === page) {
      this.byHash.delete(page.hash);
      for (const other of this.byAddress.values()) if (other.hash === page.hash) this.byHash.set(other.hash, other);
    }
  }
}

const NO_HTML = Buffer.alloc(0);

/** Whether `tree` is written as `page` was; the first time it is, the page keeps the tree's shape instead of the tree. */
function writesAs(page: CachedPage, tree: VNode): boolean {
  if (page.shape !== undefined) return sameShape(page.shape, tree);
  if (page.tree === undefined || !sameTree(page.tree, tree)) return false;
  page.shape = shapeOf(tree);
  page.tree = undefined;
  return true;
}
