import { LRUCache } from "lru-cache";
import { RegistryError, UsageError } from "../errors.js";
import { describeSite, ORIGIN_KEY } from "./entries.js";
import { siteOf, type MethodDecorator } from "./decorators.js";

/** Options of {@link cached}. */
export interface CachedOptions {
  /** How long a result is kept, in milliseconds. Default: until `max` pushes it out. */
  ttl?: number;
  /** How many results are kept; the least recently used go first. Default 1,000. */
  max?: number;
  /**
   * `"app"` (default): one cache for every session of the class, in this
   * process. `"session"`: one per session (per instance), for results that
   * depend on the session's state as well as the arguments.
   */
  scope?: "app" | "session";
}

/** Options of {@link cached.resource}. */
export interface ResourceOptions<T = any> {
  /** How long a handle is kept, in milliseconds, before it is disposed and made again on the next call. Default: until cleared. */
  ttl?: number;
  /** How many handles are kept (one per distinct arguments). Default 100. */
  max?: number;
  /** Releases a handle when it leaves the cache: evicted, expired, cleared, or the server stops. */
  dispose?: (value: T) => void | Promise<void>;
}

/** The longest cache key (arguments as JSON) kept; calls with longer ones run uncached. */
const MAX_KEY = 4096;
/**
 * The most bytes a cache keeps (keys, and results as {@link sizeOf} counts them), the least
 * recently used going first: a method's shared cache, and each session's own.
 * A page choosing the arguments (1,000 keys of 4 KB with their results per
 * session) grew the heap by 12 MB a session until the process died.
 */
const APP_BYTES = 64 * 1024 * 1024, SESSION_BYTES = 2 * 1024 * 1024;

/** What a cache keeps of a result: a copy, and its size in bytes (a handle's is not counted). */
type Kept = { value: unknown; size: number };

/** A session's cache of one method, and the method cache's generation it belongs to (a `clear` starts a new one). */
type SessionCache = { lru: LRUCache<string, Kept>; gen: number };
/** Each instance's `scope: "session"` caches, by method. */
const OF_INSTANCE = new WeakMap<object, Map<MethodCache, SessionCache>>();

/**
 * The bytes an app instance's `scope: "session"` caches hold: counted in its
 * session's memory (`maxSessionBytes`), so that a hibernated session's go with
 * its instance.
 */
export function cachedBytes(instance: object): number {
  let bytes = 0;
  for (const [method, cache] of OF_INSTANCE.get(instance) ?? []) {
    if (cache.gen !== method.gen) cache.lru.clear(); // cleared since
    bytes += cache.lru.calculatedSize;
  }
  return bytes;
}

/** One decorated method's caches: the shared one, and one per session when scoped so. */
class MethodCache {
  private shared: LRUCache<string, Kept> | undefined;
  /** Bumped by `clear`: the sessions' caches of an older generation are emptied when next used or weighed. */
  gen = 0;
  private readonly inflight = new Map<string, Promise<unknown>>();
  private readonly sessionInflight = new WeakMap<object, Map<string, Promise<unknown>>>();

  constructor(
    readonly where: string,
    private readonly options: { ttl?: number; max: number; scope: "app" | "session"; copy: boolean; dispose?: (value: any) => void | Promise<void> },
  ) {}

  call(self: object, fn: Function, args: unknown[]): unknown {
    const key = keyOf(this.where, args);
    // Arguments a page sent can be large: their result runs uncached rather than keep a megabyte key.
    if (key.length > MAX_KEY) return fn.apply(self, args);
    const session = this.options.scope === "session";
    const cache = session ? this.sessionCache(self) : (this.shared ??= this.lru(APP_BYTES));
    const hit = cache.get(key);
    if (hit) return this.out(hit.value);
    const inflight = session ? this.sessionInflightOf(self) : this.inflight;
    const running = inflight.get(key);
    if (running) return running.then((value) => this.out(value));
    const result = fn.apply(self, args);
    if (!isThenable(result)) {
      cache.set(key, this.keep(result));
      return this.out(result);
    }
    // Concurrent callers with the same arguments share this one computation; a rejection is not kept.
    const pending = Promise.resolve(result).then((value) => {
      const kept = this.keep(value);
      cache.set(key, kept);
      return kept.value;
    });
    inflight.set(key, pending);
    const forget = () => inflight.get(key) === pending && inflight.delete(key);
    pending.then(forget, forget);
    return pending.then((value) => this.out(value));
  }

  /** Drops every kept result (disposing handles) and forgets computations in flight. */
  clear(): void {
    this.shared?.clear();
    this.shared = undefined;
    this.gen++;
    this.inflight.clear();
  }

