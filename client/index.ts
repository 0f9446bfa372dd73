import { createApplier } from "./apply.js";
import { createRuntime, type Boot, type Runtime } from "./runtime.js";
import { browserTransport } from "./transport.js";

/**
 * The browser entry (bundled by src/server/runtime-bundle.ts): reads the boot
 * block the server rendered, hydrates `#rv-root` and exposes `window.rv`.
 *
 * Imported for its types (`revue/runtime`), it declares the global `rv` and
 * `window.rv` for `@client` code in a user's project:
 *
 * @example
 * // once in the project (or "types": ["revue/runtime"] in tsconfig.json):
 * import type {} from "revue/runtime";
 * // then, in any @client method:
 * await rv.ready;
 * rv.on("message", (m) => console.log(m));
 * rv.emit("typing", { who: "ann" });
 * const [handle] = await rv.upload(input.files!, { onProgress: (p) => console.log(p.loaded, p.total) });
 */

declare global {
  interface Window {
    /** The page runtime: event bus, connection state, `rpc`, `upload`. */
    rv: Runtime;
  }
  /** The page runtime (`window.rv`): event bus, connection state, `rpc`, `upload`. */
  var rv: Runtime;
}

// Types only: the bundle is a page script, nothing imports its values.
export type { Runtime, Boot, RuntimeOptions } from "./runtime.js";
export type { Transport, ClientModule, UploadHandle, UploadOptions, Uploadable } from "./transport.js";
export type { EventSummary, PresenceDiff, PresenceList, PresenceMeta } from "../src/protocol.js";

const doc = globalThis.document as Document | undefined;
const bootEl = doc?.getElementById("rv-boot");
const root = doc?.getElementById("rv-root");
// Without the boot block this is an import for types or tests, not a page load.
if (bootEl && root) {
  const boot = JSON.parse(bootEl.textContent || "{}") as Boot;
  window.rv = createRuntime({ root, boot, transport: browserTransport(), applier: createApplier });
  // An entry Revue made (client/nav.ts), after a reload: Back and Forward are followed from the start.
  // Without the chunk (the server down as the page loaded), Back and Forward to those entries load them.
  if (history.state) import("./nav.js").catch(() => addEventListener("popstate", () => location.reload()));
  // Links rendered with `navigate` go live (a plain click; with a modifier key the browser opens them as usual);
  // an SVG <a>'s `href` is an SVGAnimatedString, whose `baseVal` is the address.
  doc!.addEventListener("click", (e) => {
    let a: HTMLAnchorElement | null | undefined;
    try {
      a = (e.target as Element).closest?.("a[navigate]") as HTMLAnchorElement | null;
    } catch {} // a form with a field named `closest` (its form's property then): no link
    if (a && !e.defaultPrevented && !e.button && !e.metaKey && !e.ctrlKey && !e.shiftKey && !e.altKey) e.preventDefault(), window.rv.navigate((a.href as unknown as SVGAnimatedString).baseVal ?? a.href);
  });
}
