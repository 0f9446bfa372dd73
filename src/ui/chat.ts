import { RevueError, UsageError } from "../errors.js";
import { shownFailure, type App } from "../app.js";
import type { EventSummary } from "../protocol.js";
import { bindField, followUp, UNCHANGED } from "../registry/fields.js";
import { checkedArgs, refusal, serverMethod } from "./submit.js";
import { h, type Child } from "../vdom/h.js";
import { memo } from "../vdom/memo.js";
import type { VNode } from "../vdom/types.js";

/** One message, as {@link chatMessage} shows it. */
export interface ChatMessage {
  author: string;
  /** The message: text (shown as text), or elements such as `markdown(text, { breaks: true })`. */
  text: Child;
  /** When it was sent: a Date or ms since the epoch. */
  at?: Date | number;
  /** The reader's own message: shown on the other side, in the accent colour. */
  own?: boolean;
}

/** Options of {@link chatMessage}. */
export interface ChatMessageOptions {
  /** The reader's time zone (an IANA name such as "Europe/Paris"), for the time shown. Default "UTC". */
  timeZone?: string;
  /** "Now" for deciding whether to show the date too (a message from another day). Default: the current time. */
  now?: number;
  /** The message's identity in its log (its id), so a log that drops its oldest messages moves none of the others' elements. */
  key?: string | number;
}

/** Avatar backgrounds, each with white text at a contrast of 4.8:1 or more. */
const AVATAR = ["#0b5cd5", "#1a7f37", "#8250df", "#b35900", "#bf3989", "#0e7490", "#6e5494", "#a40e26"];

/** Up to two initials of a name, whatever its script: "Ada Lovelace" → "AL", "émile" → "É", "李小龙" → "李". */
export function initials(name: string): string {
  const words = name.trim().split(/[\s._-]+/).filter(Boolean);
  const first = (w: string | undefined) => (w ? Array.from(w)[0]!.toLocaleUpperCase() : "");
  return (first(words[0]) + (words.length > 1 ? first(words.at(-1)) : "")) || "?";
}

/** The same name always gets the same colour. */
function colourOf(name: string): string {
  let hash = 0;
  for (let i = 0; i < name.length; i++) hash = (Math.imul(hash, 31) + name.charCodeAt(i)) | 0;
  return AVATAR[Math.abs(hash) % AVATAR.length]!;
}

const formats = new Map<string, Intl.DateTimeFormat>();
function format(zone: string, kind: "time" | "day" | "full"): Intl.DateTimeFormat {
  const id = `${zone} ${kind}`;
  let f = formats.get(id);
  if (!f) {
    const opts: Intl.DateTimeFormatOptions =
      kind === "time" ? { hour: "2-digit", minute: "2-digit" } : kind === "day" ? { year: "numeric", month: "2-digit", day: "2-digit" } : { dateStyle: "medium", timeStyle: "short" };
    try {
      f = new Intl.DateTimeFormat("en-GB", { ...opts, timeZone: zone });
    } catch {
      throw new UsageError(`chatMessage(…, { timeZone }): ${JSON.stringify(zone).slice(0, 60)} is not a time zone; use an IANA name such as "Europe/Paris" (the page's: Intl.DateTimeFormat().resolvedOptions().timeZone).`);
    }
    formats.set(id, f);
  }
  return f;
}

/*
 * A log re-draws every message on each render, and the texts below cost more
 * than the elements (regex, code points, three Intl formats): they are kept,
 * per name and per zone and time. A cache is dropped whole when it is full.
 */
const KEPT = 2000;
const avatars = new Map<string, { initials: string; style: string }>();
function avatarOf(name: string): { initials: string; style: string } {
  let a = avatars.get(name);
  if (!a) {
    if (avatars.size >= KEPT) avatars.clear();
    avatars.set(name, (a = { initials: initials(name), style: `background:${colourOf(name)}` }));
  }
  return a;
}

