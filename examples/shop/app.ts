import { App, h } from "revue";
import { alert, metric, theme } from "revue/ui";
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
  ":root{--rv-width:56rem}.filters{display:flex;gap:.4rem;flex-wrap:wrap;margin:0 0 var(--rv-space)}.filters a{padding:.3em .8em;border:1px solid var(--rv-border);border-radius:1em;text-decoration:none}" +
  ".filters a[aria-current=page]{background:var(--rv-accent);border-color:var(--rv-accent);color:var(--rv-accent-fg)}" +
  ".products{list-style:none;padding:0;display:grid;grid-template-columns:repeat(auto-fill,minmax(min(100%,15rem),1fr));gap:var(--rv-space)}" +
  ".products li{border:1px solid var(--rv-border);border-radius:var(--rv-radius);padding:.8rem 1rem;background:var(--rv-surface)}.products p{margin:.2rem 0 0}";

/** A link to the list with these filters (the state lives in the address: reload, share and back all show the same view). */
function listHref(kind: string, sort: Sort): string {
  const q = new URLSearchParams();
  if (kind) q.set("kind", kind);
  if (sort !== "name") q.set("sort", sort);
  const s = q.toString();
  return `/shop${s ? `?${s}` : ""}`;
}

/** What the list's query says, checked: an unknown kind or sort is ignored (the address bar is input). */
function filtersOf(query: Readonly<Record<string, string>>): { kind: string; sort: Sort } {
  const kind = KINDS.includes(query.kind as never) ? query.kind! : "";
  const sort = (query.sort ?? "") in SORTS ? (query.sort as Sort) : "name";
  return { kind, sort };
}

/**
 * A catalogue over two routes: `/shop` lists products, filtered and sorted by
 * its query string (`/shop?kind=tea&sort=price`), and `/shop/:id` shows one
 * (`this.params.id`), with a way back to the same list. Plain links: every
 * view has its own address.
 */
export class ShopList extends App<ShopList> {
  static override title = "Revue · shop";
  static override css = css;

  override render() {
    const { kind, sort } = filtersOf(this.query);
    const shown = PRODUCTS.filter((p) => !kind || p.kind === kind).sort((a, b) => (sort === "name" ? a.name.localeCompare(b.name) : sort === "price" ? a.price - b.price : b.stock - a.stock));
    return h("main", {},
      backLink(this),
      h("h1", {}, "Shop"),
      h("nav", { class: "filters", "aria-label": "Kind" },
        ["", ...KINDS].map((k) => h("a", { key: k || "all", href: listHref(k, sort), "aria-current": k === kind ? "page" : undefined }, k || "all"))),
      h("nav", { class: "filters", "aria-label": "Sort" },
        (Object.keys(SORTS) as Sort[]).map((s) => h("a", { key: s, href: listHref(kind, s), "aria-current": s === sort ? "page" : undefined }, `by ${SORTS[s].toLowerCase()}`))),
      h("p", { id: "count", class: "rv-muted" }, `${shown.length} products`),
      h("ul", { class: "products", id: "products" },
        shown.map((p) =>
          h("li", { key: p.id },
            h("a", { href: `/shop/${p.id}?${new URLSearchParams({ back: listHref(kind, sort) })}` }, h("b", {}, p.name)),
            h("p", {}, `€${p.price.toFixed(2)} · ${p.stock ? `${p.stock} in stock` : "sold out"}`)))));
  }
}

/** One product, at `/shop/:id`. */
export class ShopItem extends App<ShopItem, {}, "/shop/:id"> {
  static override title = "Revue · product";
  static override css = css;

  override render() {
    const p = PRODUCTS.find((x) => x.id === this.params.id);
    // Back to the list as it was, when the link came from it (only a /shop address is followed).
    const back = /^\/shop(\?[\w=&%.-]*)?$/.test(this.query.back ?? "") ? this.query.back! : "/shop";
    return h("main", {},
      h("nav", { class: "back" }, h("a", { href: back, id: "back" }, "← All products")),
      p
        ? h("article", {},
            h("h1", {}, p.name),
            h("p", {}, p.blurb),
            h("div", { class: "rv-metrics" }, metric("Price", `€${p.price.toFixed(2)}`), metric("In stock", p.stock)),
            p.stock === 0 ? alert("Sold out: back in a few days.", { kind: "warning" }) : null)
        : h("article", {}, h("h1", {}, "Not found"), alert(`There is no product ${this.params.id}.`, { kind: "error" })));
  }
}
