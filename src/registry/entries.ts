import "reflect-metadata";
import { RegistryError } from "../errors.js";
import type { Schema } from "./schema.js";

/**
 * What decorators record: one plain entry per decorated method, stored with
 * reflect-metadata on the class (legacy decorators) or on the class's TC39
 * metadata object (standard decorators). No global table: two apps never
 * share entries, and nothing here knows about HTTP.
 */

/** The ways into and out of an app. */
export type MethodKind =
  | "rpc" //              @server.rpc
  | "realtime" //         @server.realtime
  | "server-on" //        @server.on(name)
  | "client" //           @client
  | "callback" //         @client.callback
  | "client-realtime" //  @client.realtime
  | "client-on"; //       @client.on(name)

/** Which side of the wire a kind runs on. */
export const SIDE: Readonly<Record<MethodKind, "server" | "client">> = {
  rpc: "server",
  realtime: "server",
  "server-on": "server",
  client: "client",
  callback: "client",
  "client-realtime": "client",
  "client-on": "client",
};

/** Options a decorator may take; each kind accepts a subset (see `ALLOWED_OPTIONS`). */
export interface MethodOptions {
  /** Public name: the rpc route (`/api/rpc/<name>`), the realtime event or reverse-call name. */
  name?: string;
  /** Default debounce (ms) for text-input events bound to this method. */
  debounce?: number;
  /** Standard Schema validators of the positional arguments (`@server.rpc(z.string(), z.number())`). */
  schemas?: readonly Schema[];
  /** Who may call it: `true` any signed-in user, a role or roles (any of them). See {@link Access}. */
  auth?: Access;
}

/**
 * Who may use an app or call a method: `true` (any signed-in user), a role,
 * or a list of roles (a user with any of them). The user comes from
 * `createServer(apps, { authenticate })`, their roles from its `roles` option.
 */
export type Access = true | string | readonly string[];

/**
 * Whether `roles` satisfy `access`: "ok", "signin" (no user: 401) or
 * "forbidden" (a user without the role: 403).
 */
export function judge(access: Access | undefined, user: unknown, roles: readonly string[]): "ok" | "signin" | "forbidden" {
  if (access === undefined) return "ok";
  if (user === undefined || user === null) return "signin";
  if (access === true) return "ok";
  const wanted = typeof access === "string" ? [access] : access;
  return wanted.some((r) => roles.includes(r)) ? "ok" : "forbidden";
}

/** A user's roles when `createServer`'s `roles` option is not given: `user.roles` (the strings in it), else `[user.role]`, else none. */
export function rolesOf(user: unknown): readonly string[] {
  const u = user as { roles?: unknown; role?: unknown } | null;
  if (typeof u !== "object" || u === null) return [];
  if (Array.isArray(u.roles)) return u.roles.filter((r): r is string => typeof r === "string");
  return typeof u.role === "string" ? [u.role] : [];
}

/** Checks an {@link Access} value where the developer wrote it; a message for a wrong one. */
export function accessProblem(access: unknown): string | undefined {
  if (access === undefined || access === true) return undefined;
  if (typeof access === "string" && access !== "") return undefined;
  if (Array.isArray(access) && access.length > 0 && access.every((r) => typeof r === "string" && r !== "")) return undefined;
  return `must be true (any signed-in user), a role name ("admin") or a list of role names (["admin", "editor"]), got ${JSON.stringify(access)}`;
}

export const ALLOWED_OPTIONS: Readonly<Record<MethodKind, readonly (keyof MethodOptions)[]>> = {
  rpc: ["name", "auth"],
  realtime: ["name", "debounce", "auth"],
  "server-on": [],
  client: [],
  callback: ["debounce"],
  "client-realtime": ["name"],
  "client-on": [],
};

/** One recorded decoration. Plain data: it is frozen and shared by subclasses. */
export interface MethodEntry {
  /** The method's property name on the class. */
  readonly method: string;
  readonly kind: MethodKind;
  readonly isStatic: boolean;
  /** Event names for `server-on` / `client-on` entries, in declaration order. */
  readonly events: readonly string[];
  readonly options: Readonly<MethodOptions>;
  /** How the user wrote it, for messages: `@server.on("start")`. */
  readonly decorator: string;
}

/** Metadata key under which a class's own entries are kept. */
export const ENTRIES_KEY = Symbol.for("revue:entries");
/** Metadata key on a decorated function: which class and method it was declared as. */
export const ORIGIN_KEY = Symbol.for("revue:origin");
/** Metadata key under which a class's own `@transient` field names are kept. */
export const TRANSIENT_KEY = Symbol.for("revue:transient");
/** Metadata key under which a class's own `@url` and `@synced` fields are kept. */
export const FIELD_MARKS_KEY = Symbol.for("revue:field-marks");

/** How an `@url` field sits in the page's address (see `url` in decorators.ts). */
export interface UrlFieldOptions {
  /** The query parameter's name. Default: the field's name. */
  readonly param: string;
  /** A change adds a history entry (back returns to the previous value) instead of replacing the address. */
  readonly push: boolean;
  /** The values the address may give the field; another leaves it at its initial value. */
  readonly choices?: readonly (string | number)[];
}

