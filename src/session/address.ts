import type { CookieOptions } from "../app.js";
import { UsageError } from "../errors.js";
import { randomString } from "../random.js";
import type { AppSpec } from "../registry/spec.js";
import type { PageDirections } from "../protocol.js";
import type { PageUrl } from "./session.js";

/**
 * What leaves the server for a page besides its tree: the address its
 * `@url` fields keep, where a handler sends it (`navigate`, `redirect`), the
 * cookies a handler sets, and its `@synced` fields. The hub owns when; this
 * module owns how each is checked, encoded and decoded.
 */

/** A page's address from its route and query: `/items/:id` with `{ id: "42" }` and `{ tab: "2" }` → `/items/42?tab=2`. */
export function addressOf(route: string, url: PageUrl): string {
  const path = route.replace(/:(\w+)/g, (_, name: string) => encodeURIComponent(url.params[name] ?? "")) || "/";
  const search = new URLSearchParams(url.query as Record<string, string>).toString();
  return search ? `${path}?${search}` : path;
}

/** A parsed query string with the first value of each name (a page's `this.query`). */
export function firstValues(params: URLSearchParams): Record<string, string> {
  // No prototype: a name from the address may be `toString` or `__proto__`.
  const out = Object.create(null) as Record<string, string>;
  for (const [k, v] of params) if (!(k in out)) out[k] = v;
  return out;
}

/** The kinds of value an `@url` field may hold. */
type UrlValue = string | number | boolean;

/**
 * The initial values of an app's `@url` fields (what leaves a field out of
 * the address), checked once per instance: anything but a string, a number
 * or a boolean is a mistake, named here.
 */
export function urlDefaults(app: object, spec: AppSpec): Record<string, UrlValue> {
  const out: Record<string, UrlValue> = {};
  for (const field of spec.url.keys()) {
    const v = (app as Record<string, unknown>)[field];
    if (typeof v !== "string" && typeof v !== "number" && typeof v !== "boolean") {
      throw new UsageError(
        `${spec.name}.${field} is @url and starts as ${v === null ? "null" : Array.isArray(v) ? "an array" : typeof v}. ` +
          `An @url field holds a string, a number or a boolean, and its initial value says which: @url ${field} = "";`,
      );
    }
    out[field] = v;
  }
  return out;
}

/** An `@url` field's text in the address, or undefined at its initial value (left out). */
function encode(spec: AppSpec, field: string, value: unknown, initial: UrlValue): string | undefined {
  if (value === initial) return undefined;
  if (typeof value === "string" || typeof value === "boolean") return String(value);
  if (typeof value === "number" && Number.isFinite(value)) return String(value);
  throw new UsageError(
    `${spec.name}.${field} is @url and now holds ${value === null ? "null" : typeof value === "number" ? String(value) : typeof value}, which the address cannot keep. ` +
      `Give it a ${typeof initial} (as its initial value ${JSON.stringify(initial)}).`,
  );
}

/** The value `text` from the address gives a field that starts as `initial`, or undefined when it does not read as one. */
function decode(text: string, initial: UrlValue): UrlValue | undefined {
  if (typeof initial === "string") return text;
  if (typeof initial === "number") {
    const n = text.trim() === "" ? NaN : Number(text);
    return Number.isFinite(n) ? n : undefined;
  }
  return text === "true" || text === "1" ? true : text === "false" || text === "0" ? false : undefined;
}

/**
 * Gives the `@url` fields of `app` the values `query` holds; with `reset`,
 * a field the query leaves out (or holds a value it cannot read) goes back
 * to its initial value, as when the address is new (a navigation, Back).
 */
export function readAddress(app: object, spec: AppSpec, initial: Record<string, UrlValue>, query: Readonly<Record<string, string>>, reset: boolean): void {
  const fields = app as Record<string, unknown>;
  for (const [field, { param, choices }] of spec.url) {
    const text = query[param];
    let value = text === undefined ? undefined : decode(text, initial[field]!);
    if (choices && !choices.includes(value as string | number)) value = undefined;
    if (value !== undefined) fields[field] = value;
    else if (reset) fields[field] = initial[field];
  }
}

/**
 * The page's query after its `@url` fields changed, and whether a changed
 * field asks for a history entry; undefined when the address already says
 * what the fields hold.
 */