  private lru(maxSize: number): LRUCache<string, Kept> {
    const { ttl, max, dispose, copy } = this.options;
    return new LRUCache<string, Kept>({
      max,
      // A key is a string of UTF-16 units; a result is counted by sizeOf.
      ...(copy ? { maxSize, sizeCalculation: (entry: Kept, key: string) => entry.size + key.length * 2 + 64 } : {}),
      ...(ttl ? { ttl, ttlAutopurge: !!dispose } : {}),
      ...(dispose ? { dispose: (entry) => this.release(dispose, entry.value) } : {}),
    });
  }

  /** What the cache keeps of a result: a copy and its size, or a handle as it is. */
  private keep(value: unknown): Kept {
    if (!this.options.copy) return { value, size: 0 };
    const copy = this.copy(value);
    return { value: copy, size: sizeOf(copy) };
  }

  private release(dispose: (value: any) => void | Promise<void>, value: unknown): void {
    try {
      Promise.resolve(dispose(value)).catch((err) => console.error(`[revue] ${this.where}: dispose failed:`, err));
    } catch (err) {
      console.error(`[revue] ${this.where}: dispose failed:`, err);
    }
  }

  private sessionCache(self: object): LRUCache<string, Kept> {
    let mine = OF_INSTANCE.get(self);
    if (!mine) OF_INSTANCE.set(self, (mine = new Map()));
    let cache = mine.get(this);
    if (!cache) mine.set(this, (cache = { lru: this.lru(SESSION_BYTES), gen: this.gen }));
    else if (cache.gen !== this.gen) cache.lru.clear(), (cache.gen = this.gen);
    return cache.lru;
  }

  private sessionInflightOf(self: object): Map<string, Promise<unknown>> {
    let map = this.sessionInflight.get(self);
    if (!map) this.sessionInflight.set(self, (map = new Map()));
    return map;
  }

  /**
   * A copy, taken both of what the cache keeps (so the caller that computed it
   * cannot change it afterwards) and of what each caller gets; a handle from
   * `cached.resource` is shared as is.
   */
  private out(value: unknown): unknown {
    return this.options.copy ? this.copy(value) : value;
  }

  private copy(value: unknown): unknown {
    if (value === null || typeof value !== "object") {
      if (typeof value === "function" || typeof value === "symbol") throw this.uncopyable(value, `a ${typeof value}`);
      return value;
    }
    try {
      return structuredClone(value);
    } catch (err) {
      throw this.uncopyable(value, (err as Error).message);
    }
  }

  private uncopyable(_value: unknown, why: string): UsageError {
    return new UsageError(
      `${this.where}: @cached keeps a copy of each result and hands out copies, but this result cannot be copied (${why}). ` +
        `Return plain data (objects, arrays, Maps, Dates…), or use @cached.resource for a shared handle such as a connection pool.`,
    );
  }
}

/**
 * About how many bytes a copied result holds: strings at two bytes a unit,
 * a few words per number, object and entry. A walk, as cheap as the copy was
 * (a v8 serialization to measure it cost 40 µs for a small object).
 */
function sizeOf(value: unknown): number {
  let bytes = 0;
  const stack: unknown[] = [value];
  while (stack.length) {
    const v = stack.pop();
    if (typeof v === "string") {
      bytes += 16 + v.length * 2;
    } else if (typeof v !== "object" || v === null) {
      bytes += 8;
    } else if (ArrayBuffer.isView(v)) {
      bytes += 64 + v.byteLength;
    } else if (v instanceof Map) {
      bytes += 64;
      for (const [k, x] of v) stack.push(k, x);
    } else if (v instanceof Set) {
      bytes += 64;
      for (const x of v) stack.push(x);
    } else if (Array.isArray(v)) {
      bytes += 16 + v.length * 8;
      for (const x of v) stack.push(x);
    } else {
      bytes += 32;
      for (const k in v) {
        bytes += 8 + k.length * 2;
        stack.push((v as Record<string, unknown>)[k]);
      }
    }
  }
  return bytes;
}

function isThenable(x: unknown): x is PromiseLike<unknown> {
  return (typeof x === "object" || typeof x === "function") && x !== null && typeof (x as { then?: unknown }).then === "function";
}

/** The cache key of a call: its arguments as JSON, refusing what JSON would silently merge (functions, Maps, Sets…). */
function keyOf(where: string, args: unknown[]): string {
  try {
    return JSON.stringify(args, (_k, v: unknown) => {
      if (typeof v === "function" || typeof v === "symbol" || v instanceof Map || v instanceof Set || v instanceof WeakMap) {
        throw new TypeError(`${typeof v === "object" ? v.constructor.name : `a ${typeof v}`} has no JSON form`);
      }
      return v === undefined ? null : v;
    });
  } catch (err) {
    throw new UsageError(
      `${where}: @cached keys its results by the arguments as JSON, and these cannot be (${(err as Error).message}). ` +
        `Pass plain data (strings, numbers, plain objects, arrays), or drop @cached from this method.`,
    );
  }
}

