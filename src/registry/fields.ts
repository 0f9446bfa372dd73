import { RevueError, UsageError } from "../errors.js";
import type { EventSummary } from "../protocol.js";
import { handler, setField, SET_FIELD_NAME, uploadField, type HandlerBinding } from "./bind.js";

export { SET_FIELD_NAME };

/**
 * Field bindings: how `revue/ui`'s controls write what the visitor typed,
 * picked or clicked into a field of the app with no handler of the app's own.
 *
 * A control calls {@link bindField} while `render()` runs; that records, for
 * this app instance, how the field may change (`update`), and returns an
 * `on*` binding whose events reach the built-in realtime method
 * {@link SET_FIELD_NAME} with the field's key. The server then runs the
 * recorded `update` on the event: a page can only change fields that the
 * app's own `render()` bound, only the way the binding allows (a number
 * field takes numbers within its range, a select only its options), and
 * never another field (`isAdmin`) by sending a made-up key.
 *
 * Updates are kept per instance for the life of the instance: a field once
 * bound stays settable (a control inside a memo() subtree is not re-run on
 * every render, so "bound by the last render" cannot be told apart from
 * "bound earlier"). A session restored from a snapshot has a fresh instance:
 * its first `rv.set` renders once to learn its bindings again.
 */

/** What an update returns to leave the field as it is (a half-typed number, say). */
export const UNCHANGED: unique symbol = Symbol("revue:unchanged");

const FOLLOW = Symbol("revue:follow-up");

/**
 * What a follow-up's `run` returns (or resolves to) when the method it ran
 * failed and the failure is shown by the component (a form's message):
 * nothing is thrown, but the method's cookies are undone as a throw's are.
 */
export const FAILED: unique symbol = Symbol("revue:follow-up-failed");

/** A new value plus work to run once the page shows it, made by {@link followUp}. */
export interface FollowUp<V> {
  readonly [FOLLOW]: true;
  readonly value: V;
  readonly run: () => unknown;
  /** The method `run` calls, named in what a failure logs and tells the page (else the field update). */
  readonly method?: string;
}

/**
 * Returned by an update: sets the field to `value`, sends the page what
 * changed (a form's "Saving…"), then runs `run` in the same call; the page
 * gets what `run` changed when it finishes.
 *
 * `method` names what `run` calls, for the log line and the page's error when it throws.
 *
 * @example
 * bindField(this, "order", (ev, cur) => followUp({ ...cur, pending: true }, () => this.place(cur), "place"))
 */
export function followUp<V>(value: V, run: () => unknown, method?: string): FollowUp<V> {
  return { [FOLLOW]: true, value, run, method };
}

/**
 * How a bound field changes on an event: gets the event summary, the field's
 * current value and the binding's `extra` values (as the page sent them:
 * check them), returns the new value or {@link UNCHANGED}. Throw a
 * `RevueError("INVALID_ARGS", …)` for input no real page sends.
 */
export type FieldUpdate<V> = (ev: EventSummary, current: V, ...extra: unknown[]) => V | FollowUp<V> | typeof UNCHANGED;

const updates = new WeakMap<object, Map<string, FieldUpdate<any>>>();
/** Per app: the form element id a binding answers for (a kit form's), so a recovered form finds its field. */
const formKeys = new WeakMap<object, Map<string, string>>();

/**
 * Binds `app[key]` to the events of the element this goes on: returns the
 * value of an `on*` prop. `extra` values travel in the page with the binding
 * (plain data, as `handler`'s args) and come back to `update` after the event.
 * With `upload: true` (on a file input) the page first uploads the chosen
 * files; the update then gets `{ type: "upload", files }` (as `UploadedFile`s)
 * or `{ type: "upload", error, message, size }`. With `form: id` (on a form
 * element with that id) a re-bootstrapped page's values for that form come
 * to `update` as `{ type: "recover", form }` (see {@link recoverBoundFields}).
 *
 * @example
 * // a text input whose value is this.name
 * h("input", { value: this.name, onInput: bindField(this, "name", (ev) => String(ev.value ?? "")) })
 * // a sort button: extra says which column
 * h("button", { onClick: bindField(this, "sort", (_ev, _cur, col) => (cols.includes(col as string) ? (col as string) : UNCHANGED), [col]) }, col)
 */
