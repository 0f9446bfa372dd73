// @vitest-environment jsdom
import { afterEach, describe, expect, it, vi } from "vitest";
import { page, settle } from "./fake-transport.js";

const FORM =
  '<main data-rv="w-0">' +
  '<input data-rv="w-1" name="q" data-rv-on-input="r:search">' +
  '<input data-rv="w-2" name="slow" data-rv-on-input="r:slow/300">' +
  '<input data-rv="w-3" type="checkbox" name="done" data-rv-on-change="r:toggle">' +
  '<form data-rv="w-4" data-rv-on-submit="r:save"><input data-rv="w-5" name="tag" value="a"><input data-rv="w-6" name="tag" value="b"><input data-rv="w-7" name="title" value="T"></form>' +
  '<div data-rv="w-8" data-rv-on-click="c:onClick"><button data-rv="w-9" data-rv-on-click="r:increment">+1</button></div>' +
  '<p data-rv="w-10" data-rv-on-keydown="r:key" tabindex="0"></p>' +
  '<ul data-rv="w-12"><li data-rv="w-13"><input data-rv="w-14" type="checkbox" data-rv-on-change="r:toggle [7]"><button data-rv="w-15" data-rv-on-click=\'c:onPick [7,{"tag":"a b"}]\'>pick</button></li>' +
  '<li data-rv="w-16"><input data-rv="w-17" data-rv-on-input="r:rename/40 [8]"></li></ul>' +
  "</main>";

const type = (sel: string, value: string) => {
  const el = document.querySelector<HTMLInputElement>(sel)!;
  el.value = value;
  el.dispatchEvent(new Event("input", { bubbles: true }));
};

async function connected() {
  const p = page(FORM);
  p.t.last.on.open();
  return p;
}

afterEach(() => void vi.useRealTimers());

