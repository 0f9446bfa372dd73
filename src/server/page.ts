import { BindError, RenderError, RevueError } from "../errors.js";
import { VOID_TAGS } from "../vdom/h.js";
import { escapeAttr, escapeText } from "../vdom/html.js";
import { lowerProps } from "../vdom/props.js";
import { isUnsafeAttr, isUnsafeTag, type VNode } from "../vdom/types.js";

/** What the runtime reads from the page's `#rv-boot` data block. */
export interface BootData {
  sid: string;
  rev: number;
  /** The app's mount prefix: "" or "/chat". */
  base: string;
  /** URL of the generated module of the app's `@client` methods. */
  module: string;
  /** The app's `@synced` fields (`rv.state`). */
  s?: Record<string, unknown>;
  /** Who the page is of (`Session.userKey`, a hash): a page asking for a session again names it, and another user's is refused. */
  u?: string;
}

/** The parts of an app's `<head>` that do not change from one page to the next (see {@link pageHead}). */
export interface PageHead {
  /** The `<title>`'s text. */
  readonly title: string;
  /** The app's own CSS (`static css`), written in a `<style>` under the page's nonce. */
  readonly css: string;
  /** The `static head` elements, as HTML, checked and escaped (each marked `data-rv-head`, which live navigation replaces). */
  readonly html: string;
  /** The same elements as `[tag, attributes]`, for a page that arrives by live navigation. */
  readonly elements: ReadonlyArray<readonly [string, Readonly<Record<string, string>>]>;
}

export interface PageParts {
  head: PageHead;
  /** The app's HTML in UTF-8 (`renderToString` of its tree, with `nonce`): the content of `#rv-root`. */
  html: Buffer;
  boot: BootData;
  runtimeUrl: string;
  nonce: string;
}

/** Tags `static head` may hold: metadata that runs nothing (a `<base>` or a script never gets there). */
const HEAD_TAGS = new Set(["meta", "link"]);

/**
 * Reads an app class's `static title`, `static css` and `static head` once,
 * when it is mounted, and checks them like any rendered tree: `head` holds
 * `<meta>` and `<link>` elements built with `h()`, whose attributes go through
 * the same rules as the page's (no `on*`, no `http-equiv`, no `javascript:`
 * URLs). A mistake fails `createServer` with an error naming the class.
 *
 * @example
 * class Shop extends App {
 *   static title = "Shop";
 *   static css = "body { font: 16px system-ui }";
 *   static head = [h("meta", { name: "description", content: "Our shop" }), h("link", { rel: "icon", href: "/favicon.png" })];
 * }
 * pageHead(Shop).html // '<meta name="description" content="Our shop"><link rel="icon" href="/favicon.png">'
 */
export function pageHead(ctor: Function): PageHead {
  const name = ctor.name || "App";
  const { title, css, head } = ctor as { title?: unknown; css?: unknown; head?: unknown };
  if (title !== undefined && typeof title !== "string" && typeof title !== "function") {
    throw new RenderError(`${name}.title must be a string (the page's <title>) or a function of the app returning one, got ${typeof title}. Write static title = "My app", or static title = (app: ${name}) => app.name.`);
  }
  if (css !== undefined && typeof css !== "string") {
    throw new RenderError(`${name}.css must be a string of CSS, got ${typeof css}. Write static css = "body { margin: 0 }".`);
  }
  if (head !== undefined && !Array.isArray(head)) {
    throw new RenderError(`${name}.head must be an array of h("meta", …) and h("link", …) elements, got ${typeof head}.`);
  }
  let html = "";
  const elements: Array<[string, Record<string, string>]> = [];
  ((head ?? []) as unknown[]).forEach((node, i) => {
    const [tag, attrs] = headElement(node, `${name}.head[${i}]`);
    elements.push([tag, attrs]);
    html += "<" + tag + " data-rv-head";
    for (const attr in attrs) html += " " + attr + '="' + escapeAttr(attrs[attr]!) + '"';
    html += VOID_TAGS.has(tag) ? ">" : "></" + tag + ">";
  });
  // A function's text is the session's (Hub.pageTitle); the class name stands for it where no session is at hand.
  return { title: typeof title === "string" ? title : name, css: css ?? "", html, elements };
}

