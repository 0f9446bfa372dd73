import { describe, expect, it, vi } from "vitest";
import { App, client, server } from "revue";
import { getSpec, RegistryError } from "revue/internals";

describe("decorators (legacy experimentalDecorators)", () => {
  it("records every kind with its options and builds a spec", () => {
    class Counter extends App {
      count = 0;
      @server.realtime increment() { this.count++; }
      @server.rpc({ name: "resetTo" }) async reset(to: number) { this.count = to; return to; }
      @server.on("connect") hello() {}
      @server.on("start") static boot() {}
      @server.on("chat") static log() {}
      @client format(n: number) { return String(n); }
      @client.callback({ debounce: 50 }) onReset() {}
      @client.realtime toast(_msg: string) {}
      @client.on("ready") ready() {}
    }
    const spec = getSpec(Counter);
    expect(spec.name).toBe("Counter");
    expect([...spec.realtime.keys()]).toEqual(["increment"]);
    expect(spec.rpc.get("resetTo")?.method).toBe("reset");
    expect(spec.serverOn.get("connect")?.map((e) => e.method)).toEqual(["hello"]);
    expect(spec.staticOn.get("start")?.map((e) => e.method)).toEqual(["boot"]);
    expect(spec.staticOn.get("chat")?.map((e) => e.method)).toEqual(["log"]);
    expect(spec.client.map((e) => [e.method, e.kind])).toEqual([
      ["format", "client"],
      ["onReset", "callback"],
      ["toast", "client-realtime"],
      ["ready", "client-on"],
    ]);
    expect(spec.client.find((e) => e.method === "onReset")?.options).toEqual({ debounce: 50 });
    expect(spec.clientOn.get("ready")?.[0]?.method).toBe("ready");
  });

  it("leaves the decorated methods callable as ordinary methods", () => {
    class Calc extends App {
      @server.rpc add(a: number, b: number) { return a + b; }
    }
    expect(Calc.prototype.add(2, 3)).toBe(5);
  });

  it("lets one method handle several custom events", () => {
    class Multi extends App {
      @server.on("a") @server.on("b") both() {}
    }
    expect(getSpec(Multi).serverOn.get("a")?.[0]?.method).toBe("both");
    expect(getSpec(Multi).serverOn.get("b")?.[0]?.method).toBe("both");
  });

  it("builds the spec once, frozen, and caches it", () => {
    class A extends App {
      @server.realtime go() {}
    }
    const spec = getSpec(A);
    expect(getSpec(A)).toBe(spec);
    expect(Object.isFrozen(spec)).toBe(true);
    expect(Object.isFrozen(spec.entries)).toBe(true);
    expect(() => (spec.realtime as Map<string, unknown>).set("x", {})).toThrow(/frozen/);
  });

  it("makes subclasses inherit entries and lets them override one", () => {
    class Base extends App {
      @server.realtime ping() {}
      @server.rpc load() { return 1; }
      @server.on("start") static boot() {}
    }
    class Child extends Base {
      @server.realtime override load() { return 2; }
      @server.rpc extra() {}
    }
    const base = getSpec(Base);
    const child = getSpec(Child);
    expect([...base.rpc.keys()]).toEqual(["load"]);
    expect([...child.realtime.keys()]).toEqual(["ping", "load"]);
    expect([...child.rpc.keys()]).toEqual(["extra"]);
    expect(child.staticOn.get("start")?.[0]?.method).toBe("boot");
    // an undecorated override keeps the inherited entry and is the function bound
    class Grand extends Child {
      override ping() {}
    }
    expect(getSpec(Grand).entryOf(Grand.prototype.ping)?.kind).toBe("realtime");
  });

  it("never shares entries between two apps in one process", () => {
    class One extends App {
      @server.realtime a() {}
    }
    class Two extends App {
      @server.realtime b() {}
    }
    expect([...getSpec(One).realtime.keys()]).toEqual(["a"]);
    expect([...getSpec(Two).realtime.keys()]).toEqual(["b"]);
    expect(getSpec(App).entries).toEqual([]);
  });

  it("accepts no options where none make sense, and says which are allowed", () => {
    expect(() => server.rpc({ nmae: "x" } as never)).toThrow('@server.rpc: unknown option "nmae". Allowed: name, auth.');
    expect(() => server.realtime({ debounce: -1 })).toThrow("option debounce must be a number of milliseconds ≥ 0, got -1");
    expect(() => server.rpc({ name: "has space" })).toThrow('option name must be an identifier-like string (letters, digits, _, $, -), got "has space"');
  });
});

