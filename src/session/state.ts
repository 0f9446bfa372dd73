import { SnapshotError } from "../errors.js";
import type { AppSpec } from "../registry/spec.js";

/**
 * The state codec of session snapshots: an app instance's own fields as
 * JSON-safe data, and back.
 *
 * JSON values pass as they are. What JSON cannot say is written as a tagged
 * object `{"$rv": tag, v?}`:
 *
 * | value | encoded as |
 * |---|---|
 * | `undefined` (a field, a property, an array item, a hole) | `{"$rv":"undefined"}` |
 * | `NaN`, `Infinity`, `-Infinity`, `-0` | `{"$rv":"number","v":"NaN"}` |
 * | `123n` | `{"$rv":"bigint","v":"123"}` |
 * | `Date` | `{"$rv":"date","v":"2024-01-01T00:00:00.000Z"}` (`v: null` for an invalid date) |
 * | `Map` | `{"$rv":"map","v":[[key, value], ...]}` |
 * | `Set` | `{"$rv":"set","v":[item, ...]}` |
 * | `Uint8Array` | `{"$rv":"bytes","v":"<base64>"}` |
 * | a plain object with its own `$rv` key | `{"$rv":"object","v":{...}}` (escaped) |
 *
 * Identity: a snapshot holds trees, so each object may appear **once**. A
 * cycle, or one object reached twice (`selected = items[3]`), is refused
 * rather than silently restored as two copies that no longer change together.
 * Two exceptions behave the same either way: a `Date` (treated as a value, as
 * JSON does) and a frozen object (it cannot change) may repeat; they come back
 * as separate, unfrozen copies.
 *
 * Left out, as `JSON.stringify` and `structuredClone` leave them out:
 * non-enumerable and symbol-keyed properties, extra properties on arrays,
 * Maps and Sets. A null-prototype object comes back with `Object.prototype`.
 */

/** A session's app state as JSON-safe data. */
export type StateRecord = Record<string, unknown>;

const TAG = "$rv";
/** Containers nested deeper than this are refused: a sign of a linked structure, and a guard for the stack. */
export const MAX_STATE_DEPTH = 256;

const FIX = `Mark the field @transient and rebuild it in a @server.on("resume") handler, or store plain data.`;
const FIX_CORRUPT =
  "The snapshot was written by another version of Revue or changed outside it; discard it and let the session start afresh.";

/**
 * Something the walk cannot take, thrown from where it was met; each container
 * on the way out adds its step, so the happy path pays for no path bookkeeping.
 */
class Refusal {
  /** Steps from the field down to the value, innermost first (`[3]`, `.title`). */
  readonly steps: string[] = [];
  constructor(
    readonly found: string,
    readonly fix: string,
    /** The object met a second time, for a cycle or a shared reference. */
    readonly again?: object,
  ) {}
}

function located(err: unknown, step: string): unknown {
  if (err instanceof Refusal) err.steps.push(step);
  return err;
}

const IDENT = /^[A-Za-z_$][\w$]*$/;
const keyStep = (key: string) => (IDENT.test(key) ? `.${key}` : `[${JSON.stringify(key)}]`);
const mapKeyText = (key: unknown, index: number) =>
  typeof key === "string" ? JSON.stringify(key) : typeof key === "number" || typeof key === "boolean" ? String(key) : `<key ${index}>`;
const mapValueStep = (key: unknown, index: number) => `.get(${mapKeyText(key, index)})`;
const mapKeyStep = (index: number) => `<key ${index}>`;
const setItemStep = (index: number) => `<item ${index}>`;

/** Own data keys that would change an object's prototype if assigned: define them instead. */
function put(target: Record<string, unknown>, key: string, value: unknown): void {
  if (key === "__proto__") Object.defineProperty(target, key, { value, writable: true, enumerable: true, configurable: true });
  else target[key] = value;
}

const an = (word: string) => `${/^[aeiou]/i.test(word) ? "an" : "a"} ${word}`;

