import { UsageError } from "../errors.js";
import type { EventSummary } from "../protocol.js";
import { handler, type HandlerBinding } from "../registry/bind.js";
import { bindField, UNCHANGED } from "../registry/fields.js";
import { h, type Child } from "../vdom/h.js";
import { memo } from "../vdom/memo.js";
import type { VNode } from "../vdom/types.js";

/**
 * Form controls bound to a field of the app with one call:
 * `textInput(this, "name", { label: "Name" })` shows `this.name` and writes
 * what the visitor types back into it (on the server, checked there: a number
 * control only ever stores a finite number within its range, a select only one
 * of its options). Each control has a visible label tied to it, an optional
 * hint, and an error shown next to it.
 */

/** Options every control takes. */
export interface ControlOptions {
  /** The visible label. Default: the field's name. */
  label?: string;
  /** A line of help under the control. */
  hint?: string;
  /** An error to show next to the control (the control is marked invalid). */
  error?: string;
  /** Greys the control out; the page cannot change the field meanwhile. */
  disabled?: boolean;
  /** The element id. Default: `rv-<field>`. */
  id?: string;
}

/** A choice of a select, radio group or multiselect: a string, or a value with its own label. */
export type Choice = string | { value: string; label: string };

/**
 * A field of `A` a control binds to. Any field name of the app: inside the
 * class `this` is polymorphic, and TypeScript cannot pick its fields by value
 * type there; the control checks the field's value when it draws (a text
 * input on a number field is a UsageError saying so).
 */
export type FieldsOf<A, _V> = keyof A & string;

/** What kind of control a field is: how its value is read from the page and drawn. */
export type ControlKind = "text" | "textarea" | "number" | "slider" | "checkbox" | "toggle" | "select" | "multiselect" | "radio" | "date" | "color";

/** A control's settings as kit code uses them: its kind plus the options that matter to reading a value. */
export interface ControlSpec extends ControlOptions {
  kind: ControlKind;
  /** text: the input type (email, password, …); date: date, time or datetime-local. */
  type?: string;
  placeholder?: string;
  maxLength?: number;
  min?: number | string;
  max?: number | string;
  step?: number;
  /** Shown after a slider's value (e.g. "%"). */
  unit?: string;
  /** text: ms of quiet typing before the value is sent. */
  debounce?: number;
  /** text: the browser's autofill hint. */
  autocomplete?: string;
  rows?: number;
  choices?: readonly Choice[];
  required?: boolean;
}

/** The most characters a text control stores unless it says otherwise. */
export const DEFAULT_MAX_LENGTH = 10_000;

const TEXT_TYPES = new Set(["text", "email", "password", "search", "url", "tel"]);
const DATE_FORMATS: Record<string, RegExp> = {
  date: /^\d{4}-\d{2}-\d{2}$/,
  time: /^\d{2}:\d{2}(:\d{2}(\.\d{1,3})?)?$/,
  "datetime-local": /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}(:\d{2}(\.\d{1,3})?)?$/,
};
const COLOR = /^#[0-9a-fA-F]{6}$/;

const valueOf = (c: Choice) => (typeof c === "string" ? c : c.value);
const labelOf = (c: Choice) => (typeof c === "string" ? c : c.label);

/**
 * Reads a control's value from what the page sent (a string, or a form's
 * list for a multiselect): the value to store, or what is wrong with it in
 * words for the visitor. Never trusts the page: a value the control cannot
 * produce is an error, not stored.
 */
