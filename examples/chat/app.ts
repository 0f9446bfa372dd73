import { App, client, h, server } from "revue";

/** One chat line, as broadcast to a room and kept in its history. */
interface Message {
  id: number;
  room: string;
  from: string;
  text: string;
}

/** Who is in a room, as broadcast on every join, leave and disconnect. */
interface Presence {
  room: string;
  people: Array<{ sid: string; name: string }>;
  /** Set when someone entered the room: the others get a toast. */
  joined?: { sid: string; name: string };
}

type Form = { form?: Record<string, string | string[]> };

const HISTORY = 50;
const field = (ev: Form, name: string, max: number) => String(ev.form?.[name] ?? "").trim().slice(0, max);

/**
 * The chat: rooms (`this.join` / `this.to(room).emit`), presence kept in a
 * static map and maintained from `connect` / `disconnect`, the last 50
 * messages of each room for whoever joins later, and a `@client.realtime`
 * toast when someone else enters your room.
 *
 * Statics are per process: run one process, or keep history and presence in a
 * shared store (and use a Redis `PubSub`) when there are several.
 */
export class Chat extends App {
  static override title = "Revue · chat";
  static override css =
    "body{font:15px system-ui,sans-serif;max-width:40em;margin:2em auto}" +
    "#messages{list-style:none;padding:0;min-height:8em;border:1px solid #ddd;padding:.5em}" +
    "#presence li{display:inline;margin-right:.6em}" +
    ".toast{position:fixed;top:1em;right:1em;background:#333;color:#fff;padding:.4em .8em;border-radius:4px}";

  /** room → its last {@link HISTORY} messages. */
  static history = new Map<string, Message[]>();
  /** room → sid → name of the sessions whose page is connected. */
  static presence = new Map<string, Map<string, string>>();
  static nextId = 1;

  name = "";
  room = "";
  messages: Message[] = [];
  people: Array<{ sid: string; name: string }> = [];

  /** `form#join`: takes a name, leaves the old room, enters the new one. */
  @server.realtime enter(ev: Form) {
    const name = field(ev, "name", 40) || "anonymous";
    const room = field(ev, "room", 40) || "lobby";
    const moved = room !== this.room;
    if (this.room && moved) {
      this.absent();
      this.leave(this.room);
    }
    this.name = name;
    this.room = room;
    this.join(room);
    if (moved) this.messages = [...(Chat.history.get(room) ?? [])];
    this.present(moved);
  }

  /** `form#send`: posts a message to everyone in the room, this session included. */
  @server.realtime send(ev: Form) {
    const text = field(ev, "text", 500);
    if (!this.room || !text) return;
    const msg: Message = { id: Chat.nextId++, room: this.room, from: this.name, text };
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

  @server.on("presence") presenceChanged(p: Presence) {
    if (p.room !== this.room) return;
    this.people = p.people;
    if (p.joined && p.joined.sid !== this.sid) this.client.toast(`${p.joined.name} joined`);
  }

  /** A page that reconnects (its stream dropped and came back) is present again; no toast. */
  @server.on("connect") reconnected() {
    if (this.room) this.present(false);
  }

  /** The page went away: no longer present. The session stays in the room, so it misses nothing if it comes back. */
  @server.on("disconnect") gone() {
    if (this.room) this.absent();
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

  /** Runs in the browser: empties a form marked `data-reset` once its submit was sent. */
  @client.on("ready") ready() {
    document.addEventListener("submit", (ev) => {
      const form = ev.target as HTMLFormElement;
      if (form.hasAttribute("data-reset")) setTimeout(() => form.reset(), 0);
    });
  }

  private present(announce: boolean) {
    let members = Chat.presence.get(this.room);
    if (!members) Chat.presence.set(this.room, (members = new Map()));
    members.set(this.sid, this.name);
    this.people = peopleIn(this.room);
    const p: Presence = { room: this.room, people: this.people };
    if (announce) p.joined = { sid: this.sid, name: this.name };
    this.to(this.room).emit("presence", p);
  }

  private absent() {
    const members = Chat.presence.get(this.room);
    if (!members?.delete(this.sid)) return;
    if (members.size === 0) Chat.presence.delete(this.room);
    this.to(this.room).emit("presence", { room: this.room, people: peopleIn(this.room) } satisfies Presence);
  }

  override render() {
    return h("main", {},
      h("h1", {}, this.room ? `#${this.room}` : "Chat"),
      h("form", { id: "join", onSubmit: this.enter },
        h("input", { name: "name", placeholder: "your name", value: this.name, required: true }),
        h("input", { name: "room", placeholder: "room", value: this.room || "lobby" }),
        h("button", { type: "submit" }, this.room ? "Switch" : "Join")),
      h("p", {}, this.room ? `In #${this.room} as ${this.name}:` : "Pick a name and a room."),
      h("ul", { id: "presence" }, this.people.map((p) => h("li", { key: p.sid }, p.name))),
      h("ul", { id: "messages" }, this.messages.map((m) => h("li", { key: m.id }, `${m.from}: ${m.text}`))),
      h("form", { id: "send", onSubmit: this.send, "data-reset": "" },
        h("input", { name: "text", placeholder: this.room ? "say something" : "join a room first", autocomplete: "off" }),
        h("button", { type: "submit" }, "Send")));
  }
}

function peopleIn(room: string): Array<{ sid: string; name: string }> {
  return [...(Chat.presence.get(room) ?? [])].map(([sid, name]) => ({ sid, name }));
}
