import { renderToString } from "../vdom/html.js";
import type { Node } from "../vdom/types.js";

/** What the runtime reads from the page's `#rv-boot` data block. */
export interface BootData {
  sid: string;
  rev: number;
  /** The app's mount prefix: "" or "/chat". */
  base: string;
  /** URL of the generated module of the app's `@client` methods. */
  module: string;
}

export interface PageParts {
  title: string;
  tree: Node;
  boot: BootData;
  runtimeUrl: string;
  nonce: string;
  /** The app's own CSS (`static css` on the class), inlined under the nonce. */
  css?: string;
}

const escapeHtml = (s: string) => s.replace(/[&<>"]/g, (c) => (c === "&" ? "&amp;" : c === "<" ? "&lt;" : c === ">" ? "&gt;" : "&quot;"));

/**
 * The server-rendered page: the app's HTML (ids included, so the runtime can
 * hydrate it), the boot data as an inert JSON block, and the runtime as the
 * only executable script, allowed by a per-response nonce.
 */
export function renderPage(p: PageParts): string {
  // `<` is escaped inside the JSON so no string in it can close the <script> block.
  const boot = JSON.stringify(p.boot).replace(/</g, "\\u003c");
  const css = p.css ? `<style nonce="${p.nonce}">${p.css.replace(/<\/style/gi, "<\\/style")}</style>` : "";
  return (
    `<!doctype html><html lang="en"><head><meta charset="utf-8">` +
    `<meta name="viewport" content="width=device-width, initial-scale=1">` +
    `<title>${escapeHtml(p.title)}</title>${css}</head><body>` +
    `<div id="rv-root">${renderToString(p.tree)}</div>` +
    `<script type="application/json" id="rv-boot">${boot}</script>` +
    `<script type="module" nonce="${p.nonce}" src="${escapeHtml(p.runtimeUrl)}"></script>` +
    `</body></html>`
  );
}

/**
 * The Content-Security-Policy of a page: only scripts carrying this response's
 * nonce run, and what they load (`strict-dynamic`) — the generated client
 * module. No inline handlers, no eval.
 */
export function contentSecurityPolicy(nonce: string): string {
  return [
    "default-src 'self'",
    `script-src 'nonce-${nonce}' 'strict-dynamic'`,
    `style-src 'self' 'nonce-${nonce}'`,
    "img-src 'self' data: blob:",
    "object-src 'none'",
    "base-uri 'none'",
    "frame-ancestors 'self'",
    "form-action 'self'",
  ].join("; ");
}