export function readControl(spec: ControlSpec, raw: string | string[] | boolean | undefined): { value: unknown } | { error: string } {
  const text = Array.isArray(raw) ? raw[0] ?? "" : typeof raw === "string" ? raw : "";
  switch (spec.kind) {
    case "checkbox":
    case "toggle":
      return { value: raw === true || (typeof raw === "string" && raw !== "") };
    case "number":
    case "slider": {
      if (text.trim() === "") return spec.required === false ? { value: null } : { error: "Enter a number." };
      const n = Number(text);
      if (!Number.isFinite(n)) return { error: "Enter a number." };
      if (spec.min !== undefined && n < Number(spec.min)) return { error: `At least ${spec.min}.` };
      if (spec.max !== undefined && n > Number(spec.max)) return { error: `At most ${spec.max}.` };
      return { value: n };
    }
    case "select":
    case "radio": {
      const values = (spec.choices ?? []).map(valueOf);
      return values.includes(text) ? { value: text } : { error: `Choose one of: ${(spec.choices ?? []).map(labelOf).join(", ")}.` };
    }
    case "multiselect": {
      const picked = Array.isArray(raw) ? raw : typeof raw === "string" ? [raw] : [];
      const values = (spec.choices ?? []).map(valueOf);
      if (picked.some((p) => !values.includes(p))) return { error: `Choose from: ${(spec.choices ?? []).map(labelOf).join(", ")}.` };
      if (spec.required && picked.length === 0) return { error: "Choose at least one." };
      return { value: values.filter((v) => picked.includes(v)) };
    }
    case "date": {
      if (text === "") return spec.required ? { error: "Required." } : { value: "" };
      const format = DATE_FORMATS[spec.type ?? "date"]!;
      if (!format.test(text)) return { error: spec.type === "time" ? "Enter a time (HH:MM)." : spec.type === "datetime-local" ? "Enter a date and time." : "Enter a date (YYYY-MM-DD)." };
      if (spec.min !== undefined && text < String(spec.min)) return { error: `On or after ${spec.min}.` };
      if (spec.max !== undefined && text > String(spec.max)) return { error: `On or before ${spec.max}.` };
      return { value: text };
    }
    case "color":
      return COLOR.test(text) ? { value: text.toLowerCase() } : { error: "Pick a colour (#rrggbb)." };
    default: {
      if (spec.required && text.trim() === "") return { error: "Required." };
      const max = spec.maxLength ?? DEFAULT_MAX_LENGTH;
      return text.length > max ? { error: `At most ${max.toLocaleString("en-US")} characters.` } : { value: text };
    }
  }
}

/** How one control is drawn: its field name, id, value, error and the `on*` props that bind it. */
interface Draw {
  name: string;
  id: string;
  value: unknown;
  error: string | undefined;
  /** Props for the control element (standalone: the binding; in a form: nothing, the form submits). */
  on: Record<string, unknown>;
  /** Props for one choice of a multiselect (standalone: a binding per choice). */
  onChoice?: (value: string) => Record<string, unknown>;
}

/** The control's wrapper, label, hint and error around `body`. */
function field(spec: ControlSpec, d: Draw, body: (described: Record<string, string>) => Child, group = false): VNode {
  const label = spec.label ?? d.name;
  const hintId = spec.hint ? `${d.id}-hint` : undefined;
  const errorId = d.error ? `${d.id}-error` : undefined;
  const described: Record<string, string> = {};
  if (hintId || errorId) described["aria-describedby"] = hintId && errorId ? `${hintId} ${errorId}` : (hintId ?? errorId)!;
  if (errorId) described["aria-invalid"] = "true";
  const hint = spec.hint ? h("p", { class: "rv-hint", id: hintId }, spec.hint) : null;
  const error = d.error ? h("p", { class: "rv-error", id: errorId, role: "alert" }, d.error) : null;
  if (group) {
    return h("fieldset", { key: d.name, class: "rv-field", id: d.id, ...described }, h("legend", {}, label), body({}), hint, error);
  }
  if (spec.kind === "checkbox" || spec.kind === "toggle") {
    return h("div", { key: d.name, class: `rv-field rv-field-check${spec.kind === "toggle" ? " rv-toggle" : ""}` }, h("label", { for: d.id }, body(described), h("span", {}, label)), hint, error);
  }
  return h("div", { key: d.name, class: "rv-field" }, h("label", { for: d.id }, label), body(described), hint, error);
}

