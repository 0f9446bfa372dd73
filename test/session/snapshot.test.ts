import { describe, expect, it, vi } from "vitest";
import { App, h, MemoryPubSub, server, transient, type AppClass, type Logger, type SessionSnapshot } from "revue";
import { createIdAllocator, Hub, lower, pageCall, renderToString, SnapshotError, type ServerMessage, type Session } from "revue/internals";
import { mkdtemp, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { treeHash } from "../../src/protocol.js";
import { Chat } from "../../examples/chat/app.js";
import { Counter } from "../../examples/counter/app.js";
import { Dashboard, type Sample } from "../../examples/dashboard/app.js";
import { Todo } from "../../examples/todo/app.js";
import { Upload } from "../../examples/upload/app.js";

/** A hub whose page messages are recorded per session, with a quiet logger. */
function recordingHub<A extends App>(cls: AppClass<A>) {
  const logger = { warn: vi.fn<Logger["warn"]>(), error: vi.fn<Logger["error"]>() };
  const messages: Array<[string, ServerMessage]> = [];
  const hub = new Hub(cls, { logger, deliver: (s, m) => messages.push([s.sid, m]) });
  return { hub, logger, messages, to: (sid: string) => messages.filter(([s]) => s === sid).map(([, m]) => m) };
}

/** What a store does to a snapshot: JSON out, JSON back (another process reads it). */
const viaJson = (snap: SessionSnapshot): SessionSnapshot => JSON.parse(JSON.stringify(snap));

/**
 * The page a session's state renders, with fresh ids (`w-1`, `w-2`, … as a
 * first render gives them), so that two sessions showing the same thing
 * compare equal whatever ids their own diffs handed out.
 */
function freshTree(hub: Hub, session: Session) {
  return lower(session.instance.render(), { alloc: createIdAllocator(), bind: hub.bind });
}
const freshHtml = (hub: Hub, session: Session) => renderToString(freshTree(hub, session));

/** A page as the browser shows it, without the framework's node ids (`data-rv` attributes, `<!--id-->` text markers). */
const withoutIds = (html: string) => html.replace(/ data-rv="[^"]*"/g, "").replace(/<!--[^>]*-->/g, "");

/** Runs a call whether the hub refuses it synchronously or rejects later. */
const attempt = (hub: Hub, session: Session, ...call: Parameters<typeof pageCall>) => (async () => hub.call(session, pageCall(...call)))();

class Connection {
  constructor(readonly url: string) {}
  get label() {
    return `connected to ${this.url}`;
  }
}

describe("hub.snapshot", () => {
  it("returns a JSON-safe record of state, rooms, seq window and revision", async () => {
    class Notes extends App {
      title = "notes";
      count = 0;
      tags = new Map([["a", new Set(["x"])]]);
      createdAt = new Date("2024-01-02T03:04:05.000Z");
      editing: number | undefined;
      @server.realtime bump() { this.count++; }
      @server.rpc async name(to: string) { this.title = to; return to; }
      override render() { return h("p", {}, `${this.title} ${this.count}`); }
    }
    const { hub } = recordingHub(Notes);
    await hub.start();
    const s = await hub.createSession("owner-hash");
    s.instance.join("lobby");
    await hub.call(s, pageCall("realtime", "bump", 1));
    await hub.call(s, pageCall("realtime", "bump", 2));
    await hub.call(s, pageCall("rpc", "name", 3, ["todo"]));
    await hub.settle();

    const snap = hub.snapshot(s);
    expect(snap).toEqual({
      v: 1,
      sid: s.sid,
      app: "",
      owner: "owner-hash",
      state: {
        title: "todo",
        count: 2,
        tags: { $rv: "map", v: [["a", { $rv: "set", v: ["x"] }]] },
        createdAt: { $rv: "date", v: "2024-01-02T03:04:05.000Z" },
        editing: { $rv: "undefined" },
      },
      rooms: ["lobby"],
      seq: { next: 4, acked: 3, done: [[1, expect.any(String)], [2, expect.any(String)], [3, expect.any(String), '{"result":"todo"}']] },
      rev: s.view.rev,
      events: "0-0",
    });
    expect(snap.rev).toBeGreaterThan(1); // the page got patches after its first page
    expect(viaJson(snap)).toEqual(snap);
    // The record shares nothing with the live instance.
    s.instance.tags.get("a")!.add("y");
    expect(snap.state.tags).toEqual({ $rv: "map", v: [["a", { $rv: "set", v: ["x"] }]] });
    await hub.stop();
  });

  it("fails with a SnapshotError naming the class and the field that cannot be saved", async () => {
    class Holder extends App {
      count = 1;
      conn = new Connection("db://x");
      override render() { return h("p", {}, String(this.count)); }
    }
    const { hub } = recordingHub(Holder);
    const s = await hub.createSession();
    let err: unknown;
    try {
      hub.snapshot(s);
    } catch (e) {
      err = e;
    }
    expect(err).toBeInstanceOf(SnapshotError);
    expect(err).toMatchObject({ code: "SNAPSHOT_ERROR" });
    expect((err as Error).message).toMatch(/^Holder\.conn\b/);
    expect((err as Error).message).toContain("a Connection instance");
    expect((err as Error).message).toContain("@transient");
    await hub.stop();
  });
});

describe("hub.snapshot and the pubsub's log", () => {
  it("a session waiting on a presence diff is saved at the log's offset it reached: a copy restored elsewhere does not get the broadcasts sent before it existed", async () => {
    let open!: () => void;
    const gate = new Promise<void>((r) => (open = r));
    class Lobby extends App {
      news: number[] = [];
      @server.realtime enter() {
        this.presence.track("lobby", "ada", {});
      }
      @server.on("presence") async seen() {
        await gate; // still handling the diff when the snapshot is taken
      }
      @server.on("news") got(n: number) {
        this.news.push(n);
      }
      override render() {
        return h("p", {}, this.news.join(","));
      }
    }
    const bus = new MemoryPubSub();
    const logger = { warn: vi.fn<Logger["warn"]>(), error: vi.fn<Logger["error"]>() };
    const first = new Hub(Lobby, { pubsub: bus.client(), logger });
    await first.start();
    first.emit("news", 1);
    first.emit("news", 2);
    await first.settle();
    const s = await first.createSession();
    await first.call(s, pageCall("realtime", "enter", 1));
    const until = Date.now() + 3_000;
    while (!s.behind && Date.now() < until) await new Promise((r) => setTimeout(r, 5));
    expect(s.behind).toBe(true); // the presence diff is being handled
    const snap = viaJson(first.snapshot(s));
    expect(snap.events).toBe(await bus.head("revue:Lobby:events"));
    // The process that held it is gone; another restores it and catches up from there: nothing sent before it existed.
    const second = new Hub(Lobby, { pubsub: bus.client(), logger });
    await second.start();
    second.emit("news", 3);
    await second.settle();
    const restored = await second.restore(snap);
    await second.settle();
    expect(restored.instance.news).toEqual([3]);
    open();
    await first.stop();
    await second.stop();
  });
});

describe("hub.restore", () => {
  it("leaves @transient fields out and rebuilds them with resume handlers, once, after the state and before the first render", async () => {
    const log: string[] = [];
    class Linked extends App {
      url = "db://primary";
      count = 0;
      @transient conn: Connection | null = null;
      @server.on("connect") connected() { this.conn ??= new Connection(this.url); }
      @server.on("resume") reconnect() {
        log.push(`resume: url=${this.url} count=${this.count} conn=${this.conn?.url ?? "none"}`);
        this.conn = new Connection(this.url);
      }
      @server.realtime bump() { this.count++; }
      override render() {
        log.push(`render: ${this.conn?.label ?? "offline"}`);
        return h("p", {}, `${this.conn?.label ?? "offline"} · ${this.count}`);
      }
    }
    const one = recordingHub(Linked);
    await one.hub.start();
    const s = await one.hub.createSession("o");
    await one.hub.lifecycle(s, "connect");
    s.instance.url = "db://replica";
    s.instance.conn = new Connection("db://replica");
    await one.hub.call(s, pageCall("realtime", "bump", 1));
    await one.hub.settle();
    expect(freshHtml(one.hub, s)).toContain("connected to db://replica · 1");

    const snap = viaJson(one.hub.snapshot(s));
    expect(snap.state).toEqual({ url: "db://replica", count: 1 });

    const two = recordingHub(Linked);
    await two.hub.start();
    log.length = 0;
    const back = await two.hub.restore(snap, { record: true });
    await two.hub.settle();
    // The constructor's null, the saved fields, then the handler rebuilt the connection; only then did it render.
    expect(log[0]).toBe("resume: url=db://replica count=1 conn=none");
    expect(log.filter((l) => l.startsWith("resume"))).toHaveLength(1);
    expect(log.slice(1)).toContain("render: connected to db://replica");
    expect(log.slice(1).every((l) => l === "render: connected to db://replica")).toBe(true);
    expect(back.instance.conn).toBeInstanceOf(Connection);
    expect(freshHtml(two.hub, back)).toBe(freshHtml(one.hub, s));

    // Its page's first message is the init that resume's render produced.
    const first = two.to(back.sid)[0];
    expect(first).toMatchObject({ type: "init" });
    const init = first as Extract<ServerMessage, { type: "init" }>;
    expect(init.hash).toBe(treeHash(JSON.stringify(init.tree)));
    expect(JSON.stringify(init.tree)).toBe(JSON.stringify(freshTree(one.hub, s)));
    expect(init.rev).toBeGreaterThan(snap.rev); // the page drops nothing it thinks older

    await two.hub.call(back, pageCall("realtime", "bump", snap.seq.next));
    await two.hub.settle();
    expect(log.filter((l) => l.startsWith("resume"))).toHaveLength(1);
    expect(back.instance.count).toBe(2);
    await one.hub.stop();
    await two.hub.stop();
  });

  it("brings a session back in a new hub with its state, rooms, seq window and the same page", async () => {
    const heard: string[] = [];
    class Room extends App {
      name = "";
      lines: string[] = [];
      @server.realtime say(text: string) { this.lines.push(`${this.name}: ${text}`); }
      @server.rpc async rename(to: string) { this.name = to; return to; }
      @server.on("ping") ping(data: { from: string }) { heard.push(`${this.name} got ${data.from}`); this.lines.push(`ping from ${data.from}`); }
      override render() {
        return h("main", {},
          h("h1", { id: "who" }, this.name || "nobody"),
          h("ul", {}, this.lines.map((l, i) => h("li", { key: i }, l))));
      }
    }
    const one = recordingHub(Room);
    await one.hub.start();
    const s = await one.hub.createSession("owner-1");
    s.instance.join("lobby");
    await one.hub.call(s, pageCall("rpc", "rename", 1, ["ann"]));
    await one.hub.call(s, pageCall("realtime", "say", 2, ["hello"]));
    await one.hub.call(s, pageCall("realtime", "say", 3, ["again"]));
    await one.hub.settle();
    const snap = viaJson(one.hub.snapshot(s));
    expect(snap.seq).toMatchObject({ next: 4, acked: 3 });
    expect(snap.seq.done?.map(([seq]) => seq)).toEqual([1, 2, 3]);

    // Another process: a new hub of the same class, its own store and pubsub.
    const two = recordingHub(Room);
    await two.hub.start();
    const back = await two.hub.restore(snap, { record: true });
    expect(back.state).toBe("live");
    expect(back.sid).toBe(s.sid);
    expect(back.owner).toBe("owner-1");
    expect(two.hub.get(s.sid)).toBe(back);
    expect(await two.hub.store.get(s.sid)).toMatchObject({ sid: s.sid, owner: "owner-1", app: "" });
    expect(back.instance.name).toBe("ann");
    expect(back.instance.lines).toEqual(["ann: hello", "ann: again"]);
    expect(freshHtml(two.hub, back)).toBe(freshHtml(one.hub, s));

    // Rooms: an emit to the room reaches it.
    expect([...back.instance.rooms]).toEqual(["lobby"]);
    two.hub.emit("ping", { from: "server" }, "lobby");
    await two.hub.settle();
    expect(heard).toEqual(["ann got server"]);
    // The first message its page gets is an init (it has no tree the page shows), hashed.
    const msgs = two.to(back.sid);
    expect(msgs.map((m) => m.type)).toEqual(["event", "init"]);
    const init = msgs[1] as Extract<ServerMessage, { type: "init" }>;
    expect(init.hash).toBe(treeHash(JSON.stringify(init.tree)));
    expect(init.rev).toBe(snap.rev + 1);
    expect(init.ack).toBe(3);

    // The seq window: a retry of a call it already ran gets its first answer, not a second run; another call under its seq is a conflict.
    await expect(attempt(two.hub, back, "rpc", "rename", 1, ["ann"])).resolves.toBe('{"result":"ann"}');
    await expect(attempt(two.hub, back, "realtime", "say", 3, ["again"])).resolves.toBeUndefined();
    await expect(attempt(two.hub, back, "realtime", "say", 1, ["replayed"])).rejects.toMatchObject({ code: "SEQ_CONFLICT" });
    await two.hub.settle();
    expect(back.instance.lines).toEqual(["ann: hello", "ann: again", "ping from server"]); // nothing ran twice
    await expect(attempt(two.hub, back, "rpc", "rename", 4, ["bob"])).resolves.toBe('{"result":"bob"}');
    await two.hub.settle();
    expect(back.instance.name).toBe("bob");
    expect(two.to(back.sid).at(-1)).toMatchObject({ type: "patch", ack: 4 });
    expect(back.instance.lines).toEqual(["ann: hello", "ann: again", "ping from server"]);
    await one.hub.stop();
    await two.hub.stop();
  });

  it("refuses a record that is not a version-1 snapshot, another app's, or one of a session already live here", async () => {
    class Plain extends App {
      n = 1;
      override render() { return h("p", {}, String(this.n)); }
    }
    const { hub } = recordingHub(Plain);
    const s = await hub.createSession();
    const snap = viaJson(hub.snapshot(s));
    await expect(hub.restore({ ...snap, v: 2 } as unknown as SessionSnapshot)).rejects.toMatchObject({ code: "BAD_REQUEST" });
    await expect(hub.restore(snap)).rejects.toThrow(/already live in this process/);
    // Another mount's snapshot: refused, naming the app it belongs to.
    const elsewhere = new Hub(Plain, { prefix: "/other", logger: { warn: vi.fn(), error: vi.fn() } });
    await expect(elsewhere.restore(snap, { record: true })).rejects.toThrow('belongs to the app mounted at "", and this hub serves "/other"');
    expect(elsewhere.size).toBe(0);
    expect(await elsewhere.store.get(snap.sid)).toBeUndefined();
    // A corrupt state fails with SnapshotError and leaves no session behind.
    const other = recordingHub(Plain);
    await expect(other.hub.restore({ ...snap, state: { n: { $rv: "nope" } } }, { record: true })).rejects.toBeInstanceOf(SnapshotError);
    expect(other.hub.size).toBe(0);
    expect(await other.hub.store.get(snap.sid)).toBeUndefined();
    await hub.stop();
    await other.hub.stop();
    await elsewhere.stop();
  });
});

/** A page call without its seq: kind, name, args, data. */
type Step = [Parameters<typeof pageCall>[0], string, unknown[]?, unknown?];

/**
 * Drives a session of `cls` with `calls` (seq 1, 2, …), snapshots it, sends
 * the record through JSON, restores it into a new hub, then makes `next` on
 * both (seq `snap.seq.next`) and checks that both show the same page
 * throughout.
 */
async function roundTrip<A extends App>(
  cls: AppClass<A>,
  calls: Step[] | ((hub: Hub<A>, s: Session<A>) => Promise<Step[]>),
  next: Step,
  options: { beforeNext?: () => void } = {},
) {
  const one = recordingHub(cls);
  await one.hub.start();
  const s = await one.hub.createSession("owner");
  const initial = freshHtml(one.hub, s);
  let seq = 0;
  for (const [kind, name, args, data] of typeof calls === "function" ? await calls(one.hub, s) : calls) await one.hub.call(s, pageCall(kind, name, ++seq, args, data));
  await one.hub.settle();
  expect(one.logger.error).not.toHaveBeenCalled();
  expect(freshHtml(one.hub, s)).not.toBe(initial); // the state moved on from the first page

  const snap = viaJson(one.hub.snapshot(s));
  expect(snap.seq).toMatchObject({ next: seq + 1, acked: seq });
  const two = recordingHub(cls);
  await two.hub.start();
  const back = await two.hub.restore(snap, { record: true });
  await two.hub.settle();
  const restored = freshHtml(two.hub, back);
  const restoredTree = JSON.stringify(freshTree(two.hub, back));
  // A restored session that tracks presence hears its own join and renders before the next call.
  const early = two.to(back.sid).some((m) => m.type === "init");
  expect(restored).toBe(freshHtml(one.hub, s));
  // What the first session's page shows (its tree as patched since the first page) is what the restored one renders.
  expect(withoutIds(renderToString(s.view.current()!))).toBe(withoutIds(restored));

  const [kind, name, args, data] = next;
  // The seq window came along: the last seq the first session ran is not run again here (its retry gets the first answer, another call a conflict).
  await expect(attempt(two.hub, back, kind, name, seq, args, data)).rejects.toMatchObject({ code: "SEQ_CONFLICT" });
  options.beforeNext?.();
  const a = await one.hub.call(s, pageCall(kind, name, snap.seq.next, args, data));
  await one.hub.settle();
  options.beforeNext?.();
  const b = await two.hub.call(back, pageCall(kind, name, snap.seq.next, args, data));
  await two.hub.settle();
  expect(b).toEqual(a);
  expect(freshHtml(two.hub, back)).toBe(freshHtml(one.hub, s));
  expect(freshHtml(two.hub, back)).not.toBe(restored); // the call changed something

  // The restored page's first message is an init of that same page, hashed, at a later revision.
  const first = two.to(back.sid).find((m) => m.type !== "event");
  expect(first?.type).toBe("init");
  const init = first as Extract<ServerMessage, { type: "init" }>;
  expect(init.hash).toBe(treeHash(JSON.stringify(init.tree)));
  expect(JSON.stringify(init.tree)).toBe(early ? restoredTree : JSON.stringify(freshTree(one.hub, s)));
  expect(init.rev).toBeGreaterThan(snap.rev);
  expect(init.ack).toBe(early ? snap.seq.acked : snap.seq.next);
  expect(one.logger.error).not.toHaveBeenCalled();
  expect(two.logger.error).not.toHaveBeenCalled();
  return { one, two, s, back, snap, async stop() { await one.hub.stop(); await two.hub.stop(); } };
}

describe("every example round-trips through snapshot and restore", () => {
  it("counter", async () => {
    const r = await roundTrip(Counter, [["realtime", "increment"], ["realtime", "increment"], ["rpc", "reset", [10]], ["realtime", "increment"]], ["rpc", "reset", [42]]);
    expect(r.snap.state).toEqual({ count: 11 });
    expect(r.back.instance.count).toBe(42);
    await r.stop();
  });

  it("chat: name, room, messages and presence; the room is joined again", async () => {
    Chat.history.clear();
    // Messages carry the time they were sent: one clock for both sides.
    const clock = vi.spyOn(Date, "now").mockReturnValue(Date.UTC(2026, 10, 29, 12, 0, 0));
    const form = (f: Record<string, string>) => [{ form: f }];
    const r = await roundTrip(
      Chat,
      [["realtime", "enter", form({ name: "ann", room: "a" })], ["realtime", "send", ["hello"]], ["realtime", "send", ["still here?"]]],
      ["realtime", "send", ["moved"]],
      // Message ids come from a per-process counter: give both sends the same one.
      { beforeNext: () => (Chat.nextId = 100) },
    );
    expect(r.snap.rooms).toEqual(["a"]);
    expect(r.back.instance.messages.map((m) => m.text)).toEqual(["hello", "still here?", "moved"]);
    expect(r.back.instance.people).toEqual([{ name: "ann", pages: 1 }]);
    // Its presence came along in the snapshot and is tracked again where it was restored.
    expect(r.snap.presence).toEqual([{ topic: "a", key: "ann", meta: {} }]);
    expect(Object.keys(r.two.hub.presence.list("a"))).toEqual(["ann"]);
    await r.stop();
    clock.mockRestore();
    Chat.history.clear();
  });

  it("dashboard: samples, and the room the ticker emits to", async () => {
    const sample = (i: number): Sample => ({ at: i * 1000, load: i / 10, rss: 50 + i, rps: 100 + 5 * i });
    const metrics: Step[] = [["emit", "metrics", [], sample(1)], ["emit", "metrics", [], sample(2)], ["emit", "metrics", [], sample(3)]];
    const r = await roundTrip(
      Dashboard,
      async (hub, s) => {
        await hub.lifecycle(s, "connect"); // joins the "dashboard" room
        return metrics;
      },
      ["emit", "metrics", [], sample(4)],
    );
    expect(r.snap.rooms).toEqual(["dashboard"]);
    // The ticker's room emit reaches the restored session.
    r.two.hub.emit("metrics", sample(5), "dashboard");
    await r.two.hub.settle();
    expect(r.back.instance.samples.map((x) => x.at)).toEqual([1000, 2000, 3000, 4000, 5000]);
    await r.stop();
  });

  it("todo: 1,000 keyed rows after an add, a toggle, a move, an edit and a filter", async () => {
    const r = await roundTrip(
      Todo,
      [
        ["realtime", "add", [{ form: { title: "Buy milk" } }]],
        // Row controls pass the item id as a binding arg, before the event summary.
        ["realtime", "toggle", [3, { type: "change", checked: true }]],
        ["realtime", "up", [5, { type: "click" }]],
        ["realtime", "edit", [17, { type: "click" }]],
        ["realtime", "rv.set", ["search", { type: "input", value: "(#10" }]],
      ],
      ["realtime", "save", [{ form: { title: "Seventeen" } }]],
    );
    expect(r.snap.state.editing).toBe(17);
    expect(r.snap.state.search).toBe("(#10");
    expect(r.back.instance.items).toHaveLength(1001);
    expect(r.back.instance.items.find((it) => it.id === 17)!.title).toBe("Seventeen");
    expect(r.back.instance.editing).toBeUndefined();
    await r.stop();
  });

  it("upload: what the picker said and the received file (the file itself stays a call argument)", async () => {
    const dir = await mkdtemp(join(tmpdir(), "revue-snapshot-"));
    const path = join(dir, "a.txt");
    await writeFile(path, "hello upload");
    const r = await roundTrip(
      Upload,
      async (_hub, s) => {
        // As POST /api/upload does: the file joins the session, and the picker's binding gets its handle.
        const [handle] = await s.uploads.add([{ path, name: "a.txt", type: "text/plain", size: 12 }], dir);
        return [["realtime", "rv.set", ["upload", { type: "upload", error: "PAYLOAD_TOO_LARGE", message: "", size: 12 }]], ["realtime", "rv.set", ["upload", { type: "upload", files: [handle] }]]];
      },
      ["realtime", "rv.set", ["upload", { type: "upload", error: "NETWORK_ERROR", message: "", size: 12 }]],
    );
    expect(r.snap.state).toEqual({
      upload: { status: "done", message: "Received a.txt (12 bytes).", files: [{ name: "a.txt", size: 12, type: "text/plain" }] },
      files: [{ n: 1, name: "a.txt", size: 12, type: "text/plain", sha256: expect.stringMatching(/^[0-9a-f]{64}$/), text: "hello upload" }],
      sent: 1,
    });
    expect(r.back.instance.upload.message).toBe("The connection dropped while sending. Check your network and try again.");
    await r.stop();
  });
});

describe("hibernation keeps the state as a snapshot", () => {
  class Ledger extends App {
    entries: string[] = [];
    @transient conn: Connection | null = null;
    static resumed = 0;
    @server.on("resume") reconnect() {
      Ledger.resumed++;
      this.conn = new Connection("db://ledger");
    }
    @server.rpc add(entry: string) {
      if (!this.conn) throw new Error("add ran before resume rebuilt the connection");
      this.entries.push(entry);
      return this.entries.length;
    }
    override render() {
      return h("ul", {}, this.entries.map((e, i) => h("li", { key: i }, e)));
    }
  }

  it("drops the instance and keeps the state's JSON; the next call gets a new instance, after its resume handlers", async () => {
    const { hub, to } = recordingHub(Ledger);
    await hub.start();
    const s = await hub.createSession();
    s.instance.conn = new Connection("db://ledger");
    await hub.call(s, pageCall("rpc", "add", 1, ["rent"]));
    await hub.settle();
    const before = s.instance;
    Ledger.resumed = 0;
    hub.hibernate(s);
    expect(s.state).toBe("hibernated");
    expect(s.asleep).toBe(true);
    expect(JSON.parse(s.savedState!)).toEqual({ entries: ["rent"] }); // the @transient connection is not in it
    expect(hub.snapshot(s).state).toEqual({ entries: ["rent"] }); // a snapshot needs no instance either
    const answer = await hub.call(s, pageCall("rpc", "add", 2, ["food"]));
    expect(JSON.parse(answer as string)).toEqual({ result: 2 });
    await hub.settle();
    expect(Ledger.resumed).toBe(1);
    expect(s.instance).not.toBe(before);
    expect(s.instance.entries).toEqual(["rent", "food"]);
    const init = to(s.sid).filter((m) => m.type === "init").at(-1);
    expect(JSON.stringify(init)).toContain("food"); // the page gets the state back as a fresh snapshot
    await hub.stop();
  });

  it("keeps the instance of an app whose state cannot be saved, and says so once", async () => {
    class Holder extends App {
      conn = new Connection("db://x");
      n = 0;
      @server.realtime bump() { this.n++; }
    }
    const { hub, logger } = recordingHub(Holder);
    const [a, b] = [await hub.createSession(), await hub.createSession()];
    hub.hibernate(a);
    hub.hibernate(b);
    expect([a.state, a.asleep, b.state, b.asleep]).toEqual(["hibernated", false, "hibernated", false]);
    expect(logger.warn.mock.calls.filter(([m]) => String(m).includes("hibernate with their instance kept"))).toHaveLength(1);
    expect(String(logger.warn.mock.calls[0]![0])).toContain("Holder.conn");
    await hub.call(a, pageCall("realtime", "bump", 1));
    await hub.settle();
    expect(a.instance.n).toBe(1);
    await hub.stop();
  });
});
