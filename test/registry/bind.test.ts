import { describe, expect, it } from "vitest";
import { App, client, handler, server } from "revue";
import { BindError, createBinder, getSpec } from "revue/internals";

class Clicks extends App {
  @server.realtime({ name: "plus" }) increment() {}
  @server.realtime({ debounce: 200 }) search() {}
  @client.callback onReset() {}
  @server.rpc load() {}
  @client.realtime toast() {}
  plain() {}
}
class Elsewhere extends App {
  @server.realtime other() {}
}

const bind = createBinder(getSpec(Clicks));

describe("bind-time validation", () => {
  it("accepts this app's @server.realtime and @client.callback methods", () => {
    expect(bind("button", "onClick", Clicks.prototype.increment)).toBe("r:plus");
    expect(bind("button", "onClick", Clicks.prototype.onReset)).toBe("c:onReset");
  });

  it("carries a debounce from the decorator or from handler()", () => {
    expect(bind("input", "onInput", Clicks.prototype.search)).toBe("r:search/200");
    expect(bind("input", "onInput", handler(Clicks.prototype.increment, { debounce: 300 }))).toBe("r:plus/300");
    expect(() => handler(Clicks.prototype.increment, { debounce: Number.NaN })).toThrow("debounce must be a number of milliseconds ≥ 0");
  });

  it("refuses an inline arrow, naming the element, the prop and the fix", () => {
    expect(() => bind("button", "onClick", () => {})).toThrow(
      new BindError(
        "<button onClick> in Clicks.render(): got an inline function. Handlers cannot be closures, because they must be callable from the page by name. " +
          "Bind a method decorated @client.callback (runs in the browser) or @server.realtime (runs on the server). Pass the method itself, e.g. { onClick: this.increment }, without .bind() or an arrow; " +
          'with arguments, handler(this.vote, { args: [note.id] }) (import { handler } from "revue").',
      ),
    );
  });

  it("refuses a .bind() copy of a decorated method", () => {
    expect(() => bind("a", "onClick", Clicks.prototype.increment.bind({}))).toThrow("(bound increment: a .bind() copy)");
  });

  it("refuses an undecorated method", () => {
    expect(() => bind("li", "onClick", Clicks.prototype.plain)).toThrow(
      "<li onClick> in Clicks.render(): Clicks.plain is not decorated. Add @server.realtime (or @client.callback to run it in the browser) above it.",
    );
  });

  it("refuses an rpc and explains why", () => {
    expect(() => bind("form", "onSubmit", Clicks.prototype.load)).toThrow(
      "<form onSubmit> in Clicks.render(): Clicks.load cannot be bound: it is @server.rpc, which returns a value to an awaiting caller; a DOM event cannot await it. " +
        "Use @server.realtime, or call this.server.load() from a @client.callback.",
    );
  });

  it("refuses other kinds of this app", () => {
    expect(() => bind("p", "onClick", Clicks.prototype.toast)).toThrow("Clicks.toast cannot be bound: it is @client.realtime, which cannot handle DOM events.");
  });

  it("refuses another app's method", () => {
    expect(() => bind("button", "onClick", Elsewhere.prototype.other)).toThrow(
      "<button onClick> in Clicks.render(): Elsewhere.other belongs to another app; an element can only bind methods of the app that renders it. Move the handler into Clicks, or render that app separately.",
    );
  });

  it("refuses inline handler strings", () => {
    expect(() => bind("button", "onclick", "alert(1)")).toThrow('<button onclick> in Clicks.render(): got an inline handler string "alert(1)".');
  });

  describe("handler args", () => {
    class Rows extends App {
      @server.realtime({ name: "flip" }) toggle(..._args: unknown[]) {}
      @server.realtime({ debounce: 200 }) rename(..._args: unknown[]) {}
      @client.callback onPick(..._args: unknown[]) {}
    }
    const rows = createBinder(getSpec(Rows));

    it("writes the args after the name and the debounce, as a JSON array", () => {
      expect(rows("button", "onClick", handler(Rows.prototype.toggle, { args: [7] }))).toBe("r:flip [7]");
      expect(rows("input", "onInput", handler(Rows.prototype.rename, { args: ["a b", null, true, { id: 1, tags: ["x"] }] }))).toBe('r:rename/200 ["a b",null,true,{"id":1,"tags":["x"]}]');
      expect(rows("li", "onClick", handler(Rows.prototype.onPick, { args: [1, 2], debounce: 50 }))).toBe("c:onPick/50 [1,2]");
      expect(rows("button", "onClick", handler(Rows.prototype.toggle, { args: [] }))).toBe("r:flip");
    });

    it("refuses what is not plain data, naming the element, the method and the value's place", () => {
      const at = (args: unknown[]) => () => rows("button", "onClick", handler(Rows.prototype.toggle, { args: args as [] }));
      expect(at([new Date(0)])).toThrow(
        new BindError(
          "<button onClick> in Rows.render(): handler(this.toggle, { args }): args[0] (a Date) is not plain data. Binding args are written into the page as JSON, " +
            "so pass strings, finite numbers, booleans, null, arrays and plain objects (an id, not the record: look the rest up on the server).",
        ),
      );
      expect(at([1, { when: () => 1 }])).toThrow("args[1].when (function) is not plain data");
      expect(at([Number.NaN])).toThrow("args[0] (NaN) is not plain data");
      expect(at([undefined])).toThrow("args[0] (undefined) is not plain data");
      expect(at([new Map()])).toThrow("args[0] (a Map) is not plain data");
      expect(at([1n])).toThrow("args[0] (bigint) is not plain data");
    });

    it("refuses args over 512 characters of JSON: they are written for every bound element", () => {
      expect(rows("button", "onClick", handler(Rows.prototype.toggle, { args: ["x".repeat(500)] }))).toMatch(/^r:flip \["x{500}"\]$/);
      expect(() => rows("button", "onClick", handler(Rows.prototype.toggle, { args: ["x".repeat(600)] }))).toThrow(
        "<button onClick> in Rows.render(): handler(this.toggle, { args }): the args are 604 characters of JSON, over 512. They are written into the page for every bound element: pass an id and look the rest up on the server.",
      );
    });

    it("refuses args that are not an array when the binding is made", () => {
      expect(() => handler(Rows.prototype.toggle, { args: 7 as unknown as [] })).toThrow(new BindError("handler(toggle, { args }): args must be an array of values, e.g. { args: [item.id] }, got 7."));
    });
  });
});