/** Where each decorated class keeps its method caches: method name → cache (own methods only). */
const CACHES = Symbol.for("revue:cached");
/** Every method cache in this process, for `cached.clear()` and a server's stop. */
const ALL = new Set<MethodCache>();

function checkNumber(value: unknown, name: string, decorator: string): void {
  if (value === undefined) return;
  if (typeof value !== "number" || !Number.isFinite(value) || value <= 0 || (name === "max" && !Number.isInteger(value))) {
    throw new RegistryError(`${decorator}: option ${name} must be a positive ${name === "max" ? "integer" : "number of milliseconds"}, got ${JSON.stringify(value)}.`);
  }
}

function checkOptions(options: unknown, allowed: readonly string[], decorator: string): Record<string, unknown> {
  if (options === undefined) return {};
  if (typeof options !== "object" || options === null || Array.isArray(options)) {
    throw new RegistryError(`${decorator} takes an options object, got ${Array.isArray(options) ? "an array" : typeof options}. Example: @cached({ ttl: 60_000 }).`);
  }
  for (const key of Object.keys(options)) {
    if (!allowed.includes(key)) throw new RegistryError(`${decorator}: unknown option "${key}". Allowed: ${allowed.join(", ")}.`);
  }
  const o = options as Record<string, unknown>;
  checkNumber(o.ttl, "ttl", decorator);
  checkNumber(o.max, "max", decorator);
  if (o.scope !== undefined && o.scope !== "app" && o.scope !== "session") {
    throw new RegistryError(`${decorator}: option scope is "app" (shared by every session, the default) or "session" (one cache per session), got ${JSON.stringify(o.scope)}.`);
  }
  if (o.dispose !== undefined && typeof o.dispose !== "function") throw new RegistryError(`${decorator}: option dispose must be a function (value) => void.`);
  return o;
}

/** Builds the decorator: wraps the method in both conventions and records its cache on the class. */
function cacheDecorator(label: string, options: { ttl?: number; max: number; scope: "app" | "session"; copy: boolean; dispose?: (value: any) => void | Promise<void> }): MethodDecorator {
  return function decorate(...args: unknown[]): any {
    const site = siteOf(args, label);
    if (options.scope === "session" && site.isStatic) {
      throw new RegistryError(`${describeSite(site)}: ${label} with scope "session" needs an instance method (a static one belongs to no session). Remove "static", or drop scope.`);
    }
    const where = describeSite(site);
    const cache = new MethodCache(where, options);
    const original = site.fn!;
    const wrapped = function (this: object, ...callArgs: unknown[]) {
      return cache.call(this, original, callArgs);
    };
    Object.defineProperty(wrapped, "name", { value: original.name });
    // Outside @server.rpc and friends: the wrapper is what the class holds, so it must be recognised as that method.
    const origin = Reflect.getOwnMetadata(ORIGIN_KEY, original);
    if (origin) Reflect.defineMetadata(ORIGIN_KEY, origin, wrapped);
    ALL.add(cache);
    const own: Map<string, MethodCache> = Object.prototype.hasOwnProperty.call(site.store, CACHES) ? (site.store as any)[CACHES] : new Map();
    own.set(`${site.isStatic ? "static " : ""}${site.method}`, cache);
    Object.defineProperty(site.store, CACHES, { value: own, configurable: true });
    if (args.length === 3) {
      (args[2] as PropertyDescriptor).value = wrapped;
      return args[2];
    }
    return wrapped;
  };
}

/** The caches `cls` declares or inherits, by method name (`"static m"` for statics). */
function cachesOf(cls: Function): Map<string, MethodCache> {
  const found = new Map<string, MethodCache>();
  const meta = (Symbol as { metadata?: symbol }).metadata;
  for (let c: any = cls; c && c !== Function.prototype; c = Object.getPrototypeOf(c)) {
    for (const store of [c, meta && Object.prototype.hasOwnProperty.call(c, meta) ? c[meta] : undefined]) {
      if (!store || !Object.prototype.hasOwnProperty.call(store, CACHES)) continue;
      for (const [name, cache] of store[CACHES] as Map<string, MethodCache>) if (!found.has(name)) found.set(name, cache);
    }
  }
  return found;
}

