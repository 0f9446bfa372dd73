import { App, client, h, handler, memo, server, url, type EventSummary } from "revue";
import { button, textInput, theme } from "revue/ui";
import { backLink } from "../nav.js";

interface Item {
  id: number;
  title: string;
  done: boolean;
}


const SEED = 1000;

/** What a team's backlog says, in turn; each item also carries its number, so titles are unique. */
const TASKS = [
  "Fix the checkout button on Safari",
  "Review the pricing page copy",
  "Write the release notes for 2.4",
  "Update the onboarding emails",
  "Answer the accessibility audit",
  "Rotate the staging database password",
  "Book a venue for the team offsite",
  "Renew the TLS certificate",
  "Move the cron jobs to the queue",
  "Add dark mode to the settings page",
  "Profile the search endpoint",
  "Translate the help center into German",
  "Archive last year's invoices",
  "Call the accountant about Q3",
  "Order laptops for the new interns",
  "Remove unused feature flags",
  "Document the deploy checklist",
  "Test the iOS app on the beta",
  "Plan the customer webinar",
  "Prepare the board meeting slides",
];

/** The title of seed item `n` (from 1): "Renew the TLS certificate (#1008)". */
export function seedTitle(n: number): string {
  return `${TASKS[(n - 1) % TASKS.length]} (#${1000 + n})`;
}

/** Which items the list shows, by state. */
type Show = "all" | "active" | "done";

/**
 * A team's backlog of 1,000 items: reorder (one up, reverse all), search,
 * show all / active / done, add, toggle and inline edit. Each row is keyed by its item id, so a reorder is a
 * handful of `move` ops (the fewest, by LIS) and every row keeps its DOM node
 * and `data-rv` id; nothing below a row is re-rendered when only the order
 * changes.
 *
 * Each row's controls pass the item id to their method as a binding arg
 * (`handler(this.toggle, { args: [it.id] })`): the method gets `(id, summary)`.
 *
 * Rows are a `memo()` component given the item's fields (not the item, which
 * the handlers change in place): a toggle or an edit re-renders one row, and
 * the diff skips the other 999 without walking them.
 */
export class Todo extends App {
  static override title = "Revue · todo";
  static override css =
    theme +
    ":root{--rv-width:44rem}#add,.tools{display:flex;gap:.5rem;margin:0 0 var(--rv-space);align-items:center;flex-wrap:wrap}.tools .rv-field{margin:0;flex:1 1 12rem}.tools .rv-field label{position:absolute;width:1px;height:1px;overflow:hidden;clip:rect(0,0,0,0)}" +
    "#add input,#filter{flex:1 1 12rem;width:auto!important}#count{color:var(--rv-muted);white-space:nowrap}" +
    "#list{list-style:none;padding:0;border:1px solid var(--rv-border);border-radius:var(--rv-radius)}" +
    "#list li{display:flex;gap:.6rem;align-items:center;padding:.35rem .7rem;border-bottom:1px solid var(--rv-border)}#list li:last-child{border-bottom:0}" +
    "#list li.is-done .title{text-decoration:line-through;color:var(--rv-muted)}.title{flex:1;min-width:0}.edit-form{flex:1;display:flex}.edit-input{flex:1}" +
    "#list button{min-height:2rem;padding:.15rem .6rem;font-size:.85rem}#left{color:var(--rv-muted)}";

  // Every fifth item of the seed is done already, as in a backlog people work through.
  items: Item[] = Array.from({ length: SEED }, (_, i) => ({ id: i + 1, title: seedTitle(i + 1), done: (i + 1) % 5 === 0 }));
  nextId = SEED + 1;
  // In the address (`/todo?show=active&q=deploy`): a reload or a shared link shows the same list.
  @url({ param: "q" }) search = "";
  @url({ choices: ["all", "active", "done"] }) show: Show = "all";
  editing: number | undefined;

  /** The All / Active / Done tabs. */
  @server.realtime showOnly(which: Show) {
    if (which === "all" || which === "active" || which === "done") this.show = which;
  }

  @server.realtime reverse() {
    this.items.reverse();
  }

  /** `form#add`: a new item at the top. */
  @server.realtime add(ev: EventSummary) {
    const title = String(ev.form?.title ?? "").trim().slice(0, 200);
    if (title) this.items.unshift({ id: this.nextId++, title, done: false });
  }

