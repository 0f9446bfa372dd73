import { describe, expect, it } from "vitest";
import { App, client, server, transient } from "revue";
import { getSpec, LIFECYCLE_EVENTS, RegistryError, SERVER_LIFECYCLE } from "revue/internals";

class Pool {
  close() {}
}

describe("@transient (legacy experimentalDecorators)", () => {
  it("records marked fields in the spec, frozen, and leaves the field's value alone", () => {
    class Report extends App {
      rows: number[] = [];
      @transient db = new Pool();
      @transient timer: ReturnType<typeof setInterval> | undefined;
    }
    const spec = getSpec(Report);
    expect([...spec.transient]).toEqual(["db", "timer"]);
    expect(Object.isFrozen(spec.transient)).toBe(true);
    expect(() => (spec.transient as Set<string>).add("rows")).toThrow(/frozen/);
    const report = new Report();
    expect(report.db).toBeInstanceOf(Pool);
    expect(Object.keys(report)).toEqual(["rows", "db", "timer"]);
  });

  it("is inherited by subclasses, which may add their own, and never leaks to a sibling", () => {
    class Base extends App {
      @transient db = new Pool();
    }
    class Child extends Base {
      @transient cache = new Map();
      count = 0;
    }
    class Grand extends Child {}
    class Sibling extends App {
      db = new Pool();
    }
    expect([...getSpec(Base).transient]).toEqual(["db"]);
    expect([...getSpec(Child).transient]).toEqual(["db", "cache"]);
    expect([...getSpec(Grand).transient]).toEqual(["db", "cache"]);
    expect([...getSpec(Sibling).transient]).toEqual([]);
    expect([...getSpec(App).transient]).toEqual([]);
  });

  it("lives alongside method decorators without changing their entries", () => {
    class Live extends App {
      @transient db = new Pool();
      @server.realtime go() {}
    }
    const spec = getSpec(Live);
    expect(spec.entries.map((e) => e.method)).toEqual(["go"]);
    expect(spec.transient.has("db")).toBe(true);
  });

  it("marks a field once however often it is applied", () => {
    class Twice extends App {
      @transient @transient db = new Pool();
    }
    expect([...getSpec(Twice).transient]).toEqual(["db"]);
  });
});

describe("@transient misuse fails at class definition with a RegistryError", () => {
  function definitionError(define: () => unknown): RegistryError {
    try {
      define();
    } catch (e) {
      expect(e).toBeInstanceOf(RegistryError);
      return e as RegistryError;
    }
    throw new Error("the class definition did not throw");
  }

  it("on a method", () => {
    const e = definitionError(() => {
      class M extends App {
        // @ts-expect-error a method is not a field
        @transient load() {}
      }
      return M;
    });
    expect(e.message).toBe(
      "M.load: @transient was applied to a method, but it marks instance fields only. Only an instance's own fields are saved in a " +
        "session snapshot, so there is nothing to leave out: remove @transient, or put it on the field that holds the value (@transient db = openPool();).",
    );
  });

  it("on an accessor", () => {
    const e = definitionError(() => {
      class G extends App {
        // @ts-expect-error an accessor is not a field
        @transient get total() {
          return 1;
        }
      }
      return G;
    });
    expect(e.message).toMatch(/^G\.total: @transient was applied to an accessor, but it marks instance fields only\./);
  });

  it("on a static field", () => {
    const e = definitionError(() => {
      class S extends App {
        @transient static pool = new Pool();
      }
      return S;
    });
    expect(e.message).toBe(
      "S.pool: @transient was applied to a static field. Static fields are shared by every session of the process and never saved " +
        'in a session snapshot: remove @transient, or remove "static" if each session needs its own value.',
    );
  });

  it("on a symbol-named field", () => {
    const key = Symbol("db");
    const e = definitionError(() => {
      class Y extends App {
        @transient [key] = new Pool();
      }
      return Y;
    });
    expect(e.message).toBe(
      "Y.Symbol(db): @transient cannot mark a symbol-named field: only public string-named fields are saved in a session snapshot, " +
        "so this one already keeps its constructor value when a session resumes. Remove @transient.",
    );
  });

  it("called with parentheses or on something that is not a class member", () => {
    // @ts-expect-error it takes no arguments
    expect(() => transient()).toThrow("@transient was applied to something that is not a class field (it takes no arguments). Put it, without parentheses");
    expect(() => (transient as (...a: unknown[]) => void)(42, 42)).toThrow(RegistryError);
  });
});

describe('@server.on("resume")', () => {
  it("is a per-session server lifecycle event that a page may not emit", () => {
    expect(SERVER_LIFECYCLE).toContain("resume");
    expect(LIFECYCLE_EVENTS.has("resume")).toBe(true);
  });

  it("is allowed on an instance method", () => {
    class Resumable extends App {
      @transient db = new Pool();
      @server.on("resume") reopen() {
        this.db = new Pool();
      }
    }
    expect(getSpec(Resumable).serverOn.get("resume")?.map((e) => e.method)).toEqual(["reopen"]);
    expect(getSpec(Resumable).staticOn.get("resume")).toBeUndefined();
  });

  it("is refused on a static method, like connect", () => {
    expect(() => {
      class S extends App {
        @server.on("resume") static reopen() {}
      }
      return S;
    }).toThrow(new RegistryError('S.reopen: @server.on("resume") needs an instance method: "resume" runs for each session. Remove "static".'));
  });

  it("is refused on the browser side", () => {
    expect(() => {
      class Page extends App {
        @client.on("resume") back() {}
      }
      return Page;
    }).toThrow(
      'Page.back: @client.on("resume"): "resume" is a server lifecycle event (a session restored from its snapshot); the page is not told. ' +
        'Use @server.on("resume") on an instance method, or @client.on("connect") for the page\'s side.',
    );
  });
});