interface Stamp { day: string; time: string; full: string; iso: string }
const stamps = new Map<string, Stamp>();
function stampOf(zone: string, at: number): Stamp {
  const id = `${zone} ${at}`;
  let s = stamps.get(id);
  if (!s) {
    if (stamps.size >= KEPT) stamps.clear();
    stamps.set(id, (s = { day: format(zone, "day").format(at), time: format(zone, "time").format(at), full: format(zone, "full").format(at), iso: new Date(at).toISOString() }));
  }
  return s;
}

/** Today's date in `zone` at `now`, re-computed when the minute or the zone changes. */
let today = { zone: "", minute: NaN, day: "" };
function dayOf(zone: string, now: number): string {
  const minute = Math.floor(now / 60_000);
  if (today.zone !== zone || today.minute !== minute) today = { zone, minute, day: format(zone, "day").format(now) };
  return today.day;
}

/**
 * One chat message: the author's initials in a coloured circle, the name,
 * the time (in the reader's zone, with the date when it is not today; the full
 * date on hover) and the text. The reader's own messages sit on the other
 * side in the accent colour, and say "(you)" to screen readers. Names and
 * text are shown as text, never as markup.
 *
 * @example
 * import { chatLog, chatMessage } from "revue/ui";
 * chatLog(this.messages.map((m) => chatMessage({ author: m.from, text: m.text, at: m.at, own: m.from === this.name }, { timeZone: this.zone, key: m.id })))
 */
export function chatMessage(message: ChatMessage, options: ChatMessageOptions = {}): VNode {
  if (typeof message !== "object" || message === null || typeof message.author !== "string") {
    throw new UsageError(`chatMessage(message): message must be { author: string, text, at?, own? }, got ${JSON.stringify(message)?.slice(0, 80)}.`);
  }
  const zone = options.timeZone ?? "UTC";
  const at = message.at === undefined ? undefined : message.at instanceof Date ? message.at.getTime() : message.at;
  const timed = at !== undefined && Number.isFinite(at);
  // Props of one shape and order, each a primitive but `text`: a message drawn again compares equal and is not rebuilt.
  return h(MessageView, {
    key: options.key,
    author: message.author,
    text: message.text,
    own: message.own ?? false,
    zone,
    at: timed ? at : undefined,
    today: timed ? dayOf(zone, options.now ?? Date.now()) : "",
  });
}

/**
 * The message's elements, memoised: a log re-draws every message at each render,
 * and a message whose author, text, time, zone and day did not change returns
 * last render's subtree, which the diff does not walk (one new message in a log
 * of 200, 1,000 sessions in 20 rooms: 0.12–0.16× the CPU per delivery, for 270 B of
 * memo entry per message held).
 */
const MessageView = memo((p: { author: string; text: Child; own: boolean; zone: string; at: number | undefined; today: string }): VNode => {
  const { text, own, zone, at } = p;
  let time: VNode | null = null;
  if (at !== undefined) {
    const stamp = stampOf(zone, at);
    time = h("time", { datetime: stamp.iso, title: stamp.full }, stamp.day === p.today ? stamp.time : stamp.full);
  }
  const name = p.author.trim() || "anonymous";
  const avatar = avatarOf(name);
  return h("article", { class: own ? "rv-chat-msg rv-own" : "rv-chat-msg" },
    h("span", { class: "rv-avatar", "aria-hidden": "true", style: avatar.style }, avatar.initials),
    h("div", { class: "rv-chat-bubble" },
      h("header", {}, h("b", { class: "rv-chat-author" }, name), own ? h("span", { class: "rv-sr" }, " (you)") : null, time ? " " : null, time),
      h("div", { class: "rv-chat-text" }, text)));
});

/**
 * The list chat messages go in: a `log` region, so screen readers read new
 * messages as they arrive, scrolling inside itself past `--rv-chat-height`.
 * It opens scrolled to the newest message and stays there as messages arrive
 * (a reversed flex box around the list: no script), unless the reader has
 * scrolled up to older ones.
 *
 * @example
 * chatLog(this.messages.map((m) => chatMessage(m, { key: m.id })))
 * // Keyed by a stable id: a new message is one insert. Unkeyed, every message takes its
 * // predecessor's place, and one message sent the whole log again (55 KB for 200).
 */