/** What an unsupported object is, and the fix that fits it. */
function refuseObject(value: object, proto: object | null): Refusal {
  const ctor = proto && Object.prototype.hasOwnProperty.call(proto, "constructor") ? (proto as { constructor?: unknown }).constructor : undefined;
  const name = typeof ctor === "function" && ctor.name ? ctor.name : undefined;
  const found = name ? `${an(name)} instance` : "an object with a custom prototype (an instance of an anonymous class?)";
  if (value instanceof Promise) return new Refusal(found, `Await it and store the result, or ${lower(FIX)}`);
  if (value instanceof WeakMap || value instanceof WeakSet || value instanceof WeakRef) {
    return new Refusal(found, `Use a Map or Set keyed by ids, or ${lower(FIX)}`);
  }
  if (ArrayBuffer.isView(value) || value instanceof ArrayBuffer) {
    return new Refusal(found, `Copy it into a Uint8Array (new Uint8Array(...)) or a plain array of numbers, or ${lower(FIX)}`);
  }
  return new Refusal(found, FIX);
}

const lower = (s: string) => s[0]!.toLowerCase() + s.slice(1);

function refuseFunction(fn: Function): Refusal {
  const isClass = /^class\b/.test(Function.prototype.toString.call(fn));
  const found = isClass ? `a class (${fn.name || "anonymous"})` : fn.name ? `a function (${fn.name})` : "a function";
  return new Refusal(found, `Make it a method (methods are not state), or ${lower(FIX)}`);
}

/**
 * The objects one capture met: true while an object's contents are being
 * walked (met again, it is a cycle), false once done (met again, it is
 * shared). `leaveOut`: objects written as `null`, not walked (a capture that
 * only weighs a session leaves out what another session is counted for).
 */
class Seen extends Map<object, boolean> {
  constructor(readonly leaveOut?: (obj: object) => boolean) {
    super();
  }
}

/** The walk that writes one capture. */
function encode(value: unknown, seen: Seen, depth: number): unknown {
  switch (typeof value) {
    case "string":
    case "boolean":
      return value;
    case "number":
      // JSON writes NaN and ±Infinity as null and -0 as 0.
      return Number.isFinite(value) && (value !== 0 || 1 / value > 0) ? value : { [TAG]: "number", v: Object.is(value, -0) ? "-0" : String(value) };
    case "undefined":
      return { [TAG]: "undefined" };
    case "bigint":
      return { [TAG]: "bigint", v: value.toString() };
    case "symbol":
      throw new Refusal(`a symbol (${String(value)})`, `Use a string instead, or ${lower(FIX)}`);
    case "function":
      throw refuseFunction(value);
  }
  if (value === null) return null;
  const obj = value as object;
  const proto = Object.getPrototypeOf(obj);
  // A Date is a value, as in JSON: it may repeat, and is not tracked.
  if (proto === Date.prototype) {
    const time = (obj as Date).getTime();
    return { [TAG]: "date", v: Number.isNaN(time) ? null : (obj as Date).toISOString() };
  }
  if (seen.leaveOut?.(obj)) return null;
  const prior = seen.get(obj);
  if (prior !== undefined && (prior || !Object.isFrozen(obj))) throw new Refusal("", "", obj);
  if (depth > MAX_STATE_DEPTH) {
    throw new Refusal(
      `data nested deeper than ${MAX_STATE_DEPTH} levels`,
      `Flatten it (keep the items in a list or map and refer to them by id), or ${lower(FIX)}`,
    );
  }
  seen.set(obj, true);
  let out: unknown;
  if (proto === Array.prototype) {
    const arr = obj as unknown[];
    const n = arr.length;
    const list = new Array<unknown>(n);
    let i = 0;
    try {
      for (; i < n; i++) list[i] = encode(arr[i], seen, depth + 1);
    } catch (e) {
      throw located(e, `[${i}]`);
    }
    out = list;
  } else if (proto === Object.prototype || proto === null) {
    const src = obj as Record<string, unknown>;
    const fields: Record<string, unknown> = {};
    let escaped = false;
    let key = "";
    try {
      for (key of Object.keys(src)) {
        if (key === TAG) escaped = true;
        put(fields, key, encode(src[key], seen, depth + 1));
      }
    } catch (e) {
      throw located(e, keyStep(key));
    }
    out = escaped ? { [TAG]: "object", v: fields } : fields;
  } else if (proto === Map.prototype) {
    const entries: unknown[] = [];
    let i = 0;
    for (const [k, v] of obj as Map<unknown, unknown>) {
      let ek: unknown;
      try {
        ek = encode(k, seen, depth + 1);
      } catch (e) {
        throw located(e, mapKeyStep(i));
      }
      try {
        entries.push([ek, encode(v, seen, depth + 1)]);
      } catch (e) {
        throw located(e, mapValueStep(k, i));
      }
      i++;
    }
    out = { [TAG]: "map", v: entries };
  } else if (proto === Set.prototype) {
    const items: unknown[] = [];
    let i = 0;
    try {
      for (const item of obj as Set<unknown>) {
        items.push(encode(item, seen, depth + 1));
        i++;
      }
    } catch (e) {
      throw located(e, setItemStep(i));
    }
    out = { [TAG]: "set", v: items };
  } else if (proto === Uint8Array.prototype) {
    const bytes = obj as Uint8Array;
    out = { [TAG]: "bytes", v: Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength).toString("base64") };
  } else {
    throw refuseObject(obj, proto);
  }
  seen.set(obj, false);
  return out;
}

