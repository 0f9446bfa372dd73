import { afterEach, describe, expect, it } from "vitest";
import { type } from "arktype";
import * as v from "valibot";
import { z } from "zod";
import { App, h, server, type EventSummary } from "revue";
import { RegistryError } from "revue/internals";
import { mount, type TestSession } from "revue/testing";
import { serve } from "../server/harness.js";

/** The same shop, its arguments checked by each library. */
function shop(name: string, email: unknown, qty: unknown, address: unknown) {
  class Shop extends App {
    orders: string[] = [];
    @server.rpc(email as never, qty as never, address as never) order(to: string, n: number, where: { city: string; zip: string }) {
      this.orders.push(`${n} to ${to} in ${where.city}`);
      return this.orders.length;
    }
    @server.realtime(qty as never) bump(n: number, ev?: EventSummary) {
      this.orders.push(`bump ${n}${ev ? ` (${ev.type})` : ""}`);
    }
    override render() {
      return h("ul", {}, this.orders.map((o, i) => h("li", { key: String(i) }, o)));
    }
  }
  Object.defineProperty(Shop, "name", { value: `${name}Shop` });
  return Shop;
}

const libraries = {
  zod: shop("Zod", z.string().email(), z.number().int().positive(), z.object({ city: z.string().min(1), zip: z.string().regex(/^\d{5}$/) })),
  valibot: shop("Valibot", v.pipe(v.string(), v.email()), v.pipe(v.number(), v.integer(), v.minValue(1)), v.object({ city: v.pipe(v.string(), v.minLength(1)), zip: v.pipe(v.string(), v.regex(/^\d{5}$/)) })),
  arktype: shop("Arktype", type("string.email"), type("number.integer > 0"), type({ city: "string > 0", zip: /^\d{5}$/ })),
};

let srv: Awaited<ReturnType<typeof serve>> | undefined;
let t: TestSession<App> | undefined;
afterEach(async () => {
  await srv?.close();
  await t?.unmount();
  srv = t = undefined;
});

describe.each(Object.entries(libraries))("@server.rpc(schemas) with %s", (_name, Shop) => {
  it("runs a call whose arguments pass", async () => {
    srv = await serve(Shop);
    const b = await srv.browser().start();
    const r = await b.rpc("order", ["ann@example.com", 2, { city: "Lyon", zip: "69001" }]);
    expect(r.status).toBe(200);
    expect(r.body.result).toBe(1);
  });

  it("answers 400 INVALID_ARGS with every issue and its path, runs nothing, and leaves the seq usable", async () => {
    srv = await serve(Shop);
    const b = await srv.browser().start();
    const bad = await b.rpc("order", ["not-an-email", 0, { city: "", zip: "123" }], 1);
    expect(bad.status).toBe(400);
    expect(bad.body.error.code).toBe("INVALID_ARGS");
    expect(bad.body.error.message).toMatch(/^\w+Shop\.order: argument 1: .+ \(and 3 more issues\)$/);
    expect(bad.body.error.issues.map((i: { path: unknown[] }) => i.path)).toEqual([[0], [1], [2, "city"], [2, "zip"]]);
    expect(bad.body.error.issues.every((i: { message: unknown }) => typeof i.message === "string" && i.message.length > 0)).toBe(true);
    // The refused call did not take seq 1: the corrected call runs under it.
    const ok = await b.rpc("order", ["ann@example.com", 1, { city: "Lyon", zip: "69001" }], 1);
    expect(ok.body.result).toBe(1);
    const missing = await b.rpc("order", ["ann@example.com"], 2);
    expect(missing.body.error.issues.map((i: { path: unknown[] }) => i.path[0])).toEqual([1, 2]);
    const extra = await b.rpc("order", ["ann@example.com", 1, { city: "Lyon", zip: "69001" }, "more"], 2);
    expect(extra.body.error).toMatchObject({ code: "INVALID_ARGS", issues: [{ path: [3], message: expect.stringMatching(/4 arguments were sent; \w+Shop\.order takes 3/) }] });
  });

  it("checks a realtime call's leading arguments, and keeps the event summary after them", async () => {
    srv = await serve(Shop);
    const b = await srv.browser().start();
    expect((await b.event("bump", [-1])).status).toBe(400);
    expect((await b.event("bump", [3, { type: "click" }])).status).toBe(202);
  });
});

describe("@server.rpc(schemas) in a page", () => {
  it("rejects rv.rpc with the issues, for a form to show next to its fields", async () => {
    t = await mount(libraries.zod);
    const err = await t.rpc("order", "x", 1.5, { city: "Lyon", zip: "69001" }).catch((e: unknown) => e);
    expect(err).toMatchObject({ code: "INVALID_ARGS", issues: [{ path: [0] }, { path: [1] }] });
  });

  it("lists at most 100 issues however many an argument has", async () => {
    class Bulk extends App {
      @server.rpc(z.array(z.number())) sum(xs: number[]) {
        return xs.reduce((a, b) => a + b, 0);
      }
      override render() {
        return h("p", {}, "");
      }
    }
    srv = await serve(Bulk);
    const b = await srv.browser().start();
    const r = await b.rpc("sum", [Array(5000).fill("x")]);
    expect(r.status).toBe(400);
    expect(r.body.error.issues).toHaveLength(100);
    expect(r.body.error.message).toMatch(/\(and 4999 more issues; the first 100 are listed\)$/);
  });

  it("hands the method what the schema outputs (defaults, coercion)", async () => {
    class Coerce extends App {
      got: unknown[] = [];
      @server.rpc(z.coerce.number(), z.string().default("none")) take(n: number, note: string) {
        this.got = [n, note];
        return this.got;
      }
      override render() {
        return h("p", {}, JSON.stringify(this.got));
      }
    }
    t = await mount(Coerce);
    expect(await t.rpc("take", "42")).toEqual([42, "none"]);
  });

  it("says what is wrong when something other than a schema is passed", () => {
    expect(() => {
      class Bad extends App {
        @server.rpc(z.string(), "number" as never) m(_a: string, _b: number) {}
      }
      void Bad;
    }).toThrow(new RegistryError('@server.rpc(...): argument 2 is not a Standard Schema validator (zod, valibot, arktype…: an object with "~standard"). Write @server.rpc(schema, ...) with one schema per parameter, or @server.rpc({ name }) for options.'));
    expect(() => {
      class Named extends App {
        @server.rpc({ name: "buy" }, z.string()) m(_a: string) {}
      }
      void Named;
    }).not.toThrow();
  });

  it("types the parameters from the schemas", () => {
    class Typed extends App {
      @server.rpc(z.string(), z.number()) ok(_a: string, _b: number) {}
      // @ts-expect-error: the first schema outputs a string, not a number
      @server.rpc(z.string()) wrong(_a: number) {}
    }
    void Typed;
  });
});
