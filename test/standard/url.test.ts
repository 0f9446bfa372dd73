import { expect, it } from "vitest";
import { App, h, server, synced, url } from "revue";
import { getSpec } from "revue/internals";
import { mount } from "revue/testing";

// Compiled with TC39 standard decorators: see the "standard" project in vitest.config.ts.

it("@url and @synced mark fields under standard decorators too, bare and with options; misuse is named", async () => {
  class List extends App {
    @url filter = "all";
    @url({ param: "p", push: true }) page = 1;
    @synced total = 0;
    @server.realtime more() {
      this.page++;
      this.total += 10;
    }
    override render() {
      return h("main", {}, h("h1", {}, `${this.filter} ${this.page}`), h("button", { id: "more", onClick: this.more }, "More"));
    }
  }
  const spec = getSpec(List);
  expect([...spec.url]).toEqual([["filter", { param: "filter", push: false }], ["page", { param: "p", push: true }]]);
  expect([...spec.synced]).toEqual(["total"]);
  const t = await mount(List, { url: "/?filter=open&p=3" });
  expect(t.text("h1")).toBe("open 3");
  await t.click("#more");
  expect(t.url).toBe("/?filter=open&p=4");
  expect(t.rv.state).toEqual({ total: 10 });
  await t.unmount();

  expect(() => {
    class Bad extends App {
      @url static shared = "";
    }
    return Bad;
  }).toThrow(/@url was applied to a static field/);
  expect(() => {
    class Bad extends App {
      // @ts-expect-error: a method is not a field
      @synced count() {
        return 1;
      }
    }
    return Bad;
  }).toThrow(/@synced was applied to a method, but it marks instance fields only/);
});
