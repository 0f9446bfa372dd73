import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { mount, type TestSession } from "revue/testing";
import { Board, Poll } from "./fixtures/board.js";

/**
 * The newcomer's board and poll apps (test/testing/fixtures/board.tsx), tested
 * as they are written, without workarounds: the page's own runtime runs them
 * in jsdom, over an in-process transport to the hub.
 */

let open: TestSession<any>[] = [];
const keep = <T extends TestSession<any>>(t: T): T => (open.push(t), t);
beforeEach(() => {
  Board.boards.clear();
  Poll.tally = {};
});
afterEach(async () => {
  for (const t of open.reverse()) await t.unmount();
  open = [];
});

const posts = (t: TestSession<Board>) => t.findAll("#posts > li").map((li) => li.textContent);
const toasts = (t: TestSession<Board>) => [...t.document.querySelectorAll(".toast")].map((el) => el.textContent);

describe("the board: a form callback, a validating renamed rpc, a toast, an upload, rooms", () => {
  it("posts through the @client callback, which reads the page's FormData and awaits the renamed rpc", async () => {
    const ann = keep(await mount(Board));
    await ann.submit("#join", { name: "ann", board: "cats" });
    expect(ann.text("#where")).toBe("ann on cats");
    await ann.submit("#post", { text: "  hello  " });
    expect(posts(ann)).toEqual(["ann: hello"]);
    expect(ann.text("#status")).toBe("posted (1 on this board)");
    // The callback's form.reset() ran in the page.
    expect((ann.find("#post input[name=text]") as HTMLInputElement).value).toBe("");
  });

  it("shows the message of the RpcError the rpc throws, and posts nothing", async () => {
    const t = keep(await mount(Board));
    await t.submit("#post", { text: "early" });
    expect(t.text("#status")).toBe("Join a board first.");
    await t.submit("#join", { name: "ann", board: "cats" });
    await t.submit("#post", { text: "   " });
    expect(t.text("#status")).toBe("Write something, up to 140 characters.");
    await t.submit("#post", { text: "x".repeat(141) });
    expect(t.text("#status")).toBe("Write something, up to 140 characters.");
    expect(posts(t)).toEqual([]);
    expect(t.errors).toEqual([]);
  });

  it("delivers a post to the board's room only, and toasts the others in the page", async () => {
    const ann = keep(await mount(Board));
    const bob = keep(await ann.another());
    const cy = keep(await ann.another());
    await ann.submit("#join", { name: "ann", board: "cats" });
    await bob.submit("#join", { name: "bob", board: "cats" });
    await cy.submit("#join", { name: "cy", board: "dogs" });
    await ann.submit("#post", { text: "meow" });
    await bob.settle();
    expect(posts(bob)).toEqual(["ann: meow"]);
    expect(posts(cy)).toEqual([]);
    // The reverse call ran the @client.realtime method in bob's page: a real element in his document.
    expect(bob.calls).toEqual([{ method: "toast", args: ["ann posted on cats"] }]);
    expect(toasts(bob)).toEqual(["ann posted on cats"]);
    expect(toasts(ann)).toEqual([]);
    expect(toasts(cy)).toEqual([]);
    // Someone joining later gets the board's history.
    const dan = keep(await ann.another());
    await dan.submit("#join", { name: "dan", board: "cats" });
    expect(posts(dan)).toEqual(["ann: meow"]);
  });

  it("uploads a picked file with rv.upload, with progress, and the rpc reads it", async () => {
    const t = keep(await mount(Board));
    await t.click("#attach");
    expect(t.text("#status")).toBe("pick a file first");
    await t.upload("#file", [{ name: "notes.txt", type: "text/plain", content: "remember the milk" }]);
    await t.click("#attach");
    expect(t.findAll("#attachments > li").map((li) => li.textContent)).toEqual(["notes.txt (17 bytes): remember t"]);
    expect((t.find("#progress") as HTMLProgressElement).value).toBe(1);
    expect(t.app.attachments).toEqual([{ name: "notes.txt", size: 17, head: "remember t" }]);
  });

  it("runs @client code with the page's globals: its document, window, FormData and events", async () => {
    const t = keep(await mount(Board));
    const win = t.window as Window & typeof globalThis;
    // The runtime is the page's: window.rv, on the jsdom window, not Node's globals.
    expect(win.rv).toBe(t.rv);
    expect((globalThis as { rv?: unknown }).rv).toBeUndefined();
    // A submit event the page dispatches reaches the callback as the page's own Event.
    let seen: Event | undefined;
    win.document.addEventListener("submit", (ev) => (seen = ev), true);
    await t.submit("#join", { name: "ann", board: "b" });
    await t.submit("#post", { text: "hi" });
    expect(seen).toBeInstanceOf(win.Event);
    expect(seen!.defaultPrevented).toBe(true);
  });
});

describe("the poll: votes as binding args, a tally for the room", () => {
  const counts = (t: TestSession<Poll>) => t.findAll("button.vote").map((b) => b.textContent);

  it("passes each button's option to vote() and shows the tally to every page", async () => {
    const ann = keep(await mount(Poll));
    const bob = keep(await ann.another());
    expect(ann.find("button[data-option=tea]")!.getAttribute("data-rv-on-click")).toBe('r:vote ["tea"]');
    await ann.click("button[data-option=tea]");
    await bob.click("button[data-option=coffee]");
    await ann.click("button[data-option=coffee]");
    await ann.settle();
    expect(counts(ann)).toEqual(["tea 0", "coffee 2", "water 0"]);
    expect(counts(bob)).toEqual(["tea 0", "coffee 2", "water 0"]);
    expect(ann.find("button.mine")!.textContent).toBe("coffee 2");
  });

  it("ran its @client.on('ready') handler in the page, with the page's document and window", async () => {
    const t = keep(await mount(Poll));
    expect(t.document.body.dataset.poll).toBeDefined();
  });
});

describe("mount() on the real runtime", () => {
  it("sends arguments and results through JSON, as the wire does", async () => {
    const t = keep(await mount(Board));
    await t.submit("#join", { name: "ann", board: "cats" });
    const result = await t.rpc("publish", "hi");
    // A Date crosses as its JSON string; the result is a plain object.
    expect(result).toEqual({ count: 1, at: "1970-01-01T00:00:00.000Z" });
    // The rpc is reached by its public (renamed) route name only.
    await expect(t.rpc("post", "hi")).rejects.toMatchObject({ code: "METHOD_NOT_FOUND" });
  });

  it("fails an interaction whose @client code threw in the page, naming the method", async () => {
    const t = keep(await mount(Board));
    await t.click("#attach"); // fine: no file, says so
    t.document.getElementById("status")!.remove(); // say() now throws in the page
    await expect(t.click("#attach")).rejects.toThrow("click #attach: Board.onAttach (@client, in the page) threw:");
  });

  it("refuses a submit nothing prevents: a browser would leave the page", async () => {
    const t = keep(await mount(Board));
    const form = t.document.createElement("form");
    form.id = "loose";
    t.find("main")!.append(form);
    await expect(t.submit("#loose")).rejects.toThrow("submit #loose: nothing prevented the browser's own submission");
  });
});