/** Draws a control of any kind (standalone or in a form). */
export function drawControl(spec: ControlSpec, d: Draw): VNode {
  // The control's props in one object, in the order of its attributes: id, name, states, what describes it,
  // its binding, then its own (object spreads of four objects per control: ≈ 15 % of a page of 240 controls' CPU).
  const common = (described: Record<string, string>, own: Record<string, unknown>): Record<string, unknown> => {
    const p: Record<string, unknown> = { id: d.id, name: d.name, disabled: spec.disabled || undefined, required: spec.required || undefined };
    for (const k in described) p[k] = described[k];
    for (const k in d.on) p[k] = d.on[k];
    for (const k in own) p[k] = own[k];
    return p;
  };
  const text = d.value === null || d.value === undefined ? "" : String(d.value);
  switch (spec.kind) {
    case "textarea":
      // The text child is what the first page shows; `value` is what a patch sets on a live textarea.
      return field(spec, d, (x) => h("textarea", common(x, { rows: spec.rows ?? 4, placeholder: spec.placeholder, maxlength: spec.maxLength, value: text }), text));
    case "checkbox":
    case "toggle":
      return field(spec, d, (x) => h("input", common(x, { type: "checkbox", role: spec.kind === "toggle" ? "switch" : undefined, checked: d.value === true, value: "on" })));
    case "number":
      return field(spec, d, (x) => h("input", common(x, { type: "number", inputmode: "decimal", min: spec.min, max: spec.max, step: spec.step ?? "any", value: text })));
    case "slider":
      return field(spec, d, (x) =>
        h("div", { class: "rv-slider" },
          h("input", common(x, { type: "range", min: spec.min ?? 0, max: spec.max ?? 100, step: spec.step ?? 1, value: text })),
          h("output", { for: d.id }, `${text}${spec.unit ?? ""}`)));
    case "select": {
      const options = (spec.choices ?? []).map((c) => h("option", { key: valueOf(c), value: valueOf(c), selected: valueOf(c) === text }, labelOf(c)));
      // A value that is none of the choices (an empty "nothing chosen yet", a choice since removed): a blank first
      // option shows it, where the browser would show the first choice as chosen while the field holds another.
      const unknown = !(spec.choices ?? []).some((c) => valueOf(c) === text);
      return field(spec, d, (x) => h("select", common(x, {}), unknown && h("option", { key: "\u0000", value: "", disabled: true, selected: true }, spec.placeholder ?? "Choose…"), options));
    }
    case "radio":
      return field(spec, d, () =>
        h("div", { class: "rv-choices" },
          (spec.choices ?? []).map((c, i) =>
            h("label", { key: valueOf(c), for: `${d.id}-${i}` },
              h("input", { id: `${d.id}-${i}`, type: "radio", name: d.name, value: valueOf(c), checked: valueOf(c) === text, disabled: spec.disabled || undefined, ...d.on }),
              h("span", {}, labelOf(c))))), true);
    case "multiselect": {
      const picked = Array.isArray(d.value) ? (d.value as unknown[]) : [];
      return field(spec, d, () =>
        h("div", { class: "rv-choices" },
          (spec.choices ?? []).map((c, i) =>
            h("label", { key: valueOf(c), for: `${d.id}-${i}` },
              h("input", { id: `${d.id}-${i}`, type: "checkbox", name: d.name, value: valueOf(c), checked: picked.includes(valueOf(c)), disabled: spec.disabled || undefined, ...d.onChoice?.(valueOf(c)) }),
              h("span", {}, labelOf(c))))), true);
    }
    case "date":
      return field(spec, d, (x) => h("input", common(x, { type: spec.type ?? "date", min: spec.min, max: spec.max, value: text })));
    case "color":
      return field(spec, d, (x) => h("input", common(x, { type: "color", value: COLOR.test(text) ? text : "#000000" })));
    default:
      return field(spec, d, (x) => h("input", common(x, { type: spec.type ?? "text", placeholder: spec.placeholder, maxlength: spec.maxLength, value: text, autocomplete: spec.autocomplete ?? (spec.type === "password" ? "current-password" : undefined) })));
  }
}

/**
 * A control's settings: `options` with its kind (and choices). Written
 * `{ kind, ...options }` and then set, not `{ ...options, kind }`: on Node 20
 * an object literal that adds a property after a spread gets a map of its own
 * at every call, ≈ 0.55 µs against ≈ 0.05, for each control of each render.
 */
export function settings(kind: ControlKind, options: Readonly<Partial<ControlSpec>>, choices?: readonly Choice[]): ControlSpec {
  const spec = { kind, ...options } as ControlSpec;
  spec.kind = kind;
  if (choices !== undefined) spec.choices = choices;
  return spec;
}