/**
 * The steps to where `target` is first met, walking as {@link encode} does.
 * Only run to word an error, so it may be slow.
 */
function firstPath(instance: Record<string, unknown>, spec: AppSpec, target: object): string[] | undefined {
  const visited = new Set<object>();
  const walk = (value: unknown): string[] | undefined => {
    if (value === target) return [];
    if (typeof value !== "object" || value === null || visited.has(value)) return undefined;
    visited.add(value);
    const proto = Object.getPrototypeOf(value);
    const inner = (step: string, v: unknown) => {
      const found = walk(v);
      return found && [step, ...found];
    };
    if (proto === Array.prototype) {
      const arr = value as unknown[];
      for (let i = 0; i < arr.length; i++) {
        const found = inner(`[${i}]`, arr[i]);
        if (found) return found;
      }
    } else if (proto === Object.prototype || proto === null) {
      for (const key of Object.keys(value)) {
        const found = inner(keyStep(key), (value as Record<string, unknown>)[key]);
        if (found) return found;
      }
    } else if (proto === Map.prototype) {
      let i = 0;
      for (const [k, v] of value as Map<unknown, unknown>) {
        const found = inner(mapKeyStep(i), k) ?? inner(mapValueStep(k, i), v);
        if (found) return found;
        i++;
      }
    } else if (proto === Set.prototype) {
      let i = 0;
      for (const item of value as Set<unknown>) {
        const found = inner(setItemStep(i++), item);
        if (found) return found;
      }
    }
    return undefined;
  };
  for (const key of Object.keys(instance)) {
    if (spec.transient.has(key)) continue;
    const found = walk(instance[key]);
    if (found) return [keyStep(key), ...found];
  }
  return undefined;
}

/** A long path keeps its two ends: the field and where the trouble is. */
function showPath(steps: readonly string[]): string {
  return steps.length <= 16 ? steps.join("") : `${steps.slice(0, 8).join("")}…(${steps.length - 12} more)…${steps.slice(-4).join("")}`;
}

function captureError(spec: AppSpec, instance: Record<string, unknown>, field: string, refusal: Refusal): SnapshotError {
  const steps = [keyStep(field), ...refusal.steps.reverse()];
  const where = `${spec.name}.${field} (at ${showPath(steps)})`;
  if (!refusal.again) return new SnapshotError(`${where}: ${refusal.found} cannot be saved in a session snapshot. ${refusal.fix}`);
  const first = firstPath(instance, spec, refusal.again) ?? [];
  const isCycle = first.length < steps.length && first.every((step, i) => steps[i] === step);
  if (isCycle) {
    return new SnapshotError(
      `${where}: a reference back to ${showPath(first)}, which contains it (a cycle), cannot be saved in a session snapshot. ` +
        `Store ids instead of back-references (parentId rather than parent), or ${lower(FIX)}`,
    );
  }
  return new SnapshotError(
    `${where}: this object is also at ${showPath(first)}, and a snapshot would restore two separate copies that no longer change together. ` +
      `Keep the object in one place and refer to it by id elsewhere (selectedId = item.id rather than selected = item), ` +
      `or mark one of the fields @transient and rebuild it in a @server.on("resume") handler.`,
  );
}

