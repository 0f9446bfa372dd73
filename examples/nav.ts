import { h, type App, type VNode } from "revue";

/** The examples the gallery (`npm start`) serves: they show a link back to its index. */
export const inGallery = new Set<Function>();

/** "← All examples", when this app is served by the gallery; nothing when it runs alone (`revue dev examples/chat`). */
export function backLink(app: App): VNode | null {
  return inGallery.has(app.constructor) ? h("nav", { class: "back" }, h("a", { href: "/" }, "← All examples")) : null;
}
