import { App } from "../app.js";
import type { AppClass } from "../session/hub.js";
import { thrownMessage, UsageError } from "../errors.js";
import type { EventSummary } from "../protocol.js";
import { handler } from "../registry/bind.js";
import { client, server } from "../registry/decorators.js";
import { h, type Child } from "../vdom/h.js";
import type { VNode } from "../vdom/types.js";
import { barChart, lineChart, type Point } from "./chart.js";
import { markdown } from "./markdown.js";
import { theme } from "./theme.js";
import { drawControl, readControl, type ControlSpec } from "./controls.js";

/** One field of an {@link Interface}'s form: what the function's parameter at its position receives. */
export type InputSpec =
  | { type: "text" | "textarea"; name?: string; label?: string; default?: string; placeholder?: string; required?: boolean; maxLength?: number }
  | { type: "number" | "slider"; name?: string; label?: string; default?: number; min?: number; max?: number; step?: number; required?: boolean }
  | { type: "checkbox"; name?: string; label?: string; default?: boolean }
  | { type: "select" | "radio"; name?: string; label?: string; options: readonly string[]; default?: string; required?: boolean }
  | { type: "date"; name?: string; label?: string; default?: string; required?: boolean }
  | { type: "color"; name?: string; label?: string; default?: string };

/** How a result is shown: text, markdown, JSON, a number, a table (an array of objects), a line or bar chart, or an image (a URL or data: URL). */
export type OutputSpec = "text" | "markdown" | "json" | "number" | "table" | "line" | "bar" | "image" | { type: OutputSpec & string; label?: string };

/** Options of {@link Interface.from}. */
export interface InterfaceOptions {
  /** One per parameter of the function, in order. A bare type (`"text"`) is a field of that type labelled by its position. */
  inputs: ReadonlyArray<InputSpec | InputSpec["type"]>;
  /** One per result (a function with several outputs returns an array of results). Default: `"text"`. */
  outputs?: OutputSpec | readonly OutputSpec[];
  /** The page's heading and title. Default: the function's name. */
  title?: string;
  /** Markdown shown under the title. */
  description?: string;
  /** Sets of inputs a visitor can run with one click, each in the inputs' order. */
  examples?: ReadonlyArray<readonly unknown[]>;
  /** The submit button's text. Default "Run". */
  submit?: string;
}

type Field = Required<Pick<InputSpec, "type" | "name" | "label">> & InputSpec;
type Output = { type: string; label: string };
type Values = Record<string, string | number | boolean>;

const NAME = /^[A-Za-z_][\w-]{0,40}$/;
const OUTPUTS = new Set(["text", "markdown", "json", "number", "table", "line", "bar", "image"]);

function fieldsOf(inputs: InterfaceOptions["inputs"]): Field[] {
  if (!Array.isArray(inputs)) throw new UsageError(`Interface.from(fn, { inputs }): inputs must be an array, one per parameter, e.g. ["text", { type: "number", label: "Count" }].`);
  const names = new Set<string>();
  return inputs.map((input, i) => {
    const spec = (typeof input === "string" ? { type: input } : input) as InputSpec;
    if (!spec || !["text", "textarea", "number", "slider", "checkbox", "select", "radio", "date", "color"].includes(spec.type)) {
      throw new UsageError(`Interface.from(fn, { inputs }): inputs[${i}] has type ${JSON.stringify((spec as { type?: unknown })?.type)}; use text, textarea, number, slider, checkbox, select, radio, date or color.`);
    }
    const name = spec.name ?? `input${i + 1}`;
    if (!NAME.test(name) || names.has(name)) throw new UsageError(`Interface.from(fn, { inputs }): inputs[${i}].name ${JSON.stringify(name)} must be a unique identifier (letters, digits, _ and -).`);
    names.add(name);
    if ((spec.type === "select" || spec.type === "radio") && (!Array.isArray(spec.options) || spec.options.length === 0)) {
      throw new UsageError(`Interface.from(fn, { inputs }): inputs[${i}] is a ${spec.type}; give it options: ["a", "b"].`);
    }
    return { ...spec, name, label: spec.label ?? `Input ${i + 1}` } as Field;
  });
}

function outputsOf(outputs: InterfaceOptions["outputs"]): Output[] {
  const list = outputs === undefined ? ["text" as const] : Array.isArray(outputs) ? outputs : [outputs as OutputSpec];
  return list.map((o, i) => {
    const spec = typeof o === "string" ? { type: o, label: list.length > 1 ? `Output ${i + 1}` : "Result" } : { type: o.type, label: o.label ?? `Output ${i + 1}` };
    if (!OUTPUTS.has(spec.type)) throw new UsageError(`Interface.from(fn, { outputs }): outputs[${i}] is ${JSON.stringify(spec.type)}; use text, markdown, json, number, table, line, bar or image.`);
    return spec;
  });
}

