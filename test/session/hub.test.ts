import { describe, expect, it, vi } from "vitest";
import { App, h, server, client, type Logger } from "revue";
import { Hub, pageCall, SessionError, type ServerMessage } from "revue/internals";

function quietLogger() {
  return { warn: vi.fn<Logger["warn"]>(), error: vi.fn<Logger["error"]>() };
}

function recordingHub<A extends App>(cls: new () => A, limits: { maxRoomsPerSession?: number } = {}) {
  const logger = quietLogger();
  const messages: Array<[string, ServerMessage]> = [];
  const hub = new Hub(cls, { logger, deliver: (s, m) => messages.push([s.sid, m]), limits });
  return { hub, logger, messages };
}

describe("typing and the next call", () => {
  it("shows a hand-bound field's typing before the next call runs: a click that clears it right after sends the page the empty value", async () => {
    class Groceries extends App {
      draft = "";
      items: string[] = [];
      @server.realtime type(ev: { value: string }) { this.draft = ev.value; }
      @server.realtime add() { this.items = [...this.items, this.draft]; this.draft = ""; }
      override render() {
        return h("main", {}, h("input", { id: "draft", value: this.draft, onInput: this.type }), h("button", { onClick: this.add }, "Add"), h("ul", {}, this.items.map((i) => h("li", {}, i))));
      }
    }
    const { hub, messages } = recordingHub(Groceries);
    const s = await hub.createSession();
    // The typing's call and the click's, sent together (the click came within the typing's debounce).
    const typed = hub.call(s, pageCall("realtime", "type", 1, [{ type: "input", value: "Jam" }]));
    const added = hub.call(s, pageCall("realtime", "add", 2, [{ type: "click" }]));
    await Promise.all([typed, added]);
    await hub.settle();
    const values = messages.flatMap(([, m]) => (m.type === "patch" ? m.ops : [])).flatMap((op) => (op.op === "attrs" && "value" in op.set ? [op.set.value] : []));
    // The page shows "Jam" (it typed it), and then the cleared field: the last value it gets is "".
    expect(values).toEqual(["Jam", ""]);
    expect(s.instance.items).toEqual(["Jam"]);
    await hub.stop();
  });
});

describe("what a session weighs", () => {
  it("counts a large call's bytes toward its session's weight at once, before it is weighed again; typing-sized calls are not counted", async () => {
    class Notes extends App {
      notes: string[] = [];
      @server.realtime stash(text: string) { this.notes.push(text); }
    }
    const { hub } = recordingHub(Notes);
    const s = await hub.createSession();
    const before = s.bytes;
    await hub.call(s, pageCall("realtime", "stash", 1, ["x".repeat(100)]));
    expect(s.bytes).toBe(before);
    await hub.call(s, pageCall("realtime", "stash", 2, ["x".repeat(100_000)]));
    expect(s.bytes - before).toBeGreaterThanOrEqual(300_000); // heap bytes per character of state, about 3
    await hub.stop();
  });
});

describe("rpc results", () => {
  it("says once, in development, that a Map or a Set in an rpc's result is sent as {}", async () => {
    class Stats extends App {
      @server.rpc counts() { return { byName: new Map([["ada", 1]]), total: 1 }; }
      @server.rpc tags() { return new Set(["a"]); }
      @server.rpc plain() { return { byName: { ada: 1 } }; }
    }
    const { hub, logger } = recordingHub(Stats);
    const s = await hub.createSession();
    expect(await hub.call(s, pageCall("rpc", "counts", 1))).toBe('{"result":{"byName":{},"total":1}}');
    await hub.call(s, pageCall("rpc", "counts", 2));
    await hub.call(s, pageCall("rpc", "tags", 3));
    await hub.call(s, pageCall("rpc", "plain", 4));
    const said = logger.warn.mock.calls.map((c) => String(c[0]));
    expect(said.filter((m) => m.includes("Stats.counts returned a Map (at \"byName\"), which JSON sends as {}"))).toHaveLength(1);
    expect(said.filter((m) => m.includes("Stats.tags returned a Set, which JSON sends as {}"))).toHaveLength(1);
    expect(said.filter((m) => m.includes("Stats.plain"))).toHaveLength(0);
    await hub.stop();
  });
});