/** Checks a control's settings once, where the developer wrote them. */
export function checkSpec(at: string | (() => string), spec: ControlSpec): void {
  const where = () => (typeof at === "string" ? at : at());
  if (spec.kind === "text" && spec.type !== undefined && !TEXT_TYPES.has(spec.type)) {
    throw new UsageError(`${where()}: type ${JSON.stringify(spec.type)} is not a text type; use one of ${[...TEXT_TYPES].join(", ")} (numbers, dates and colours have their own controls).`);
  }
  if (spec.kind === "date" && spec.type !== undefined && !(spec.type in DATE_FORMATS)) {
    throw new UsageError(`${where()}: type ${JSON.stringify(spec.type)} is not one of date, time, datetime-local.`);
  }
  if ((spec.kind === "select" || spec.kind === "radio" || spec.kind === "multiselect") && (!Array.isArray(spec.choices) || spec.choices.length === 0)) {
    throw new UsageError(`${where()}: a ${spec.kind} needs choices, e.g. ["small", "large"] or [{ value: "s", label: "Small" }].`);
  }
  if ((spec.kind === "number" || spec.kind === "slider") && spec.min !== undefined && spec.max !== undefined && Number(spec.min) > Number(spec.max)) {
    throw new UsageError(`${where()}: min (${spec.min}) is above max (${spec.max}).`);
  }
}

/** The event a standalone control reports its value on. */
function eventOf(kind: ControlKind): "onInput" | "onChange" {
  return kind === "text" || kind === "textarea" || kind === "number" || kind === "slider" ? "onInput" : "onChange";
}

const EXPECTED: Record<ControlKind, string> = { text: "string", textarea: "string", number: "number", slider: "number", checkbox: "boolean", toggle: "boolean", select: "string", radio: "string", multiselect: "array", date: "string", color: "string" };
const EXAMPLE: Record<ControlKind, string> = { text: '""', textarea: '""', number: "0", slider: "50", checkbox: "false", toggle: "false", select: '"a"', radio: '"a"', multiselect: "[]", date: '""', color: '"#000000"' };

/**
 * Why a bound control's last value from the page was not stored, by app and
 * field, with the field's value then: shown next to the control until a
 * valid value comes or the field changes otherwise. (The page keeps what the
 * visitor typed in a focused field, so without it "200" stayed there, unsaved
 * and unexplained, next to a `max` of 150.)
 */
const refusedValues = new WeakMap<object, Map<string, { message: string; kept: unknown }>>();

/** The function that draws each kind of control, as an error names it (`textInput`, not the kind `text`). */
const DRAWN_BY: Partial<Record<ControlSpec["kind"], string>> = { text: "textInput", number: "numberInput", date: "dateInput", color: "colorInput" };

/** A standalone control bound to `app[key]`. */
function bound(app: object, key: string, spec: ControlSpec): VNode {
  const current = (app as Record<string, unknown>)[key];
  const refused = refusedValues.get(app)?.get(key);
  const error = spec.error ?? (refused !== undefined && refused.kept === current ? refused.message : undefined);
  const id = spec.id ?? `rv-${key}`;
  return drawnOnce(app, spec, id, current, error, () => {
    // Named only in an error: built at every render, the text cost more than the checks.
    const where = () => `${app.constructor?.name ?? "App"}: ${DRAWN_BY[spec.kind] ?? spec.kind}(this, ${JSON.stringify(key)})`;
    checkSpec(where, spec);
    const expected = EXPECTED[spec.kind];
    if (key in app && !(spec.kind === "multiselect" ? Array.isArray(current) : typeof current === expected || (current === null && spec.kind === "number"))) {
      throw new UsageError(`${where()}: ${app.constructor?.name}.${key} holds ${current === null ? "null" : Array.isArray(current) ? "an array" : typeof current}; a ${spec.kind} control needs ${spec.kind === "multiselect" ? "an array of strings" : `a ${expected}`} field (e.g. ${key} = ${EXAMPLE[spec.kind]};).`);
    }
    const update = (ev: EventSummary) => {
      if (spec.disabled) return UNCHANGED;
      const raw = spec.kind === "checkbox" || spec.kind === "toggle" ? ev.checked === true : ev.value;
      // Written before the spread and set after it (see `settings`).
      const loose = { required: false, ...spec };
      loose.required = false;
      const read = readControl(loose, raw);
      let byKey = refusedValues.get(app);
      if ("error" in read) {
        // A half-typed value ("-", "1e") or one outside the range leaves the field as it was, and says why.
        if (!byKey) refusedValues.set(app, (byKey = new Map()));
        byKey.set(key, { message: read.error, kept: (app as Record<string, unknown>)[key] });
        return UNCHANGED;
      }
      byKey?.delete(key);
      return read.value !== null ? read.value : UNCHANGED;
    };
    if (spec.kind === "multiselect") {
      const choice = (value: string) => ({
        onChange: bindField(app as Record<string, unknown>, key, (ev, cur, v) => {
          const values = (spec.choices ?? []).map(valueOf);
          if (spec.disabled || typeof v !== "string" || !values.includes(v)) return UNCHANGED;
          const set = new Set(Array.isArray(cur) ? (cur as string[]) : []);
          if (ev.checked === true) set.add(v);
          else set.delete(v);
          return values.filter((x) => set.has(x));
        }, [value]),
      });
      return drawControl(spec, { name: key, id, value: current, error, on: {}, onChoice: choice });
    }
    const debounce = spec.kind === "slider" ? 60 : spec.debounce;
    return drawControl(spec, { name: key, id, value: current, error, on: { [eventOf(spec.kind)]: bindField(app as Record<string, unknown>, key, update as never, [], { debounce }) } });
  });
}

