import "reflect-metadata";
import { RegistryError } from "../errors.js";
import { ownEntries, ownFieldMarks, ownTransient, SIDE, type MethodEntry, type UrlFieldOptions } from "./entries.js";

/**
 * A validated, frozen description of an app class: every decorated method by
 * kind, with inherited entries merged in (a subclass may override a method's
 * entry by decorating it again). Built once per class and cached on it.
 */
export interface AppSpec {
  /** The class name, for messages. */
  readonly name: string;
  readonly ctor: Function;
  /** Every entry, instance and static, in declaration order (base classes first). */
  readonly entries: readonly MethodEntry[];
  /** `@server.rpc` methods by public (route) name. */
  readonly rpc: ReadonlyMap<string, MethodEntry>;
  /** `@server.realtime` methods by public name. */
  readonly realtime: ReadonlyMap<string, MethodEntry>;
  /** Per-session `@server.on` handlers by event, in declaration order. */
  readonly serverOn: ReadonlyMap<string, readonly MethodEntry[]>;
  /** Static `@server.on` handlers by event (`start`, `stop`, custom), in declaration order. */
  readonly staticOn: ReadonlyMap<string, readonly MethodEntry[]>;
  /** Every method shipped to the browser (`@client`, `.callback`, `.realtime`, `.on`). */
  readonly client: readonly MethodEntry[];
  /** `@client.realtime` methods by public name: what `this.client.name()` may call. */
  readonly clientRealtime: ReadonlyMap<string, MethodEntry>;
  /** `@client.on` handlers by event. */
  readonly clientOn: ReadonlyMap<string, readonly MethodEntry[]>;
  /** `@transient` instance fields (inherited ones included): left out of session snapshots. */
  readonly transient: ReadonlySet<string>;
  /** `@url` fields by field name: kept in the page's query string. */
  readonly url: ReadonlyMap<string, UrlFieldOptions>;
  /** `@synced` fields: pushed to the page's `rv.state`. */
  readonly synced: ReadonlySet<string>;
  /** The entry of the function the concrete class exposes under that entry's method name. */
  entryOf(fn: Function): MethodEntry | undefined;
}

const SPEC_KEY = Symbol.for("revue:spec");

/** The class chain from the root down to `cls` (so base entries come first). */
function chainOf(cls: Function): Function[] {
  const chain: Function[] = [];
  for (let c: unknown = cls; typeof c === "function" && c !== Function.prototype; c = Object.getPrototypeOf(c)) chain.unshift(c as Function);
  return chain;
}

/**
 * Where a class's own decorations are kept: the class itself (legacy) and its
 * own TC39 metadata object, if it has one (a class with no decorators of its
 * own only inherits its parent's, which the chain walk already visits).
 */
function ownStores(cls: Function): object[] {
  const metaKey = (Symbol as { metadata?: symbol }).metadata;
  const meta = metaKey && Object.prototype.hasOwnProperty.call(cls, metaKey) ? (cls as unknown as Record<symbol, object | null>)[metaKey] : undefined;
  return meta ? [cls, meta] : [cls];
}

function pushTo<K, V>(map: Map<K, V[]>, key: K, value: V): void {
  const list = map.get(key);
  if (list) list.push(value);
  else map.set(key, [value]);
}

const refuse = () => {
  throw new TypeError("An AppSpec is frozen; decorate the class instead of editing its spec.");
};

/** A Map whose mutators throw: `Object.freeze` alone does not freeze a Map's contents. */
function frozenMap<K, V>(map: Map<K, V>): ReadonlyMap<K, V> {
  return Object.freeze(Object.assign(map, { set: refuse, delete: refuse, clear: refuse }));
}

/** A Set whose mutators throw, for the same reason. */
function frozenSet<T>(set: Set<T>): ReadonlySet<T> {
  return Object.freeze(Object.assign(set, { add: refuse, delete: refuse, clear: refuse }));
}

/** The public name an entry is reached by (its `name` option, else the method name). */
export function publicName(entry: MethodEntry): string {
  return entry.options.name ?? entry.method;
}

