import { RevueError, UsageError } from "../errors.js";
import { shownFailure, type App } from "../app.js";
import type { EventSummary } from "../protocol.js";
import { bindField, FAILED, followUp, UNCHANGED } from "../registry/fields.js";
import type { ArgIssue } from "../registry/schema.js";
import { h, type Child } from "../vdom/h.js";
import type { VNode } from "../vdom/types.js";
import { checkedArgs, refusal, serverMethod } from "./submit.js";
import { checkSpec, drawControl, drawnOnce, readControl, settings, type Choice, type ControlOptions, type ControlSpec, type NumberOptions, type TextOptions } from "./controls.js";

/**
 * Forms: a set of fields submitted together to one of the app's methods,
 * with each field's error shown next to it and a pending state while the
 * method runs. The form's state (values, errors, status) is a field of the
 * app made with {@link formState}, so it is part of the session like any
 * other state.
 */

/** A form's state: what {@link formState} makes and {@link form} keeps up to date. */
export interface FormState<V extends Record<string, unknown>> {
  /** The fields' values: the starting ones, then what was last submitted. */
  values: V;
  /** What is wrong with each field of the last submission, by field name. */
  errors: Partial<Record<keyof V & string, string>>;
  /** "idle" before any submission, "pending" while the method runs, then "done" or "failed". */
  status: "idle" | "pending" | "done" | "failed";
  /** What the last run said: the failure's message, or the form's `done` text. */
  message: string;
  /** The starting values, which `reset` puts back (kept by `formState`; a state made without it resets to the values it holds when drawn). */
  readonly initial?: V;
  /**
   * Submissions that ran (kept with the session, so that a restored session
   * counts on). The page's submit names the count it showed, so a second
   * click (a double-click, Enter pressed again) sent before the page heard of
   * the first, with the same values, is not run again; other values sent
   * before then are a submission of their own and run.
   */
  runs?: number;
}

/** The last submission a form ran: how many ran, and the JSON of the values it ran with (unknown to a restored instance: the state's values then). */
interface LastRun {
  count: number;
  values?: string;
}

/**
 * The last submission run, by app instance and form field: the count goes on
 * when the app replaces the form's state (`this.draft = formState(…)` to clear
 * it), which starts its `runs` again. A restored instance starts from `runs`
 * and the values the state holds.
 */
const runsOf = new WeakMap<object, Map<string, LastRun>>();

function lastRun(app: object, key: string, state: FormState<Record<string, unknown>>): LastRun {
  const kept = runsOf.get(app)?.get(key);
  return kept !== undefined && kept.count >= (state.runs ?? 0) ? kept : { count: state.runs ?? 0 };
}

/**
 * The starting state of a form, as a field of the app.
 *
 * @example
 * signup = formState({ email: "", plan: "free", seats: 1 });
 */
export function formState<V extends Record<string, unknown>>(values: V): FormState<V> {
  if (typeof values !== "object" || values === null || Array.isArray(values)) throw new UsageError(`formState(values): values must be an object of the fields' starting values, e.g. formState({ email: "", seats: 1 }).`);
  // A copy of its own: a list in the values changed in place (values.tags.push) must not change what reset puts back.
  return { values: { ...values }, errors: {}, status: "idle", message: "", initial: structuredClone(values) };
}

/** What a form's field-building callback gets: one control per field, each reading and showing the form's state. */
export interface FormFields<V extends Record<string, unknown>> {
  text(name: StringKeys<V>, options?: TextOptions & { required?: boolean }): VNode;
  textarea(name: StringKeys<V>, options?: ControlOptions & { rows?: number; placeholder?: string; maxLength?: number; required?: boolean }): VNode;
  number(name: NumberKeys<V>, options?: NumberOptions & { required?: boolean }): VNode;
  slider(name: NumberKeys<V>, options?: NumberOptions & { unit?: string }): VNode;
  checkbox(name: BooleanKeys<V>, options?: ControlOptions): VNode;
  toggle(name: BooleanKeys<V>, options?: ControlOptions): VNode;
  select(name: StringKeys<V>, choices: readonly Choice[], options?: ControlOptions & { required?: boolean }): VNode;
  radio(name: StringKeys<V>, choices: readonly Choice[], options?: ControlOptions & { required?: boolean }): VNode;
  multiselect(name: ArrayKeys<V>, choices: readonly Choice[], options?: ControlOptions & { required?: boolean }): VNode;
  date(name: StringKeys<V>, options?: ControlOptions & { type?: "date" | "time" | "datetime-local"; min?: string; max?: string; required?: boolean }): VNode;
  color(name: StringKeys<V>, options?: ControlOptions): VNode;
}

