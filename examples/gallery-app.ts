import { readFileSync } from "node:fs";
import type Koa from "koa";
import { App, h } from "revue";
import { theme } from "revue/ui";
import { Account } from "./account/app.js";
import { Chat } from "./chat/app.js";
import { Counter } from "./counter/app.js";
import { Dashboard } from "./dashboard/app.js";
import { Explore } from "./explore/app.js";
import { ShopItem, ShopList, ShopOrders, ShopSignIn } from "./shop/app.js";
import { inGallery } from "./nav.js";
import { Todo } from "./todo/app.js";
import { Upload } from "./upload/app.js";

/** Every example, mounted under its own path (`npm start` serves them with the index: examples/gallery.ts). */
export const examples = { "/counter": Counter, "/chat": Chat, "/todo": Todo, "/upload": Upload, "/dashboard": Dashboard, "/explore": Explore, "/shop": ShopList, "/account": Account } as const;

/** What the index says of each example: what it is, and the parts of Revue it shows. */
const ABOUT: Record<keyof typeof examples, { title: string; text: string; shows: string[] }> = {
  "/counter": { title: "Counter", text: "The smallest app: a button that counts, and a reset that awaits the server.", shows: ["@server.realtime", "@server.rpc", "@client.callback"] },
  "/chat": { title: "Chat", text: "Rooms, who is online, and a toast when someone joins; times in your own time zone.", shows: ["rooms", "presence", "reverse RPC"] },
  "/todo": { title: "Todo", text: "A team's backlog of a thousand items: search it, show all, active or done, edit inline, tick and reorder, and no row loses its identity.", shows: ["keyed diff", "handler args", "memo"] },
  "/upload": { title: "Upload", text: "Send files with a progress bar; images and text files are previewed, failures explained.", shows: ["fileUpload", "UploadedFile", "image"] },
  "/dashboard": { title: "Dashboard", text: "Live metrics of this server, pushed every second and drawn as SVG charts on the server.", shows: ["@server.on(\"start\")", "lineChart", "patches"] },
  "/explore": { title: "Explore a CSV", text: "Two years of daily bike rentals, or your own CSV: a summary, charts of the columns you pick, and a sortable table read a page at a time.", shows: ["@cached", "charts", "markdown", "dataframe"] },
  "/shop": { title: "Shop", text: "A catalogue over four routes with no page load between them: a list whose filters live in its address, a page per product, a sign-in that sets a cookie, and members' orders.", shows: ["@url", "navigate", "/shop/:id", "setCookie"] },
  "/account": { title: "Account", text: "Sign in and out with a signed cookie; members add notes, and only the admin may clear them.", shows: ["authenticate", "this.user", "auth: \"admin\""] },
};

for (const cls of [...Object.values(examples), ShopItem, ShopSignIn, ShopOrders]) inGallery.add(cls);

/** Each example's thumbnail (examples/screenshots, made by `npm run shots`), by example path; read once, served by {@link screenshots}. */
const shots = new Map<string, Buffer>();
for (const path of Object.keys(examples)) {
  try {
    shots.set(path.slice(1), readFileSync(new URL(`./screenshots${path}.jpg`, import.meta.url)));
  } catch {
    // Not made yet: the card has no picture.
  }
}

/**
 * Serves the thumbnails at `/screenshots/<example>.jpg` (only those): add it
 * to the gallery's server after Revue's middleware, `srv.koa.use(screenshots)`.
 */
export const screenshots: Koa.Middleware = async (ctx, next) => {
  const name = /^\/screenshots\/([\w-]+)\.jpg$/.exec(ctx.path)?.[1];
  const jpg = name !== undefined && ctx.method === "GET" ? shots.get(name) : undefined;
  if (!jpg) return next();
  ctx.type = "image/jpeg";
  ctx.set("Cache-Control", "public, max-age=3600");
  ctx.body = jpg;
};

/** The index page: a card per example. */
export class Gallery extends App {
  static override title = "Revue examples";
  static override css =
    theme +
    ".cards{list-style:none;padding:0;display:grid;grid-template-columns:repeat(auto-fill,minmax(16rem,1fr));gap:var(--rv-space)}" +
    ".card{border:1px solid var(--rv-border);border-radius:var(--rv-radius);padding:1rem;background:var(--rv-surface);display:flex;flex-direction:column;gap:.5rem}" +
    ".card img{display:block;width:100%;height:auto;aspect-ratio:8/5;border:1px solid var(--rv-border);border-radius:4px;background:var(--rv-bg)}" +
    ".card h2{margin:0;font-size:1.15rem}.card p{margin:0}.tags{display:flex;gap:.3rem;flex-wrap:wrap;margin-top:auto}" +
    ".tags code{font-size:.8rem}";
  override render() {
    return h("main", {},
      h("h1", {}, "Revue examples"),
      h("p", { class: "rv-muted" }, "Each is one class: its fields are a page's state, its decorated methods the ways in and out. Open one in two windows to see them share a server."),
      h("ul", { class: "cards" },
        Object.entries(ABOUT).map(([path, about]) =>
          h("li", { key: path, class: "card" },
            shots.has(path.slice(1)) ? h("img", { src: `/screenshots${path}.jpg`, alt: `${about.title}: a screenshot`, width: 480, height: 300, loading: "lazy" }) : null,
            h("h2", {}, h("a", { href: path }, about.title)),
            h("p", {}, about.text),
            h("div", { class: "tags" }, about.shows.map((s) => h("code", { key: s }, s)))))));
  }
}

/** Every route the gallery serves: the index, the examples, and their pages with params. */
export const routes = { "/": Gallery, ...examples, "/shop/signin": ShopSignIn, "/shop/orders": ShopOrders, "/shop/:id": ShopItem };
