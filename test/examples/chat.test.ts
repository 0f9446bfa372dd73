import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { mount, type TestSession } from "revue/testing";
import { Chat } from "../../examples/chat/app.js";

let open: TestSession<Chat>[] = [];
beforeEach(() => {
  Chat.history.clear();
});
afterEach(async () => {
  for (const t of open.reverse()) await t.unmount();
  open = [];
});

/** Three browsers on one server: ann and bob in room "a", cy in room "b". */
async function threeBrowsers() {
  const ann = await mount(Chat);
  const bob = await ann.another();
  const cy = await ann.another();
  open.push(ann, bob, cy);
  await ann.submit("#join", { name: "ann", room: "a" });
  await bob.submit("#join", { name: "bob", room: "a" });
  await cy.submit("#join", { name: "cy", room: "b" });
  return { ann, bob, cy };
}

/** The messages as a reader sees them, oldest first: "author: text". */
const lines = (t: TestSession<Chat>) => t.findAll("[role=log] article").map((m) => `${m.querySelector(".rv-chat-author")!.textContent}: ${m.querySelector(".rv-chat-text")!.textContent}`);
const names = (t: TestSession<Chat>) => t.findAll("#presence > li").map((li) => li.textContent);
/** Types `text` in the message input and sends it, as Enter does. */
const say = (t: TestSession<Chat>, text: string) => t.submit("form.rv-chat-input", { message: text });