/** The value a field starts with. */
function initial(f: Field): string | number | boolean {
  if (f.default !== undefined) return f.default;
  if (f.type === "checkbox") return false;
  if (f.type === "number" || f.type === "slider") return f.min ?? 0;
  if (f.type === "select" || f.type === "radio") return f.options[0]!;
  if (f.type === "color") return "#000000";
  return "";
}

/** The kit's control for a field: reading and drawing are the kit's (`revue/ui` controls), so an Interface's form behaves as any form of the kit. */
function specOf(f: Field): ControlSpec {
  // Each written whole: a property after a spread costs ≈ 0.5 µs on Node 20 (see controls.ts `settings`).
  const label = f.label, required = "required" in f ? f.required : undefined;
  switch (f.type) {
    case "number":
    case "slider":
      return { label, required, kind: f.type, min: f.min, max: f.max, step: f.step };
    case "select":
    case "radio":
      return { label, required, kind: f.type, choices: f.options };
    case "text":
    case "textarea":
      return { label, required, kind: f.type, placeholder: f.placeholder, maxLength: f.maxLength };
    default:
      return { label, required, kind: f.type };
  }
}

/** One result, shown as its output says. */
function show(out: Output, value: unknown): Child {
  switch (out.type) {
    case "markdown":
      return markdown(String(value ?? ""));
    case "json":
      return h("pre", {}, h("code", {}, JSON.stringify(value, null, 2) ?? "undefined"));
    case "number":
      return h("p", { class: "number" }, typeof value === "number" ? value.toLocaleString("en-US", { maximumFractionDigits: 6 }) : String(value));
    case "table": {
      const rows = Array.isArray(value) ? (value as Array<Record<string, unknown>>).slice(0, 500) : [];
      const cols = [...new Set(rows.flatMap((r) => (r && typeof r === "object" ? Object.keys(r) : [])))];
      return h("table", {}, h("thead", {}, h("tr", {}, cols.map((c) => h("th", { key: c }, c)))),
        h("tbody", {}, rows.map((r, i) => h("tr", { key: String(i) }, cols.map((c) => h("td", { key: c }, cell(r?.[c])))))));
    }
    case "line":
      return lineChart({ name: out.label, points: (Array.isArray(value) ? value : []) as Point[] }, { title: out.label });
    case "bar": {
      const entries = Array.isArray(value) ? (value as Array<[string, number]>) : Object.entries((value ?? {}) as Record<string, number>);
      return barChart({ name: out.label, values: entries.map(([k, v]) => [String(k), Number(v)] as const) }, { title: out.label });
    }
    case "image":
      return typeof value === "string" && /^(https?:|data:image\/|\/)/.test(value) ? h("img", { src: value, alt: out.label }) : h("p", {}, "(no image)");
    default:
      return h("p", { class: "text" }, value === undefined || value === null ? "" : typeof value === "string" ? value : JSON.stringify(value));
  }
}

const cell = (v: unknown) => (v === null || v === undefined ? "" : typeof v === "object" ? JSON.stringify(v) : String(v));

/** Interfaces made so far, by name: a second one under a name gets a number, so their pubsub channels differ. */
const made = new Map<string, number>();

/**
 * Gradio-style apps from plain functions: a form built from `inputs`, a
 * button, and the result shown as `outputs` say. The app is an ordinary
 * Revue app (serve it with `createServer`, test it with `mount`); each
 * visitor has their own values and results.
 */
