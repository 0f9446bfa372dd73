import { RevueError, UsageError } from "../errors.js";
import type { EventSummary } from "../protocol.js";
import { bindField } from "../registry/fields.js";
import { h, type Child } from "../vdom/h.js";
import type { VNode } from "../vdom/types.js";

/** Options of {@link progress}. */
export interface ProgressOptions {
  /** What is progressing, shown above the bar and read by screen readers. Required. */
  label: string;
  /** The value when done. Default 100. */
  max?: number;
  /** The text beside the label and read by screen readers. Default: the percentage ("42%"). */
  valueText?: string;
}

/**
 * A progress bar: `value` of `max` done, or an unknown amount (`value` null:
 * a moving stripe). A `progressbar` with its label and `aria-valuenow`, so a
 * screen reader says "Uploading, 42%".
 *
 * @example
 * import { progress } from "revue/ui";
 * progress(this.sent, { label: "Uploading photos", max: this.total, valueText: `${this.sent} of ${this.total} files` })
 */
export function progress(value: number | null, options: ProgressOptions): VNode {
  const max = options?.max ?? 100;
  if (typeof options?.label !== "string") throw new UsageError(`progress(value, { label }): say what is progressing, e.g. progress(40, { label: "Uploading" }): screen readers announce it.`);
  if (typeof max !== "number" || !Number.isFinite(max) || max <= 0) throw new UsageError(`progress(…, { max }): max must be a positive number, got ${JSON.stringify(max)}.`);
  if (value !== null && (typeof value !== "number" || Number.isNaN(value))) throw new UsageError(`progress(value, { label: ${JSON.stringify(options.label)} }): value must be a number from 0 to ${max}, or null while the amount is unknown; got ${JSON.stringify(value)}.`);
  const known = value !== null;
  const now = known ? Math.min(max, Math.max(0, value)) : 0;
  const percent = Math.round((now / max) * 1000) / 10;
  const text = known ? (options.valueText ?? `${percent}%`) : (options.valueText ?? "");
  return h("div", { class: "rv-progress" },
    h("div", { class: "rv-progress-head" }, h("span", {}, options.label), text ? h("span", { class: "rv-progress-value" }, text) : null),
    h("div", {
      class: known ? "rv-progress-track" : "rv-progress-track rv-progress-busy",
      role: "progressbar",
      "aria-label": options.label,
      "aria-valuemin": 0,
      "aria-valuemax": max,
      "aria-valuenow": known ? now : undefined,
      "aria-valuetext": text || undefined,
    }, h("div", { class: "rv-progress-bar", style: known ? `width:${percent}%` : undefined })));
}

/** Options of {@link spinner}. */
export interface SpinnerOptions {
  /** What is being waited for. Default "Loading…". Read by screen readers; shown when `showLabel`. */
  label?: string;
  /** Shows the label beside the spinner. Default false (read by screen readers only). */
  showLabel?: boolean;
}

/**
 * A busy indicator: a turning ring (CSS only; still for visitors who ask for
 * reduced motion) in a `status` region that tells screen readers what is
 * being waited for.
 *
 * @example
 * import { spinner } from "revue/ui";
 * this.loading ? spinner({ label: "Loading orders…", showLabel: true }) : dataframe(this, "view", this.orders)
 */
export function spinner(options: SpinnerOptions = {}): VNode {
  const label = options.label ?? "Loading…";
  return h("span", { class: "rv-spinner", role: "status" },
    h("span", { class: "rv-spinner-ring", "aria-hidden": "true" }),
    h("span", { class: options.showLabel ? "rv-spinner-label" : "rv-sr" }, label));
}

/** How an alert or toast reads: information, good news, a warning, a failure. */
export type AlertKind = "info" | "success" | "warning" | "error";
const KINDS: readonly AlertKind[] = ["info", "success", "warning", "error"];
const ICON: Record<AlertKind, string> = { info: "ℹ", success: "✓", warning: "!", error: "✕" };

function checkKind(kind: unknown, where: string): AlertKind {
  if (!KINDS.includes(kind as AlertKind)) throw new UsageError(`${where}: kind must be "info", "success", "warning" or "error", got ${JSON.stringify(kind)}.`);
  return kind as AlertKind;
}

/** Options of {@link alert}. */
export interface AlertOptions {
  /** Default "info". */
  kind?: AlertKind;
  /** A bold first line. */
  title?: string;
}

