import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { App, RevueError, transient } from "revue";
import { getSpec, SnapshotError } from "revue/internals";
import { captureState, MAX_STATE_DEPTH, restoreState, type StateRecord } from "../../src/session/state.js";
import { Todo } from "../../examples/todo/app.js";

class Pool {
  open = true;
}

/** What a store does to a snapshot: JSON out, JSON back. */
const viaJson = (state: StateRecord): StateRecord => JSON.parse(JSON.stringify(state));

/** Captures `from`, sends it through JSON, restores it onto a fresh instance of the same class. */
function roundTrip<T extends App>(from: T): T {
  const ctor = from.constructor as new () => T;
  const spec = getSpec(ctor);
  const to = new ctor();
  restoreState(to, viaJson(captureState(from, spec)), spec);
  return to;
}

function snapshotError(app: App): SnapshotError {
  try {
    captureState(app, getSpec(app.constructor));
  } catch (e) {
    expect(e).toBeInstanceOf(SnapshotError);
    return e as SnapshotError;
  }
  throw new Error("captureState did not throw");
}

describe("captureState / restoreState", () => {
  it("round-trips every supported type, nested, through JSON", () => {
    class Everything extends App {
      text = "hi";
      count = 3;
      on = true;
      nothing = null;
      editing: number | undefined;
      missing: string | undefined = undefined;
      special = [NaN, Infinity, -Infinity, -0, 0];
      big = 12345678901234567890n;
      when = new Date("2024-02-29T12:34:56.789Z");
      invalid = new Date(NaN);
      byId = new Map<unknown, unknown>([
        ["a", { at: new Date(0), tags: new Set(["x", "y"]) }],
        [2, [undefined, 1]],
        [{ composite: true }, "object key"],
      ]);
      seen = new Set<unknown>([1, "1", { deep: [new Map([[1n, -0]])] }]);
      bytes = new Uint8Array([0, 1, 254, 255]);
      nested = { list: [{ id: 1, note: undefined, due: new Date(1) }], empty: {}, none: [] };
    }
    const before = new Everything();
    const after = roundTrip(before);
    expect(after).toStrictEqual(before);
    expect("editing" in after && after.editing).toBe(undefined);
    expect(Object.is(after.special[3], -0)).toBe(true);
    expect(after.when).toBeInstanceOf(Date);
    expect(after.byId).toBeInstanceOf(Map);
    expect(after.bytes).toBeInstanceOf(Uint8Array);
  });

  it("writes tagged JSON for what JSON cannot say, and nothing else", () => {
    class Small extends App {
      count = 1;
      editing: number | undefined;
      when = new Date(0);
      items = [{ id: 1, done: false }];
    }
    const state = captureState(new Small(), getSpec(Small));
    expect(state).toStrictEqual({
      count: 1,
      editing: { $rv: "undefined" },
      when: { $rv: "date", v: "1970-01-01T00:00:00.000Z" },
      items: [{ id: 1, done: false }],
    });
    expect(viaJson(state)).toStrictEqual(state);
  });

  it("escapes a plain object's own $rv key, so data that looks like a tag comes back as data", () => {
    class Lookalike extends App {
      fake = { $rv: "date", v: "2024-01-01T00:00:00.000Z" };
      deeper = [{ $rv: "object", v: { $rv: "undefined" } }];
      odd = { $rv: 42, other: undefined };
    }
    const before = new Lookalike();
    expect(roundTrip(before)).toStrictEqual(before);
  });

  it("keeps a __proto__ key as data and never changes a prototype", () => {
    class Proto extends App {
      data = JSON.parse('{"__proto__": {"polluted": true}, "ok": 1}') as Record<string, unknown>;
    }
    const after = roundTrip(new Proto());
    expect(Object.getPrototypeOf(after.data)).toBe(Object.prototype);
    expect(Object.keys(after.data)).toEqual(["__proto__", "ok"]);
    expect(({} as Record<string, unknown>).polluted).toBeUndefined();
  });

  it("turns sparse-array holes into undefined", () => {
    class Sparse extends App {
      // eslint-disable-next-line no-sparse-arrays
      list = [1, , 3];
    }
    const after = roundTrip(new Sparse());
    expect(after.list).toHaveLength(3);
    expect(1 in after.list).toBe(true);
    expect(after.list[1]).toBeUndefined();
  });

  it("round-trips arbitrary JSON-like data with undefined, dates, maps, sets and bigints", () => {
    const value = fc.anything({
      key: fc.oneof(fc.string(), fc.constantFrom("$rv", "v", "__proto__")),
      withBigInt: true,
      withDate: true,
      withMap: true,
      withSet: true,
      withObjectString: true,
    });
    class Holder extends App {
      value: unknown;
    }
    const spec = getSpec(Holder);
    fc.assert(
      fc.property(value, (v) => {
        const from = new Holder();
        from.value = v;
        const to = new Holder();
        restoreState(to, viaJson(captureState(from, spec)), spec);
        expect(to.value).toStrictEqual(v);
      }),
      { numRuns: 300 },
    );
  });

  it("leaves @transient fields out, and at their constructor value on restore", () => {
    let opened = 0;
    class Base extends App {
      @transient db = { pool: new Pool(), n: ++opened };
    }
    class Report extends Base {
      rows = [1, 2];
      @transient timer: ReturnType<typeof setInterval> | undefined;
    }
    const from = new Report();
    from.rows.push(3);
    from.timer = setInterval(() => {}, 60_000);
    clearInterval(from.timer);
    const state = captureState(from, getSpec(Report));
    expect(Object.keys(state)).toEqual(["rows"]);
    const to = new Report();
    // a record that names a transient field (say, from before it was marked) does not overwrite it
    restoreState(to, { ...viaJson(state), db: { pool: null } }, getSpec(Report));
    expect(to.rows).toEqual([1, 2, 3]);
    expect(to.db.pool).toBeInstanceOf(Pool);
    expect(to.db.n).toBe(opened);
    expect(to.timer).toBeUndefined();
  });

  it("overwrites the fields in the record and keeps the constructor's value for the others", () => {
    class Versioned extends App {
      count = 0;
      added = "default"; // a field new since the snapshot was taken
    }
    const to = new Versioned();
    restoreState(to, { count: 7 }, getSpec(Versioned));
    expect(to.count).toBe(7);
    expect(to.added).toBe("default");
  });

  it("shares nothing between the instance, the record and restored instances", () => {
    class Shared extends App {
      items = [{ id: 1, tags: new Set(["a"]) }];
    }
    const spec = getSpec(Shared);
    const from = new Shared();
    const state = captureState(from, spec);
    from.items[0]!.id = 99;
    from.items[0]!.tags.add("b");
    expect(state).toStrictEqual({ items: [{ id: 1, tags: { $rv: "set", v: ["a"] } }] });
    const one = new Shared();
    const two = new Shared();
    restoreState(one, state, spec);
    restoreState(two, state, spec);
    one.items[0]!.tags.add("c");
    expect(two.items[0]!.tags).toEqual(new Set(["a"]));
    expect(state).toStrictEqual({ items: [{ id: 1, tags: { $rv: "set", v: ["a"] } }] });
  });

  it("lets a Date or a frozen object appear twice, as values", () => {
    const now = new Date(5);
    const EMPTY = Object.freeze([] as string[]);
    class Values extends App {
      created = now;
      updated = now;
      tags = EMPTY;
      labels = EMPTY;
    }
    const after = roundTrip(new Values());
    expect(after.updated).toEqual(now);
    expect(after.labels).toEqual([]);
  });

  it("restores the todo example's 1,000 items and its undefined editing field", () => {
    const from = new Todo();
    from.items.reverse();
    from.items[0]!.done = true;
    from.editing = undefined;
    const to = roundTrip(from);
    expect(to.items).toStrictEqual(from.items);
    expect(to.items[0]!.id).toBe(1000);
    expect("editing" in to).toBe(true);
    expect(to.editing).toBeUndefined();
  });
});