describe("DOM events", () => {
  it("listens once per event type on the root, not on each element", async () => {
    const spy = vi.spyOn(HTMLElement.prototype, "addEventListener");
    const warn = vi.spyOn(console, "warn").mockImplementation(() => {});
    const { rv, t } = await connected();
    // Every scan (the page, then each snapshot or batch of ops) asks again for the
    // types it finds; the DOM keeps one listener per (type, listener, capture).
    t.send({ type: "patch", rev: 2, ops: [{ op: "attrs", id: "w-9", set: { "data-rv-on-click": "r:increment" }, remove: [] }] });
    expect([...new Set(spy.mock.calls.map((c) => c[0]))].sort()).toEqual(["change", "click", "input", "keydown", "submit"]);
    expect(new Set(spy.mock.calls.map((c) => `${typeof c[1]} ${String(c[2])}`))).toEqual(new Set(["function true"]));
    expect(new Set(spy.mock.calls.map((c) => c[1])).size).toBe(1);
    expect(new Set(spy.mock.contexts)).toEqual(new Set([document.getElementById("rv-root")]));
    spy.mockRestore();
    document.querySelector<HTMLButtonElement>("button")!.click();
    await settle();
    expect(t.to("/api/event")).toEqual([expect.objectContaining({ method: "increment" })]);
    warn.mockRestore();
    rv.close();
  });

  it("sends a realtime binding a serialisable summary of the event", async () => {
    const { rv, t } = await connected();
    document.querySelector<HTMLButtonElement>("button")!.click();
    const box = document.querySelector<HTMLInputElement>("[type=checkbox]")!;
    box.checked = true;
    box.dispatchEvent(new Event("change", { bubbles: true }));
    document.querySelector("p")!.dispatchEvent(new KeyboardEvent("keydown", { key: "Enter", bubbles: true }));
    await settle();
    expect(t.to("/api/event").map((b) => [b.method, b.args])).toEqual([
      ["increment", [{ type: "click", value: "" }]],
      ["toggle", [{ type: "change", value: "on", checked: true }]],
      ["key", [{ type: "keydown", key: "Enter" }]],
    ]);
    rv.close();
  });

  it("sends a submit's form data and keeps the browser from navigating", async () => {
    const { rv, t } = await connected();
    const ev = new Event("submit", { bubbles: true, cancelable: true });
    document.querySelector("form")!.dispatchEvent(ev);
    await settle();
    expect(ev.defaultPrevented).toBe(true);
    expect(t.to("/api/event")[0].args[0]).toEqual({ type: "submit", form: { tag: ["a", "b"], title: "T" } });
    rv.close();
  });

  it("debounces typing by 150 ms by default and sends only the last value", async () => {
    vi.useFakeTimers();
    const { rv, t } = await connected();
    type("[name=q]", "h");
    type("[name=q]", "he");
    await vi.advanceTimersByTimeAsync(100);
    type("[name=q]", "hey");
    await vi.advanceTimersByTimeAsync(149);
    expect(t.to("/api/event")).toEqual([]);
    await vi.advanceTimersByTimeAsync(1);
    expect(t.to("/api/event").map((b) => b.args[0].value)).toEqual(["hey"]);
    rv.close();
  });

  it("sends pending typing as the page goes away; a closed runtime (replaced by live navigation) no longer listens", async () => {
    vi.useFakeTimers();
    const { rv, t } = await connected();
    type("[name=q]", "milk");
    dispatchEvent(new Event("pagehide"));
    await vi.advanceTimersByTimeAsync(0);
    expect(t.to("/api/event").map((b) => b.args[0].value)).toEqual(["milk"]);
    type("[name=q]", "milk and");
    rv.close();
    // The page's listener would keep the closed runtime, and the view it showed, alive.
    dispatchEvent(new Event("pagehide"));
    await vi.advanceTimersByTimeAsync(0);
    expect(t.to("/api/event")).toHaveLength(1);
  });

  it("uses the delay a binding names instead of the default", async () => {
    vi.useFakeTimers();
    const { rv, t } = await connected();
    type("[name=slow]", "x");
    await vi.advanceTimersByTimeAsync(299);
    expect(t.to("/api/event")).toEqual([]);
    await vi.advanceTimersByTimeAsync(1);
    expect(t.to("/api/event")).toHaveLength(1);
    rv.close();
  });

  it("sends pending typing before a later event, so the server sees them in order", async () => {
    vi.useFakeTimers();
    const { rv, t } = await connected();
    type("[name=q]", "milk");
    document.querySelector<HTMLButtonElement>("button")!.click();
    await vi.advanceTimersByTimeAsync(0);
    expect(t.to("/api/event").map((b) => b.method)).toEqual(["search", "increment"]);
    rv.close();
  });

  it("sends the typing of two fields in the order they were typed, ahead of a click, an rpc or an emit", async () => {
    vi.useFakeTimers();
    const { rv, t } = await connected();
    type("[name=q]", "milk");
    type("[name=slow]", "oats");
    document.querySelector<HTMLButtonElement>("button")!.click();
    await vi.advanceTimersByTimeAsync(0);
    expect(t.to("/api/event").map((b) => b.method)).toEqual(["search", "slow", "increment"]);
    t.reply = (url) => (url.includes("/api/rpc/") ? { status: 200, body: { result: null } } : { status: 202, body: { ok: true } });
    type("[name=q]", "milk and honey");
    void rv.rpc("save");
    type("[name=slow]", "oats and rye");
    rv.emit("picked", 1);
    await vi.advanceTimersByTimeAsync(0);
    expect(t.posts.slice(3).map((p) => `${p.url.replace(/^.*\/api\//, "")} ${p.body.seq}`)).toEqual(["event 4", "rpc/save 5", "event 6", "emit 7"]);
    rv.close();
  });

  it("calls a client callback with the real Event, after the bindings below it", async () => {
    const { rv, t } = await connected();
    const got: Event[] = [];
    t.loadModule({ methods: { onClick: (ev: Event) => void got.push(ev) }, kinds: { onClick: "callback" } });
    await rv.ready;
    const button = document.querySelector<HTMLButtonElement>("button")!;
    button.click();
    expect(got).toHaveLength(1);
    expect(got[0]).toBeInstanceOf(MouseEvent);
    expect(got[0]!.target).toBe(button);
    await settle();
    expect(t.to("/api/event").map((b) => b.method)).toEqual(["increment"]);
    rv.close();
  });

  it("starts listening for event types that a patch introduces", async () => {
    const { rv, t } = await connected();
    t.send({
      type: "patch",
      rev: 2,
      ops: [{ op: "append", parent: "w-0", node: { id: "w-11", tag: "div", attrs: { "data-rv-on-dblclick": "r:zoom" }, children: [] } }],
    });
    document.querySelector('[data-rv="w-11"]')!.dispatchEvent(new MouseEvent("dblclick", { bubbles: true }));
    await settle();
    expect(t.to("/api/event").map((b) => b.method)).toEqual(["zoom"]);
    rv.close();
  });

  describe("binding args", () => {
    it("passes a realtime binding's args before the event summary", async () => {
      const { rv, t } = await connected();
      document.querySelector<HTMLInputElement>('[data-rv="w-14"]')!.click();
      await settle();
      expect(t.to("/api/event").map((b) => [b.method, b.args])).toEqual([["toggle", [7, { type: "change", value: "on", checked: true }]]]);
      rv.close();
    });

    it("passes a callback's args before the real Event", async () => {
      const { rv, t } = await connected();
      const got: unknown[][] = [];
      t.loadModule({ methods: { onPick: (...a: unknown[]) => void got.push(a) }, kinds: { onPick: "callback" } });
      await rv.ready;
      document.querySelector<HTMLButtonElement>('[data-rv="w-15"]')!.click();
      expect(got).toHaveLength(1);
      expect(got[0]!.slice(0, 2)).toEqual([7, { tag: "a b" }]);
      expect(got[0]![2]).toBeInstanceOf(MouseEvent);
      rv.close();
    });

    it("keeps a debounced binding's args, with the last value typed", async () => {
      vi.useFakeTimers();
      const { rv, t } = await connected();
      type('[data-rv="w-17"]', "a");
      type('[data-rv="w-17"]', "ab");
      await vi.advanceTimersByTimeAsync(40);
      expect(t.to("/api/event").map((b) => b.args)).toEqual([[8, { type: "input", value: "ab" }]]);
      rv.close();
    });
  });
});