/** What a drawn control depends on (see {@link drawnOnce}); `draw` builds it and is not compared. */
interface Drawing {
  key: string;
  app: object;
  spec: ControlSpec;
  /** The choices' values and labels, `[value, label, …]`, copied: choices changed in place are seen. */
  choices: readonly string[] | undefined;
  /** The value; an array (a multiselect's) copied, for the same reason. */
  value: unknown;
  error: string | undefined;
  draw: () => VNode;
}

/** True when two drawings of a control would build the same subtree. */
function sameDrawing(a: Readonly<Drawing>, b: Readonly<Drawing>): boolean {
  return a.key === b.key && a.app === b.app && a.error === b.error && sameValue(a.value, b.value) && sameValue(a.choices, b.choices) && sameSpec(a.spec, b.spec);
}

function sameValue(a: unknown, b: unknown): boolean {
  if (Object.is(a, b)) return true;
  if (!Array.isArray(a) || !Array.isArray(b) || a.length !== b.length) return false;
  for (let i = 0; i < a.length; i++) if (!Object.is(a[i], b[i])) return false;
  return true;
}

/** The same settings, choices aside (compared as {@link Drawing.choices}). */
function sameSpec(a: ControlSpec, b: ControlSpec): boolean {
  let n = 0;
  for (const k in a) {
    if (k === "choices") continue;
    if (!Object.is(a[k as keyof ControlSpec], b[k as keyof ControlSpec])) return false;
    n++;
  }
  for (const k in b) if (k !== "choices") n--;
  return n === 0;
}

const Drawn = memo((p: Drawing) => p.draw(), sameDrawing);

/**
 * `draw()`, the control's subtree, unless the session's last render drew the
 * control (by its element id) with the same settings, value and error: then
 * the subtree that render built, which the diff does not walk (see `memo`).
 * A keystroke in one of 30 bound controls costs 1.9–2.0× one in 3, where it
 * re-drew all 30 at 8.8× (`npm run bench ui typing`; 0.28× the same page of
 * inputs written with `h()`, which re-draws them all).
 */
export function drawnOnce(app: object, spec: ControlSpec, id: string, value: unknown, error: string | undefined, draw: () => VNode): VNode {
  let choices: string[] | undefined;
  if (Array.isArray(spec.choices)) {
    choices = [];
    for (const c of spec.choices) typeof c === "string" ? choices.push(c, c) : choices.push(c?.value, c?.label);
  }
  return h(Drawn, { key: id, app, spec, choices, value: Array.isArray(value) ? value.slice() : value, error, draw });
}

/** Options of {@link textInput}. */
export interface TextOptions extends ControlOptions {
  /** The input's type. Default "text". */
  type?: "text" | "email" | "password" | "search" | "url" | "tel";
  placeholder?: string;
  /** The most characters stored. Default 10,000. */
  maxLength?: number;
  /** Ms of quiet typing before the value is sent. Default: the page's (150). */
  debounce?: number;
  /** The browser's autofill hint (`"username"`, `"new-password"`, `"email"`, `"off"`…). Default: `"current-password"` for a password, else none. */
  autocomplete?: string;
}

