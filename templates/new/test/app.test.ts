import { mount } from "revue/testing";
import { expect, it } from "vitest";
import { Counter } from "../src/app.js";

it("counts clicks and resets", async () => {
  const t = await mount(Counter);
  await t.click("#inc");
  await t.click("#inc");
  expect(t.text("#count")).toBe("2");
  expect(await t.rpc("reset", 0)).toBe(0);
  expect(t.text("#count")).toBe("0");
  await t.unmount();
});
