import { describe, expect, it, vi } from "vitest";
import { App, client, h, server, transient } from "revue";
import { BindError, createBinder, getSpec, RegistryError } from "revue/internals";
import { startup } from "revue/compat";

// This file is compiled with TC39 standard decorators (experimentalDecorators
// off): see the "standard" project in vitest.config.ts and tsconfig.standard.json.

describe("decorators (TC39 standard decorators)", () => {
  it("are really compiled as standard decorators here", () => {
    const seen: unknown[] = [];
    const spy = (...args: unknown[]) => void seen.push(args);
    class Probe {
      @(spy as any) m() {}
    }
    void Probe;
    expect(seen).toHaveLength(1);
    expect((seen[0] as unknown[])[1]).toMatchObject({ kind: "method", name: "m", static: false });
  });

  it("records every kind with its options and builds a spec", () => {
    class Counter extends App {
      count = 0;
      @server.realtime increment() { this.count++; }
      @server.rpc({ name: "resetTo" }) async reset(to: number) { this.count = to; return to; }
      @server.on("connect") hello() {}
      @server.on("start") static boot() {}
      @client format(n: number) { return String(n); }
      @client.callback onReset() {}
      @client.realtime toast(_msg: string) {}
      @client.on("ready") ready() {}
    }
    const spec = getSpec(Counter);
    expect([...spec.realtime.keys()]).toEqual(["increment"]);
    expect(spec.rpc.get("resetTo")?.method).toBe("reset");
    expect(spec.serverOn.get("connect")?.[0]?.method).toBe("hello");
    expect(spec.staticOn.get("start")?.[0]?.method).toBe("boot");
    expect(spec.client.map((e) => e.kind)).toEqual(["client", "callback", "client-realtime", "client-on"]);
  });

  it("makes subclasses inherit entries and keeps two apps apart", () => {
    class Base extends App {
      @server.realtime ping() {}
    }
    class Child extends Base {
      @server.rpc load() {}
    }
    class Other extends App {
      @server.realtime pong() {}
    }
    expect([...getSpec(Child).realtime.keys()]).toEqual(["ping"]);
    expect([...getSpec(Child).rpc.keys()]).toEqual(["load"]);
    expect([...getSpec(Base).rpc.keys()]).toEqual([]);
    expect([...getSpec(Other).realtime.keys()]).toEqual(["pong"]);
  });

  it("fails at class definition for two kinds on one method", () => {
    expect(() => {
      class Twice extends App {
        @server.rpc @server.realtime go() {}
      }
      return Twice;
    }).toThrow(/^<class at test\/standard\/decorators\.test\.ts:\d+>\.go is decorated twice, as @server\.realtime and @server\.rpc\. A method has exactly one kind/);
  });

  it('fails at class definition for on("start") on an instance method', () => {
    expect(() => {
      class Boot extends App {
        @server.on("start") boot() {}
      }
      return Boot;
    }).toThrow(/^<class at test\/standard\/decorators\.test\.ts:\d+>\.boot: @server\.on\("start"\) needs a static method/);
  });

  it("fails at class definition for a field or an accessor", () => {
    expect(() => {
      class F extends App {
        // @ts-expect-error a field is not a method
        @server.realtime count = 0;
      }
      return F;
    }).toThrow(/^<class at test\/standard\/decorators\.test\.ts:\d+>\.count: @server\.realtime was applied to a field, but it decorates methods only\. Turn "count" into a method/);
    expect(() => {
      class G extends App {
        // @ts-expect-error an accessor is not a method
        @client.callback accessor total = 1;
      }
      return G;
    }).toThrow(/^<class at test\/standard\/decorators\.test\.ts:\d+>\.total: @client\.callback was applied to an accessor, but it decorates methods only\./);
    expect(() => {
      class H extends App {
        // @ts-expect-error a getter is not a method
        @client.callback get total() {
          return 1;
        }
      }
      return H;
    }).toThrow("was applied to a getter");
  });

  it("binds only this app's callback and realtime methods", () => {
    class Clicks extends App {
      @server.realtime inc() {}
      @client.callback local() {}
      @server.rpc load() {}
    }
    const bind = createBinder(getSpec(Clicks));
    expect(bind("button", "onClick", Clicks.prototype.inc)).toBe("r:inc");
    expect(bind("button", "onClick", Clicks.prototype.local)).toBe("c:local");
    expect(() => bind("button", "onClick", Clicks.prototype.load)).toThrow(BindError);
    expect(h).toBeTypeOf("function");
  });

  it("maps the deprecated startup alias and warns once", () => {
    const warn = vi.spyOn(console, "warn").mockImplementation(() => {});
    class Old extends App {
      @startup init() {}
      @startup again() {}
    }
    expect(getSpec(Old).clientOn.get("ready")?.map((e) => e.method)).toEqual(["init", "again"]);
    expect(warn.mock.calls.filter((c) => String(c[0]).includes("@startup"))).toHaveLength(1);
    warn.mockRestore();
  });

  it("records @transient fields, inherited by subclasses, beside a resume handler", () => {
    class Base extends App {
      rows: number[] = [];
      @transient db = { open: true };
    }
    class Child extends Base {
      @transient cache = new Map<string, number>();
      @server.on("resume") reopen() {
        this.db = { open: true };
      }
    }
    class Plain extends Child {}
    expect([...getSpec(Base).transient]).toEqual(["db"]);
    expect([...getSpec(Child).transient]).toEqual(["db", "cache"]);
    expect([...getSpec(Plain).transient]).toEqual(["db", "cache"]);
    expect(Object.isFrozen(getSpec(Child).transient)).toBe(true);
    expect(getSpec(Child).serverOn.get("resume")?.[0]?.method).toBe("reopen");
    // the decorator does not disturb the initialiser
    expect(new Child().cache).toBeInstanceOf(Map);
    expect(() => {
      class S extends App {
        @server.on("resume") static reopen() {}
      }
      return S;
    }).toThrow(/^<class at test\/standard\/decorators\.test\.ts:\d+>\.reopen: @server\.on\("resume"\) needs an instance method: "resume" runs for each session\. Remove "static"\./);
  });

  it("fails at class definition for @transient on anything but a public instance field", () => {
    expect(() => {
      class M extends App {
        // @ts-expect-error a method is not a field
        @transient load() {}
      }
      return M;
    }).toThrow(/^<class at test\/standard\/decorators\.test\.ts:\d+>\.load: @transient was applied to a method, but it marks instance fields only\./);
    expect(() => {
      class A extends App {
        // @ts-expect-error an auto-accessor is not a field
        @transient accessor total = 1;
      }
      return A;
    }).toThrow(/^<class at test\/standard\/decorators\.test\.ts:\d+>\.total: @transient was applied to an accessor, but it marks instance fields only\./);
    expect(() => {
      class G extends App {
        // @ts-expect-error a getter is not a field
        @transient get total() {
          return 1;
        }
      }
      return G;
    }).toThrow(/^<class at test\/standard\/decorators\.test\.ts:\d+>\.total: @transient was applied to a getter, but it marks instance fields only\./);
    expect(() => {
      class S extends App {
        @transient static pool = 1;
      }
      return S;
    }).toThrow(/^<class at test\/standard\/decorators\.test\.ts:\d+>\.pool: @transient was applied to a static field\. Static fields are shared by every session/);
    expect(() => {
      class P extends App {
        @transient #db = 1;
        get db() {
          return this.#db;
        }
      }
      return P;
    }).toThrow(/^<class at test\/standard\/decorators\.test\.ts:\d+>\.#db: @transient cannot mark a private \(#\) field: only public string-named fields are saved in a session snapshot, so this one already keeps its constructor value/);
    const key = Symbol("db");
    expect(() => {
      class Y extends App {
        @transient [key] = 1;
      }
      return Y;
    }).toThrow(/^<class at test\/standard\/decorators\.test\.ts:\d+>\.Symbol\(db\): @transient cannot mark a symbol-named field/);
  });

  it("names the method and where its class is written when a factory's argument is wrong (TC39 decorators do not expose the class name)", () => {
    expect(() => {
      class Empty extends App {
        @server.on("") go() {}
      }
      return Empty;
    }).toThrow(/^<class at test\/standard\/decorators\.test\.ts:\d+>\.go: @server\.on\(name\) needs a non-empty event name string, got ""/);
    expect(() => {
      class Page extends App {
        @client.on("start") boot() {}
      }
      return Page;
    }).toThrow(/^<class at test\/standard\/decorators\.test\.ts:\d+>\.boot: @client\.on\("start"\): "start" is a server lifecycle event/);
  });
});