describe("App events on the hub", () => {
  it("delivers this.emit to every live session's handlers, and static handlers once", async () => {
    const got: string[] = [];
    class Chat extends App {
      name = "";
      @server.on("said") heard(data: { text: string }) { got.push(`${this.name} heard ${data.text}`); }
      @server.on("said") static logged(data: { text: string }) { got.push(`static ${data.text}`); }
      @server.realtime say(text: string) { this.emit("said", { text }); }
    }
    const { hub, messages } = recordingHub(Chat);
    await hub.start();
    const [a, b, c] = [await hub.createSession(), await hub.createSession(), await hub.createSession()];
    a.instance.name = "a";
    b.instance.name = "b";
    c.instance.name = "c";
    await hub.call(a, pageCall("realtime", "say", 1, ["hi"]));
    await hub.settle();
    expect(got.sort()).toEqual(["a heard hi", "b heard hi", "c heard hi", "static hi"]);
    // pages get the event too, for their @client.on / rv.on listeners
    expect(messages.filter(([, m]) => m.type === "event")).toHaveLength(3);
    await hub.stop();
  });

  it("narrows delivery with to(room), and join/leave manage membership", async () => {
    const got: string[] = [];
    class Rooms extends App {
      id = "";
      @server.on("ping") ping() { got.push(this.id); }
    }
    const { hub, messages } = recordingHub(Rooms);
    await hub.start();
    const sessions: Array<Awaited<ReturnType<typeof hub.createSession>>> = [];
    for (const id of ["a", "b", "c", "d"]) {
      const s = await hub.createSession();
      s.instance.id = id;
      sessions.push(s);
    }
    for (const s of sessions.slice(0, 3)) s.instance.join("lobby");
    sessions[2]!.instance.leave("lobby");
    sessions[0]!.instance.to("lobby").emit("ping");
    await hub.settle();
    expect(got.sort()).toEqual(["a", "b"]);
    expect(sessions[0]!.instance.rooms.has("lobby")).toBe(true);
    expect(sessions[2]!.instance.rooms.has("lobby")).toBe(false);
    expect(messages.filter(([sid, m]) => m.type === "event" && sid === sessions[3]!.sid)).toEqual([]);
    // the server-wide handle narrows the same way
    got.length = 0;
    hub.emit("ping", undefined, "lobby");
    await hub.settle();
    expect(got.sort()).toEqual(["a", "b"]);
    await hub.stop();
  });

  it("caps the rooms of one session (64 by default) with a clear error", async () => {
    class Many extends App {}
    const { hub } = recordingHub(Many);
    const s = await hub.createSession();
    for (let i = 0; i < 64; i++) s.instance.join(`r${i}`);
    expect(() => s.instance.join("r64")).toThrow(
      new SessionError(
        "ROOM_LIMIT",
        'Many.join("r64"): this session is already in 64 rooms, the limit. Leave a room first (this.leave(room)), or raise maxRoomsPerSession in createServer options.',
      ),
    );
    s.instance.join("r1"); // re-joining a room it is in is fine
    const small = await recordingHub(Many, { maxRoomsPerSession: 2 }).hub.createSession();
    small.instance.join("x");
    small.instance.join("y");
    expect(() => small.instance.join("z")).toThrow("already in 2 rooms");
  });

  it("refuses a room name over 256 characters (a page naming its room would keep megabytes per session, counted nowhere)", async () => {
    class Chat extends App {}
    const { hub } = recordingHub(Chat);
    const s = await hub.createSession();
    s.instance.join("r".repeat(256));
    expect(() => s.instance.join("r".repeat(257))).toThrow('Chat.join(room): a room name is at most 256 characters, got 257 ("rrrr');
    expect(() => s.instance.join("x".repeat(900_000))).toThrow("got 900000");
    expect([...s.instance.rooms]).toEqual(["r".repeat(256)]);
  });

  it("runs start and stop handlers once per process, awaited, in declaration order", async () => {
    const order: string[] = [];
    const tick = () => new Promise((r) => setTimeout(r, 5));
    class Life extends App {
      @server.on("start") static async first(srv: unknown) { await tick(); order.push(`first ${String(srv)}`); }
      @server.on("start") static second() { order.push("second"); }
      @server.on("stop") static async bye() { await tick(); order.push("bye"); }
    }
    const { hub } = recordingHub(Life);
    await hub.start("srv");
    await hub.start("srv"); // idempotent
    expect(order).toEqual(["first srv", "second"]);
    await hub.stop();
    await hub.stop();
    expect(order).toEqual(["first srv", "second", "bye"]);
  });

  it("logs a throwing handler with its app, method and event, and keeps the bus working", async () => {
    const got: string[] = [];
    class Fragile extends App {
      @server.on("boom") broken() { throw new Error("kaput"); }
      @server.on("boom") fine() { got.push("fine"); }
      @server.on("boom") static alsoBroken() { throw new Error("static kaput"); }
    }
    const { hub, logger } = recordingHub(Fragile);
    await hub.start();
    await hub.createSession();
    hub.emit("boom");
    await hub.settle();
    hub.emit("boom");
    await hub.settle();
    expect(got).toEqual(["fine", "fine"]);
    const lines = logger.error.mock.calls.map((c) => String(c[0]));
    expect(lines.filter((l) => l.startsWith('[revue] Fragile.broken threw while handling "boom"'))).toHaveLength(2);
    expect(lines.filter((l) => l.startsWith('[revue] static Fragile.alsoBroken threw while handling "boom"'))).toHaveLength(2);
    await hub.stop();
  });

  it("warns exactly once per realtime method that returns a value or a promise of one", async () => {
    class Returns extends App {
      @server.realtime value() { return 1; }
      @server.realtime async later() { return "x"; }
      @server.realtime nothing() {}
    }
    const { hub, logger } = recordingHub(Returns);
    const s = await hub.createSession();
    let seq = 0;
    for (let i = 0; i < 3; i++) {
      await hub.call(s, pageCall("realtime", "value", ++seq));
      await hub.call(s, pageCall("realtime", "later", ++seq));
      await hub.call(s, pageCall("realtime", "nothing", ++seq));
    }
    await hub.settle();
    expect(logger.warn.mock.calls.map((c) => c[0])).toEqual([
      "[revue] Returns.value is @server.realtime but returned a value; realtime calls are fire-and-forget, so the value was dropped. Use @server.rpc if the page needs the result.",
      "[revue] Returns.later is @server.realtime but returned a value; realtime calls are fire-and-forget, so the value was dropped. Use @server.rpc if the page needs the result.",
    ]);
  });

  it("sends reverse calls only to declared @client.realtime methods", async () => {
    class Toasts extends App {
      @client.realtime toast(_msg: string) {}
    }
    const { hub, messages } = recordingHub(Toasts);
    const s = await hub.createSession();
    s.instance.client.toast("hi");
    expect(messages.filter(([, m]) => m.type === "call")).toEqual([[s.sid, { type: "call", method: "toast", args: ["hi"] }]]);
    expect(() => (s.instance.client as unknown as Record<string, () => void>).nope!()).toThrow(
      'Toasts.client.nope(): there is no @client.realtime method "nope". Known: toast.',
    );
  });

  it("reaches a renamed @client.realtime method by its own name too, sending its public name", async () => {
    class Renamed extends App {
      @client.realtime({ name: "notify" }) toast(_msg: string) {}
    }
    const { hub, messages } = recordingHub(Renamed);
    const s = await hub.createSession();
    s.instance.client.toast("by method name");
    (s.instance.client as unknown as Record<string, (m: string) => void>).notify!("by public name");
    expect(messages.filter(([, m]) => m.type === "call").map(([, m]) => m)).toEqual([
      { type: "call", method: "notify", args: ["by method name"] },
      { type: "call", method: "notify", args: ["by public name"] },
    ]);
  });

  it("refuses lifecycle names and non-serialisable data in emit", async () => {
    class E extends App {}
    const { hub } = recordingHub(E);
    const s = await hub.createSession();
    expect(() => s.instance.emit("connect")).toThrow('emit("connect"): "connect" is a lifecycle event and only Revue may emit it.');
    const loop: Record<string, unknown> = {};
    loop.self = loop;
    expect(() => s.instance.emit("x", loop)).toThrow('emit("x"): data must be JSON-serialisable');
  });

  it("explains that an instance made with new is not attached to a session", () => {
    class Loose extends App {}
    expect(() => new Loose().emit("x")).toThrow(
      'Loose.emit: this instance is not attached to a session (it was created with "new"). Let Revue create instances: createServer(Loose) for real sessions, or mount(Loose) from "revue/testing" in tests.',
    );
    // Such instances share one detached link: each carried 4.6 KB of closures of its own (what bench/memory counts as app state).
    const link = (o: object) => (o as Record<symbol, unknown>)[Object.getOwnPropertySymbols(o)[0]!];
    expect(link(new Loose())).toBe(link(new Loose()));
    expect(() => new Loose().join("r")).toThrow("Loose.join: this instance is not attached to a session");
  });

  it("refuses a class that does not extend App", () => {
    class NotAnApp {}
    expect(() => new Hub(NotAnApp as never)).toThrow("Revue needs a class that extends App, got class NotAnApp. Write: class NotAnApp extends App { ... }.");
  });

  it("re-renders after an event only when a handler (per-session or static) ran", async () => {
    class Shared extends App {
      static total = 0;
      @server.on("bump") static bump() { Shared.total++; }
      override render() { return h("p", {}, String(Shared.total)); }
    }
    const { hub, messages } = recordingHub(Shared);
    await hub.start();
    await hub.createSession();
    hub.emit("nobody-listens");
    await hub.settle();
    expect(messages.filter(([, m]) => m.type === "patch")).toEqual([]);
    hub.emit("bump");
    await hub.settle();
    const patch = messages.find(([, m]) => m.type === "patch")?.[1];
    expect(patch).toMatchObject({ type: "patch", ops: [{ op: "text", text: "1" }] });
    await hub.stop();
  });

  it("sends a handled broadcast's patch before the socket uncorks, so event and patch leave in one write", async () => {
    class Ticker extends App {
      tick = 0;
      @server.on("tick") onTick(n: number) { this.tick = n; }
      override render() { return h("p", {}, String(this.tick)); }
    }
    const seen: string[][] = [];
    let order: string[] = [];
    const hub = new Hub(Ticker, {
      logger: quietLogger(),
      deliver: (_s, m) => {
        order.push(m.type);
        // A response's socket is corked until the next tick: what is written by then goes out together.
        if (m.type === "event") process.nextTick(() => { seen.push(order); order = []; });
      },
    });
    await hub.start();
    await hub.createSession();
    await hub.settle();
    order = [];
    hub.emit("tick", 1);
    await hub.settle();
    hub.emit("tick", 2);
    await hub.settle();
    expect(seen).toEqual([["event", "patch"], ["event", "patch"]]);
    await hub.stop();
  });

  it("writes a handled broadcast's event and the patch it caused to the page's stream in one write", async () => {
    class Ticker extends App {
      tick = 0;
      @server.on("tick") onTick(n: number) { this.tick = n; }
      override render() { return h("p", {}, String(this.tick)); }
    }
    const writes: string[] = [];
    const sink = { write: (t: string) => writes.push(t), end() {}, destroy() {}, writableLength: 0, writableEnded: false, destroyed: false, once() {} };
    const hub = new Hub(Ticker, { logger: quietLogger() });
    await hub.start();
    hub.connect(await hub.createSession(), sink);
    await hub.settle();
    writes.length = 0;
    hub.emit("tick", 1);
    await hub.settle();
    expect(writes).toHaveLength(1);
    expect(writes[0]).toMatch(/^id: \d+\nevent: event\ndata: .*\n\nid: \d+\nevent: patch\ndata: .*"text":"1"/s);
    await hub.stop();
  });
});