type StringKeys<V> = { [K in keyof V]: V[K] extends string ? K : never }[keyof V] & string;
type NumberKeys<V> = { [K in keyof V]: V[K] extends number | null ? K : never }[keyof V] & string;
type BooleanKeys<V> = { [K in keyof V]: V[K] extends boolean ? K : never }[keyof V] & string;
type ArrayKeys<V> = { [K in keyof V]: V[K] extends readonly string[] ? K : never }[keyof V] & string;

/** Options of {@link form}. */
export interface FormOptions {
  /** The submit button's text. Default "Submit". */
  submit?: string;
  /** The button's text while the method runs. Default "Working…". */
  pending?: string;
  /** Shown after a successful run. Default: nothing. */
  done?: string;
  /** Put the fields back to their starting values after a successful run. Default false. */
  reset?: boolean;
  /** The form element's id. Default `rv-<field>`. */
  id?: string;
}


/**
 * A form bound to a {@link formState} field of the app: `fields` draws its
 * controls; on submit, every field is checked on the server (the controls'
 * own rules, then the method's Standard Schema if it has one: an issue at
 * `[0, "email"]` shows next to the email field), and only then is `onSubmit`
 * called with the values as one object. The button says "Working…" and the
 * form is marked busy while it runs; an `INVALID_ARGS` error the method throws
 * (`new RevueError("INVALID_ARGS", msg, { issues: [{ path: [0, "email"], message }] })`)
 * goes next to its fields too, any other `RevueError` under the button.
 *
 * `onSubmit` is one of the app's `@server.rpc` or `@server.realtime` methods,
 * taking the values object; the fields `f` offers are typed from its parameter.
 *
 * @example
 * class Signup extends App {
 *   signup = formState({ email: "", plan: "free", seats: 1 });
 *   @server.rpc(z.object({ email: z.string().email(), plan: z.enum(["free", "pro"]), seats: z.number().int().min(1) }))
 *   async register(v: { email: string; plan: string; seats: number }) { await db.add(v); }
 *   render() {
 *     return form(this, "signup", this.register, (f) => [
 *       f.text("email", { label: "Email", type: "email", required: true }),
 *       f.select("plan", ["free", "pro"], { label: "Plan" }),
 *       f.number("seats", { label: "Seats", min: 1 }),
 *     ], { submit: "Sign up", done: "Welcome aboard!" });
 *   }
 * }
 */