/**
 * The instance's own enumerable string-keyed fields minus `spec.transient`
 * ones, encoded JSON-safe (see the table at the top of this file). The result
 * shares nothing with the instance, so later changes to the app do not reach it.
 * Throws a `SnapshotError` on the first field that cannot be encoded, naming
 * the class, the field, the path inside it, what was found and the fix.
 * `leaveOut` names objects to write as `null` without walking them (for weighing only).
 *
 * @example
 * class Todo extends App { items = [{ id: 1, due: new Date(0) }]; editing: number | undefined; @transient db = openPool(); }
 * captureState(todo, getSpec(Todo))
 * // { items: [{ id: 1, due: { $rv: "date", v: "1970-01-01T00:00:00.000Z" } }], editing: { $rv: "undefined" } }
 */
export function captureState(instance: object, spec: AppSpec, leaveOut?: (obj: object) => boolean): StateRecord {
  const fields = instance as Record<string, unknown>;
  const state: StateRecord = {};
  const seen = new Seen(leaveOut);
  for (const field of Object.keys(fields)) {
    if (spec.transient.has(field)) continue;
    try {
      put(state, field, encode(fields[field], seen, 1));
    } catch (e) {
      if (e instanceof Refusal) throw captureError(spec, fields, field, e);
      throw e;
    }
  }
  return state;
}

/** A value in a stored snapshot that {@link captureState} never writes. */
function corrupt(found: string): Refusal {
  return new Refusal(found, FIX_CORRUPT);
}

function decodeList(list: unknown, tag: string): unknown[] {
  if (!Array.isArray(list)) throw corrupt(`a "${tag}" tag without its list of items`);
  return list;
}

function decode(value: unknown, depth: number): unknown {
  if (typeof value !== "object") {
    if (typeof value === "string" || typeof value === "boolean" || typeof value === "number") return value;
    throw corrupt(value === undefined ? "a bare undefined (captureState tags it)" : `a ${typeof value}`);
  }
  if (value === null) return null;
  if (depth > MAX_STATE_DEPTH + 1) throw corrupt(`data nested deeper than ${MAX_STATE_DEPTH} levels`);
  if (Array.isArray(value)) {
    const n = value.length;
    const list = new Array<unknown>(n);
    let i = 0;
    try {
      for (; i < n; i++) list[i] = decode(value[i], depth + 1);
    } catch (e) {
      throw located(e, `[${i}]`);
    }
    return list;
  }
  const proto = Object.getPrototypeOf(value);
  if (proto !== Object.prototype && proto !== null) throw corrupt(`${refuseObject(value, proto).found} where only JSON data may be`);
  const src = value as Record<string, unknown>;
  if (Object.prototype.hasOwnProperty.call(src, TAG)) return decodeTagged(src, depth);
  return decodeFields(src, depth);
}

function decodeFields(src: Record<string, unknown>, depth: number): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  let key = "";
  try {
    for (key of Object.keys(src)) put(out, key, decode(src[key], depth + 1));
  } catch (e) {
    throw located(e, keyStep(key));
  }
  return out;
}

const SPECIAL_NUMBERS: Readonly<Record<string, number>> = { NaN: NaN, Infinity: Infinity, "-Infinity": -Infinity, "-0": -0 };

