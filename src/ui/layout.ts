import { UsageError } from "../errors.js";
import { bindField, UNCHANGED } from "../registry/fields.js";
import { h, type Child } from "../vdom/h.js";
import type { VNode } from "../vdom/types.js";
import type { FieldsOf } from "./controls.js";

/**
 * Layout: columns, tabs, an expander, a sidebar and a dialog. Those with
 * state (the open tab, whether the dialog shows) keep it in a field of the
 * app, bound with one call like the controls.
 */

/** Options of {@link columns}. */
export interface ColumnsOptions {
  /** Relative widths, one per column (`[2, 1]`: the first twice the second). Default: equal. */
  widths?: readonly number[];
  /** Below this width (CSS length) a column wraps under the others. Default "16rem". */
  min?: string;
  /** The gap between columns (CSS length). Default: the theme's spacing. */
  gap?: string;
}

const LENGTH = /^\d+(\.\d+)?(px|rem|em|%|ch|vw)$/;

/**
 * Side-by-side columns that stack on a narrow screen.
 *
 * @example
 * columns([metric("Users", 1204), metric("Revenue", "$9,310")], { widths: [1, 1] })
 */
export function columns(cells: readonly Child[], options: ColumnsOptions = {}): VNode {
  const { widths, min = "16rem", gap } = options;
  if (widths && (widths.length !== cells.length || widths.some((w) => !(typeof w === "number" && w > 0 && Number.isFinite(w))))) {
    throw new UsageError(`columns(cells, { widths }): give one positive number per cell (${cells.length} cells, got ${JSON.stringify(widths)}).`);
  }
  for (const [name, v] of [["min", min], ["gap", gap]] as const) {
    if (v !== undefined && !LENGTH.test(v)) throw new UsageError(`columns(cells, { ${name} }): ${JSON.stringify(v)} is not a CSS length like "16rem" or "24px".`);
  }
  const style = `--rv-col-min:${min}${gap ? `;--rv-col-gap:${gap}` : ""}`;
  return h("div", { class: "rv-columns", style },
    cells.map((c, i) => h("div", { key: String(i), class: "rv-column", style: widths ? `flex-grow:${widths[i]}` : undefined }, c)));
}

/** One tab of {@link tabs}: its label and its content, drawn only while the tab is open. */
export interface Tab {
  /** What the tab is known by in the field. Default: its label. */
  id?: string;
  label: string;
  content: () => Child;
}

/**
 * Tabs bound to a string field holding the open tab's id. Only the open
 * tab's content is rendered (and sent).
 *
 * @example
 * tab = "chart";
 * render() {
 *   return tabs(this, "tab", [
 *     { id: "chart", label: "Chart", content: () => lineChart(series) },
 *     { id: "data", label: "Data", content: () => dataframe(this, "view", rows) },
 *   ]);
 * }
 */
export function tabs<A extends object>(app: A, key: FieldsOf<A, string>, list: readonly Tab[], options: { label?: string } = {}): VNode {
  if (!Array.isArray(list) || list.length === 0) throw new UsageError(`tabs(this, "${key}", tabs): give at least one tab, e.g. [{ label: "Chart", content: () => chart }].`);
  const ids = list.map((t) => t.id ?? t.label);
  if (new Set(ids).size !== ids.length) throw new UsageError(`tabs(this, "${key}", tabs): two tabs share the id ${JSON.stringify(ids.find((x, i) => ids.indexOf(x) !== i))}; give each an id.`);
  const current = (app as Record<string, unknown>)[key];
  const open = ids.includes(current as string) ? (current as string) : ids[0]!;
  const base = `rv-${key}`;
  const pick = (_ev: unknown, _cur: unknown, id: unknown) => (typeof id === "string" && ids.includes(id) ? id : UNCHANGED) as never;
  const tab = list[ids.indexOf(open)]!;
  return h("div", { class: "rv-tabs" },
    h("div", { role: "tablist", "aria-label": options.label },
      list.map((t, i) =>
        h("button", {
          // Every tab in the Tab order, each opened with Enter or Space: arrow keys moving the focus need script of the
          // page's own, and with the closed tabs out of the order (tabindex -1) a keyboard could open none (new-user probe).
          key: ids[i]!, type: "button", role: "tab", id: `${base}-tab-${i}`, "aria-selected": ids[i] === open ? "true" : "false", "aria-controls": `${base}-panel`,
          onClick: bindField(app as Record<string, unknown>, key, pick, [ids[i]]),
        }, t.label))),
    h("div", { role: "tabpanel", id: `${base}-panel`, "aria-labelledby": `${base}-tab-${ids.indexOf(open)}`, tabindex: "0" }, tab.content()));
}