export function form<A extends object, V extends Record<string, unknown>>(
  app: A,
  key: keyof A & string,
  onSubmit: (values: V) => unknown,
  fields: (f: FormFields<V>) => Child[],
  options: FormOptions = {},
): VNode {
  const appName = app.constructor?.name ?? "App";
  const where = `${appName}: form(this, ${JSON.stringify(key)})`;
  const state = (app as Record<string, unknown>)[key] as FormState<Record<string, unknown>> | undefined;
  if (!state || typeof state !== "object" || typeof state.values !== "object" || !state.errors) {
    throw new UsageError(`${where}: ${appName}.${key} is not a form's state. Declare it with formState(): ${key} = formState({ email: "" });`);
  }
  const entry = serverMethod(app, onSubmit, where, "onSubmit", "this.save", "the values object");
  const id = options.id ?? `rv-${key}`;
  const specs = new Map<string, ControlSpec>();
  const add = (kind: ControlSpec["kind"], name: string, extra: Partial<ControlSpec>, choices?: readonly Choice[]): VNode => {
    if (!(name in state.values)) throw new UsageError(`${where}: the form has no field ${JSON.stringify(name)}; its fields are ${Object.keys(state.values).join(", ") || "none"} (from formState()).`);
    if (specs.has(name)) throw new UsageError(`${where}: field ${JSON.stringify(name)} is drawn twice; draw each field once.`);
    const spec = settings(kind, extra, choices);
    specs.set(name, spec);
    // Greyed out while the form is sent (written before the spread and set after it: see `settings`).
    const disabled = spec.disabled || state.status === "pending";
    const shown = { disabled, ...spec }, fieldId = `${id}-${name}`, value = state.values[name], error = (state.errors as Record<string, string>)[name];
    shown.disabled = disabled;
    return drawnOnce(app, shown, fieldId, value, error, () => {
      checkSpec(`${where}: ${kind}("${name}")`, spec);
      // A slider shows its value beside it: moving it tells the form (the binding's key is the form's, its update `submit`).
      const on = kind === "slider" ? { onInput: bindField(app as Record<string, unknown>, key, ((ev: EventSummary, cur: FormState<Record<string, unknown>>, field: unknown) => submit(ev, cur, field)) as never, [name], { debounce: 60 }) } : {};
      return drawControl(shown, { name, id: fieldId, value, error, on });
    });
  };
  const f: FormFields<Record<string, unknown>> = {
    text: (n, o = {}) => add("text", n, o),
    textarea: (n, o = {}) => add("textarea", n, o),
    number: (n, o = {}) => add("number", n, o),
    slider: (n, o = {}) => add("slider", n, { min: 0, max: 100, ...o }),
    checkbox: (n, o = {}) => add("checkbox", n, o),
    toggle: (n, o = {}) => add("toggle", n, o),
    select: (n, choices, o = {}) => add("select", n, o, choices),
    radio: (n, choices, o = {}) => add("radio", n, o, choices),
    multiselect: (n, choices, o = {}) => add("multiselect", n, o, choices),
    date: (n, o = {}) => add("date", n, o),
    color: (n, o = {}) => add("color", n, o),
  };
  const body = fields(f as unknown as FormFields<V>);
  // Not the values of this render: after a failed submit they are what the visitor typed then.
  const initial = state.initial ?? state.values;

  const submit = (ev: EventSummary, cur: FormState<Record<string, unknown>>, shown: unknown) => {
    if (ev.type === "input") {
      // A slider moved (`shown` is its name): its value follows, nothing is submitted.
      const spec = typeof shown === "string" ? specs.get(shown) : undefined;
      const read = spec?.kind === "slider" && cur.status !== "pending" ? readControl(spec, ev.value) : undefined;
      return read && "value" in read && read.value !== null && read.value !== cur.values[shown as string] ? { ...cur, values: { ...cur.values, [shown as string]: read.value } } : UNCHANGED;
    }
    if (cur.status === "pending" || (ev.type !== "submit" && ev.type !== "recover") || typeof ev.form !== "object" || ev.form === null) return UNCHANGED;
    if (ev.type === "recover") {
      // A re-bootstrapped page's values, as typed: each valid one comes back, nothing is submitted.
      const recovered: Record<string, unknown> = {};
      for (const [name, spec] of specs) {
        const read = readControl(spec, spec.kind === "multiselect" ? ev.form[name] ?? [] : ev.form[name]);
        if ("value" in read && read.value !== null) recovered[name] = read.value;
      }
      // The values a submission of this instance ran with (after a failover the page's resent submit runs ahead of
      // its recovery): they were sent, and the form the method cleared stays clear.
      const ran = runsOf.get(app)?.get(key)?.values;
      if (ran !== undefined && JSON.stringify({ ...JSON.parse(ran), ...recovered }) === ran) return UNCHANGED;
      return { ...cur, values: { ...cur.values, ...recovered } };
    }
    const values: Record<string, unknown> = { ...cur.values };
    const errors: Record<string, string> = {};
    for (const [name, spec] of specs) {
      const raw = ev.form[name];
      const read = readControl(spec, spec.kind === "multiselect" ? raw ?? [] : raw);
      if ("error" in read) {
        errors[name] = read.error;
        // What the visitor typed stays in the field, so they can correct it.
        if (typeof raw === "string" && spec.kind !== "checkbox" && spec.kind !== "toggle") values[name] = raw.slice(0, spec.maxLength ?? 10_000);
      } else values[name] = read.value;
    }
    // A submit sent before the patch of one that ran came: the same click again if it carries the same values.
    // (A count above this session's is a page that counted in a session since lost: nothing it sent ran here.)
    const last = lastRun(app, key, cur);
    if (ev.type === "submit" && !(typeof shown === "number" && shown >= last.count) && JSON.stringify(values) === (last.values ?? JSON.stringify(cur.values))) return UNCHANGED;
    if (Object.keys(errors).length) {
      // The schema's word on the other fields too, so that the visitor sees every mistake at once
      // (fixing the one shown only revealed the next); a field's own rule speaks first for it.
      const checked = checkedArgs(appName, entry, [values]);
      const more = "issues" in checked ? placed(checked.issues, specs).errors : {};
      return { ...cur, values, errors: { ...more, ...errors }, status: "failed" as const, message: "" };
    }
    const refused = refusal(app, entry, where);
    if (refused) return { ...cur, values, errors: {}, status: "failed" as const, message: refused };
    const checked = checkedArgs(appName, entry, [values]);
    if ("issues" in checked) return { ...cur, values, ...placed(checked.issues, specs) };
    const { args } = checked;
    const runs = last.count + 1;
    let counts = runsOf.get(app);
    if (!counts) runsOf.set(app, (counts = new Map()));
    counts.set(key, { count: runs, values: JSON.stringify(values) });
    return followUp<FormState<Record<string, unknown>>>({ ...cur, values, errors: {}, status: "pending", message: "", runs }, async () => {
      const record = app as Record<string, unknown>;
      const settle = (next: Partial<FormState<Record<string, unknown>>>) => (record[key] = { ...(record[key] as object), ...next });
      try {
        await (onSubmit as (...a: unknown[]) => unknown).apply(app, args);
        settle({ status: "done", message: options.done ?? "", errors: {}, ...(options.reset ? { values: { ...initial } } : {}) });
      } catch (err) {
        const issues = err instanceof RevueError && err.code === "INVALID_ARGS" ? ((err.issues as ArgIssue[] | undefined) ?? []) : undefined;
        if (issues && issues.length) return settle(placed(issues, specs)), FAILED;
        if (err instanceof RevueError) return settle({ status: "failed", message: err.message }), FAILED;
        // A bug: the form says so in plain words (its message too in development), and the page gets the error as any failed call does.
        settle({ status: "failed", message: shownFailure(app as App, err, "Something went wrong; please try again.") });
        throw err;
      }
    }, entry.method);
  };

  const pending = state.status === "pending";
  const formError = state.status === "failed" && state.message ? h("p", { class: "rv-error", role: "alert" }, state.message) : null;
  const done = state.status === "done" && state.message ? h("p", { class: "rv-done", role: "status" }, state.message) : null;
  return h("form", { id, class: "rv-form", novalidate: true, "aria-busy": pending ? "true" : "false", onSubmit: bindField(app as Record<string, unknown>, key, submit as never, [lastRun(app, key, state).count], { form: id }) },
    ...body,
    h("div", { class: "rv-form-actions" },
      h("button", { type: "submit", disabled: pending || undefined }, pending ? h("span", { class: "rv-spin", "aria-hidden": "true" }) : null, pending ? options.pending ?? "Working…" : options.submit ?? "Submit"),
      formError, done));
}

