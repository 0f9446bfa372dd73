import { randomUUID } from "node:crypto";
import { App, client, h, server, type PresenceDiff } from "revue";
import { chatComposer, chatInput, chatLog, chatMessage, theme } from "revue/ui";
import { backLink } from "../nav.js";

/** One chat line, as broadcast to a room and kept in its history. */
interface Message {
  /** Unique across processes: this process's prefix and its count. */
  id: string;
  room: string;
  from: string;
  text: string;
  /** When it was sent, ms since the epoch. */
  at: number;
}

/** Someone in the room: a name, and how many pages (tabs, devices) they have open in it. */
interface Person {
  name: string;
  pages: number;
}

type Form = { form?: Record<string, string | string[]> };

const HISTORY = 50;
/** The longest message: the input cuts what is typed to this, and `send` cuts what any caller passes. */
const MAX_TEXT = 500;
/** Tells this process's message ids from other processes'. */
const PROCESS = randomUUID().slice(0, 8);
const field = (ev: Form, name: string, max: number) => String(ev.form?.[name] ?? "").trim().slice(0, max);

/**
 * The chat: rooms (`this.join` / `this.to(room).emit`), who is online through
 * `this.presence` (a page is present in its room while its stream is open; one
 * name may have several pages), the last 50 messages of each room for whoever
 * joins later, and a `@client.realtime` toast when someone new enters your room.
 * The messages and their input are revue/ui's `chatLog`, `chatMessage` (times in
 * the reader's zone, your own on the right) and `chatInput`.
 *
 * Presence and messages reach every process that shares the `PubSub`; the
 * history is a static, so each process keeps its own.
 */
export class Chat extends App {
  static override title = "Revue · chat";
  static override css =
    theme +
    ":root{--rv-width:44rem;--rv-chat-height:22rem}#join{display:flex;gap:.5rem;flex-wrap:wrap;margin:0 0 var(--rv-space)}#join input{flex:1 1 10rem;width:auto!important}" +
    "#presence{list-style:none;padding:0;display:flex;gap:.4rem;flex-wrap:wrap}" +
    "#presence li{background:var(--rv-surface);border:1px solid var(--rv-border);border-radius:999px;padding:.1rem .7rem}" +
    "#presence li::before{content:'';display:inline-block;width:.5rem;height:.5rem;border-radius:50%;background:var(--rv-ok);margin-right:.4rem}" +
    ".rv-chat-log{min-height:12rem}" +
    ".toast{position:fixed;top:1em;right:1em;background:var(--rv-fg);color:var(--rv-bg);padding:.4em .8em;border-radius:var(--rv-radius)}";

  /** room → its last {@link HISTORY} messages. */
  static history = new Map<string, Message[]>();
  static nextId = 1;

  name = "";
  room = "";
  messages: Message[] = [];
  people: Person[] = [];
  /** The message input's state (revue/ui's chatInput). */
  composer = chatComposer();
  /** The page's time zone (an IANA name), for the messages' times; the page tells it when it starts. */
  zone = "UTC";

  /** `form#join`: takes a name, leaves the old room, enters the new one (present there under that name). */
  @server.realtime enter(ev: Form) {
    const name = field(ev, "name", 40) || "anonymous";
    const room = field(ev, "room", 40) || "lobby";
    const moved = room !== this.room;
    if (this.room && (moved || name !== this.name)) this.presence.untrack(this.room, this.name);
    if (this.room && moved) this.leave(this.room);
    this.name = name;
    this.room = room;
    this.join(room);
    if (moved) this.messages = [...(Chat.history.get(room) ?? [])];
    this.presence.track(room, name);
    this.people = this.peopleHere();
  }

  /** The message input's Send: posts `text` to everyone in the room, this session included. */
  @server.realtime send(text: string) {
    text = typeof text === "string" ? text.trim().slice(0, MAX_TEXT) : "";
    if (!this.room || !text) return;
    const msg: Message = { id: `${PROCESS}-${Chat.nextId++}`, room: this.room, from: this.name, text, at: Date.now() };
    const history = Chat.history.get(this.room) ?? [];
    history.push(msg);
    if (history.length > HISTORY) history.splice(0, history.length - HISTORY);
    Chat.history.set(this.room, history);
    this.to(this.room).emit("message", msg);
  }

  @server.on("message") received(msg: Message) {
    if (msg.room !== this.room) return;
    this.messages.push(msg);
    if (this.messages.length > 200) this.messages.splice(0, this.messages.length - 200);
  }

  /**
   * Someone's pages joined or left a room, on any process. A name that was not
   * here before gets a toast (not your own, and not a page that reconnected
   * within the same batch: its leave and join come in one diff).
   */
  @server.on("presence") presenceChanged(diff: PresenceDiff) {
    if (diff.topic !== this.room) return;
    const before = new Set(this.people.map((p) => p.name));
    this.people = this.peopleHere();
    for (const name of Object.keys(diff.joins)) if (name !== this.name && !before.has(name)) this.client.toast(`${name} joined`);
  }

  /** A page that reconnects (its stream dropped and came back) is present again. */
  @server.on("connect") reconnected() {
    if (this.room) this.presence.track(this.room, this.name);
  }

  /** The page went away: no longer present. The session stays in the room, so it misses nothing if it comes back. */
  @server.on("disconnect") gone() {
    if (this.room) this.presence.untrack(this.room, this.name);
  }

  /** Runs in the browser: a toast that removes itself after 3 s. */
  @client.realtime toast(msg: string) {
    const el = document.createElement("div");
    el.className = "toast";
    el.setAttribute("role", "status");
    el.textContent = msg;
    document.body.appendChild(el);
    setTimeout(() => el.remove(), 3000);
  }

  /** The page's time zone, so times show as the reader's clock says. An unknown zone is ignored. */
  @server.realtime setZone(zone: string) {
    if (typeof zone !== "string" || zone.length > 64) return;
    try {
      new Intl.DateTimeFormat("en", { timeZone: zone });
      this.zone = zone;
    } catch {}
  }

  /** Runs in the browser each time its stream connects: tells the server, a new session after a restart too, its time zone. */
  @client.on("connect") connected() {
    this.server.setZone(Intl.DateTimeFormat().resolvedOptions().timeZone);
  }

  /** Who is in this room, on every process: one entry per name, with its number of pages. */
  private peopleHere(): Person[] {
    return Object.entries(this.presence.list(this.room)).map(([name, { metas }]) => ({ name, pages: metas.length }));
  }

  override render() {
    return h("main", {},
      backLink(this),
      h("h1", {}, this.room ? `#${this.room}` : "Chat"),
      h("form", { id: "join", onSubmit: this.enter },
        h("input", { name: "name", placeholder: "your name", "aria-label": "Your name", value: this.name, required: true }),
        h("input", { name: "room", placeholder: "room", "aria-label": "Room", value: this.room || "lobby" }),
        h("button", { type: "submit" }, this.room ? "Switch" : "Join")),
      h("p", {}, this.room ? `In #${this.room} as ${this.name}:` : "Pick a name and a room."),
      h("ul", { id: "presence" }, this.people.map((p) => h("li", { key: p.name }, p.pages > 1 ? `${p.name} (${p.pages})` : p.name))),
      chatLog(this.messages.map((m) => chatMessage({ author: m.from, text: m.text, at: m.at, own: m.from === this.name }, { timeZone: this.zone, key: m.id })),
        { label: this.room ? `Messages in #${this.room}` : "Messages" }),
      chatInput(this, "composer", this.send, { placeholder: this.room ? "Say something" : "Join a room first", disabled: !this.room, maxLength: MAX_TEXT }));
  }
}