export function bindField<A extends object, K extends keyof A & string>(
  app: A,
  key: K,
  update: FieldUpdate<A[K]>,
  extra: readonly unknown[] = [],
  options: { debounce?: number; upload?: boolean; form?: string } = {},
): HandlerBinding {
  if (typeof app !== "object" || app === null) throw new UsageError(`bindField(app, ${JSON.stringify(key)}): app must be the app instance (this), got ${app === null ? "null" : typeof app}.`);
  if (typeof key !== "string" || !Object.prototype.hasOwnProperty.call(app, key)) {
    const name = (app as object).constructor?.name ?? "the app";
    throw new UsageError(
      `${name}: cannot bind field ${JSON.stringify(key)}: ${name} has no such field. Declare it with a starting value (e.g. ${String(key)} = "";) and pass its name.`,
    );
  }
  if (typeof (app as Record<string, unknown>)[key] === "function") {
    throw new UsageError(`${(app as object).constructor?.name}.${key} is a method; bind a field that holds state, and call methods with handler().`);
  }
  let map = updates.get(app);
  if (!map) updates.set(app, (map = new Map()));
  map.set(key, update);
  if (options.form) {
    let forms = formKeys.get(app);
    if (!forms) formKeys.set(app, (forms = new Map()));
    forms.set(options.form, key);
  }
  return handler((options.upload ? uploadField : setField) as (...a: unknown[]) => void, { args: [key, ...extra], debounce: options.debounce });
}

/** Whether `app` has bound `key` since it was created. */
export function isBound(app: object, key: unknown): boolean {
  return typeof key === "string" && updates.get(app)?.has(key) === true;
}

/**
 * Runs a field binding's update for a call of the page: `args` is
 * `[key, ...extra, summary]`. Refuses (INVALID_ARGS) a key the app never bound,
 * and an event that is not a summary. Returns the update's follow-up work, if any.
 */
export function applyField(app: object, appName: string, args: readonly unknown[]): FollowUp<unknown> | undefined {
  const [key, ...rest] = args;
  const ev = rest.pop();
  const update = typeof key === "string" ? updates.get(app)?.get(key) : undefined;
  if (!update) {
    throw new RevueError(
      "INVALID_ARGS",
      `${appName}: ${SET_FIELD_NAME} ${JSON.stringify(key)?.slice(0, 60)} refused: no control on this page binds that field. Bind it with a revue/ui control or bindField() in render().`,
    );
  }
  if (typeof ev !== "object" || ev === null || typeof (ev as EventSummary).type !== "string") {
    throw new RevueError("INVALID_ARGS", `${appName}: ${SET_FIELD_NAME} "${key}" refused: the last argument must be the event summary ({ type, value?, checked? }).`);
  }
  const record = app as Record<string, unknown>;
  const next = update(ev as EventSummary, record[key as string], ...rest);
  if (next === UNCHANGED) return undefined;
  if (typeof next === "object" && next !== null && (next as FollowUp<unknown>)[FOLLOW] === true) {
    record[key as string] = (next as FollowUp<unknown>).value;
    return next as FollowUp<unknown>;
  }
  record[key as string] = next;
  return undefined;
}

const STRINGS: readonly (keyof EventSummary)[] = ["value", "key", "error", "message"];

/**
 * Whether `ev` has the types a page's event summary has (protocol.ts
 * `EventSummary`): the kit's controls and forms read it as typed, so an array
 * or an object where a page sends a string (a forged call) is refused at the
 * edge (hub.ts `knowField`), not stored in a text field.
 *
 * @example
 * isSummary({ type: "input", value: "Ada" }) // true
 * isSummary({ type: "input", value: [123] }) // false
 */
