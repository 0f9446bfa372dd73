import { afterEach, expect, it } from "vitest";
import { App, cached, h, server } from "revue";
import { getSpec } from "revue/internals";

// Compiled with TC39 standard decorators: see the "standard" project in vitest.config.ts.

afterEach(() => cached.clear());

it("caches under standard decorators too, alone and under @server.rpc, and clears by class and method", async () => {
  let runs = 0;
  class Lookup extends App {
    @server.rpc @cached() async square(n: number) {
      runs++;
      return { square: n * n };
    }
    @cached() static label(n: number) {
      runs++;
      return `#${n}`;
    }
    override render() {
      return h("p", {}, "");
    }
  }
  expect(getSpec(Lookup).rpc.get("square")?.method).toBe("square");
  const a = new Lookup();
  const first = await a.square(3);
  first.square = 0;
  expect(await a.square(3)).toEqual({ square: 9 });
  expect([Lookup.label(1), Lookup.label(1)]).toEqual(["#1", "#1"]);
  expect(runs).toBe(2);
  cached.clear(Lookup, "square");
  await a.square(3);
  Lookup.label(1);
  expect(runs).toBe(3);
  expect(() => cached.clear(Lookup, "nope")).toThrow(/Cached methods of Lookup: square, static label/);
});

it("names the class and method where it was written when a result cannot be copied", () => {
  class Handles {
    @cached() open() {
      return { close() {} };
    }
  }
  expect(() => new Handles().open()).toThrow(/<class at test\/standard\/cached\.test\.ts:\d+>\.open: @cached keeps a copy/);
});