/**
 * A message in the flow of the page, coloured by kind. Warnings and errors
 * are `role="alert"` (read out at once), information and success
 * `role="status"` (read when the reader is idle).
 *
 * @example
 * import { alert } from "revue/ui";
 * this.error && alert(this.error, { kind: "error", title: "Could not save" })
 */
export function alert(message: Child, options: AlertOptions = {}): VNode {
  const kind = checkKind(options.kind ?? "info", "alert(message, { kind })");
  return h("div", { class: `rv-alert rv-is-${kind}`, role: kind === "warning" || kind === "error" ? "alert" : "status" },
    h("span", { class: "rv-alert-icon", "aria-hidden": "true" }, ICON[kind]),
    h("div", { class: "rv-alert-body" }, options.title ? h("strong", { class: "rv-alert-title" }, options.title) : null, h("div", {}, message)));
}

/** A toast waiting in an app field for {@link toasts} to show it. */
export interface Toast {
  /** Unique among the field's toasts: the page keeps each toast's element by it. */
  readonly id: string;
  readonly message: string;
  readonly kind: AlertKind;
  /** When it was made, ms since the epoch. */
  readonly at: number;
  /** Seconds it stays before it fades out, or undefined to stay until dismissed. */
  readonly seconds?: number;
}

let toastCount = 0;

/**
 * Makes a toast for an app field of toasts: push it and {@link toasts} shows it.
 * With `seconds`, it fades out after that long (in the page's CSS, no timer on
 * the server) and the next render after that leaves it out.
 *
 * @example
 * @server.rpc save() {
 *   …
 *   this.notices = [...this.notices.slice(-4), toast("Saved", { kind: "success", seconds: 4 })];
 * }
 */
export function toast(message: string, options: { kind?: AlertKind; seconds?: number } = {}): Toast {
  if (typeof message !== "string") throw new UsageError(`toast(message): message must be a string, got ${message === null ? "null" : typeof message}.`);
  const kind = checkKind(options.kind ?? "info", "toast(message, { kind })");
  const { seconds } = options;
  if (seconds !== undefined && (typeof seconds !== "number" || !(seconds > 0) || !Number.isFinite(seconds))) throw new UsageError(`toast(message, { seconds }): seconds must be a positive number, got ${JSON.stringify(seconds)}; leave it out for a toast that stays until dismissed.`);
  return Object.freeze({ id: `t${Date.now().toString(36)}${(toastCount++).toString(36)}`, message, kind, at: Date.now(), ...(seconds ? { seconds } : {}) });
}

const expired = (t: Toast, now: number) => t.seconds !== undefined && t.at + t.seconds * 1000 <= now;

/**
 * Shows an app field's toasts stacked in a corner of the screen, newest last,
 * each with a close button that removes it from the field (no handler of the
 * app's own). A toast with `seconds` fades out by itself; the server leaves it
 * out from the next render after its time, and a close click also clears the
 * expired ones from the field.
 *
 * @example
 * import { toast, toasts, type Toast } from "revue/ui";
 * class Editor extends App {
 *   notices: Toast[] = [];
 *   @server.rpc save() { this.notices = [...this.notices, toast("Saved", { kind: "success", seconds: 4 })]; }
 *   render() { return h("main", {}, …, toasts(this, "notices")); }
 * }
 */
export function toasts<K extends string>(app: Record<NoInfer<K>, readonly Toast[]>, key: K, options: { max?: number } = {}): VNode {
  const field: unknown = (app as Record<string, unknown>)[key];
  const name = (app as object)?.constructor?.name ?? "app";
  if (!Array.isArray(field)) throw new UsageError(`toasts(this, ${JSON.stringify(key)}) in ${name}: ${name}.${key} must hold an array of toasts; declare it as \`${key}: Toast[] = [];\` and add them with toast("…").`);
  const list = field as readonly Toast[];
  const max = options.max ?? 5;
  const now = Date.now();
  const dismiss = (_ev: EventSummary, current: readonly Toast[], id: unknown) => {
    if (typeof id !== "string") throw new RevueError("INVALID_ARGS", `toasts(this, ${JSON.stringify(key)}) in ${name}: a close click names a toast's id (a string).`);
    const at = Date.now();
    return current.filter((t) => t.id !== id && !expired(t, at));
  };
  const shown = list.filter((t) => !expired(t, now)).slice(-max);
  return h("div", { class: "rv-toasts", "aria-live": "polite" },
    shown.map((t) =>
      h("div", {
        key: t.id,
        class: t.seconds ? `rv-toast rv-is-${t.kind} rv-toast-timed` : `rv-toast rv-is-${t.kind}`,
        role: t.kind === "error" || t.kind === "warning" ? "alert" : "status",
        // The fade starts `seconds` after the toast first appears; the element is kept by key, so re-renders do not restart it.
        style: t.seconds ? `animation-delay:${t.seconds}s` : undefined,
      },
        h("span", { class: "rv-alert-icon", "aria-hidden": "true" }, ICON[t.kind]),
        h("span", { class: "rv-toast-text" }, t.message),
        h("button", { type: "button", class: "rv-toast-close", "aria-label": "Dismiss", title: "Dismiss", onClick: bindField(app, key, dismiss as never, [t.id]) }, "×"))));
}