  @server.realtime toggle(id: number) {
    const item = this.find(id);
    if (item) item.done = !item.done;
  }

  /** `button.up`: swaps the item with the one above it (in the whole list, not just the shown part). */
  @server.realtime up(id: number) {
    const item = this.find(id);
    const i = item ? this.items.indexOf(item) : -1;
    if (i > 0) [this.items[i - 1], this.items[i]] = [this.items[i]!, this.items[i - 1]!];
  }

  /** `button.edit`: the row's title becomes a form; a second click cancels. */
  @server.realtime edit(id: number) {
    const item = this.find(id);
    this.editing = item && item.id !== this.editing ? item.id : undefined;
  }

  /** `form.edit-form`: Enter saves the new title (an empty one keeps the old). */
  @server.realtime save(ev: EventSummary) {
    const item = this.items.find((it) => it.id === this.editing);
    const title = String(ev.form?.title ?? "").trim().slice(0, 200);
    if (item && title) item.title = title;
    this.editing = undefined;
  }

  /** Runs in the browser: empties `form#add` once it was sent, and focuses a title being edited. */
  @client.on("ready") ready() {
    document.addEventListener("submit", (ev) => {
      const form = ev.target as HTMLFormElement;
      if (form.id === "add") setTimeout(() => form.reset(), 0);
    });
    new MutationObserver(() => {
      const input = document.querySelector(".edit-input") as HTMLInputElement | null;
      if (input && document.activeElement !== input && !input.dataset.focused) {
        input.dataset.focused = "1";
        input.focus();
        input.select();
      }
    }).observe(document.body, { childList: true, subtree: true });
  }

  private find(id: unknown): Item | undefined {
    return this.items.find((it) => it.id === id);
  }

  override render() {
    const q = this.search.trim().toLowerCase();
    const show = this.show;
    const shown = q || show !== "all" ? this.items.filter((it) => (show === "all" || it.done === (show === "done")) && (!q || it.title.toLowerCase().includes(q))) : this.items;
    const left = this.items.reduce((n, it) => (it.done ? n : n + 1), 0);
    return h("main", {},
      backLink(this),
      h("h1", {}, "Todo"),
      h("form", { id: "add", onSubmit: this.add },
        h("input", { name: "title", placeholder: "new item", "aria-label": "new item", autocomplete: "off" }),
        h("button", { type: "submit" }, "Add")),
      h("div", { class: "tools" },
        // revue/ui's text input, bound to `search` (debounced 100 ms in the page; at most 200 characters).
        textInput(this, "search", { label: "Filter", id: "filter", type: "search", placeholder: "filter", maxLength: 200, debounce: 100 }),
        button("Reverse", this.reverse, { id: "reverse" }),
        h("span", { id: "count" }, `${shown.length} items`)),
      h("p", { class: "tools", role: "group", "aria-label": "show" },
        (["all", "active", "done"] as const).map((which) =>
          h("button", { key: which, id: `show-${which}`, "aria-pressed": String(show === which), class: show === which ? "rv-primary" : undefined, onClick: handler(this.showOnly, { args: [which] }) }, which === "all" ? "All" : which === "active" ? "Active" : "Done")),
        h("span", { id: "left" }, `${left} left`)),
      h("ul", { id: "list" }, shown.map((it) => h(Row, { key: it.id, app: this, id: it.id, title: it.title, done: it.done, editing: this.editing === it.id }))));
  }
}

/** One row of the list: rebuilt only when one of its props changed since the session's last render. */
const Row = memo((p: { app: Todo; id: number; title: string; done: boolean; editing: boolean }) => {
  const args = [p.id] as const;
  return h("li", { class: p.done ? "is-done" : undefined },
    h("input", { type: "checkbox", class: "done", checked: p.done, onChange: handler(p.app.toggle, { args }) }),
    p.editing
      ? h("form", { class: "edit-form", onSubmit: p.app.save }, h("input", { class: "edit-input", name: "title", value: p.title }))
      : h("span", { class: "title" }, p.title),
    h("button", { class: "edit", onClick: handler(p.app.edit, { args }) }, p.editing ? "cancel" : "edit"),
    h("button", { class: "up", onClick: handler(p.app.up, { args }), title: "move up" }, "↑"));
});
