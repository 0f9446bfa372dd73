import { createApplier } from "./apply.js";
import { createRuntime, type Boot, type Runtime } from "./runtime.js";
import { browserTransport } from "./transport.js";

/**
 * The browser entry (bundled by src/server/runtime-bundle.ts): reads the boot
 * block the server rendered, hydrates `#rv-root` and exposes `window.rv`.
 *
 * @example
 * // in the page, after the runtime script:
 * await rv.ready;
 * rv.on("message", (m) => console.log(m));
 * rv.emit("typing", { who: "ann" });
 */

declare global {
  interface Window {
    rv: Runtime;
  }
}

// Types only: the bundle is a page script, nothing imports its values.
export type { Runtime, Boot, RuntimeOptions } from "./runtime.js";
export type { Transport, ClientModule } from "./transport.js";

const doc = typeof document === "object" ? document : undefined;
const bootEl = doc?.getElementById("rv-boot");
const root = doc?.getElementById("rv-root");
// Without the boot block this is an import for types or tests, not a page load.
if (bootEl && root) {
  const boot = JSON.parse(bootEl.textContent || "{}") as Boot;
  window.rv = createRuntime({ root, boot, transport: browserTransport(), applier: createApplier });
}