export function addressChange(app: object, spec: AppSpec, initial: Record<string, UrlValue>, query: Readonly<Record<string, string>>): { query: Record<string, string>; push: boolean } | undefined {
  let next: Record<string, string> | undefined;
  let push = false;
  for (const [field, options] of spec.url) {
    const text = encode(spec, field, (app as Record<string, unknown>)[field], initial[field]!);
    if (query[options.param] === text) continue;
    next ??= { ...query };
    if (text === undefined) delete next[options.param];
    else next[options.param] = text;
    push ||= options.push;
  }
  return next && { query: next, push };
}

/** The longest address a page is sent to. */
const MAX_URL = 2048;
/** Control characters, spaces and backslashes: browsers read them differently ("/\\evil.example" is another host). */
const UNSAFE_IN_URL = /[\x00-\x20\x7f\\]/;

/**
 * Checks where a handler sends the page: a path of this server (`/items/42`),
 * or, for `redirect`, an `http(s)` address. Returns it as the page gets it.
 */
export function checkedTarget(url: unknown, what: string, pathOnly: boolean): string {
  const fix = pathOnly ? `Give a path of this server, such as "/items/42" (another site: use this.redirect(url)).` : `Give a path such as "/items/42" or an https:// address.`;
  if (typeof url !== "string" || url === "" || url.length > MAX_URL) {
    throw new UsageError(`${what}(${JSON.stringify(url)?.slice(0, 80) ?? typeof url}): expected an address of at most ${MAX_URL} characters. ${fix}`);
  }
  if (UNSAFE_IN_URL.test(url)) throw new UsageError(`${what}(${JSON.stringify(url.slice(0, 80))}): an address may not hold spaces, control characters or "\\". Encode them (encodeURIComponent).`);
  if (url.startsWith("/") && !url.startsWith("//")) return url;
  if (!pathOnly) {
    let parsed: URL | undefined;
    try {
      parsed = new URL(url);
    } catch {}
    if (parsed && (parsed.protocol === "https:" || parsed.protocol === "http:")) return parsed.href;
  }
  throw new UsageError(`${what}(${JSON.stringify(url.slice(0, 80))}): ${pathOnly ? "not a path of this server" : "only paths and http(s) addresses are followed"}. ${fix}`);
}

/** Checks the address a page asks to go to (`rv.nav`): a path of this server, as the page knows it. */
export function checkedPath(url: unknown): URL | undefined {
  if (typeof url !== "string" || !url.startsWith("/") || url.startsWith("//") || url.length > MAX_URL || UNSAFE_IN_URL.test(url)) return undefined;
  try {
    return new URL(url, "http://page.invalid");
  } catch {
    return undefined;
  }
}

/** A cookie a handler set (value) or cleared (undefined), with its options checked. */
export interface PendingCookie {
  name: string;
  value: string | undefined;
  options: CookieOptions;
}

/** Cookies set by handlers and not fetched yet, and the ticket that fetches them. */
export interface CookieJar {
  ticket: string;
  cookies: PendingCookie[];
  /** When the ticket stops working (ms since epoch). */
  until: number;
}

/** How long the page has to trade a cookie ticket. */
export const COOKIE_TICKET_MS = 60_000;