/** One `static head` element as its tag and safe attributes, or an error naming it and the fix. */
function headElement(node: unknown, where: string): [string, Record<string, string>] {
  const v = node as VNode | null;
  if (typeof v !== "object" || v === null || v.type !== "element") {
    throw new RenderError(`${where}: expected an element built with h("meta", …) or h("link", …), got ${v === null ? "null" : typeof v === "object" ? `a ${(v as VNode).type ?? "plain"} object` : typeof v}.`);
  }
  const tag = typeof v.tag === "string" ? v.tag.toLowerCase() : "";
  if (isUnsafeTag(v.tag) || !HEAD_TAGS.has(tag)) {
    throw new RenderError(
      `${where}: <${String(v.tag).slice(0, 40)}> cannot go in the page's <head>; static head holds <meta> and <link> elements. ` +
        `Use static title for the title and static css for styles; browser code goes in @client methods.`,
    );
  }
  if ((v.children ?? []).length > 0) throw new RenderError(`${where}: <${tag}> cannot have children.`);
  const attrs = lowerProps(tag, v.props ?? {}, (t, prop) => {
    throw new BindError(`${where}: <${t} ${prop}> is an event handler; the elements of static head are not bound to the app. Remove it.`);
  });
  // The page's own elements are found by id, and the head comes before them: a head element with one of their ids would be found instead.
  if (attrs.id !== undefined && /^rv-(boot|rc|root|css)$/i.test(attrs.id)) {
    throw new RenderError(`${where}: <${tag} id="${attrs.id}">: that id is Revue's own (the page's boot data, root, reconnecting flag or styles). Give the element another id, or none.`);
  }
  const safe: Record<string, string> = {};
  for (const attr in attrs) if (!isUnsafeAttr(attr, attrs[attr]!)) safe[attr] = attrs[attr]!;
  return [tag, safe];
}

/**
 * The server-rendered page: the app's HTML (ids included, so the runtime can
 * hydrate it), the boot data as an inert JSON block, and the runtime as the
 * only executable script, allowed by a per-response nonce. The same nonce is
 * on the app's `<style>` elements (and `static css`), so their CSS applies,
 * and on `#rv-root`, where the runtime reads it to give the `<style>`
 * elements it creates later (the browser hides the attribute's value once the
 * page is parsed; the element's `nonce` property keeps it).
 */
/**
 * The flag the runtime shows while the page's stream is down (`hidden` until
 * then), written here rather than built by the runtime, which it kept out of
 * the runtime's 6 KB. Before the app's root, like the boot block, so the
 * runtime's `getElementById` finds it first. Just enough style to be seen
 * (a `style` attribute, which the CSP allows); the look is the page's
 * (`.rv-reconnecting { … !important }`).
 */
export const RECONNECTING = `<div id="rv-rc" class="rv-reconnecting" role="status" data-rc="reconnecting…" data-gone="Disconnected. Reload the page." hidden style="position:fixed;bottom:8px;right:8px;padding:4px 10px;border-radius:4px;background:#ffc;color:#333">reconnecting…</div>`;
/** Keeps the flag hidden while it is, whatever the app's CSS says of a `div`'s `display` (`hidden` alone loses to `div { display: flex }`). */
const RECONNECTING_CSS = "#rv-rc[hidden]{display:none!important}";

export function renderPage(p: PageParts): Buffer {
  // `<` is escaped inside the JSON so no string in it can close the <script> block.
  const boot = JSON.stringify(p.boot).replace(/</g, "\\u003c");
  const { nonce } = p;
  // The boot block comes before the app's HTML: the runtime finds it by id, which finds the first element
  // with that id, and an element of the app given `id="rv-boot"` (from data) would name the module the page imports.
  const middle = `<script type="application/json" id="rv-boot">${boot}</script><style nonce="${nonce}">${RECONNECTING_CSS}</style>${RECONNECTING}<div id="rv-root" nonce="${nonce}">`;
  const after = `</div><script type="module" nonce="${nonce}" src="${escapeAttr(p.runtimeUrl)}"></script></body></html>`;
  // Bytes, not a string: the app's HTML was encoded once already, and a string body would be measured and encoded again on its way out.
  const head = headBytes(p.head), mid = Buffer.from(middle), tail = Buffer.from(after), mark = Buffer.from(nonce);
  let size = mid.length + p.html.length + tail.length + (head.length - 1) * mark.length;
  for (const part of head) size += part.length;
  const out = Buffer.allocUnsafe(size);
  let at = 0;
  for (let i = 0; i < head.length; i++) {
    if (i > 0) at += mark.copy(out, at);
    at += head[i]!.copy(out, at);
  }
  at += mid.copy(out, at);
  at += p.html.copy(out, at);
  tail.copy(out, at);
  return out;
}

/**
 * The page up to `<body>` in UTF-8, cut where the page's nonce goes (on the
 * `<style>` of `static css`, if any): the same for every page of an app, so
 * encoded once per {@link PageHead}, not per page (the examples' 16 KB theme,
 * encoded per page, was 4.5 % of a chat page's server CPU).
 */
const headParts = new WeakMap<PageHead, Buffer[]>();

