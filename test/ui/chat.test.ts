import { afterEach, expect, it } from "vitest";
import { z } from "zod";
import { App, h, RevueError, server, type VNode } from "revue";
import { chatComposer, chatInput, chatLog, chatMessage, initials } from "revue/ui";
import { mount, type TestSession } from "revue/testing";
import { pageCall } from "revue/internals";

let t: TestSession<App> | undefined;
afterEach(async () => {
  await t?.unmount();
  t = undefined;
});

const AT = Date.UTC(2026, 10, 29, 13, 5);

interface Line {
  from: string;
  text: string;
  at: number;
}

class Room extends App {
  name = "ann";
  lines: Line[] = [{ from: "Bob Stone", text: "<script>alert(1)</script>", at: AT }];
  composer = chatComposer();
  @server.realtime(z.string().max(40, "40 characters at most"))
  send(text: string) {
    if (text === "boom") throw new RevueError("UNAVAILABLE", "The room is closed.");
    this.lines = [...this.lines, { from: this.name, text, at: AT + 60_000 }];
  }
  override render() {
    return h("main", {},
      chatLog(this.lines.map((m) => chatMessage({ author: m.from, text: m.text, at: m.at, own: m.from === this.name }, { timeZone: "Europe/Paris", now: AT }))),
      chatInput(this, "composer", this.send));
  }
}

it("shows a message with initials, author, local time and text; the reader's own on the other side", async () => {
  t = (await mount(Room)) as TestSession<App>;
  const msg = t.find(".rv-chat-msg")!;
  expect(msg.classList.contains("rv-own")).toBe(false);
  expect(msg.querySelector(".rv-avatar")!.textContent).toBe("BS");
  expect(msg.querySelector(".rv-chat-author")!.textContent).toBe("Bob Stone");
  expect(msg.querySelector("time")!.textContent).toBe("14:05"); // 13:05 UTC in Paris
  expect(msg.querySelector("time")!.getAttribute("datetime")).toBe("2026-11-29T13:05:00.000Z");
  expect(msg.querySelector(".rv-chat-text")!.textContent).toBe("<script>alert(1)</script>");
  expect(t.find(".rv-chat-log script")).toBeNull();
  expect(t.find(".rv-chat-log")!.getAttribute("role")).toBe("log");
});

it("sends the typed message to the app's realtime method and empties the field", async () => {
  t = (await mount(Room)) as TestSession<App>;
  await t.submit("form.rv-chat-input", { message: "  hello there  " });
  const mine = t.findAll(".rv-chat-msg").at(-1)!;
  expect(mine.classList.contains("rv-own")).toBe(true);
  expect(mine.querySelector(".rv-chat-text")!.textContent).toBe("hello there");
  expect(mine.querySelector(".rv-sr")!.textContent).toBe(" (you)");
  expect((t.find(".rv-chat-input input") as HTMLInputElement).value).toBe("");
  // Typing and sending from the focused field (Enter) empties it as well.
  const input = t.find(".rv-chat-input input") as HTMLInputElement;
  input.focus();
  await t.input(".rv-chat-input input", "  second ");
  await t.submit("form.rv-chat-input");
  expect(t.findAll(".rv-chat-text").map((e) => e.textContent)).toEqual(["<script>alert(1)</script>", "hello there", "second"]);
  expect((t.find(".rv-chat-input input") as HTMLInputElement).value).toBe("");
  // The same field, still focused: the visitor types the next line at once.
  expect(t.find(".rv-chat-input input")).toBe(input);
  expect(t.document.activeElement).toBe(input);
  expect((t.app as Room).composer.sent).toBe(2);
});

it("keeps a message its schema refuses in the field, with the reason under it; shows an error the method throws", async () => {
  t = (await mount(Room)) as TestSession<App>;
  const input = t.find(".rv-chat-input input") as HTMLInputElement;
  input.focus();
  await t.input(".rv-chat-input input", "x".repeat(41));
  await t.submit("form.rv-chat-input");
  expect(t.text(".rv-chat-input .rv-error")).toBe("40 characters at most");
  expect((t.find(".rv-chat-input input") as HTMLInputElement).value).toBe("x".repeat(41));
  expect(t.find(".rv-chat-input input")!.getAttribute("aria-invalid")).toBe("true");
  expect(t.findAll(".rv-chat-text")).toHaveLength(1);
  await t.input(".rv-chat-input input", "boom");
  await t.submit("form.rv-chat-input");
  expect(t.text(".rv-chat-input .rv-error")).toBe("The room is closed.");
  // Not sent: the text stays for another try.
  expect((t.find(".rv-chat-input input") as HTMLInputElement).value).toBe("boom");
  await t.submit("form.rv-chat-input", { message: "fine" });
  expect(t.find(".rv-chat-input .rv-error")).toBeNull();
  expect(t.findAll(".rv-chat-text").at(-1)!.textContent).toBe("fine");
  // An empty message sends nothing.
  await t.submit("form.rv-chat-input", { message: "   " });
  expect(t.findAll(".rv-chat-text")).toHaveLength(2);
});