export function chatLog(messages: Child, options: { label?: string } = {}): VNode {
  return h("div", { class: "rv-chat-log", role: "log", "aria-label": options.label ?? "Messages", tabindex: 0 }, h("div", { class: "rv-chat-list" }, messages));
}

/** The state of a {@link chatInput}: how many messages it sent (each send gives the page an empty field), and why the last one was refused. */
export interface ChatComposer {
  sent: number;
  /** Shown under the field: what the send method's schema or error said, or "". */
  error: string;
  /** The field's text as it was sent, while it is being sent (and after a failed send, for another try). */
  draft?: string;
}

/**
 * The starting value of a {@link chatInput}'s field.
 *
 * @example
 * composer = chatComposer();
 */
export function chatComposer(): ChatComposer {
  return { sent: 0, error: "" };
}

/** Options of {@link chatInput}. */
export interface ChatInputOptions {
  /** Default "Write a message". */
  placeholder?: string;
  /** What screen readers call the field. Default "Message". */
  label?: string;
  /** The most characters the field takes (longer text is cut on the server too). Default 2,000. */
  maxLength?: number;
  /** The button's text. Default "Send". */
  button?: string;
  /** Disables the field and the button (not in a room yet, say). */
  disabled?: boolean;
}

/**
 * A message field and a Send button. Enter or the button calls `send`, one
 * of the app's `@server.realtime` or `@server.rpc` methods, with the text
 * (trimmed; an empty field sends nothing). The text is checked against the
 * method's argument schema first, if it has one, and what is wrong shows
 * under the field, the text left in it. Otherwise the field empties at once
 * (each send counts in the app field `key`, made by {@link chatComposer}, and
 * the page gets a new, empty field, which does not have the focus: after
 * Enter, a click or Tab brings the visitor back to it), then `send` runs; a
 * `RevueError` it throws shows under the field. The form's id is
 * `rv-<key>`: a page that starts its session afresh (after a restart) puts
 * the text typed and not sent back into the field, unsent.
 *
 * @example
 * import { chatComposer, chatInput } from "revue/ui";
 * class Room extends App {
 *   composer = chatComposer();
 *   @server.realtime(z.string().max(280, "280 characters at most"))
 *   send(text: string) { this.to("room").emit("message", { from: this.name, text, at: Date.now() }); }
 *   render() { return h("main", {}, …, chatInput(this, "composer", this.send)); }
 * }
 */