/** A field marked to leave the server: `@url` (in the address) and `@synced` (in `rv.state`). */
export type FieldMark = { readonly field: string; readonly kind: "url"; readonly options: UrlFieldOptions } | { readonly field: string; readonly kind: "synced" };

/** Where a decorator is being applied, normalised across both conventions. */
export interface DecorationSite {
  /** Where entries are stored: the constructor (legacy) or the TC39 metadata object. */
  readonly store: object;
  /** The class name when the convention exposes it (legacy), else undefined (TC39). */
  readonly className: string | undefined;
  readonly method: string;
  readonly isStatic: boolean;
  /** The method function itself, when known (used to recognise it at bind time). */
  readonly fn: Function | undefined;
}

/**
 * `Counter.boot` (legacy), or `<class at src/app.ts:12>.boot` (TC39 decorators
 * run before the class exists and do not expose its name; where it is written
 * is the next best thing). Call it from the decorator, while the stack holds
 * the class definition.
 */
export function describeSite(site: Pick<DecorationSite, "className" | "method">): string {
  return `${site.className ?? classBeingDefined()}.${site.method}`;
}

/**
 * `<class at FILE:LINE>` for the class whose decorators are running: the first
 * frame of the stack outside Revue's registry and the compilers' decorator
 * helpers (`__decorateElement`, `__esDecorate`, …). `<class being defined>`
 * when the stack says nothing usable.
 */
export function classBeingDefined(): string {
  const frames = (new Error().stack ?? "").split("\n").slice(1);
  for (const frame of frames) {
    const m = /^\s*at (?:(\S+) )?\(?(.+?):(\d+):\d+\)?$/.exec(frame);
    if (!m) continue;
    const [, fn = "", file = "", line] = m;
    if (/[/\\]registry[/\\][\w-]+\.[jt]s$/.test(file) || /^(?:Object\.)?__/.test(fn) || file.startsWith("node:")) continue;
    const cwd = typeof process === "object" ? process.cwd() + "/" : "";
    const shown = file.replace(/^file:\/\//, "").replace(cwd, "");
    return `<class at ${shown}:${line}>`;
  }
  return "<class being defined>";
}

/** The entries a class (or TC39 metadata object) declares itself, not inherited ones. */
export function ownEntries(store: object): readonly MethodEntry[] {
  return (Reflect.getOwnMetadata(ENTRIES_KEY, store) as MethodEntry[] | undefined) ?? [];
}

/**
 * Records one decoration, refusing a second kind on the same method. Two
 * `on` decorations of one side on one method merge their event lists.
 */
export function record(site: DecorationSite, kind: MethodKind, events: readonly string[], options: MethodOptions, decorator: string): void {
  const entries = [...ownEntries(site.store)];
  const at = entries.findIndex((e) => e.method === site.method && e.isStatic === site.isStatic);
  if (at >= 0) {
    const prior = entries[at]!;
    if (prior.kind !== kind) {
      throw new RegistryError(
        `${describeSite(site)} is decorated twice, as ${prior.decorator} and ${decorator}. ` +
          `A method has exactly one kind: keep one decorator, or split the logic into two methods.`,
      );
    }
    const merged = [...prior.events, ...events.filter((e) => !prior.events.includes(e))];
    entries[at] = Object.freeze({ ...prior, events: Object.freeze(merged), decorator: `${prior.decorator} ${decorator}` });
  } else {
    entries.push(Object.freeze({ method: site.method, kind, isStatic: site.isStatic, events: Object.freeze([...events]), options: Object.freeze({ ...options }), decorator }));
  }
  Reflect.defineMetadata(ENTRIES_KEY, entries, site.store);
  if (site.fn) Reflect.defineMetadata(ORIGIN_KEY, { className: site.className, method: site.method, kind }, site.fn);
}

/** The class and method a function was decorated as, if it was decorated at all. */
export function originOf(fn: Function): { className: string | undefined; method: string; kind: MethodKind } | undefined {
  return Reflect.getOwnMetadata(ORIGIN_KEY, fn);
}

/** The `@transient` field names a class (or TC39 metadata object) declares itself. */
export function ownTransient(store: object): readonly string[] {
  return (Reflect.getOwnMetadata(TRANSIENT_KEY, store) as string[] | undefined) ?? [];
}

/**
 * Records a `@transient` field. Kept apart from the method entries: a field has
 * no kind, options or function, and a method may share its name only by being
 * shadowed by it, which is not ours to judge.
 */
export function recordTransient(store: object, field: string): void {
  const fields = ownTransient(store);
  if (!fields.includes(field)) Reflect.defineMetadata(TRANSIENT_KEY, Object.freeze([...fields, field]), store);
}

/** The `@url` and `@synced` marks a class (or TC39 metadata object) declares itself. */
export function ownFieldMarks(store: object): readonly FieldMark[] {
  return (Reflect.getOwnMetadata(FIELD_MARKS_KEY, store) as FieldMark[] | undefined) ?? [];
}

/** Records an `@url` or `@synced` mark; marking a field the same way twice keeps the last. */
export function recordFieldMark(store: object, mark: FieldMark): void {
  const marks = ownFieldMarks(store).filter((m) => m.field !== mark.field || m.kind !== mark.kind);
  Reflect.defineMetadata(FIELD_MARKS_KEY, Object.freeze([...marks, Object.freeze(mark)]), store);
}
