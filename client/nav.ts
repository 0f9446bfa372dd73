import type { PageDirections } from "../src/protocol.js";
import type { Node } from "../src/vdom/types.js";
import type { Internals, Runtime } from "./runtime.js";

/**
 * Live navigation, addresses and cookies: the runtime imports this chunk on
 * first use (a link with `navigate`, `rv.navigate`, or a patch with
 * directions), so pages that never navigate never fetch it.
 *
 * - A same-origin address is asked of the session (`rv.nav`): the same app
 *   takes the new params and query, and its next patch says `n` (scroll and
 *   focus now); another app of this server is named, and this page starts a
 *   session there (`POST {api}/api/session`) and becomes its page, over the
 *   same runtime code; an address no app serves, or any failure, is a page load.
 * - History: a push saves the scroll position of the entry being left, so
 *   Back restores it; the browser's own restoration is off (it would scroll
 *   before the old view is back). Every entry Revue makes has a state (`{}`
 *   at least): a page loaded (or reloaded) on such an entry loads this chunk
 *   at once (client/index.ts), so that Back and Forward to the entries
 *   around it are followed.
 */

/** The page's runtime: after a navigation to another app, the one made for it. */
const page = window as unknown as { rv?: Runtime };

/** How a navigation began: Back/Forward (0), a new entry (1), replacing the entry (2). */
type How = 0 | 1 | 2;

/** Back/Forward, as `rv.navigate`'s second argument (the runtime passes it through to {@link go}). */
const POP = 0 as unknown as boolean;

/** The path and query the session shows (what `rv.nav` last said, or the address the server last wrote). */
let shown = location.pathname + location.search;
/** How the navigation whose patch is awaited began. */
let awaited: How | undefined;
/** Navigations begun: one whose answer comes after a later one began leaves the page to the later one, as a browser does. */
let begun = 0;

history.scrollRestoration = "manual";
/** An address no app serves, to load once Back has undone the entry pushed for it (see {@link go}). */
let loading: string | undefined;
addEventListener("popstate", () => (loading ? location.assign(loading) : void page.rv?.navigate(location.href, POP)));

/** Remembers where the current entry is scrolled to, for Back. */
function keepScroll(): void {
  history.replaceState({ ...history.state, rvScroll: [scrollX, scrollY] }, "");
}

/** Scrolls and focuses as a page load would (`how` 1, 2), or as the entry was left (Back, 0). */
function settle(how: How): void {
  if (how === 0) {
    const [x, y] = (history.state?.rvScroll as [number, number] | undefined) ?? [0, 0];
    scrollTo(x, y);
  } else {
    let target: Element | null = null;
    try {
      target = location.hash ? document.getElementById(decodeURIComponent(location.hash.slice(1))) : null;
    } catch {}
    if (target) target.scrollIntoView();
    else scrollTo(0, 0);
  }
  // Focus starts over at the new content, as after a page load (a screen reader reads from there).
  const root = document.getElementById("rv-root") as HTMLElement | null;
  if (!root) return;
  const first = root.querySelector<HTMLElement>("[autofocus]") ?? root;
  if (first === root && !root.hasAttribute("tabindex")) root.tabIndex = -1;
  first.focus({ preventScroll: true });
}

/**
 * Goes to `href` (see the module comment): `replace` as `rv.navigate` takes
 * it, or {@link POP}. A failure of any kind ends in a page load of the
 * address, so a visitor never stays on a page that did not move.
 *
 * @example go("/items/42", false, internals)
 */