describe("misuse fails at class definition with a RegistryError", () => {
  function definitionError(define: () => unknown): RegistryError {
    try {
      define();
    } catch (e) {
      expect(e).toBeInstanceOf(RegistryError);
      expect((e as RegistryError).code).toBe("REGISTRY_ERROR");
      return e as RegistryError;
    }
    throw new Error("the class definition did not throw");
  }

  it("two kinds on one method", () => {
    const e = definitionError(() => {
      class Twice extends App {
        @server.rpc @server.realtime go() {}
      }
      return Twice;
    });
    expect(e.message).toBe(
      "Twice.go is decorated twice, as @server.realtime and @server.rpc. A method has exactly one kind: keep one decorator, or split the logic into two methods.",
    );
  });

  it('on("start") or on("stop") on an instance method', () => {
    const e = definitionError(() => {
      class Boot extends App {
        @server.on("start") boot() {}
      }
      return Boot;
    });
    expect(e.message).toBe(
      'Boot.boot: @server.on("start") needs a static method: "start" runs once per process, not per session. Write: @server.on("start") static boot(server) { ... }.',
    );
    expect(() => {
      class Halt extends App {
        @server.on("stop") halt() {}
      }
      return Halt;
    }).toThrow('Halt.halt: @server.on("stop") needs a static method');
  });

  it("per-session kinds on a static method", () => {
    expect(() => {
      class S extends App {
        @server.on("connect") static hi() {}
      }
      return S;
    }).toThrow('S.hi: @server.on("connect") needs an instance method: "connect" runs for each session. Remove "static".');
    expect(() => {
      class R extends App {
        @server.rpc static load() {}
      }
      return R;
    }).toThrow("R.load: @server.rpc needs an instance method, not a static one, because it runs for one session. Remove \"static\".");
  });

  it("an empty or non-string event name, naming the class and the method", () => {
    expect(() => {
      class Empty extends App {
        @server.on("") go() {}
      }
      return Empty;
    }).toThrow('Empty.go: @server.on(name) needs a non-empty event name string, got "". Example: @server.on("connect").');
    expect(() => {
      class Numbered extends App {
        @client.on(42 as never) go() {}
      }
      return Numbered;
    }).toThrow("Numbered.go: @client.on(name) needs a non-empty event name string, got 42.");
    expect(() => {
      class Bare extends App {
        // @ts-expect-error used without a name
        @server.on go() {}
      }
      return Bare;
    }).toThrow("Bare.go: @server.on(name) needs a non-empty event name string, got a method (did you forget the event name?)");
  });

  it("a lifecycle name used on the wrong side, naming the class and the method", () => {
    expect(() => {
      class Page extends App {
        @client.on("start") boot() {}
      }
      return Page;
    }).toThrow('Page.boot: @client.on("start"): "start" is a server lifecycle event (once per process). Use @server.on("start") on a static method.');
    expect(() => {
      class Srv extends App {
        @server.on("ready") hydrated() {}
      }
      return Srv;
    }).toThrow('Srv.hydrated: @server.on("ready"): "ready" is a browser lifecycle event. Use @client.on("ready") on a method that runs in the page.');
  });

  it("a name one edit away from a lifecycle name warns once, naming the likely one", () => {
    const warn = vi.spyOn(console, "warn").mockImplementation(() => {});
    try {
      class Typos extends App {
        @server.on("conect") hello() {}
        @server.on("disconect") bye() {}
        @client.on("readyy") ready() {}
        @server.on("message") heard() {} // a custom event: no warning
      }
      class Again extends App {
        @server.on("conect") hello() {}
      }
      void [Typos, Again];
      expect(warn.mock.calls.map(([m]) => String(m))).toEqual([
        '[revue] Typos.hello: @server.on("conect") listens for a custom event "conect", which nothing emits by itself. Did you mean the lifecycle event "connect"? Write @server.on("connect").',
        '[revue] Typos.bye: @server.on("disconect") listens for a custom event "disconect", which nothing emits by itself. Did you mean the lifecycle event "disconnect"? Write @server.on("disconnect").',
        '[revue] Typos.ready: @client.on("readyy") listens for a custom event "readyy", which nothing emits by itself. Did you mean the lifecycle event "ready"? Write @client.on("ready").',
      ]);
    } finally {
      warn.mockRestore();
    }
  });

  it("a decorator applied to a field or an accessor", () => {
    const field = definitionError(() => {
      class F extends App {
        // @ts-expect-error a field is not a method
        @server.realtime count = 0;
      }
      return F;
    });
    expect(field.message).toBe('F.count: @server.realtime was applied to a field, but it decorates methods only. Turn "count" into a method: count(...) { ... }.');
    const accessor = definitionError(() => {
      class G extends App {
        @client.callback get total() {
          return 1;
        }
      }
      return G;
    });
    expect(accessor.message).toContain("G.total: @client.callback was applied to an accessor, but it decorates methods only.");
  });

  it("a method that shadows the App API", () => {
    expect(() => {
      class Shadow extends App {
        // @ts-expect-error render returns a VNode
        @server.realtime override render() {}
      }
      return Shadow;
    }).toThrow('Shadow.render: "render" is part of the App API and cannot carry @server.realtime. Rename the method.');
    // A search method called `query` would hide the page's query string (this.query) from the app's own code.
    expect(() => {
      class Search extends App {
        // @ts-expect-error this.query is the page's query string
        @server.rpc query(text: string) {
          return text;
        }
      }
      return Search;
    }).toThrow('Search.query: "query" is part of the App API and cannot carry @server.rpc. Rename the method.');
  });

  it("two methods claiming one rpc route name", () => {
    class Dup extends App {
      @server.rpc({ name: "save" }) a() {}
      @server.rpc save() {}
    }
    expect(() => getSpec(Dup)).toThrow('Dup.save: rpc route name "save" is already taken by Dup.a. Give one of them another name, e.g. @server.rpc({ name: "save2" }).');
  });
});
