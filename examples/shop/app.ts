import { App, h, RevueError, server, url } from "revue";
import { alert, button, form, formState, metric, textInput, theme } from "revue/ui";
import { PASSWORD, type Member } from "../account/app.js";
import { backLink } from "../nav.js";

/** One product of the catalogue. */
export interface Product {
  id: string;
  name: string;
  kind: "tea" | "coffee" | "cocoa";
  price: number;
  stock: number;
  blurb: string;
}

const KINDS = ["tea", "coffee", "cocoa"] as const;
const SORTS = { name: "Name", price: "Price", stock: "In stock" } as const;
type Sort = keyof typeof SORTS;

/** The catalogue: 24 products made from a few words, the same on every start. */
export const PRODUCTS: Product[] = Array.from({ length: 24 }, (_, i) => {
  const kind = KINDS[i % 3]!;
  const origin = ["Assam", "Yunnan", "Sidamo", "Huila", "Kerala", "Ghana", "Darjeeling", "Java"][i % 8]!;
  const style = ["Morning", "Smoky", "Bright", "Dark", "Velvet", "Wild", "Old-growth", "Spiced"][(i * 5) % 8]!;
  return {
    id: `p${101 + i}`,
    name: `${style} ${origin} ${kind}`,
    kind,
    price: Math.round((6 + ((i * 37) % 19) + (kind === "coffee" ? 4 : 0)) * 100) / 100,
    stock: (i * 13) % 40,
    blurb: `A ${style.toLowerCase()} ${kind} from ${origin}, packed in 250 g tins.`,
  };
});

const css =
  theme +
  ".bar{display:flex;justify-content:space-between;align-items:baseline;gap:.5rem;flex-wrap:wrap}.bar nav{display:flex;gap:.8rem}" +
  ".orders{padding-left:1.2rem}.orders li{margin:.2rem 0}" +
  ":root{--rv-width:56rem}.filters{display:flex;gap:.4rem;flex-wrap:wrap;margin:0 0 var(--rv-space)}.filters a{padding:.3em .8em;border:1px solid var(--rv-border);border-radius:1em;text-decoration:none}" +
  ".filters a[aria-current=page]{background:var(--rv-accent);border-color:var(--rv-accent);color:var(--rv-accent-fg)}" +
  ".products{list-style:none;padding:0;display:grid;grid-template-columns:repeat(auto-fill,minmax(min(100%,15rem),1fr));gap:var(--rv-space)}" +
  ".products li{border:1px solid var(--rv-border);border-radius:var(--rv-radius);padding:.8rem 1rem;background:var(--rv-surface)}.products p{margin:.2rem 0 0}";

/** A link to the list with these filters (the list's @url fields make the same address when it changes them itself). */
function listHref(kind: string, sort: Sort, q: string): string {
  const params = new URLSearchParams();
  if (kind) params.set("kind", kind);
  if (sort !== "name") params.set("sort", sort);
  if (q) params.set("q", q);
  const s = params.toString();
  return `/shop${s ? `?${s}` : ""}`;
}

/** Orders by member name, shared by the process (a real shop keeps them in a database). */
const orders = new Map<string, Array<{ n: number; id: string; at: number }>>();

/** The shop's header: the cart of a signed-in member, or a way to sign in that comes back here. */
function header(app: App, here: string) {
  const me = app.user as Member | undefined;
  return h("div", { class: "bar" },
    h("h1", {}, "Shop"),
    h("nav", { "aria-label": "Account" },
      me
        ? h("a", { href: "/shop/orders", navigate: true, id: "orders-link" }, `${me.name}'s orders (${orders.get(me.name)?.length ?? 0})`)
        : h("a", { href: `/shop/signin?next=${encodeURIComponent(here)}`, navigate: true, id: "signin-link" }, "Sign in")));
}

/**
 * The catalogue, over four routes served live (links marked `navigate`: no
 * page loads between them, Back and Forward included):
 * - `/shop` lists products; its filters are `@url` fields, so the address
 *   always says what the list shows (`/shop?kind=tea&sort=price&q=smoky`):
 *   reload it, share it, go Back, and the same list comes back;
 * - `/shop/:id` shows one product (`this.params.id`), and buys it for a
 *   signed-in member (anyone else is sent to sign in, and back);
 * - `/shop/signin` signs in with a form: its rpc sets a signed cookie
 *   (`this.setCookie`) and sends the page back where it came from (`this.redirect`);
 * - `/shop/orders` is for members only (`static auth = true`).
 */
export class ShopList extends App<ShopList> {
  static override title = "Revue · shop";
  static override css = css;

  // The address is input: a kind or sort not among the choices leaves the field as it starts.
  @url({ choices: ["", ...KINDS] }) kind = "";
  @url({ choices: Object.keys(SORTS) }) sort: Sort = "name";
  @url q = "";

  override render() {
    const { kind, sort } = this;
    const words = this.q.trim().toLowerCase();
    const shown = PRODUCTS.filter((p) => (!kind || p.kind === kind) && (!words || p.name.toLowerCase().includes(words)))
      .sort((a, b) => (sort === "name" ? a.name.localeCompare(b.name) : sort === "price" ? a.price - b.price : b.stock - a.stock));
    return h("main", {},
      backLink(this),
      header(this, listHref(kind, sort, this.q)),
      textInput(this, "q", { label: "Search", type: "search", placeholder: "smoky, Java, cocoa…", debounce: 200, id: "q" }),
      h("nav", { class: "filters", "aria-label": "Kind" },
        ["", ...KINDS].map((k) => h("a", { key: k || "all", href: listHref(k, sort, this.q), navigate: true, "aria-current": k === kind ? "page" : undefined }, k || "all"))),
      h("nav", { class: "filters", "aria-label": "Sort" },
        (Object.keys(SORTS) as Sort[]).map((s) => h("a", { key: s, href: listHref(kind, s, this.q), navigate: true, "aria-current": s === sort ? "page" : undefined }, `by ${SORTS[s].toLowerCase()}`))),
      h("p", { id: "count", class: "rv-muted", role: "status" }, `${shown.length} products`),
      h("ul", { class: "products", id: "products" },
        shown.map((p) =>
          h("li", { key: p.id },
            h("a", { href: `/shop/${p.id}`, navigate: true }, h("b", {}, p.name)),
            h("p", {}, `€${p.price.toFixed(2)} · ${p.stock ? `${p.stock} in stock` : "sold out"}`)))));
  }
}