/**
 * Caches a method's results by its arguments: a second call with the same
 * arguments (as JSON) answers from the cache instead of running the method.
 * For methods whose result depends only on their arguments (a query, a file
 * read, a computation); with `scope: "session"`, on the session's state too.
 * Works on sync and async methods, instance and static, alone or under
 * `@server.rpc` and the other decorators.
 *
 * - One cache per method for every session of the class (in this process),
 *   or one per session with `scope: "session"`.
 * - Concurrent calls with the same arguments share one computation; a
 *   failure (a throw, a rejection) is not kept.
 * - Each result is copied (`structuredClone`) into the cache and again for
 *   every caller, so no caller can change what the next one gets.
 * - `ttl` (ms) and `max` (entries, least recently used go first, default
 *   1,000) bound it, through `lru-cache`, and so do bytes: 64 MB for a
 *   method's shared cache, 2 MB for each session's (counted in the
 *   session's memory, `maxSessionBytes`); arguments over 4,096 characters
 *   of JSON run uncached. A process starts empty, so
 *   `revue dev`'s restart on a file change clears every cache.
 * - {@link cached.clear} empties one method's cache, a class's, or all.
 *
 * @example
 * import { App, cached, server } from "revue";
 * class Weather extends App {
 *   @server.rpc @cached({ ttl: 60_000 }) async forecast(city: string) {
 *     return (await fetch(`https://api.example.com/${encodeURIComponent(city)}`)).json();
 *   }
 * }
 * cached.clear(Weather, "forecast"); // after the data changed
 */
export const cached: {
  (options?: CachedOptions): MethodDecorator;
  /**
   * Keeps one shared handle per arguments (a database pool, a client, a
   * loaded model): made on the first call, handed to every caller as is (not
   * copied), disposed through `dispose` when it leaves the cache, when the
   * cache is cleared, and when the app's server stops.
   *
   * @example
   * class Report extends App {
   *   @cached.resource({ dispose: (pool: Pool) => pool.end() }) static db() { return new Pool({ max: 4 }); }
   *   @server.rpc async rows() { return (await Report.db().query("select * from sales")).rows; }
   * }
   */
  resource<T = any>(options?: ResourceOptions<T>): MethodDecorator;
  /**
   * Empties caches: one method's (`cached.clear(Weather, "forecast")`), every
   * cached method of a class and its parents (`cached.clear(Weather)`), or
   * every cache in the process (`cached.clear()`). Handles are disposed.
   */
  clear(cls?: Function, method?: string): void;
} = Object.assign(
  function cachedFactory(options?: CachedOptions): MethodDecorator {
    if (typeof options === "function" || arguments.length >= 2) {
      throw new RegistryError(`@cached needs parentheses: write @cached() or @cached({ ttl: 60_000 }) above the method.`);
    }
    const label = `@cached(${options === undefined ? "" : JSON.stringify(options)})`;
    const o = checkOptions(options, ["ttl", "max", "scope"], label) as CachedOptions;
    return cacheDecorator(label, { ttl: o.ttl, max: o.max ?? 1000, scope: o.scope ?? "app", copy: true });
  },
  {
    resource<T>(options?: ResourceOptions<T>): MethodDecorator {
      if (typeof options === "function") throw new RegistryError(`@cached.resource needs parentheses: write @cached.resource() or @cached.resource({ dispose: (h) => h.close() }).`);
      const o = checkOptions(options, ["ttl", "max", "dispose"], "@cached.resource(...)") as ResourceOptions<T>;
      return cacheDecorator("@cached.resource", { ttl: o.ttl, max: o.max ?? 100, scope: "app", copy: false, dispose: o.dispose });
    },
    clear(cls?: Function, method?: string): void {
      if (cls === undefined) {
        for (const cache of ALL) cache.clear();
        return;
      }
      if (typeof cls !== "function") throw new UsageError(`cached.clear(cls, method?): cls must be a class, got ${typeof cls}. Example: cached.clear(Weather, "forecast").`);
      const caches = cachesOf(cls);
      if (method === undefined) {
        for (const cache of caches.values()) cache.clear();
        return;
      }
      const cache = caches.get(method) ?? caches.get(`static ${method}`);
      if (!cache) {
        const names = [...caches.keys()].sort();
        throw new UsageError(`cached.clear(${cls.name}, "${method}"): ${cls.name}.${method} has no @cached decorator.${names.length ? ` Cached methods of ${cls.name}: ${names.join(", ")}.` : ""}`);
      }
      cache.clear();
    },
  },
);

/** Disposes the handles (and drops the results) of `cls`'s caches: its server stopped. */
export function clearCaches(cls: Function): void {
  for (const cache of cachesOf(cls).values()) cache.clear();
}