/**
 * A one-line text field bound to a string field; what the visitor types is
 * stored as they type (debounced).
 *
 * @example
 * name = "";
 * render() { return h("main", {}, textInput(this, "name", { label: "Your name", placeholder: "Ada" }), h("p", {}, `Hello ${this.name}`)); }
 */
export function textInput<A extends object>(app: A, key: FieldsOf<A, string>, options: TextOptions = {}): VNode {
  return bound(app, key, settings("text", options));
}

/**
 * A multi-line text field bound to a string field.
 *
 * @example
 * notes = "";
 * render() { return textarea(this, "notes", { label: "Notes", rows: 6 }); }
 */
export function textarea<A extends object>(app: A, key: FieldsOf<A, string>, options: ControlOptions & { rows?: number; placeholder?: string; maxLength?: number } = {}): VNode {
  return bound(app, key, settings("textarea", options));
}

/** Options of {@link numberInput} and {@link slider}. */
export interface NumberOptions extends ControlOptions {
  min?: number;
  max?: number;
  step?: number;
}

/**
 * A number field bound to a number field. Only finite numbers within
 * `min`–`max` are stored; while the visitor types something else the field
 * keeps its last good value.
 *
 * @example
 * qty = 1;
 * render() { return numberInput(this, "qty", { label: "Quantity", min: 1, max: 99 }); }
 */
export function numberInput<A extends object>(app: A, key: FieldsOf<A, number>, options: NumberOptions = {}): VNode {
  return bound(app, key, settings("number", options));
}

/**
 * A range slider bound to a number field, with its value shown next to it.
 *
 * @example
 * volume = 40;
 * render() { return slider(this, "volume", { label: "Volume", min: 0, max: 100, unit: "%" }); }
 */
export function slider<A extends object>(app: A, key: FieldsOf<A, number>, options: NumberOptions & { unit?: string } = {}): VNode {
  return bound(app, key, settings("slider", { min: 0, max: 100, ...options }));
}

/**
 * A checkbox bound to a boolean field.
 *
 * @example
 * agree = false;
 * render() { return checkbox(this, "agree", { label: "I agree to the terms" }); }
 */
export function checkbox<A extends object>(app: A, key: FieldsOf<A, boolean>, options: ControlOptions = {}): VNode {
  return bound(app, key, settings("checkbox", options));
}

/**
 * An on/off switch (a checkbox with `role="switch"`) bound to a boolean field.
 *
 * @example
 * dark = false;
 * render() { return toggle(this, "dark", { label: "Dark mode" }); }
 */
export function toggle<A extends object>(app: A, key: FieldsOf<A, boolean>, options: ControlOptions = {}): VNode {
  return bound(app, key, settings("toggle", options));
}

/**
 * A drop-down bound to a string field; only one of `choices` is stored. While
 * the field holds none of them (`""` before a choice is made), a blank first
 * option, `placeholder` ("Choose…" by default), shows that nothing is chosen.
 *
 * @example
 * size = "m";
 * render() { return select(this, "size", [{ value: "s", label: "Small" }, { value: "m", label: "Medium" }], { label: "Size" }); }
 */
export function select<A extends object>(app: A, key: FieldsOf<A, string>, choices: readonly Choice[], options: ControlOptions & { placeholder?: string } = {}): VNode {
  return bound(app, key, settings("select", options, choices));
}

/**
 * A group of radio buttons bound to a string field.
 *
 * @example
 * plan = "free";
 * render() { return radio(this, "plan", ["free", "pro", "team"], { label: "Plan" }); }
 */
export function radio<A extends object>(app: A, key: FieldsOf<A, string>, choices: readonly Choice[], options: ControlOptions = {}): VNode {
  return bound(app, key, settings("radio", options, choices));
}

/**
 * A group of checkboxes bound to a string array field: the picked choices,
 * in the choices' order.
 *
 * @example
 * toppings: string[] = [];
 * render() { return multiselect(this, "toppings", ["cheese", "olives", "basil"], { label: "Toppings" }); }
 */
export function multiselect<A extends object>(app: A, key: FieldsOf<A, string[]>, choices: readonly Choice[], options: ControlOptions = {}): VNode {
  return bound(app, key, settings("multiselect", options, choices));
}