/** One product, at `/shop/:id`. */
export class ShopItem extends App<ShopItem, {}, "/shop/:id"> {
  static override title = "Revue · product";
  static override css = css;

  bought = "";

  /** A new product on this page (a link to the next one, Back): what was said about the last one goes. */
  @server.on("params") moved() {
    this.bought = "";
  }

  @server.realtime buy() {
    const p = PRODUCTS.find((x) => x.id === this.params.id);
    const me = this.user as Member | undefined;
    if (!p || p.stock === 0) return;
    // Not signed in: to the sign-in page, which comes back here.
    if (!me) return this.navigate(`/shop/signin?next=${encodeURIComponent(`/shop/${p.id}`)}`);
    const mine = orders.get(me.name) ?? [];
    orders.set(me.name, [...mine, { n: mine.length + 1, id: p.id, at: Date.now() }].slice(-50));
    this.bought = `${p.name} is in your orders.`;
  }

  override render() {
    const at = PRODUCTS.findIndex((x) => x.id === this.params.id);
    const p = PRODUCTS[at];
    const next = PRODUCTS[(at + 1) % PRODUCTS.length]!;
    return h("main", {},
      h("nav", { class: "back" }, h("a", { href: "/shop", navigate: true, id: "back" }, "← All products")),
      header(this, `/shop/${this.params.id}`),
      p
        ? h("article", {},
            h("h2", { id: "product" }, p.name),
            h("p", {}, p.blurb),
            h("div", { class: "rv-metrics" }, metric("Price", `€${p.price.toFixed(2)}`), metric("In stock", p.stock)),
            p.stock === 0 ? alert("Sold out: back in a few days.", { kind: "warning" }) : button("Buy", this.buy, { variant: "primary", id: "buy" }),
            this.bought ? alert(this.bought, { kind: "success" }) : null,
            h("p", {}, h("a", { href: `/shop/${next.id}`, navigate: true, id: "next" }, `Next: ${next.name} →`)))
        : h("article", {}, h("h2", {}, "Not found"), alert(`There is no product ${this.params.id}.`, { kind: "error" })));
  }
}

/** Where a sign-in goes back to: a page of the shop, else the list (the address is input: never another site). */
function nextOf(query: Readonly<Record<string, string>>): string {
  const next = query.next ?? "";
  return /^\/shop(\/[\w-]+)?(\?[\w=&%.+-]*)?$/.test(next) ? next : "/shop";
}

/** `/shop/signin`: a form whose rpc sets the signed cookie and sends the page on. */
export class ShopSignIn extends App<ShopSignIn> {
  static override title = "Revue · sign in";
  static override css = css;

  signin = formState({ name: "", password: "" });

  @server.rpc signIn(v: { name: string; password: string }) {
    const name = v.name.trim();
    if (!/^[\p{L}\p{N} ._-]{1,30}$/u.test(name) || v.password !== PASSWORD) {
      throw new RevueError("INVALID_ARGS", "That name or password is not right.", { issues: [{ path: [0, "password"], message: "That name or password is not right." }] });
    }
    this.setCookie("member", name, { maxAge: 7 * 24 * 3600 * 1000 });
    this.redirect(nextOf(this.query));
  }

  override render() {
    return h("main", {},
      h("nav", { class: "back" }, h("a", { href: nextOf(this.query), navigate: true, id: "back" }, "← Back to the shop")),
      h("h1", {}, "Sign in"),
      h("p", { class: "rv-muted" }, "Any name, and the password “revue”."),
      form(this, "signin", this.signIn, (f) => [
        f.text("name", { label: "Name", required: true }),
        f.text("password", { label: "Password", type: "password", required: true }),
      ], { submit: "Sign in", id: "signin" }));
  }
}

/** `/shop/orders`: a member's orders (`static auth = true`: nobody else gets this page). */
export class ShopOrders extends App<ShopOrders> {
  static override title = "Revue · your orders";
  static override css = css;
  static override auth = true as const;

  @server.realtime signOut() {
    this.clearCookie("member");
    this.navigate("/shop");
  }

  override render() {
    const me = this.user as Member;
    const mine = orders.get(me.name) ?? [];
    return h("main", {},
      h("nav", { class: "back" }, h("a", { href: "/shop", navigate: true, id: "back" }, "← All products")),
      h("div", { class: "bar" }, h("h1", {}, `${me.name}'s orders`), button("Sign out", this.signOut, { id: "signout" })),
      mine.length
        ? h("ol", { class: "orders", id: "order-list" },
            mine.map((o) => {
              const p = PRODUCTS.find((x) => x.id === o.id)!;
              return h("li", { key: String(o.n) }, h("a", { href: `/shop/${p.id}`, navigate: true }, p.name), ` · €${p.price.toFixed(2)}`);
            }))
        : h("p", { id: "order-list" }, "No orders yet."));
  }
}