/**
 * Returns the frozen {@link AppSpec} of an app class, building and caching it on
 * first use. Throws a `RegistryError` for conflicts only visible across the
 * whole class (two methods claiming one rpc route name).
 *
 * @example
 * const spec = getSpec(Counter);
 * spec.rpc.get("reset")?.method // "reset"
 */
export function getSpec(cls: Function): AppSpec {
  if (typeof cls !== "function") throw new RegistryError(`getSpec(cls) needs an App class, got ${cls === null ? "null" : typeof cls}.`);
  const cached = Reflect.getOwnMetadata(SPEC_KEY, cls) as AppSpec | undefined;
  if (cached) return cached;

  // Merge by (static, method): a subclass's decoration replaces the inherited
  // one in place, so declaration order stays the base class's.
  const merged = new Map<string, MethodEntry>();
  const transient = new Set<string>();
  const url = new Map<string, UrlFieldOptions>();
  const synced = new Set<string>();
  for (const c of chainOf(cls)) {
    for (const store of ownStores(c)) {
      for (const e of ownEntries(store)) merged.set(`${e.isStatic ? "static " : ""}${e.method}`, e);
      for (const field of ownTransient(store)) transient.add(field);
      for (const mark of ownFieldMarks(store)) {
        if (mark.kind === "synced") synced.add(mark.field);
        else url.set(mark.field, mark.options);
      }
    }
  }
  const entries = [...merged.values()];
  const name = cls.name || "<anonymous class>";
  const params = new Map<string, string>();
  for (const [field, { param }] of url) {
    const other = params.get(param);
    if (other !== undefined) {
      throw new RegistryError(`${name}.${field}: @url query parameter "${param}" is already ${name}.${other}'s. Give one of them another: @url({ param: "${param}2" }).`);
    }
    params.set(param, field);
  }

  const rpc = new Map<string, MethodEntry>();
  const realtime = new Map<string, MethodEntry>();
  const clientRealtime = new Map<string, MethodEntry>();
  const serverOn = new Map<string, MethodEntry[]>();
  const staticOn = new Map<string, MethodEntry[]>();
  const clientOn = new Map<string, MethodEntry[]>();
  const byFunction = new Map<Function, MethodEntry>();

  const claim = (map: Map<string, MethodEntry>, entry: MethodEntry, what: string) => {
    const key = publicName(entry);
    const prior = map.get(key);
    if (prior) {
      throw new RegistryError(
        `${name}.${entry.method}: ${what} name "${key}" is already taken by ${name}.${prior.method}. ` +
          `Give one of them another name, e.g. ${entry.decorator.split("(")[0]}({ name: "${key}2" }).`,
      );
    }
    map.set(key, entry);
  };

  for (const e of entries) {
    if (e.kind === "rpc") claim(rpc, e, "rpc route");
    else if (e.kind === "realtime") claim(realtime, e, "realtime");
    else if (e.kind === "client-realtime") claim(clientRealtime, e, "@client.realtime");
    else if (e.kind === "server-on") for (const ev of e.events) pushTo(e.isStatic ? staticOn : serverOn, ev, e);
    else if (e.kind === "client-on") for (const ev of e.events) pushTo(clientOn, ev, e);
    if (!e.isStatic) {
      const fn = (cls.prototype as Record<string, unknown>)[e.method];
      if (typeof fn === "function") byFunction.set(fn, e);
    }
  }

  const freezeLists = (m: Map<string, MethodEntry[]>) => {
    for (const list of m.values()) Object.freeze(list);
    return frozenMap(m);
  };
  const spec: AppSpec = Object.freeze({
    name,
    ctor: cls,
    entries: Object.freeze(entries),
    rpc: frozenMap(rpc),
    realtime: frozenMap(realtime),
    serverOn: freezeLists(serverOn),
    staticOn: freezeLists(staticOn),
    client: Object.freeze(entries.filter((e) => SIDE[e.kind] === "client")),
    clientRealtime: frozenMap(clientRealtime),
    clientOn: freezeLists(clientOn),
    transient: frozenSet(transient),
    url: frozenMap(url),
    synced: frozenSet(synced),
    entryOf: (fn: Function) => byFunction.get(fn),
  });
  Reflect.defineMetadata(SPEC_KEY, spec, cls);
  return spec;
}