const COOKIE_NAME = /^[!#$%&'*+\-.^_`|~0-9A-Za-z]{1,256}$/;
/** RFC 6265 cookie-octets: no spaces, quotes, commas, semicolons or backslashes. */
const COOKIE_VALUE = /^[\x21\x23-\x2b\x2d-\x3a\x3c-\x5b\x5d-\x7e]*$/;
const OPTION_TYPES: Record<keyof CookieOptions, string> = { maxAge: "number", path: "string", domain: "string", sameSite: "string", secure: "boolean", httpOnly: "boolean", signed: "boolean" };

/** Checks a cookie a handler sets or clears (the names, value and options the browser and Koa take). */
export function checkedCookie(name: unknown, value: unknown, options: unknown, what: string): PendingCookie {
  if (typeof name !== "string" || !COOKIE_NAME.test(name)) {
    throw new UsageError(`${what}(${JSON.stringify(name)?.slice(0, 60)}): a cookie name is 1–256 letters, digits or !#$%&'*+-.^_\`|~.`);
  }
  // Revue's own (src/server/browser-token.ts): replaced, the page's session would belong to a browser that no longer exists.
  if (/^(__Host-)?rv_token(\.sig)?$/i.test(name)) {
    throw new UsageError(`${what}("${name}", …): "${name}" is Revue's own cookie (it ties sessions to this browser) and may not be set by the app. Pick another name.`);
  }
  if (value !== undefined && (typeof value !== "string" || value.length > 4096 || !COOKIE_VALUE.test(value))) {
    throw new UsageError(
      `${what}("${name}", …): the value must be a string of at most 4096 characters without spaces, quotes, commas, semicolons or "\\"` +
        `${typeof value === "string" ? "; encode it with encodeURIComponent(value)" : `, got ${typeof value}`}.`,
    );
  }
  const o = (options ?? {}) as Record<string, unknown>;
  if (typeof o !== "object" || Array.isArray(o)) throw new UsageError(`${what}("${name}", …): options must be an object such as { maxAge: 86_400_000 }.`);
  for (const [key, v] of Object.entries(o)) {
    const type = OPTION_TYPES[key as keyof CookieOptions];
    if (type === undefined) throw new UsageError(`${what}("${name}", …): unknown option "${key}". The options are ${Object.keys(OPTION_TYPES).join(", ")}.`);
    if (v !== undefined && typeof v !== type) throw new UsageError(`${what}("${name}", …): ${key} must be a ${type}, got ${JSON.stringify(v)}.`);
  }
  if (o.maxAge !== undefined && !((o.maxAge as number) >= 0 && Number.isFinite(o.maxAge))) throw new UsageError(`${what}("${name}", …): maxAge is a lifetime in milliseconds (0 or more), got ${o.maxAge}.`);
  if (o.sameSite !== undefined && !["lax", "strict", "none"].includes(o.sameSite as string)) throw new UsageError(`${what}("${name}", …): sameSite is "lax", "strict" or "none", got ${JSON.stringify(o.sameSite)}.`);
  if (o.sameSite === "none" && o.secure === false) throw new UsageError(`${what}("${name}", …): browsers drop a sameSite: "none" cookie that is not secure; leave secure out (or true) and serve the page over HTTPS.`);
  for (const key of ["path", "domain"] as const) {
    if (typeof o[key] === "string" && /[;\x00-\x20\x7f]/.test(o[key] as string)) throw new UsageError(`${what}("${name}", …): ${key} may not hold ";", spaces or control characters.`);
  }
  return { name, value, options: o as CookieOptions };
}

/**
 * `path` without the "/"s it ends with, in one pass: `replace(/\/+$/, "")`
 * backtracks at every run of slashes not at the end, and a 15 KB Referer of
 * them (`/a////…///b`, what `POST /api/session` reads) held the process
 * 190–255 ms (attack probe).
 */
export function withoutTrailingSlashes(path: string): string {
  let end = path.length;
  while (end > 0 && path.charCodeAt(end - 1) === 47) end--;
  return end === path.length ? path : path.slice(0, end);
}

/** A jar for a session's first pending cookie. */
export function newJar(): CookieJar {
  return { ticket: randomString(18, "base64url"), cookies: [], until: Date.now() + COOKIE_TICKET_MS };
}

/**
 * The params of `path` under `route` (`/items/:id` and `/items/42` →
 * `{ id: "42" }`, decoded), or undefined when the path is not one of the
 * route's. A param is never empty; a trailing "/" is ignored.
 */
export function matchRoute(route: string, path: string): Record<string, string> | undefined {
  const got = withoutTrailingSlashes(path).split("/");
  const want = route.split("/");
  if (got.length !== want.length) return undefined;
  const params: Record<string, string> = {};
  for (let i = 0; i < want.length; i++) {
    const w = want[i]!;
    if (w.startsWith(":")) {
      let v: string;
      try {
        v = decodeURIComponent(got[i]!);
      } catch {
        return undefined;
      }
      if (v === "") return undefined;
      params[w.slice(1)] = v;
    } else if (w !== got[i]) return undefined;
  }
  return params;
}

/**
 * Where a visitor without a user is sent: createServer's `signIn` with
 * `next=` the address they were at (joined with `&` when `signIn` has a query
 * of its own); undefined when they are on the sign-in page already (its
 * `next` would nest at every refused click).
 *
 * @example signInAddress("/login", "/polls/7?tab=2") // "/login?next=%2Fpolls%2F7%3Ftab%3D2"
 */
export function signInAddress(signIn: string, from: string): string | undefined {
  const at = signIn.indexOf("?");
  if ((at === -1 ? signIn : signIn.slice(0, at)) === from.split("?")[0]) return undefined;
  return `${signIn}${at === -1 ? "?" : "&"}next=${encodeURIComponent(from)}`;
}