export const Interface = {
  /**
   * Turns `fn` (sync or async) into an App: one form field per parameter,
   * checked on the server before `fn` runs (a wrong value is shown next to
   * its field, and `fn` does not run), "Running…" while it runs, then the
   * result; an error `fn` throws is shown as such.
   *
   * @example
   * import { createServer } from "revue";
   * import { Interface } from "revue/ui";
   * const Greeter = Interface.from((name: string, times: number) => `Hello ${name}! `.repeat(times), {
   *   title: "Greeter",
   *   inputs: [{ type: "text", label: "Name", required: true }, { type: "slider", label: "Times", min: 1, max: 5, default: 1 }],
   *   outputs: "text",
   * });
   * await createServer(Greeter).listen(3000);
   */
  from(fn: (...args: any[]) => unknown, options: InterfaceOptions): AppClass {
    if (typeof fn !== "function") throw new UsageError(`Interface.from(fn, options): fn must be a function, got ${typeof fn}. Example: Interface.from((text: string) => text.toUpperCase(), { inputs: ["text"] }).`);
    if (!options || typeof options !== "object") throw new UsageError(`Interface.from(fn, options): options must be an object with inputs, e.g. { inputs: ["text"], outputs: "text" }.`);
    const fields = fieldsOf(options.inputs);
    const outputs = outputsOf(options.outputs);
    const title = options.title ?? (fn.name ? fn.name.replace(/([a-z])([A-Z])/g, "$1 $2") : "Interface");
    const examples = (options.examples ?? []).map((row, i) => {
      if (!Array.isArray(row) || row.length !== fields.length) throw new UsageError(`Interface.from(fn, { examples }): examples[${i}] must list ${fields.length} value(s), one per input.`);
      return row;
    });
    const defaults: Values = Object.fromEntries(fields.map((f) => [f.name, initial(f)]));

    class InterfaceApp extends App {
      static override title = title;
      static override css =
        theme +
        ".rv-interface{display:grid;gap:calc(var(--rv-space)*1.5);grid-template-columns:repeat(auto-fit,minmax(min(100%,20rem),1fr));align-items:start}" +
        ".rv-interface form,.rv-interface .outputs{border:1px solid var(--rv-border);border-radius:var(--rv-radius);padding:1rem}" +
        ".outputs h2{font-size:1rem;margin:0 0 .5rem}.number{font-size:2rem;margin:0}" +
        ".examples{display:flex;gap:.4rem;flex-wrap:wrap}.examples button{font-size:.85rem;min-height:2rem;padding:.2rem .7rem}" +
        "[aria-busy=true]{opacity:.6}";

      /** The form's values as last submitted (or the defaults). */
      values: Values = { ...defaults };
      /** What is wrong with each field of the last submission. */
      errors: Record<string, string> = {};
      /** The results of the last run, one per output. */
      results: unknown[] | null = null;
      /** What the last run threw, in words. */
      failure = "";
      /** Values waiting to run: set by submit, taken by compute. */
      queued: unknown[] | null = null;

      /** The form was submitted: check every field here, then let the page start the run (so "Running…" shows meanwhile). */
      @server.realtime submit(ev: EventSummary) {
        const values: Values = {};
        const errors: Record<string, string> = {};
        for (const f of fields) {
          const r = readControl(specOf(f), ev?.form?.[f.name]);
          if ("error" in r) (errors[f.name] = r.error), (values[f.name] = typeof ev?.form?.[f.name] === "string" && f.type !== "checkbox" ? (ev.form[f.name] as string).slice(0, 10_000) : this.values[f.name]!);
          else values[f.name] = r.value === null ? Number.NaN : (r.value as string | number | boolean);
        }
        this.values = values;
        this.errors = errors;
        this.failure = ""; // the last run's: this submission is another
        if (Object.keys(errors).length) return;
        this.queued = fields.map((f) => values[f.name]);
        this.client.kick();
      }

      /** A visitor picked one of the examples: it runs as if submitted. */
      @server.realtime example(i: number) {
        const row = examples[i];
        if (!row) return;
        this.values = Object.fromEntries(fields.map((f, k) => [f.name, row[k] as string | number | boolean]));
        this.errors = {};
        this.queued = [...row];
        this.client.kick();
      }

      /** Runs the function on the queued values: the page calls it back once "Running…" is shown. */
      @server.realtime async compute() {
        const args = this.queued;
        if (!args) return;
        try {
          const result = await fn(...args);
          this.results = outputs.length > 1 && Array.isArray(result) ? result : [result];
          this.failure = "";
        } catch (err) {
          this.results = null;
          this.failure = thrownMessage(err);
        } finally {
          this.queued = null;
        }
      }

      /** Runs in the page: asks for the run, after the page shows it is pending. */
      @client.realtime kick() {
        this.server.compute();
      }

      override render(): VNode {
        const running = this.queued !== null;
        return h("main", {},
          h("h1", {}, title),
          options.description ? markdown(options.description) : null,
          h("div", { class: "rv-interface" },
            h("form", { id: "interface", onSubmit: this.submit, "aria-busy": running ? "true" : "false" },
              fields.map((f) => drawControl(specOf(f), { name: f.name, id: `in-${f.name}`, value: Number.isNaN(this.values[f.name]) ? "" : this.values[f.name], error: this.errors[f.name], on: {} })),
              h("button", { type: "submit", disabled: running }, running ? "Running…" : options.submit ?? "Run"),
              examples.length
                ? h("div", { class: "examples" }, h("span", { class: "rv-muted" }, "Examples:"),
                    examples.map((row, i) => h("button", { key: String(i), type: "button", onClick: handler(this.example, { args: [i] }) }, row.map((v) => String(v)).join(", ").slice(0, 40))))
                : null),
            h("section", { class: "outputs", id: "outputs", "aria-live": "polite", "aria-busy": running ? "true" : "false" },
              this.failure ? h("p", { class: "rv-error", role: "alert" }, `It failed: ${this.failure}`) : null,
              outputs.map((o, i) => h("div", { key: String(i), class: `output output-${o.type}` }, h("h2", {}, o.label), this.results ? show(o, this.results[i]) : h("p", { class: "rv-muted" }, running ? "Running…" : "Nothing yet: fill in the form and run it."))))));
      }
    }
    const base = `Interface_${(fn.name || "fn").replace(/\W/g, "_")}`;
    const n = (made.get(base) ?? 0) + 1;
    made.set(base, n);
    Object.defineProperty(InterfaceApp, "name", { value: n === 1 ? base : `${base}_${n}` });
    return InterfaceApp;
  },
};