it("puts back the text a re-bootstrapped page had typed and not sent, without sending it", async () => {
  t = (await mount(Room)) as TestSession<App>;
  await t.submit("form.rv-chat-input", { message: "first" }); // the page's call 1
  const session = t.hub.get(t.sid)!;
  // What the page sends first after a restart (client/recover.ts): its fields by form id.
  await t.hub.call(session, pageCall("realtime", "rv.recover", 2, [{ "rv-composer": { message: "half a thought" } }]));
  await t.settle();
  expect((t.find(".rv-chat-input input") as HTMLInputElement).value).toBe("half a thought");
  expect(t.findAll(".rv-chat-text").map((e) => e.textContent)).toEqual(["<script>alert(1)</script>", "first"]); // not sent
  expect((t.app as Room).composer.sent).toBe(1);
  // Sent then, it goes as any message and the field empties.
  await t.hub.call(session, pageCall("realtime", "rv.set", 3, ["composer", { type: "submit", form: { message: "half a thought, finished" } }]));
  await t.settle();
  expect(t.findAll(".rv-chat-text").at(-1)!.textContent).toBe("half a thought, finished");
  expect((t.find(".rv-chat-input input") as HTMLInputElement).value).toBe("");
});

it("makes initials of any name and says how to fix a missing composer field", () => {
  expect(["Ada Lovelace", "émile", "李小龙", "  ", "grace.b.hopper", "🙂 smile"].map(initials)).toEqual(["AL", "É", "李", "?", "GH", "🙂S"]);
  class NoField extends App {
    @server.realtime send() {}
    override render() {
      return chatInput(this as never, "composer" as never, this.send);
    }
  }
  expect(() => new NoField().render()).toThrow(/NoField\.composer must hold the input's state; declare it as `composer = chatComposer\(\);`/);
  class Plain extends App {
    composer = chatComposer();
    send(_text: string) {}
    override render() {
      return chatInput(this, "composer", this.send);
    }
  }
  expect(() => new Plain().render()).toThrow(/send must be one of Plain's @server.realtime or @server.rpc methods \(this.send\), taking the text; got send/);
  expect(() => chatMessage({ author: "a", text: "b", at: AT }, { timeZone: "Mars/Olympus" })).toThrow(/"Mars\/Olympus" is not a time zone/);
});

it("shows the date too for a message from another day", () => {
  const node = chatMessage({ author: "a", text: "b", at: AT - 2 * 86_400_000 }, { now: AT }) as unknown as { children: { children: { children: { text?: string }[] }[] }[] };
  const html = JSON.stringify(node);
  expect(html).toContain("27 Nov 2026, 13:05");
});

it("shows the same message's time today and its date once the day has turned, in each reader's zone", () => {
  const shown = (now: number, zone: string) => /"tag":"time".*?"text":"([^"]*)"/.exec(JSON.stringify(chatMessage({ author: "a", text: "b", at: AT }, { now, timeZone: zone })))![1];
  expect(shown(AT + 60_000, "Europe/Paris")).toBe("14:05");
  // 23:30 in Paris the same day, then 00:30 the next: the day has turned there.
  expect(shown(Date.UTC(2026, 10, 29, 22, 30), "Europe/Paris")).toBe("14:05");
  expect(shown(Date.UTC(2026, 10, 29, 23, 30), "Europe/Paris")).toBe("29 Nov 2026, 14:05");
  // Still the 29th in New York at that moment, and the time is New York's.
  expect(shown(Date.UTC(2026, 10, 29, 23, 30), "America/New_York")).toBe("08:05");
});

it("draws a message again only when what it shows changed: its text, author, side, zone or day", async () => {
  const { MemoCache } = await import("../../src/vdom/index.js");
  // What a message shows, read off the nodes the render returned.
  const shown = (v: VNode): string => v.type === "text" ? v.text : (v.text ?? "") + v.children.map(shown).join("");
  const cache = new MemoCache();
  const draw = (m: { author: string; text: string; own?: boolean }, now = AT, timeZone = "UTC") =>
    cache.render(() => chatMessage({ ...m, at: AT }, { key: 7, now, timeZone }));
  const first = draw({ author: "Ann", text: "hi" });
  // The same message in the next render: last render's subtree, which the diff does not walk.
  expect(draw({ author: "Ann", text: "hi" })).toBe(first);
  const edited = draw({ author: "Ann", text: "hi!" });
  expect(edited).not.toBe(first);
  expect(shown(edited)).toContain("hi!");
  const bob = draw({ author: "Bob", text: "hi!" });
  expect(bob).not.toBe(edited);
  expect(shown(bob)).toContain("Bob");
  expect(draw({ author: "Bob", text: "hi!", own: true })).not.toBe(bob);
  // The day turns: the message is no longer today's, so it shows its date.
  const today = shown(draw({ author: "Bob", text: "hi!", own: true }));
  const tomorrow = shown(draw({ author: "Bob", text: "hi!", own: true }, AT + 86_400_000));
  expect(today).toContain("13:05");
  expect(today).not.toContain("2026");
  expect(tomorrow).toContain("29 Nov 2026");
  expect(shown(draw({ author: "Bob", text: "hi!", own: true }, AT + 86_400_000, "Asia/Tokyo"))).toContain("22:05");
});
