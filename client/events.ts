import { ID_ATTR, ON_ATTR_PREFIX } from "../src/vdom/types.js";
import type { EventSummary } from "../src/protocol.js";
import { NOT_TEXT, type Field } from "./apply.js";

export type { EventSummary };

/**
 * DOM events, delegated: one capturing listener on the root per event type in
 * use, found from the `data-rv-on-<type>` attributes the server renders. An
 * attribute holds `r:<name>` (a `@server.realtime` method), `c:<method>` (a
 * `@client.callback`) or `u:<name>` (a file input whose files are uploaded,
 * then reported to the realtime method `name`), optionally followed by `/<ms>` to debounce it, then
 * optionally by a space and the JSON array of the binding's `args`
 * (`handler(this.toggle, { args: [item.id] })` → `r:toggle [7]`).
 *
 * The method is called with the binding's args first, then the event: a
 * realtime method gets `(...args, summary)`, a callback `(...args, event)`.
 *
 * Capturing, because events that do not bubble (focus, blur, mouseenter, …)
 * still pass through the root on their way down.
 */

/** Where bound events go: the binding's args, then the event summary (realtime) or the Event (callback). */
export interface EventSink {
  /** Resolves once the patch that answers the call has been applied (or the page has given up waiting for it). */
  realtime(name: string, args: unknown[]): Promise<unknown>;
  callback(method: string, args: unknown[]): void;
  /** A `u:` binding on a file input: upload its files, then call the realtime method with the outcome after `args`. */
  upload(name: string, args: unknown[], input: HTMLInputElement): void;
}

/** The delegation for one root. */
export interface Delegation {
  /**
   * Listens for every event type bound in `text`: the root's `outerHTML` at
   * hydration, then the JSON of each snapshot or batch of ops. Reading text
   * rather than walking nodes keeps this one small function; a stray match
   * (a user's text that spells an attribute name) only adds an idle listener.
   */
  scan(text: string): void;
  /** Runs debounced calls that are still waiting, so nothing overtakes them. */
  flush(): void;
}

const BINDING = /^([rcu]):([^/ ]+)(?:\/(\d+))? ?(.*)$/;
/**
 * An `input` event the user is typing (text fields, textareas, contenteditable):
 * one per keystroke. (Buttons and hidden fields, also in `NOT_TEXT`, fire no `input`.)
 */
const isTyping = (ev: Event) => ev.type === "input" && !NOT_TEXT.test((ev.target as HTMLInputElement).type);

/**
 * The serialisable part of an event.
 *
 * @example
 * summarize(inputEvent, input) // { type: "input", value: "hel" }
 */
export function summarize(ev: Event, el: Element): EventSummary {
  const field = (typeof (el as HTMLInputElement).value === "string" ? el : ev.target) as HTMLInputElement;
  const { type, key } = ev as KeyboardEvent;
  const s: EventSummary = { type };
  if (typeof field.value === "string") s.value = field.value;
  if (field.type === "checkbox" || field.type === "radio") s.checked = field.checked;
  if (typeof key === "string") s.key = key;
  if (type === "submit") {
    // No prototype: a field named "constructor" or "toString" is just a field.
    const form: Record<string, string | string[]> = (s.form = Object.create(null));
    for (const [name, v] of new FormData(ev.target as HTMLFormElement)) {
      // A name given again turns into an array: [first, v], then [...earlier, v].
      if (typeof v === "string") form[name] = name in form ? [form[name]!, v].flat() : v;
    }
  }
  return s;
}

/**
 * Delegates the bound events under `root` to `sink`. A realtime binding on a
 * text input is debounced by `typingMs` unless the binding names its own delay;
 * a callback binding is only debounced when the binding says so, since it gets
 * the real Event and may want to act on it at once.
 *
 * @example
 * const d = delegateEvents(root, { realtime: (name, args) => send(name, args), callback: (method, args) => run(method, args) });
 * d.scan(root.outerHTML);
 */
export function delegateEvents(root: Element, sink: EventSink, typingMs = 150): Delegation {
  /** Debounced calls by element and event type: the timer and the call. */
  const waiting = new Map<string, [ReturnType<typeof setTimeout>, () => void]>();

  const pattern = RegExp(`\\b${ON_ATTR_PREFIX}([\\w-]+)\\b`, "g");
  // The DOM adds a listener once: adding the same (type, handle, capture) again does nothing.
  const scan = (text: string) => {
    for (const [, type] of text.matchAll(pattern)) root.addEventListener(type!, handle, true);
  };

  // All taken out first: a call run here flushes again (the runtime sends debounced typing ahead of any call) and must find none left to overtake it.
  const flush = () => {
    const runs = [...waiting.values()];
    waiting.clear();
    for (const [timer, run] of runs) clearTimeout(timer), run();
  };

  function dispatch(el: Element, binding: string, ev: Event) {
    const m = BINDING.exec(binding);
    if (!m) return;
    const [, kind, name, ms, json] = m as unknown as [string, string, string, string | undefined, string | undefined];
    const bound: unknown[] = JSON.parse(json || "[]");
    if (kind === "u") return sink.upload(name, bound, el as HTMLInputElement);
    const realtime = kind === "r";
    // The server handles a submit; the browser must not navigate away.
    if (realtime && ev.type === "submit") ev.preventDefault();
    // The binding's args, then what happened: the summary is taken now, while the event is current.
    const summary = realtime && summarize(ev, el);
    const args = [...bound, summary || ev];
    // Typing: its field agrees with the server on the text sent once the patch that answers it is in (client/apply.ts keepsTyped).
    const field = ev.target as Field;
    const typed = summary && isTyping(ev) && (field.agreed = [] as string[]);
    // (The server shows typing in a patch of its own, before any later call runs: a line sent and cleared is the next patch.)
    const run = () => (summary ? sink.realtime(name, args).then(() => typed && (typed[0] = summary.value!)) : sink.callback(name, args));
    const wait = ms ? +ms : typed ? typingMs : 0;
    if (!wait) return flush(), run();
    const key = `${el.getAttribute(ID_ATTR)} ${ev.type}`;
    clearTimeout(waiting.get(key)?.[0]);
    waiting.set(key, [setTimeout(() => (waiting.delete(key), run()), wait), run]);
  }

  function handle(ev: Event): void {
    const attr = ON_ATTR_PREFIX + ev.type;
    let el = ev.target as Element | null;
    if (el && el.nodeType !== 1) el = el.parentElement;
    for (; el; el = el.parentElement) {
      const binding = el.getAttribute(attr);
      if (binding) dispatch(el, binding, ev);
      // Bubbling by hand: a non-bubbling event only reaches its own target's binding.
      if (el === root || !ev.bubbles || ev.cancelBubble) break;
    }
  }

  return {
    scan,
    flush,
  };
}