/** Issues at `[0, field, …]` go next to that field; the rest become the form's message. */
function placed(issues: readonly ArgIssue[], specs: ReadonlyMap<string, ControlSpec>): Pick<FormState<Record<string, unknown>>, "errors" | "status" | "message"> {
  const errors: Record<string, string> = {};
  const rest: string[] = [];
  for (const issue of issues) {
    const name = issue.path[0] === 0 ? issue.path[1] : undefined;
    if (typeof name === "string" && specs.has(name)) errors[name] ??= issue.message;
    else rest.push(issue.path.length > 1 ? `${issue.path.slice(1).join(".")}: ${issue.message}` : issue.message);
  }
  return { errors, status: "failed", message: rest.slice(0, 3).join(" ") };
}

/** Styles of forms; part of `theme`. */
export const formCss = `
.rv-form{max-width:40rem}.rv-form[aria-busy=true] .rv-field{opacity:.7}
.rv-form-actions{display:flex;flex-wrap:wrap;align-items:center;gap:.8em}
.rv-form-actions .rv-error,.rv-done{margin:0}.rv-done{color:var(--rv-ok)}
.rv-spin{width:1em;height:1em;border:2px solid currentColor;border-right-color:transparent;border-radius:50%;animation:rv-spin .8s linear infinite}
@media (prefers-reduced-motion:reduce){.rv-spin{animation:none}}
`.trim();