export async function go(href: string, replace: boolean | undefined, i: Internals): Promise<void> {
  const how: How = replace === POP ? 0 : replace ? 2 : 1;
  const to = new URL(href, location.href);
  if (to.origin !== location.origin) return location.assign(to.href);
  const path = to.pathname + to.search;
  if (path === shown && (how === 0 || to.hash)) {
    // Only the fragment changed: the browser's own business.
    if (how) location.hash = to.hash;
    return;
  }
  if (how) {
    keepScroll();
    history[how === 2 ? "replaceState" : "pushState"]({}, "", to.href);
  }
  shown = path;
  awaited = how;
  const mine = ++begun;
  let answer: { load?: boolean; api?: string } | undefined;
  try {
    answer = (await i.rpc("rv.nav", [path])) as typeof answer;
  } catch {}
  if (mine !== begun) return;
  if (answer?.api !== undefined) return swap(answer.api, path, how, i, to.href, mine);
  if (!answer || answer.load) load(to.href, how);
}

/**
 * A page load of `href`, which a navigation begun `how` already wrote in the
 * address. Over an entry pushed for it, Chromium's Back from the loaded page
 * changed the address only (the page stayed): that entry is undone first, and
 * the load makes one of its own.
 */
function load(href: string, how: How): void {
  if (how === 1) (loading = href), history.back();
  else location.replace(href);
}

/** Becomes the page of the app at `api` for `path`: a new session there, its tree, head and runtime. */
async function swap(api: string, path: string, how: How, i: Internals, href: string, mine: number): Promise<void> {
  const { opts, rv } = i;
  const reply = await opts.transport.post(api + "/api/session", { url: path }).catch(() => undefined);
  const b = reply?.body as { sid?: string; rev: number; hash: string; tree: Node; module: string; title: string; css: string; head: [string, Record<string, string>][]; s?: Record<string, unknown>; u?: string } | undefined;
  // A later navigation began meanwhile (a second click), or swapped the page: it has the page (the session made here expires unused).
  if (mine !== begun || page.rv !== rv || !opts.root.isConnected) return;
  // Refused (the app needs a user, the server is at its limit): the page load shows why.
  if (!reply || reply.status >= 300 || !b?.sid) return load(href, how);
  rv.close();
  // A fresh root drops the old page's event listeners; the clone keeps its CSP nonce.
  const root = opts.root.cloneNode() as Element;
  opts.root.replaceWith(root);
  opts.applier(root).init(b.tree);
  document.title = b.title;
  // Looked for in <head> only: an element of the app's own with that id (or attribute) is not the page's.
  let css = document.head.querySelector<HTMLStyleElement>("style#rv-css");
  if (!css && b.css) {
    css = document.createElement("style");
    css.id = "rv-css";
    // The document's policy allows the nonce it was served with, which #rv-root keeps.
    css.nonce = (root as HTMLElement).nonce ?? "";
    document.head.append(css);
  }
  if (css) css.textContent = b.css;
  for (const el of document.head.querySelectorAll("[data-rv-head]")) el.remove();
  for (const [tag, attrs] of b.head) {
    const el = document.createElement(tag);
    for (const name in attrs) el.setAttribute(name, attrs[name]!);
    el.setAttribute("data-rv-head", "");
    document.head.append(el);
  }
  page.rv = i.make({ ...opts, root, boot: { sid: b.sid, rev: b.rev, base: api, module: b.module, hash: b.hash, s: b.s, u: b.u } });
  settle(how);
}

/**
 * Follows what a patch (or an init) says besides its ops, in order: fetch
 * the cookies handlers set (and wait: a navigation that follows may need
 * them), write the address the `@url` fields make, settle a navigation,
 * then go where a handler sent the page.
 */
export async function follow(x: PageDirections, i: Internals): Promise<void> {
  if (x.c) await i.opts.transport.post(i.opts.boot.base + "/api/cookie", { sid: i.rv.session, ticket: x.c }).catch(() => {});
  if (x.u) {
    if (x.u !== location.pathname + location.search) {
      if (x.p) keepScroll();
      history[x.p ? "pushState" : "replaceState"]({}, "", x.u);
    }
    shown = x.u;
  }
  if (x.n) {
    settle(awaited ?? 1);
    awaited = undefined;
  }
  if (x.g) await go(x.g, x.r === 1, i);
}
