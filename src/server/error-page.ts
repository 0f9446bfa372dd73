/**
 * The HTML a browser gets when a page cannot be shown: unknown path (404),
 * sign-in required (401), no access (403). Plain and self-contained: one
 * inline style under the page's CSP nonce, no script, the reason in words and
 * a way on.
 *
 * @example
 * ctx.body = errorPage(404, "Page not found", "Nothing lives at /nope.", nonce, { href: "/", text: "Home" });
 */
export function errorPage(status: number, title: string, text: string, nonce: string, link?: { href: string; text: string }): string {
  const style =
    "body{margin:0;font:16px/1.5 system-ui,sans-serif;background:#fff;color:#1f2328}" +
    "main{max-width:36rem;margin:12vh auto;padding:0 1rem}h1{font-size:1.6rem;margin:0 0 .5rem}p{color:#59636e}" +
    "a{color:#0b5cd5}@media (prefers-color-scheme:dark){body{background:#0f1216;color:#e6edf3}p{color:#9ba6b2}a{color:#4d9bff}}";
  return (
    `<!doctype html><html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width,initial-scale=1">` +
    `<title>${status} · ${escape(title)}</title><style nonce="${nonce}">${style}</style></head>` +
    `<body><main><h1>${escape(title)}</h1><p>${escape(text)}</p>${link ? `<p><a href="${escape(link.href)}">${escape(link.text)}</a></p>` : ""}</main></body></html>`
  );
}

function escape(s: string): string {
  return s.replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);
}