/**
 * A date, time or date-and-time picker bound to a string field in the
 * browser's format (`2026-11-29`, `14:30`, `2026-11-29T14:30`).
 *
 * @example
 * due = "";
 * render() { return dateInput(this, "due", { label: "Due", min: "2026-01-01" }); }
 */
export function dateInput<A extends object>(app: A, key: FieldsOf<A, string>, options: ControlOptions & { type?: "date" | "time" | "datetime-local"; min?: string; max?: string } = {}): VNode {
  return bound(app, key, settings("date", options));
}

/**
 * A colour picker bound to a `#rrggbb` string field.
 *
 * @example
 * color = "#0b5cd5";
 * render() { return colorInput(this, "color", { label: "Accent" }); }
 */
export function colorInput<A extends object>(app: A, key: FieldsOf<A, string>, options: ControlOptions = {}): VNode {
  return bound(app, key, settings("color", options));
}

/** Options of {@link button}. */
export interface ButtonOptions {
  /** "primary" (the accent colour), "secondary" (default) or "danger". */
  variant?: "primary" | "secondary" | "danger";
  disabled?: boolean;
  /** Values passed to the method before the event, as `handler(fn, { args })`. */
  args?: readonly unknown[];
  id?: string;
  /** A label for screen readers when the visible text is an icon. */
  ariaLabel?: string;
}

/**
 * A button that calls one of the app's `@server.realtime` (or
 * `@client.callback`) methods: the method itself, or a `handler(…)` of it.
 *
 * @example
 * @server.realtime remove(id: number) { this.items = this.items.filter((i) => i.id !== id); }
 * render() { return button("Remove", this.remove, { variant: "danger", args: [item.id] }); }
 * // the same, with the binding written out: button("Remove", handler(this.remove, { args: [item.id] }), { variant: "danger" })
 */
export function button(label: Child, onClick: Function | HandlerBinding, options: ButtonOptions = {}): VNode {
  if (options.args && typeof onClick !== "function") {
    throw new UsageError(`button(${JSON.stringify(typeof label === "string" ? label : "…")}): options.args are for a method (button(label, this.remove, { args: [id] })); a handler(…) already has its own args.`);
  }
  const cls = options.variant === "primary" ? "rv-primary" : options.variant === "danger" ? "rv-danger" : undefined;
  return h("button", { type: "button", id: options.id, class: cls, disabled: options.disabled || undefined, "aria-label": options.ariaLabel, onClick: options.args ? handler(onClick as Function, { args: options.args as unknown[] }) : onClick }, label);
}

/** The kit's styles for controls, forms and layout; part of `theme`. */
export const controlsCss = `
.rv-field{margin:0 0 var(--rv-space);border:0;padding:0;min-width:0}
.rv-field legend{font-weight:500;padding:0;margin:0 0 .3em}
.rv-hint{color:var(--rv-muted);font-size:.88em;margin:.3em 0 0}
.rv-field-check label{display:flex;align-items:center;gap:.5em;font-weight:400;margin:0}
.rv-choices{display:flex;flex-wrap:wrap;gap:.4em 1.2em}.rv-choices label{display:flex;align-items:center;gap:.4em;font-weight:400;margin:0}
.rv-slider{display:flex;align-items:center;gap:.8em}.rv-slider output{min-width:3.5em;text-align:right;font-variant-numeric:tabular-nums}
.rv-toggle input{appearance:none;-webkit-appearance:none;width:2.4em;height:1.4em;border-radius:1em;background:var(--rv-border);position:relative;cursor:pointer;transition:background .15s;flex:none}
.rv-toggle input::after{content:"";position:absolute;top:.2em;left:.2em;width:1em;height:1em;border-radius:50%;background:var(--rv-bg);transition:transform .15s}
.rv-toggle input:checked{background:var(--rv-accent)}.rv-toggle input:checked::after{transform:translateX(1em)}
.rv-danger{background:var(--rv-danger);border-color:var(--rv-danger);color:var(--rv-bg)}
input[type=color]{width:3.5rem;height:2.5rem;padding:.15rem;border:1px solid var(--rv-border);border-radius:var(--rv-radius);background:var(--rv-bg)}
`.trim();