export function isSummary(ev: unknown): ev is EventSummary {
  if (typeof ev !== "object" || ev === null) return false;
  const e = ev as Record<string, unknown>;
  if (typeof e.type !== "string") return false;
  for (const name of STRINGS) if (e[name] !== undefined && typeof e[name] !== "string") return false;
  if ((e.checked !== undefined && typeof e.checked !== "boolean") || (e.size !== undefined && typeof e.size !== "number") || (e.count !== undefined && typeof e.count !== "number") || (e.files !== undefined && !Array.isArray(e.files))) return false;
  if (e.form === undefined) return true;
  if (typeof e.form !== "object" || e.form === null || Array.isArray(e.form)) return false;
  const form = e.form as Record<string, unknown>;
  for (const name in form) {
    const v = form[name];
    if (typeof v !== "string" && !(Array.isArray(v) && v.every((x) => typeof x === "string"))) return false;
  }
  return true;
}

/** What a re-bootstrapped page sends to recover its forms: by form id ("" for fields outside a form), each named field's value. */
export type RecoveredForms = Record<string, Record<string, string | string[]>>;

/** The most fields, and characters per value, a recovery may carry. */
const MAX_RECOVERED_FIELDS = 500;
const MAX_RECOVERED_CHARS = 100_000;

/** Checks what a page sent for recovery, at the edge: an INVALID_ARGS error says what is wrong. */
export function checkRecovered(appName: string, x: unknown): RecoveredForms {
  const bad = (why: string) => new RevueError("INVALID_ARGS", `${appName}: rv.recover refused: ${why}. The runtime sends { [formId]: { [field]: value } } after a re-bootstrap.`);
  if (typeof x !== "object" || x === null || Array.isArray(x)) throw bad("its argument is not an object of forms");
  const out: RecoveredForms = Object.create(null);
  let n = 0;
  for (const [id, fields] of Object.entries(x)) {
    if (typeof fields !== "object" || fields === null || Array.isArray(fields)) throw bad(`form ${JSON.stringify(id.slice(0, 40))} is not an object of fields`);
    const form: Record<string, string | string[]> = (out[id] = Object.create(null));
    for (const [name, v] of Object.entries(fields)) {
      if (++n > MAX_RECOVERED_FIELDS) throw bad(`more than ${MAX_RECOVERED_FIELDS} fields`);
      const ok = typeof v === "string" ? v.length <= MAX_RECOVERED_CHARS : Array.isArray(v) && v.length <= MAX_RECOVERED_FIELDS && v.every((s) => typeof s === "string" && s.length <= MAX_RECOVERED_CHARS);
      if (!ok) throw bad(`field ${JSON.stringify(name.slice(0, 40))} is not a string (or a list of strings) of at most ${MAX_RECOVERED_CHARS} characters`);
      form[name] = v as string | string[];
    }
  }
  return out;
}

/**
 * The default form recovery (`App.recoverForms`): a kit form gets its
 * fields' values back (as typed, not submitted), and a field bound by a
 * control gets its value back through the control's own rules; anything the
 * bindings do not know is left alone. `bindShown` renders the app, for forms
 * it has not bound yet (see `App.recoverForms`).
 */
export function recoverBoundFields(app: object, forms: RecoveredForms, bindShown?: () => void): void {
  const name = app.constructor?.name ?? "App";
  // A form of the old page this session has not bound: rendering binds those its state shows now.
  if (bindShown && Object.keys(forms).some((id) => id !== "" && !formKeys.get(app)?.has(id))) {
    try {
      bindShown();
    } catch {
      // A render that throws is reported by the session's next render.
    }
  }
  for (const [id, fields] of Object.entries(forms)) {
    const formKey = id ? formKeys.get(app)?.get(id) : undefined;
    if (formKey) {
      applyField(app, name, [formKey, { type: "recover", form: fields }]);
      continue;
    }
    for (const [field, v] of Object.entries(fields)) {
      if (!isBound(app, field)) continue;
      const value = Array.isArray(v) ? v[0] ?? "" : v;
      try {
        // An empty list: the page's boxes of that name were all unchecked (client/recover.ts).
        applyField(app, name, [field, { type: "recover", value, checked: !(Array.isArray(v) && v.length === 0) }]);
      } catch {
        // A control whose events carry more than a value (a multiselect's choice): not recovered.
      }
    }
  }
}
