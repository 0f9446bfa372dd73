// @vitest-environment jsdom
import { afterEach, describe, expect, it, vi } from "vitest";
import { treeHash } from "../../src/protocol.js";
import { page, settle } from "./fake-transport.js";

const h1 = () => document.querySelector("h1")!.textContent;
const patch = (rev: number, text: string) => ({ type: "patch", rev, ops: [{ op: "text", id: "w-2", text }] });
const tree = (text: string) => ({
  id: "w-0",
  tag: "main",
  attrs: {},
  children: [{ id: "w-1", tag: "h1", attrs: {}, children: [{ id: "w-2", text }] }],
});

/** An init as the server sends it: the tree with its hash. */
const init = (rev: number, text: string) => ({ type: "init", rev, tree: tree(text), hash: treeHash(JSON.stringify(tree(text))) });

afterEach(() => void vi.useRealTimers());

describe("the stream", () => {
  it("applies patches in revision order and ignores those at or below the current revision", () => {
    const { rv, t } = page();
    t.last.on.open();
    t.send(patch(2, "1"));
    t.send(patch(2, "stale"));
    t.send(patch(1, "older"));
    t.send(patch(3, "2"));
    expect(h1()).toBe("2");
    expect(rv.revision).toBe(3);
    rv.close();
  });

  it("says on its first stream that it has the server-rendered page (lastEventId=0)", () => {
    const { rv, t } = page();
    expect(t.last.url).toBe("/api/sse/s1?lastEventId=0");
    rv.close();
  });

  it("skips an init that is the snapshot the page already shows", () => {
    const { rv, t, root } = page(undefined, { hash: init(1, "0").hash });
    const before = root.firstElementChild;
    t.last.on.open();
    t.send(init(1, "0"));
    expect(root.firstElementChild).toBe(before);
    rv.close();
  });

  it("renders an init whose hash disagrees with what is shown", () => {
    const { rv, t } = page(undefined, { hash: init(1, "0").hash });
    t.last.on.open();
    t.send(init(1, "fresh"));
    expect(h1()).toBe("fresh");
    rv.close();
  });

  it("refuses an init whose tree does not match its hash and asks for another, a bounded number of times", () => {
    const { rv, t } = page();
    const errors: any[] = [];
    rv.on("error", (e) => errors.push(e));
    t.last.on.open();
    t.send({ ...init(2, "damaged"), hash: "0" });
    expect(t.streams).toHaveLength(2);
    expect(t.last.url).toBe("/api/sse/s1"); // a resync asks for a snapshot: no lastEventId
    for (let i = 0; i < 10 && !t.last.closed; i++) t.send({ ...init(2, "damaged"), hash: "0" });
    expect(h1()).toBe("0");
    expect(t.streams).toHaveLength(7); // the first, then one resync per damaged snapshot up to MAX_TRIES (6)
    expect(t.last.closed).toBe(true);
    expect(errors).toEqual([expect.objectContaining({ code: "DISCONNECTED", message: expect.stringContaining("bad snapshots") })]);
    rv.close();
  });

  it("on a revision gap opens a fresh stream and waits for its snapshot", () => {
    const { rv, t } = page();
    t.last.on.open();
    const first = t.last;
    t.send(patch(4, "skipped two"));
    expect(first.closed).toBe(true);
    expect(t.streams).toHaveLength(2);
    expect(h1()).toBe("0");
    t.last.on.open();
    t.send(patch(5, "before the snapshot"));
    expect(h1()).toBe("0");
    t.send(init(5, "5"));
    t.send(patch(6, "6"));
    expect(h1()).toBe("6");
    rv.close();
  });

  it("resyncs when a patch names a node the page does not have", () => {
    const { rv, t } = page();
    t.last.on.open();
    t.send({ type: "patch", rev: 2, ops: [{ op: "remove", id: "w-99" }] });
    expect(t.streams).toHaveLength(2);
    expect(rv.revision).toBe(1);
    rv.close();
  });

  it("after a 404 creates a new session, renders its snapshot without a reload, and restarts seq at 1", async () => {
    const { rv, t } = page();
    t.loadModule();
    await rv.ready;
    t.last.on.open();
    rv.emit("before");
    await settle();
    t.reply = (url) => (url === "/api/session" ? { status: 201, body: { sid: "s2", rev: 1, tree: tree("new session"), hash: init(1, "new session").hash } } : { status: 202, body: { ok: true } });
    t.last.on.fail(404);
    // (The page's form values are read first, by a chunk loaded on demand.)
    await vi.waitFor(() => expect(h1()).toBe("new session"));
    expect(rv.session).toBe("s2");
    expect(t.last.url).toBe("/api/sse/s2?lastEventId=0"); // it has the new session's tree already
    rv.emit("after");
    t.last.on.open();
    await settle();
    expect(t.to("/api/emit").map((b) => [b.sid, b.seq, b.event])).toEqual([
      ["s1", 1, "before"],
      ["s2", 1, "after"],
    ]);
    rv.close();
  });

  it("names the user its page is of when it asks for a session again, and takes the new session's", async () => {
    const { rv, t } = page(undefined, { u: "k1" });
    t.loadModule();
    await rv.ready;
    t.last.on.open();
    t.reply = (url) => (url === "/api/session" ? { status: 201, body: { sid: "s2", rev: 1, tree: tree("new session"), hash: init(1, "new session").hash, u: "k2" } } : { status: 202, body: { ok: true } });
    t.last.on.fail(404);
    await vi.waitFor(() => expect(h1()).toBe("new session"));
    t.last.on.open();
    t.reply = (url) => (url === "/api/session" ? { status: 201, body: { sid: "s3", rev: 1, tree: tree("third"), hash: init(1, "third").hash } } : { status: 202, body: { ok: true } });
    t.last.on.fail(404);
    await vi.waitFor(() => expect(h1()).toBe("third"));
    expect(t.to("/api/session")).toEqual([
      { sid: "s1", u: "k1" },
      { sid: "s2", u: "k2" },
    ]);
    rv.close();
  });

  it("told its session's tree is lost (bye: expired), asks for that session by id; given it back, its calls keep their numbers", async () => {
    const { rv, t } = page();
    t.loadModule();
    await rv.ready;
    t.last.on.open();
    rv.emit("before");
    await settle();
    t.reply = (url) => (url === "/api/session" ? { status: 201, body: { sid: "s1", rev: 1, tree: tree("same session, afresh"), hash: init(1, "same session, afresh").hash } } : { status: 202, body: { ok: true } });
    t.send({ type: "bye", reason: "expired" });
    await vi.waitFor(() => expect(h1()).toBe("same session, afresh"));
    expect(t.to("/api/session")).toEqual([{ sid: "s1" }]);
    expect(rv.session).toBe("s1");
    expect(t.last.url).toBe("/api/sse/s1?lastEventId=0");
    rv.emit("after");
    t.last.on.open();
    await settle();
    expect(t.to("/api/emit").map((b) => [b.sid, b.seq, b.event])).toEqual([
      ["s1", 1, "before"],
      ["s1", 2, "after"],
    ]);
    rv.close();
  });

  it("re-sends a call the server refused with SESSION_NOT_FOUND in the new session", async () => {
    const { rv, t } = page();
    t.last.on.open();
    t.reply = (url, body) =>
      url === "/api/session"
        ? { status: 201, body: { sid: "s2", rev: 1, tree: tree("x") } }
        : body.sid === "s1"
          ? { status: 404, body: { error: { code: "SESSION_NOT_FOUND", message: "gone" } } }
          : { status: 202, body: { ok: true } };
    rv.emit("hello");
    await settle();
    await settle();
    t.last.on.open();
    await settle();
    expect(t.to("/api/emit").map((b) => [b.sid, b.seq])).toEqual([
      ["s1", 1],
      ["s2", 1],
    ]);
    rv.close();
  });

  it("gives up creating sessions after a bounded number of tries, then stays quiet", async () => {
    vi.useFakeTimers();
    const { rv, t } = page();
    const errors: any[] = [];
    rv.on("error", (e) => errors.push(e));
    t.reply = () => ({ status: 503, body: {} });
    t.last.on.fail(404);
    await vi.advanceTimersByTimeAsync(60_000);
    const tries = t.to("/api/session").length;
    expect(tries).toBe(6); // MAX_TRIES
    expect(errors).toEqual([expect.objectContaining({ code: "DISCONNECTED" })]);
    await vi.advanceTimersByTimeAsync(60_000);
    expect(t.to("/api/session")).toHaveLength(tries);
    rv.close();
  });

  it("follows a server restarted every 10 s (revue dev at each save): a session that lived 5 s forgives the renewals before it", async () => {
    vi.useFakeTimers();
    const { rv, t } = page();
    const errors: any[] = [];
    rv.on("error", (e) => errors.push(e));
    t.reply = (url) => (url === "/api/session" ? { status: 201, body: { sid: "s1", rev: 1, tree: tree("x") } } : { status: 202, body: { ok: true } });
    for (let restart = 0; restart < 10; restart++) {
      t.last.on.open();
      await vi.advanceTimersByTimeAsync(10_000);
      t.last.on.fail(404); // the restarted server does not know the session: the page asks for it again
      await vi.advanceTimersByTimeAsync(100);
    }
    expect(t.to("/api/session")).toHaveLength(10);
    expect(errors).toEqual([]);
    rv.close();
  });

  it("reopens a refused stream with backoff, and gives up after a bounded number of tries", async () => {
    vi.useFakeTimers();
    const { rv, t } = page();
    const errors: any[] = [];
    rv.on("error", (e) => errors.push(e));
    for (let i = 0; i < 10; i++) {
      const opened = t.streams.length;
      t.last.on.fail(502);
      await vi.advanceTimersByTimeAsync(10_000);
      if (t.streams.length === opened) break;
    }
    expect(t.streams).toHaveLength(7); // the first stream and 6 retries
    expect(errors).toEqual([expect.objectContaining({ code: "DISCONNECTED" })]);
    // The visitor is told too: the "reconnecting…" flag says it stopped.
    const flag = document.getElementById("rv-rc")!;
    expect(flag.hidden).toBe(false);
    expect(flag.textContent).toBe("Disconnected. Reload the page.");
    rv.close();
  });

  it("does not fight back when another stream of the session replaced this one", () => {
    const { rv, t } = page();
    t.last.on.open();
    t.send({ type: "bye", reason: "replaced" });
    expect(t.last.closed).toBe(true);
    expect(t.streams).toHaveLength(1);
    expect(rv.connected).toBe(false);
    rv.close();
  });

  it("reports server error messages on the bus", () => {
    const { rv, t } = page();
    const errors: any[] = [];
    rv.on("error", (e) => errors.push(e));
    t.send({ type: "error", code: "INTERNAL_ERROR", message: "handler threw", seq: 3 });
    expect(errors).toEqual([expect.objectContaining({ name: "RevueError", code: "INTERNAL_ERROR", message: "handler threw" })]);
    rv.close();
  });
});