/** The stylesheet of progress, spinner, alert and toasts: wire it after the theme. */
export const feedbackCss: string = `
.rv-progress{margin:0 0 var(--rv-space)}
.rv-progress-head{display:flex;justify-content:space-between;gap:1em;font-size:.9em;margin-bottom:.3em}
.rv-progress-value{color:var(--rv-muted);font-variant-numeric:tabular-nums}
.rv-progress-track{height:.6rem;background:var(--rv-surface);border:1px solid var(--rv-border);border-radius:999px;overflow:hidden}
.rv-progress-bar{height:100%;background:var(--rv-accent);border-radius:inherit;transition:width .3s ease}
.rv-progress-busy .rv-progress-bar{width:30%;animation:rv-slide 1.2s ease-in-out infinite}
@keyframes rv-slide{from{transform:translateX(-100%)}to{transform:translateX(340%)}}
.rv-spinner{display:inline-flex;align-items:center;gap:.5em;vertical-align:middle}
.rv-spinner-ring{width:1.25em;height:1.25em;border:.18em solid var(--rv-border);border-top-color:var(--rv-accent);border-radius:50%;animation:rv-spin .8s linear infinite}
@keyframes rv-spin{to{transform:rotate(360deg)}}
.rv-spinner-label{color:var(--rv-muted)}
.rv-alert{display:flex;gap:.7em;align-items:flex-start;padding:.7em 1em;margin:0 0 var(--rv-space);border:1px solid var(--rv-kind);border-left-width:4px;border-radius:var(--rv-radius);background:var(--rv-surface)}
.rv-alert-icon{flex:none;display:inline-grid;place-items:center;width:1.4em;height:1.4em;border-radius:50%;background:var(--rv-kind);color:var(--rv-bg);font-size:.85em;font-weight:700;line-height:1}
.rv-alert-body{min-width:0}.rv-alert-title{display:block}
.rv-is-info{--rv-kind:var(--rv-accent)}.rv-is-success{--rv-kind:var(--rv-ok)}.rv-is-warning{--rv-kind:var(--rv-warn)}.rv-is-error{--rv-kind:var(--rv-danger)}
.rv-toasts{position:fixed;z-index:50;right:1rem;bottom:1rem;display:flex;flex-direction:column;gap:.5rem;width:min(22rem,calc(100vw - 2rem));pointer-events:none}
.rv-toast{pointer-events:auto;display:flex;gap:.6em;align-items:center;padding:.6em .6em .6em .9em;background:var(--rv-bg);color:var(--rv-fg);border:1px solid var(--rv-border);border-left:4px solid var(--rv-kind);border-radius:var(--rv-radius);box-shadow:0 4px 16px rgb(0 0 0/.18);max-height:12rem;overflow:hidden}
.rv-toast-text{flex:1;min-width:0}
.rv-toast-close{min-height:2rem;min-width:2rem;padding:0;border:0;background:none;font-size:1.2em;line-height:1;color:var(--rv-muted)}
.rv-toast-timed{animation:rv-toast-out .4s ease-in forwards}
@keyframes rv-toast-out{to{opacity:0;visibility:hidden;max-height:0;padding-block:0;margin-block:0;border-width:0}}
@media (prefers-reduced-motion:reduce){.rv-spinner-ring{animation:none;border-color:var(--rv-accent);border-right-color:var(--rv-border)}.rv-progress-busy .rv-progress-bar{animation:none;width:100%;opacity:.35}.rv-progress-bar{transition:none}}
`.trim();
