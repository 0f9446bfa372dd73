import { afterEach, expect, it } from "vitest";
import { z } from "zod";
import { App, h, server } from "revue";
import { getSpec } from "revue/internals";
import { mount, type TestSession } from "revue/testing";

// Compiled with TC39 standard decorators: see the "standard" project in vitest.config.ts.

let t: TestSession<App> | undefined;
afterEach(async () => {
  await t?.unmount();
  t = undefined;
});

it("validates rpc arguments under standard decorators too, with options and schemas together", async () => {
  class Shop extends App {
    total = 0;
    @server.rpc({ name: "buy" }, z.number().int().positive()) add(n: number) {
      this.total += n;
      return this.total;
    }
    override render() {
      return h("p", {}, String(this.total));
    }
  }
  expect(getSpec(Shop).rpc.get("buy")?.options.schemas).toHaveLength(1);
  t = await mount(Shop);
  expect(await t.rpc("buy", 2)).toBe(2);
  await expect(t.rpc("buy", -1)).rejects.toMatchObject({ code: "INVALID_ARGS", issues: [{ path: [0] }] });
  expect(await t.rpc("buy", 3)).toBe(5);
});