/**
 * A section that opens and closes in place (`<details>`): the browser keeps
 * it open or closed, no round trip.
 *
 * @example
 * expander("Advanced options", [numberInput(this, "retries", { label: "Retries" })])
 */
export function expander(summary: Child, content: Child, options: { open?: boolean } = {}): VNode {
  return h("details", { class: "rv-expander", open: options.open || undefined }, h("summary", {}, summary), h("div", { class: "rv-expander-body" }, content));
}

/**
 * A page with a sidebar: side by side on a wide screen, the sidebar above
 * the content on a phone.
 *
 * @example
 * render() { return sidebar([h("h2", {}, "Filters"), select(this, "kind", kinds)], h("main", {}, table)); }
 */
export function sidebar(side: Child, main: Child, options: { label?: string } = {}): VNode {
  return h("div", { class: "rv-with-sidebar" }, h("aside", { class: "rv-sidebar", "aria-label": options.label ?? "Sidebar" }, side), h("div", { class: "rv-main" }, main));
}

/**
 * A dialog bound to a boolean field: shown while the field is true, with a
 * close button that sets it false. Open it from one of the app's methods
 * (`this.confirming = true`).
 *
 * @example
 * confirming = false;
 * @server.realtime ask() { this.confirming = true; }
 * render() {
 *   return h("main", {}, button("Delete…", this.ask),
 *     dialog(this, "confirming", { title: "Delete this file?" }, [button("Delete", this.remove, { variant: "danger" })]));
 * }
 */
export function dialog<A extends object>(app: A, key: FieldsOf<A, boolean>, options: { title: string; closeLabel?: string }, content: Child): VNode | null {
  if (typeof options?.title !== "string" || !options.title) throw new UsageError(`dialog(this, "${key}", { title }): give the dialog a title; screen readers announce it.`);
  const close = bindField(app as Record<string, unknown>, key, () => false as never);
  if ((app as Record<string, unknown>)[key] !== true) return null;
  const id = `rv-${key}`;
  return h("div", { class: "rv-backdrop", key: id },
    h("div", { class: "rv-dialog", role: "dialog", "aria-modal": "true", "aria-labelledby": `${id}-title`, id },
      h("header", {}, h("h2", { id: `${id}-title` }, options.title), h("button", { type: "button", class: "rv-close", "aria-label": options.closeLabel ?? "Close", onClick: close }, "×")),
      h("div", { class: "rv-dialog-body" }, content)));
}

/** Styles of the layout pieces; part of `theme`. */
export const layoutCss = `
.rv-columns{display:flex;flex-wrap:wrap;gap:var(--rv-col-gap,var(--rv-space));margin:0 0 var(--rv-space)}
.rv-column{flex:1 1 var(--rv-col-min,16rem);min-width:min(100%,var(--rv-col-min,16rem))}
.rv-tabs{margin:0 0 var(--rv-space)}
.rv-tabs [role=tablist]{display:flex;gap:.2em;border-bottom:1px solid var(--rv-border);overflow-x:auto;margin:0 0 var(--rv-space)}
.rv-tabs [role=tab]{border:0;border-bottom:3px solid transparent;border-radius:0;background:none;min-height:2.5rem;color:var(--rv-muted)}
.rv-tabs [role=tab][aria-selected=true]{border-bottom-color:var(--rv-accent);color:var(--rv-fg)}
.rv-expander{border:1px solid var(--rv-border);border-radius:var(--rv-radius);margin:0 0 var(--rv-space)}
.rv-expander summary{cursor:pointer;padding:.6em 1em;font-weight:500}.rv-expander-body{padding:0 1em 1em}
.rv-with-sidebar{display:grid;grid-template-columns:minmax(12rem,18rem) minmax(0,1fr);gap:calc(var(--rv-space)*1.5)}
.rv-sidebar{border-right:1px solid var(--rv-border);padding-right:var(--rv-space)}
@media (max-width:48rem){.rv-with-sidebar{grid-template-columns:minmax(0,1fr)}.rv-sidebar{border-right:0;border-bottom:1px solid var(--rv-border);padding:0 0 var(--rv-space)}}
.rv-backdrop{position:fixed;inset:0;background:rgb(0 0 0/.45);display:flex;align-items:center;justify-content:center;padding:var(--rv-space);z-index:50}
.rv-dialog{background:var(--rv-bg);color:var(--rv-fg);border:1px solid var(--rv-border);border-radius:var(--rv-radius);width:min(100%,32rem);max-height:100%;overflow:auto;padding:1em 1.2em;box-shadow:0 10px 40px rgb(0 0 0/.3)}
.rv-dialog header{display:flex;align-items:center;justify-content:space-between;gap:1em}.rv-dialog h2{margin:0;font-size:1.2rem}
.rv-close{min-height:2.2rem;padding:0 .7em;font-size:1.3rem;line-height:1}
`.trim();
