// @vitest-environment jsdom
import { describe, expect, it, vi } from "vitest";
import { createBus } from "../../client/bus.js";
import { page, settle } from "./fake-transport.js";

describe("the rv bus", () => {
  it("delivers rv.emit to local listeners at once and forwards it to the server", () => {
    const sent: unknown[] = [];
    const bus = createBus((event, data) => sent.push([event, data]));
    const heard = vi.fn();
    bus.on("saved", heard);
    bus.emit("saved", { id: 1 });
    expect(heard).toHaveBeenCalledWith({ id: 1 });
    expect(sent).toEqual([["saved", { id: 1 }]]);
  });

  it("refuses lifecycle names, which only Revue emits", () => {
    const bus = createBus(() => {});
    for (const name of ["ready", "connect", "disconnect", "start", "stop"]) expect(() => bus.emit(name)).toThrow(/reserved/);
  });

  it("runs once listeners once and stops calling a listener after off", () => {
    const bus = createBus(() => {});
    const once = vi.fn();
    const on = vi.fn();
    bus.once("x", once).on("x", on);
    bus.local("x");
    bus.off("x", on);
    bus.local("x");
    expect(once).toHaveBeenCalledTimes(1);
    expect(on).toHaveBeenCalledTimes(1);
  });

  it("keeps calling the other listeners when one throws", () => {
    const bus = createBus(() => {});
    const err = vi.spyOn(console, "error").mockImplementation(() => {});
    const after = vi.fn();
    bus.on("x", () => {
      throw new Error("boom");
    });
    bus.on("x", after);
    bus.local("x", 1);
    expect(after).toHaveBeenCalledWith(1);
    expect(err).toHaveBeenCalled();
    err.mockRestore();
  });

  it("posts rv.emit as /api/emit with the session id once the stream is connected", async () => {
    const { rv, t } = page();
    const heard = vi.fn();
    rv.on("typing", heard);
    rv.emit("typing", { who: "ann" });
    expect(heard).toHaveBeenCalledWith({ who: "ann" });
    expect(t.to("/api/emit")).toEqual([]);
    t.last.on.open();
    await settle();
    expect(t.to("/api/emit")).toEqual([{ sid: "s1", seq: 1, event: "typing", data: { who: "ann" } }]);
    rv.close();
  });

  it("hands server events to rv.on listeners without sending them back", async () => {
    const { rv, t } = page();
    t.loadModule();
    await rv.ready;
    t.last.on.open();
    const heard = vi.fn();
    rv.on("message", heard);
    t.send({ type: "event", event: "message", data: { text: "hi" } });
    expect(heard).toHaveBeenCalledWith({ text: "hi" });
    await settle();
    expect(t.to("/api/emit")).toEqual([]);
    rv.close();
  });
});