describe("examples/chat", () => {
  it("delivers a message to everyone in the room and to no one outside it", async () => {
    const { ann, bob, cy } = await threeBrowsers();
    await say(ann, "hello");
    await bob.settle();
    expect(lines(ann)).toEqual(["ann: hello"]);
    expect(lines(bob)).toEqual(["ann: hello"]);
    expect(lines(cy)).toEqual([]);
    expect(cy.events.filter((e) => e.event === "message")).toEqual([]);
  });

  it("marks your own messages, and shows when each was sent in the reader's time zone", async () => {
    const { ann, bob } = await threeBrowsers();
    const before = Date.now();
    await say(ann, "hello");
    await bob.settle();
    // Ann's own message sits on the other side in the accent colour, and screen readers hear "(you)"; bob sees it as anyone's.
    expect(ann.find("[role=log] article")!.classList.contains("rv-own")).toBe(true);
    expect(ann.text("[role=log] article header")).toMatch(/^ann \(you\) \d\d:\d\d$/);
    expect(bob.find("[role=log] article")!.classList.contains("rv-own")).toBe(false);
    expect(bob.text("[role=log] article header")).toMatch(/^ann \d\d:\d\d$/);
    const at = Date.parse(bob.find("[role=log] time")!.getAttribute("datetime")!);
    expect(at).toBeGreaterThanOrEqual(before);
    // The page told the server its zone when its stream connected, and the time reads as that zone's clock.
    const zone = Intl.DateTimeFormat().resolvedOptions().timeZone;
    expect(bob.app.zone).toBe(zone);
    expect(bob.text("[role=log] time")).toBe(new Intl.DateTimeFormat("en-GB", { hour: "2-digit", minute: "2-digit", timeZone: zone }).format(at));
    bob.app.setZone("Asia/Tokyo");
    expect(bob.app.zone).toBe("Asia/Tokyo");
    bob.app.setZone("Mars/Olympus"); // not a zone: ignored
    expect(bob.app.zone).toBe("Asia/Tokyo");
  });

  it("ignores empty messages and messages sent before joining, and empties the input after a send", async () => {
    const t = await mount(Chat);
    open.push(t);
    expect((t.find("form.rv-chat-input input") as HTMLInputElement).disabled).toBe(true);
    expect(t.find("form.rv-chat-input input")!.getAttribute("placeholder")).toBe("Join a room first");
    t.app.send("lost"); // as a page that skips the disabled input would
    await t.submit("#join", { name: "ann", room: "a" });
    expect((t.find("form.rv-chat-input input") as HTMLInputElement).disabled).toBe(false);
    await say(t, "   ");
    expect(lines(t)).toEqual([]);
    await say(t, "  hi  ");
    expect(lines(t)).toEqual(["ann: hi"]);
    expect((t.find("form.rv-chat-input input") as HTMLInputElement).value).toBe("");
  });

  it("lists who is present, and drops a page that goes away", async () => {
    const { ann, bob, cy } = await threeBrowsers();
    expect(names(ann)).toEqual(["ann", "bob"]);
    expect(names(bob)).toEqual(["ann", "bob"]);
    expect(names(cy)).toEqual(["cy"]);
    await bob.unmount();
    await ann.settle();
    expect(names(ann)).toEqual(["ann"]);
    expect(Object.keys(ann.hub.presence.list("a"))).toEqual(["ann"]);
  });

  it("shows one name once however many pages it has open, with their count", async () => {
    const { ann, bob } = await threeBrowsers();
    const annAgain = await ann.another();
    open.push(annAgain);
    await annAgain.submit("#join", { name: "ann", room: "a" });
    await bob.settle();
    expect(names(bob)).toEqual(["ann (2)", "bob"]);
    expect(ann.hub.presence.list("a").ann!.metas).toHaveLength(2);
    // Ann's second page is no news: nobody is told "ann joined" again.
    expect(bob.calls).toEqual([]);
    await annAgain.unmount();
    await bob.settle();
    expect(names(bob)).toEqual(["ann", "bob"]);
  });

  it("sends the pages of a room its presence diffs, as rv.on(\"presence\") sees them, and no other room's", async () => {
    const { ann, bob, cy } = await threeBrowsers();
    const diffs = (t: TestSession<Chat>) => t.events.filter((e) => e.event === "presence").map((e) => e.data as { topic: string; joins: Record<string, unknown>; leaves: Record<string, unknown> });
    // ann (room a) saw bob join room a: the diff names its topic.
    expect(diffs(ann)).toContainEqual({ topic: "a", joins: { bob: { metas: [{ ref: expect.any(String) }] } }, leaves: {} });
    // cy (room b) hears nothing of who is in room a.
    expect(diffs(cy).map((d) => d.topic)).not.toContain("a");
    await bob.unmount();
    await ann.settle();
    expect(diffs(ann).at(-1)).toEqual({ topic: "a", joins: {}, leaves: { bob: { metas: [{ ref: expect.any(String) }] } } });
  });

  it("toasts the others when someone joins, not the joiner nor other rooms", async () => {
    const { ann, bob, cy } = await threeBrowsers();
    expect(ann.calls).toEqual([{ method: "toast", args: ["bob joined"] }]);
    expect(bob.calls).toEqual([]);
    expect(cy.calls).toEqual([]);
  });

  it("switching rooms leaves the old one and loads the new room's history", async () => {
    const { ann, bob, cy } = await threeBrowsers();
    await say(cy, "in b");
    await say(ann, "in a");
    await bob.submit("#join", { name: "bob", room: "b" });
    await ann.settle();
    expect(lines(bob)).toEqual(["cy: in b"]);
    expect(names(bob)).toEqual(["cy", "bob"]);
    expect(names(ann)).toEqual(["ann"]);
    expect(cy.calls).toEqual([{ method: "toast", args: ["bob joined"] }]);
    // bob left "a": what is said there no longer reaches him.
    await say(ann, "anyone?");
    await bob.settle();
    expect(lines(bob)).toEqual(["cy: in b"]);
  });

  it("keeps the last 50 messages of a room for whoever joins later", async () => {
    const ann = await mount(Chat);
    open.push(ann);
    await ann.submit("#join", { name: "ann", room: "a" });
    for (let i = 1; i <= 55; i++) await say(ann, `m${i}`);
    const late = await ann.another();
    open.push(late);
    await late.submit("#join", { name: "late", room: "a" });
    const got = lines(late);
    expect(got).toHaveLength(50);
    expect(got[0]).toBe("ann: m6");
    expect(got.at(-1)).toBe("ann: m55");
  });

  it("escapes what users type: it is text, never markup", async () => {
    const t = await mount(Chat);
    open.push(t);
    await t.submit("#join", { name: "<b>x</b>", room: "a" });
    await say(t, "<img src=x onerror=alert(1)>");
    expect(t.findAll("[role=log] img")).toEqual([]);
    expect(lines(t)).toEqual(["<b>x</b>: <img src=x onerror=alert(1)>"]);
  });
});