export function chatInput<K extends string>(app: Record<NoInfer<K>, ChatComposer>, key: K, send: (text: string) => unknown, options: ChatInputOptions = {}): VNode {
  const name = (app as object)?.constructor?.name ?? "app";
  const where = `chatInput(this, ${JSON.stringify(key)}) in ${name}`;
  const composer = (app as Record<string, unknown>)[key] as ChatComposer | undefined;
  if (typeof composer?.sent !== "number") throw new UsageError(`${where}: ${name}.${key} must hold the input's state; declare it as \`${key} = chatComposer();\` (from revue/ui).`);
  const entry = serverMethod(app as object, send, where, "send", "this.send", "the text");
  const maxLength = options.maxLength ?? 2000;
  const record = app as Record<string, unknown>;
  const id = `rv-${key}`;
  const update = (ev: EventSummary, cur: ChatComposer) => {
    // A re-bootstrapped page's typed text (after a restart): back in the field, not sent.
    if (ev.type === "recover") {
      const typed = String([ev.form?.message].flat()[0] ?? "").slice(0, maxLength);
      return typed && typed !== cur.draft ? { ...cur, draft: typed } : UNCHANGED;
    }
    const text = ev.type === "submit" ? chatText(ev, maxLength) : "";
    if (!text) return UNCHANGED;
    const refused = refusal(app as object, entry, where);
    if (refused) return { ...cur, error: refused };
    const checked = checkedArgs(name, entry, [text]);
    // The page keeps the focused field's text: the visitor fixes it and sends again.
    if ("issues" in checked) return { ...cur, error: checked.issues.slice(0, 3).map((i) => i.message).join(" ") };
    const { args } = checked;
    // The field shows what was sent while it goes (as the page has it, untrimmed), then empties: the page
    // sets a focused field the server had the text of, so the visitor keeps the focus and types on.
    return followUp<ChatComposer>({ sent: cur.sent + 1, error: "", draft: String([ev.form?.message].flat()[0] ?? "") }, async () => {
      try {
        await (send as (...a: unknown[]) => unknown).apply(app, args);
        record[key] = { ...(record[key] as ChatComposer), draft: "" };
      } catch (err) {
        record[key] = { ...(record[key] as ChatComposer), error: shownFailure(app as unknown as App, err, "Could not send; please try again.") };
        if (!(err instanceof RevueError)) throw err;
      }
    }, entry.method);
  };
  const error = composer.error ? h("p", { class: "rv-error", role: "alert" }, composer.error) : null;
  return h("form", { id, class: "rv-chat-input", onSubmit: bindField(app, key, update as never, [], { form: id }) },
    h("div", { class: "rv-chat-row" },
      h("input", { name: "message", value: composer.draft ?? "", type: "text", autocomplete: "off", required: true, maxlength: maxLength, disabled: options.disabled, placeholder: options.placeholder ?? "Write a message", "aria-label": options.label ?? "Message", "aria-invalid": composer.error ? "true" : undefined }),
      h("button", { type: "submit", disabled: options.disabled }, options.button ?? "Send")),
    error);
}

/** The text of a chat input's submit: trimmed, cut to `max` characters, "" if none. */
function chatText(ev: EventSummary, max: number): string {
  const v = ev?.form?.message;
  return String((Array.isArray(v) ? v[0] : v) ?? "").trim().slice(0, max);
}

/** The stylesheet of chat messages, the log and the input, part of `theme` already: for a page that styles the kit without the theme. */
export const chatCss: string = `
.rv-chat-log{display:flex;flex-direction:column-reverse;max-height:var(--rv-chat-height,28rem);overflow-y:auto;padding:.6rem;margin:0 0 var(--rv-space);border:1px solid var(--rv-border);border-radius:var(--rv-radius)}
.rv-chat-list{display:flex;flex-direction:column;gap:.6rem}
.rv-chat-msg{display:flex;gap:.6rem;align-items:flex-end;max-width:min(85%,40rem)}
.rv-chat-msg.rv-own{align-self:flex-end;flex-direction:row-reverse}
.rv-avatar{flex:none;display:inline-grid;place-items:center;width:2.2rem;height:2.2rem;border-radius:50%;color:#fff;font-size:.85rem;font-weight:600;line-height:1}
.rv-chat-bubble{min-width:0;background:var(--rv-surface);border:1px solid var(--rv-border);border-radius:var(--rv-radius);padding:.4rem .7rem}
.rv-own .rv-chat-bubble{background:var(--rv-accent);border-color:var(--rv-accent);color:var(--rv-accent-fg)}
.rv-chat-bubble header{font-size:.85em;display:flex;gap:.5em;align-items:baseline;flex-wrap:wrap}
.rv-chat-bubble time{color:var(--rv-muted);font-size:.9em;white-space:nowrap}.rv-own .rv-chat-bubble time{color:inherit}
.rv-chat-text{overflow-wrap:anywhere}.rv-chat-text>:last-child{margin-bottom:0}
.rv-own .rv-chat-text a{color:inherit}
.rv-chat-input{margin:0 0 var(--rv-space)}.rv-chat-row{display:flex;gap:.5rem}
.rv-chat-input input{flex:1 1 auto;min-width:0}
.rv-chat-input button{flex:none}
`.trim();
