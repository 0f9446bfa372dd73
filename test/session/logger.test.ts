import { describe, expect, it } from "vitest";
import { App, h, server } from "revue";
import { mount } from "revue/testing";
import { RepeatedErrors } from "../../src/session/logger.js";

describe("a failure that repeats does not fill the log", () => {
  it("logs 10 of a kind a minute, says once that it counts the rest, and how many it did not log when the next minute starts", () => {
    let now = 0;
    const lines: string[] = [];
    const repeats = new RepeatedErrors({ warn: () => {}, error: (m) => void lines.push(m) }, () => now);
    for (let i = 0; i < 25; i++) repeats.error("Shop.buy\0out of stock", `[revue] Shop.buy failed (error ${i}):`, new Error("out of stock"));
    repeats.error("Shop.pay\0declined", "[revue] Shop.pay failed (error p):", new Error("declined"));
    expect(lines).toHaveLength(12);
    expect(lines[9]).toBe("[revue] Shop.buy failed (error 9):");
    expect(lines[10]).toBe("[revue] Shop.buy failed (error 10); more like it in the next 60 s are counted, not logged:");
    expect(lines[11]).toBe("[revue] Shop.pay failed (error p):"); // another kind has its own count
    now = 60_000;
    repeats.error("Shop.buy\0out of stock", "[revue] Shop.buy failed (error 25):", new Error("out of stock"));
    expect(lines[12]).toBe("[revue] Shop.buy failed (error 25): (15 more like it in the 60 s before were not logged)");
  });

  it("a button whose handler throws, clicked 30 times: 11 lines in the log, and the page is told each time", async () => {
    class Broken extends App {
      clicks = 0;
      @server.realtime explode() {
        // A message that differs at every click (an id, the input): still one kind.
        throw new Error(`the database is on fire (click ${++this.clicks})`);
      }
      override render() {
        return h("main", {}, h("button", { id: "go", onClick: this.explode }, "Go"));
      }
    }
    const t = await mount(Broken);
    for (let i = 0; i < 30; i++) await t.click("#go");
    // The server's log (the page's console says it too, each time: it is the visitor's).
    expect(t.logs.filter((l) => l.startsWith("error [revue] Broken.explode failed"))).toHaveLength(11);
    expect(t.errors).toHaveLength(30);
    await t.unmount();
  });
});