describe("a renewal under way", () => {
  it("is not lost when the stream is reopened meanwhile (an ack 4 s late): the page asks for its session again at each bye: expired", async () => {
    vi.useFakeTimers();
    const { createStream } = await import("../../client/stream.js");
    const streams: Array<{ on: any; closed: boolean }> = [];
    let posts = 0;
    const transport: any = {
      async post(_url: string, body: { sid: string }) {
        posts++;
        return { status: 201, body: { sid: body.sid, rev: 1, hash: "x", tree: { id: "w-1", tag: "main", attrs: {}, children: [] } } };
      },
      stream(_url: string, on: any) {
        const s = { on, closed: false };
        streams.push(s);
        return { close: () => (s.closed = true) };
      },
    };
    const host: any = { init() {}, apply() {}, extra() {}, acked() {}, message() {}, opened() {}, dropped() {}, renewed: async () => {}, gaveUp() {} };
    const bye = () => streams.at(-1)!.on.message("bye", JSON.stringify({ reason: "expired" }), undefined);
    const s = createStream(transport, host, { base: "", sid: "S", rev: 1, backoffMs: 500 });
    s.start();
    bye(); // renewed at once
    await vi.advanceTimersByTimeAsync(50);
    bye(); // again within 5 s: this renewal waits for its backoff…
    await vi.advanceTimersByTimeAsync(10);
    s.start(); // …while the runtime reopens the stream
    await vi.advanceTimersByTimeAsync(2_000);
    expect(posts).toBe(2);
    bye();
    await vi.advanceTimersByTimeAsync(5_000);
    expect(posts).toBe(3);
    s.stop();
  });
});