describe("captureState refuses what a snapshot cannot hold, with a SnapshotError naming the field and the fix", () => {
  it("a class instance, with the path inside the field", () => {
    class Counter extends App {
      db = { pool: new Pool() };
    }
    const e = snapshotError(new Counter());
    expect(e).toBeInstanceOf(RevueError);
    expect(e.code).toBe("SNAPSHOT_ERROR");
    expect(e.status).toBe(500);
    expect(e.message).toBe(
      'Counter.db (at .db.pool): a Pool instance cannot be saved in a session snapshot. Mark the field @transient and rebuild it in a @server.on("resume") handler, or store plain data.',
    );
  });

  it("a function, a class and a symbol", () => {
    class Fns extends App {
      onTick = () => {};
    }
    expect(snapshotError(new Fns()).message).toBe(
      'Fns.onTick (at .onTick): a function (onTick) cannot be saved in a session snapshot. Make it a method (methods are not state), or mark the field @transient and rebuild it in a @server.on("resume") handler, or store plain data.',
    );
    class Classes extends App {
      kinds = { pool: Pool };
    }
    expect(snapshotError(new Classes()).message).toMatch(/^Classes\.kinds \(at \.kinds\.pool\): a class \(Pool\) cannot be saved/);
    class Symbols extends App {
      mark = [Symbol("done")];
    }
    expect(snapshotError(new Symbols()).message).toMatch(/^Symbols\.mark \(at \.mark\[0\]\): a symbol \(Symbol\(done\)\) cannot be saved in a session snapshot\. Use a string instead/);
  });

  it("WeakMap, Promise, typed arrays other than Uint8Array, and Buffer", () => {
    class Weak extends App {
      cache = new WeakMap();
    }
    expect(snapshotError(new Weak()).message).toMatch(/^Weak\.cache \(at \.cache\): a WeakMap instance cannot be saved .* Use a Map or Set keyed by ids/);
    class Pending extends App {
      load = Promise.resolve(1);
    }
    expect(snapshotError(new Pending()).message).toMatch(/^Pending\.load \(at \.load\): a Promise instance cannot be saved .* Await it and store the result/);
    class Floats extends App {
      samples = new Map([["a", new Float64Array(2)]]);
    }
    expect(snapshotError(new Floats()).message).toMatch(
      /^Floats\.samples \(at \.samples\.get\("a"\)\): a Float64Array instance cannot be saved .* Copy it into a Uint8Array/,
    );
    class Buf extends App {
      file = Buffer.from("hi");
    }
    expect(snapshotError(new Buf()).message).toMatch(/^Buf\.file \(at \.file\): a Buffer instance cannot be saved .* Copy it into a Uint8Array/);
  });

  it("a cycle, naming where it points back to", () => {
    class Tree extends App {
      root: { children: Array<{ name: string; parent?: unknown }> } = { children: [{ name: "a" }] };
      constructor() {
        super();
        this.root.children[0]!.parent = this.root;
      }
    }
    expect(snapshotError(new Tree()).message).toBe(
      "Tree.root (at .root.children[0].parent): a reference back to .root, which contains it (a cycle), cannot be saved in a session snapshot. " +
        'Store ids instead of back-references (parentId rather than parent), or mark the field @transient and rebuild it in a @server.on("resume") handler, or store plain data.',
    );
    const frozen: unknown[] = [];
    frozen.push({ back: frozen });
    Object.freeze(frozen);
    class FrozenCycle extends App {
      list = frozen;
    }
    expect(snapshotError(new FrozenCycle()).message).toMatch(/^FrozenCycle\.list \(at \.list\[0\]\.back\): a reference back to \.list, which contains it \(a cycle\)/);
  });

  it("one object reached twice, rather than restoring two copies", () => {
    class Picker extends App {
      items = [{ id: 1 }, { id: 2 }];
      selected: { id: number } | undefined = this.items[1];
    }
    expect(snapshotError(new Picker()).message).toBe(
      "Picker.selected (at .selected): this object is also at .items[1], and a snapshot would restore two separate copies that no longer change together. " +
        "Keep the object in one place and refer to it by id elsewhere (selectedId = item.id rather than selected = item), " +
        'or mark one of the fields @transient and rebuild it in a @server.on("resume") handler.',
    );
    const tags = new Set(["a"]);
    class InOneField extends App {
      index = new Map([["x", tags], ["y", tags]]);
    }
    expect(snapshotError(new InOneField()).message).toMatch(/^InOneField\.index \(at \.index\.get\("y"\)\): this object is also at \.index\.get\("x"\)/);
  });

  it("data nested deeper than the limit, with a shortened path", () => {
    class Linked extends App {
      list: unknown = null;
      constructor() {
        super();
        for (let i = 0; i < MAX_STATE_DEPTH + 10; i++) this.list = { next: this.list };
      }
    }
    const e = snapshotError(new Linked());
    expect(e.message).toMatch(/^Linked\.list \(at \.list(\.next){7}…\(\d+ more\)…(\.next){4}\): data nested deeper than 256 levels cannot be saved/);
    expect(e.message).toContain("Flatten it (keep the items in a list or map and refer to them by id)");
    class Flat extends App {
      list: unknown = null;
      constructor() {
        super();
        for (let i = 0; i < MAX_STATE_DEPTH - 1; i++) this.list = { next: this.list };
      }
    }
    expect(() => captureState(new Flat(), getSpec(Flat))).not.toThrow();
  });
});