function decodeTagged(src: Record<string, unknown>, depth: number): unknown {
  const tag = src[TAG];
  const v = src.v;
  switch (tag) {
    case "undefined":
      return undefined;
    case "number":
      if (typeof v === "string" && Object.prototype.hasOwnProperty.call(SPECIAL_NUMBERS, v)) return SPECIAL_NUMBERS[v];
      break;
    case "bigint":
      if (typeof v === "string" && /^-?\d+$/.test(v)) return BigInt(v);
      break;
    case "date":
      if (v === null) return new Date(NaN);
      if (typeof v === "string") {
        const date = new Date(v);
        if (!Number.isNaN(date.getTime())) return date;
      }
      break;
    case "bytes":
      if (typeof v === "string") return new Uint8Array(Buffer.from(v, "base64"));
      break;
    case "object":
      if (typeof v === "object" && v !== null && !Array.isArray(v)) return decodeFields(v as Record<string, unknown>, depth);
      break;
    case "set": {
      const items = decodeList(v, tag);
      const set = new Set<unknown>();
      let i = 0;
      try {
        for (; i < items.length; i++) set.add(decode(items[i], depth + 1));
      } catch (e) {
        throw located(e, setItemStep(i));
      }
      return set;
    }
    case "map": {
      const entries = decodeList(v, tag);
      const map = new Map<unknown, unknown>();
      for (let i = 0; i < entries.length; i++) {
        const entry = entries[i];
        if (!Array.isArray(entry) || entry.length !== 2) throw located(corrupt("a map entry that is not a [key, value] pair"), mapKeyStep(i));
        let key: unknown;
        try {
          key = decode(entry[0], depth + 1);
        } catch (e) {
          throw located(e, mapKeyStep(i));
        }
        try {
          map.set(key, decode(entry[1], depth + 1));
        } catch (e) {
          throw located(e, mapValueStep(key, i));
        }
      }
      return map;
    }
  }
  throw corrupt(`an unknown or malformed tag ${truncate(JSON.stringify(src) ?? String(tag))}`);
}

const truncate = (s: string) => (s.length > 80 ? `${s.slice(0, 77)}...` : s);

/**
 * Writes a captured state back onto an instance, decoding tagged values into
 * fresh objects (the record itself is not changed and may be restored again).
 * Fields in the record overwrite; fields not in it, and `@transient` ones
 * even if a record holds them, keep what the constructor set. Throws a
 * `SnapshotError` naming the field and path if the record holds something
 * {@link captureState} never writes; no field is written in that case.
 *
 * @example
 * const todo = new Todo();                       // constructor values, a fresh db pool
 * restoreState(todo, snapshot.state, getSpec(Todo));
 * todo.items.length // as it was when the snapshot was taken
 */
export function restoreState(instance: object, state: StateRecord, spec: AppSpec): void {
  if (typeof state !== "object" || state === null || Array.isArray(state)) {
    throw new SnapshotError(`${spec.name}: a snapshot's state must be an object of fields, got ${Array.isArray(state) ? "an array" : String(state)}. ${FIX_CORRUPT}`);
  }
  // Decode every field before writing any, so a bad record leaves the instance as the constructor made it.
  const decoded: Array<[string, unknown]> = [];
  for (const field of Object.keys(state)) {
    if (spec.transient.has(field)) continue;
    try {
      decoded.push([field, decode(state[field], 1)]);
    } catch (e) {
      if (!(e instanceof Refusal)) throw e;
      const steps = [keyStep(field), ...e.steps.reverse()];
      throw new SnapshotError(`${spec.name}.${field} (at ${showPath(steps)}): the snapshot holds ${e.found}, which captureState never writes. ${e.fix}`);
    }
  }
  // Defined, not assigned, as class fields are: a setter the class declares
  // under a field's name does not run, and the field is the instance's own again.
  for (const [field, value] of decoded) {
    try {
      Object.defineProperty(instance, field, { value, writable: true, enumerable: true, configurable: true });
    } catch (cause) {
      throw new SnapshotError(
        `${spec.name}.${field}: the snapshot's value cannot be written to the instance (${cause instanceof Error ? cause.message : String(cause)}). ` +
          `Keep fields writable (no Object.freeze(this) or non-configurable properties), or mark it @transient.`,
        { cause },
      );
    }
  }
}