function headBytes(head: PageHead): Buffer[] {
  let parts = headParts.get(head);
  if (parts === undefined) {
    const start =
      `<!doctype html><html lang="en"><head><meta charset="utf-8">` +
      `<meta name="viewport" content="width=device-width, initial-scale=1">` +
      `<title>${escapeText(head.title)}</title>${head.html}`;
    // Live navigation swaps the CSS's text for the next app's (or makes the element, with the page's nonce).
    const cut = head.css ? [`${start}<style id="rv-css" nonce="`, `">${head.css.replace(/<\/style/gi, "<\\/style")}</style></head><body>`] : [`${start}</head><body>`];
    parts = cut.map((s) => Buffer.from(s));
    headParts.set(head, parts);
  }
  return parts;
}

/**
 * CSP directives by name; a value replaces the default's, `false` or `null`
 * removes the directive. See {@link ServerOptions.csp}.
 */
export type CspDirectives = Readonly<Record<string, string | false | null | undefined>>;

/** The `csp` option: directives merged over the defaults, or a function of the page's nonce that returns them. */
export type CspOption = CspDirectives | ((nonce: string) => CspDirectives);

/**
 * The default policy. Only scripts carrying this response's nonce run, and
 * what they load (`strict-dynamic`): the runtime and the generated client
 * module. No inline handlers, no eval. Styles: the app's stylesheets from its
 * own origin and `<style>` elements carrying the nonce (the server and the
 * runtime put it on every one they write), and `style` attributes
 * (`style-src-attr 'unsafe-inline'`: an attribute holds declarations only,
 * it cannot load a script, and what it could load is bounded by `img-src`
 * and `font-src`).
 */
function defaults(nonce: string): Record<string, string> {
  return {
    "default-src": "'self'",
    "script-src": `'nonce-${nonce}' 'strict-dynamic'`,
    "style-src": `'self' 'nonce-${nonce}'`,
    "style-src-attr": "'unsafe-inline'",
    "img-src": "'self' data: blob:",
    "object-src": "'none'",
    "base-uri": "'none'",
    "frame-ancestors": "'self'",
    "form-action": "'self'",
  };
}

const DIRECTIVE = /^[a-z][a-z-]*$/;
/** A directive's value: printable ASCII without `;` (which would start another directive) or `,` (another policy). */
const VALUE = /^[\x20-\x2b\x2d-\x3a\x3c-\x7e]*$/;

/**
 * The Content-Security-Policy of a page with this nonce: the defaults (see
 * above), with `csp`'s directives merged over them.
 *
 * @example
 * contentSecurityPolicy(nonce)
 * // "default-src 'self'; script-src 'nonce-…' 'strict-dynamic'; style-src 'self' 'nonce-…'; style-src-attr 'unsafe-inline'; …"
 * contentSecurityPolicy(nonce, { "img-src": "'self' https://images.example", "frame-ancestors": "'none'" })
 */
export function contentSecurityPolicy(nonce: string, csp?: CspOption): string {
  const merged = defaults(nonce);
  const extra = typeof csp === "function" ? csp(nonce) : csp;
  if (extra !== undefined && (typeof extra !== "object" || extra === null || Array.isArray(extra))) {
    throw new RevueError("BAD_REQUEST", `csp: expected an object of directives such as { "img-src": "'self' https://cdn.example" }, or a function of the nonce returning one; got ${Array.isArray(extra) ? "an array" : typeof extra}.`);
  }
  for (const name in extra) {
    const value = extra[name];
    if (!DIRECTIVE.test(name)) throw new RevueError("BAD_REQUEST", `csp: ${JSON.stringify(name)} is not a directive name (lowercase letters and "-", e.g. "img-src").`);
    if (value === false || value === null || value === undefined) delete merged[name];
    else if (typeof value !== "string" || !VALUE.test(value)) {
      throw new RevueError("BAD_REQUEST", `csp: the value of ${name} must be a string of sources without ";" or "," (e.g. "'self' https://cdn.example"), or false to remove it; got ${JSON.stringify(value)}.`);
    } else merged[name] = value.trim();
  }
  // The runtime is the page's only script: without the nonce the page would be dead.
  if (!(merged["script-src"] ?? "").includes(`'nonce-${nonce}'`)) {
    throw new RevueError(
      "BAD_REQUEST",
      `csp: script-src must keep the page's nonce ('nonce-${nonce}'), or the runtime cannot run. ` +
        `Use the function form to extend it: csp: (nonce) => ({ "script-src": \`'nonce-\${nonce}' 'strict-dynamic' https://cdn.example\` }).`,
    );
  }
  let out = "";
  for (const name in merged) out += (out ? "; " : "") + (merged[name] ? `${name} ${merged[name]}` : name);
  return out;
}

/**
 * Checks a `csp` option once, when the server is created (with a sample
 * nonce), and returns the function that writes each page's header.
 */
export function cspHeader(csp: CspOption | undefined): (nonce: string) => string {
  contentSecurityPolicy("c2FtcGxlLW5vbmNlLTEyMw==", csp);
  return (nonce) => contentSecurityPolicy(nonce, csp);
}