describe("restoreState refuses a record captureState never writes", () => {
  class Target extends App {
    count = 0;
    items: unknown[] = [];
  }
  const spec = getSpec(Target);

  it("an unknown tag, naming the path, and writes no field", () => {
    const to = new Target();
    let error: unknown;
    try {
      restoreState(to, { count: 5, items: [1, { $rv: "regexp", v: "a+" }] }, spec);
    } catch (e) {
      error = e;
    }
    expect(error).toBeInstanceOf(SnapshotError);
    expect((error as Error).message).toBe(
      'Target.items (at .items[1]): the snapshot holds an unknown or malformed tag {"$rv":"regexp","v":"a+"}, which captureState never writes. ' +
        "The snapshot was written by another version of Revue or changed outside it; discard it and let the session start afresh.",
    );
    expect(to.count).toBe(0);
  });

  it("a malformed tag or a value that is not JSON data", () => {
    expect(() => restoreState(new Target(), { items: [{ $rv: "map", v: [[1]] }] }, spec)).toThrow(
      "Target.items (at .items[0]<key 0>): the snapshot holds a map entry that is not a [key, value] pair",
    );
    expect(() => restoreState(new Target(), { items: [{ $rv: "bigint", v: "1.5" }] }, spec)).toThrow(SnapshotError);
    expect(() => restoreState(new Target(), { items: [new Pool()] }, spec)).toThrow(
      "Target.items (at .items[0]): the snapshot holds a Pool instance where only JSON data may be",
    );
    expect(() => restoreState(new Target(), [] as unknown as StateRecord, spec)).toThrow("Target: a snapshot's state must be an object of fields, got an array.");
  });
});
