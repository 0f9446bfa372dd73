import { afterEach, describe, expect, it, vi } from "vitest";
import { App, cached, h, server } from "revue";
import { RegistryError } from "revue/internals";
import { mount } from "revue/testing";

afterEach(() => {
  cached.clear();
  vi.useRealTimers();
});

describe("@cached", () => {
  it("answers a second call with the same arguments from the cache, shared by every session of the class", async () => {
    let runs = 0;
    class Lookup extends App {
      shown = "";
      @server.rpc @cached() async square(n: number) {
        runs++;
        return { n, square: n * n };
      }
      override render() {
        return h("p", {}, this.shown);
      }
    }
    const ann = await mount(Lookup);
    const bob = await ann.another();
    expect(await ann.rpc("square", 3)).toEqual({ n: 3, square: 9 });
    expect(await bob.rpc("square", 3)).toEqual({ n: 3, square: 9 });
    expect(await bob.rpc("square", 4)).toEqual({ n: 4, square: 16 });
    expect(runs).toBe(2);
    await bob.unmount();
    await ann.unmount();
  });

  it("shares one computation among concurrent calls with the same arguments, and keeps no failure", async () => {
    let runs = 0;
    let fail = true;
    class Slow {
      @cached() async load(key: string) {
        runs++;
        await new Promise((r) => setTimeout(r, 20));
        if (fail) throw new Error(`${key} failed`);
        return [key];
      }
    }
    const s = new Slow();
    const all = await Promise.allSettled([s.load("a"), s.load("a"), s.load("a")]);
    expect(all.map((r) => r.status)).toEqual(["rejected", "rejected", "rejected"]);
    expect(runs).toBe(1);
    fail = false;
    expect(await Promise.all([s.load("a"), s.load("a")])).toEqual([["a"], ["a"]]);
    expect(runs).toBe(2);
    expect(await s.load("a")).toEqual(["a"]);
    expect(runs).toBe(2);
  });

  it("hands every caller its own copy: changing a result changes neither the cache nor another caller's", async () => {
    class Rows {
      @cached() rows(n: number) {
        return Array.from({ length: n }, (_, i) => ({ i, tags: new Set(["x"]) }));
      }
    }
    const r = new Rows();
    const first = r.rows(2);
    first[0]!.i = 99;
    first.push({ i: 7, tags: new Set() });
    const second = r.rows(2);
    expect(second).toEqual([{ i: 0, tags: new Set(["x"]) }, { i: 1, tags: new Set(["x"]) }]);
    second[1]!.tags.add("y");
    expect(r.rows(2)[1]!.tags).toEqual(new Set(["x"]));
  });

  it("runs a call whose arguments are over 4,096 characters of JSON uncached, rather than keep the key", () => {
    let runs = 0;
    class Big {
      @cached() size(text: string) {
        runs++;
        return text.length;
      }
    }
    const b = new Big();
    const long = "x".repeat(5000);
    expect([b.size(long), b.size(long)]).toEqual([5000, 5000]);
    expect(runs).toBe(2);
    expect([b.size("x"), b.size("x")]).toEqual([1, 1]);
    expect(runs).toBe(3);
  });

  it("expires results after ttl and keeps at most max, least recently used first", async () => {
    let runs = 0;
    class Clock {
      @cached({ ttl: 40, max: 2 }) at(key: string) {
        runs++;
        return `${key}@${runs}`;
      }
    }
    const c = new Clock();
    expect(c.at("a")).toBe("a@1");
    expect(c.at("a")).toBe("a@1");
    await new Promise((r) => setTimeout(r, 60));
    expect(c.at("a")).toBe("a@2");
    c.at("b");
    c.at("a"); // a is now the most recently used
    c.at("c"); // pushes b out
    expect(runs).toBe(4);
    expect(c.at("a")).toBe("a@2");
    expect(c.at("b")).toBe("b@5");
  });

  it("with scope session, keeps one cache per session", async () => {
    let runs = 0;
    class Mine extends App {
      name = "";
      @server.rpc setName(name: string) {
        this.name = name;
      }
      @server.rpc @cached({ scope: "session" }) greet(greeting: string) {
        runs++;
        return `${greeting}, ${this.name}`;
      }
      override render() {
        return h("p", {}, this.name);
      }
    }
    const ann = await mount(Mine);
    const bob = await ann.another();
    await ann.rpc("setName", "ann");
    await bob.rpc("setName", "bob");
    expect(await ann.rpc("greet", "hi")).toBe("hi, ann");
    expect(await bob.rpc("greet", "hi")).toBe("hi, bob");
    expect(await ann.rpc("greet", "hi")).toBe("hi, ann");
    expect(runs).toBe(2);
    await bob.unmount();
    await ann.unmount();
  });

  it("bounds a session's cache in bytes (2 MB), counts it in that session's memory, and empties it on clear", async () => {
    let runs = 0;
    class Search {
      @cached({ scope: "session" }) find(q: string) {
        runs++;
        return { q, rows: "x".repeat(4000) }; // ≈ 4 KB each, arguments a page chooses
      }
    }
    const { cachedBytes } = await import("../../src/registry/cached.js");
    const one = new Search(), two = new Search();
    for (let i = 0; i < 1000; i++) one.find(`${i}`.padStart(3000, "q"));
    const bytes = cachedBytes(one);
    expect(bytes).toBeGreaterThan(1.5 * 1024 * 1024);
    expect(bytes).toBeLessThanOrEqual(2 * 1024 * 1024); // not the 1,000 entries' 10 MB
    expect(cachedBytes(two)).toBe(0);
    two.find("a");
    two.find("a");
    expect(runs).toBe(1001);
    cached.clear(Search);
    expect(cachedBytes(one)).toBe(0);
    two.find("a");
    expect(runs).toBe(1002);
  });

  it("counts a session's cached results in its weight, so the memory budget sees them", async () => {
    class Mine extends App {
      @server.rpc @cached({ scope: "session" }) big(n: number) {
        return "y".repeat(100_000 + n);
      }
      override render() {
        return h("p", {}, "mine");
      }
    }
    const t = await mount(Mine);
    for (let n = 0; n < 5; n++) await t.rpc("big", n);
    const session = t.hub.get(t.sid)!;
    t.hub.weigh(session);
    expect(session.stateBytes).toBeGreaterThan(5 * 200_000);
    await t.unmount();
  });

  it("clears one method's cache, a class's, or all", () => {
    const runs = { a: 0, b: 0 };
    class Two {
      @cached() a() {
        return ++runs.a;
      }
      @cached() static b() {
        return ++runs.b;
      }
    }
    const t = new Two();
    t.a();
    Two.b();
    cached.clear(Two, "a");
    expect([t.a(), Two.b()]).toEqual([2, 1]);
    cached.clear(Two);
    expect([t.a(), Two.b()]).toEqual([3, 2]);
    cached.clear();
    expect([t.a(), Two.b()]).toEqual([4, 3]);
    expect(() => cached.clear(Two, "c")).toThrow('cached.clear(Two, "c"): Two.c has no @cached decorator. Cached methods of Two: a, static b.');
  });

  it("says what to do with arguments or results it cannot key or copy, and with bad options", () => {
    class Bad {
      @cached() echo(x: unknown) {
        return x;
      }
      @cached() connect(url: string) {
        return { url, close() {} };
      }
    }
    const b = new Bad();
    expect(() => b.echo(new Map())).toThrow(/Bad\.echo: @cached keys its results by the arguments as JSON, and these cannot be \(Map has no JSON form\)/);
    expect(() => b.echo(() => 1)).toThrow(/a function has no JSON form/);
    expect(() => b.echo({ fn: () => 1 }.fn)).toThrow(/Pass plain data/);
    expect(() => b.connect("db://x")).toThrow(/this result cannot be copied .*use @cached\.resource for a shared handle/);
    expect(() => cached({ ttl: -1 })).toThrow(new RegistryError("@cached({\"ttl\":-1}): option ttl must be a positive number of milliseconds, got -1."));
    expect(() => cached({ scope: "page" as "app" })).toThrow(/option scope is "app" .* or "session"/);
    expect(() => cached({ size: 3 } as object)).toThrow('@cached({"size":3}): unknown option "size". Allowed: ttl, max, scope.');
    expect(() => {
      class Bare {
        // @ts-expect-error: @cached needs parentheses
        @cached m() {}
      }
      void Bare;
    }).toThrow("@cached needs parentheses");
    expect(() => {
      class Stat {
        @cached({ scope: "session" }) static m() {}
      }
      void Stat;
    }).toThrow(/Stat\.m: @cached\(.*\) with scope "session" needs an instance method/);
  });
});

describe("@cached.resource", () => {
  it("hands out one shared handle per arguments, not copied, and disposes it when cleared and when the server stops", async () => {
    const disposed: string[] = [];
    let made = 0;
    class Pool {
      constructor(readonly name: string) {}
      query(q: string) {
        return `${this.name}: ${q}`;
      }
    }
    class Report extends App {
      @cached.resource({ dispose: (p: Pool) => void disposed.push(p.name) }) static db(name: string) {
        made++;
        return new Pool(name);
      }
      @server.rpc rows() {
        return Report.db("sales").query("select 1");
      }
      override render() {
        return h("p", {}, "report");
      }
    }
    expect(Report.db("sales")).toBe(Report.db("sales"));
    expect(made).toBe(1);
    cached.clear(Report, "db");
    expect(disposed).toEqual(["sales"]);
    const t = await mount(Report);
    expect(await t.rpc("rows")).toBe("sales: select 1");
    expect(made).toBe(2);
    await t.unmount(); // the last page stops the hub
    expect(disposed).toEqual(["sales", "sales"]);
  });
});
