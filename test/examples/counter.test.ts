import { afterEach, describe, expect, it } from "vitest";
import { mount, type TestSession } from "revue/testing";
import { Counter } from "../../examples/counter/app.js";

let t: TestSession<Counter> | undefined;
afterEach(async () => {
  await t?.unmount();
  t = undefined;
});

describe("examples/counter", () => {
  it("counts clicks through the realtime binding", async () => {
    t = await mount(Counter);
    expect(t.text("#count")).toBe("0");
    await t.click("#inc");
    await t.click("#inc");
    expect(t.text("#count")).toBe("2");
    expect(t.app.count).toBe(2);
  });

  it("resets through the client callback awaiting the rpc", async () => {
    t = await mount(Counter);
    await t.click("#inc");
    await t.click("#reset");
    expect(t.text("#count")).toBe("0");
    expect(await t.rpc("reset", 7)).toBe(7);
    expect(t.text("#count")).toBe("7");
    // What a script posing as the page sends is refused, and the count stays.
    await expect(t.rpc("reset", "7" as never)).rejects.toThrow(/reset\(to\): to must be a whole number, got "7"/);
    await expect(t.rpc("reset", Array.from({ length: 1000 }, (_, i) => i) as never)).rejects.toThrow(/to must be a whole number/);
    expect(t.text("#count")).toBe("7");
  });

  it("applies small patches: a click changes one text node", async () => {
    t = await mount(Counter);
    await t.click("#inc");
    expect(t.ops.at(-1)).toEqual([{ op: "text", id: expect.any(String), text: "1" }]);
  });
});
