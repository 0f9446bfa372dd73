import { BindError, RenderError } from "../errors.js";
import { hidesDomMember } from "./shadowing.js";
import { ID_ATTR, ON_ATTR_PREFIX, isUnsafeAttr, type Binder } from "./types.js";

/**
 * Where {@link lowerProp} writes its result. One module-level object instead
 * of a returned `{name, value}` pair: the diff lowers every prop of every
 * element on every render, and this keeps that loop allocation-free.
 */
export const lowered = { name: "", value: "" };

/** The attribute record of every element without attributes: one frozen object, shared. */
export const EMPTY_ATTRS: Record<string, string> = Object.freeze({}) as Record<string, string>;

/**
 * Props that never become attributes: markup injection, React-isms we do not
 * support, and `nonce` (the page's CSP nonce goes on `<style>` elements by
 * itself; a nonce written in `render()` could only be wrong).
 */
const DROPPED = new Set(["srcdoc", "dangerouslysetinnerhtml", "innerhtml", "outerhtml", "children", "key", "nonce"]);

/**
 * The binder used when no app is rendering (tests, plain SSR): any handler is
 * a mistake there, so it fails the same way an unbindable handler would.
 */
export const noBinder: Binder = (tag, prop) => {
  throw new BindError(`<${tag} ${prop}>: event handlers need an app to bind them. Render through an App, or pass { bind } to lower()/diff().`);
};

/** `onClick` → `data-rv-on-click`, or null for a name that is not a valid attribute; decided once per prop (2.5 % of a 1,000-row todo page's CPU when checked per binding). */
const eventAttrs = new Map<string, string | null>();
function eventAttr(prop: string): string | null {
  let name = eventAttrs.get(prop);
  if (name === undefined) {
    const attr = ON_ATTR_PREFIX + prop.slice(2).toLowerCase();
    // A binding's value is never a URL: only the name can be refused.
    name = isUnsafeAttr(attr, "") ? null : attr;
    if (eventAttrs.size < 1024) eventAttrs.set(prop, name);
  }
  return name;
}

/**
 * Lowers one prop to an attribute, writing it to {@link lowered}. Returns
 * false when the prop produces no attribute.
 *
 * - `class`/`className` → `class` (strings, arrays and `{name: on}` objects);
 *   `style` objects → CSS text; `htmlFor` → `for`.
 * - `true` → `""`; `false`, `null`, `undefined` → no attribute; numbers are stringified.
 * - `on*` props go through the app's binder (which throws a `BindError` for
 *   anything that is not a bindable method) into `data-rv-on-<event>`.
 * - Unsafe attributes (see `isUnsafeAttr`), invalid names, `srcdoc`, `nonce`,
 *   `dangerouslySetInnerHTML` and the framework's own `data-rv*` names are dropped:
 *   a user prop must not be able to forge an id or an event binding.
 * - An SVG animation's `attributeName` naming `href` (or `xlink:href`) is
 *   dropped: it would animate a link to a `javascript:` URL.
 * - A `name` or `id` that would hide a member of the document or of a form
 *   (`<img name="getElementById">`, `<input name="parentNode">`) is dropped:
 *   see shadowing.ts.
 * - `http-equiv` (or `httpEquiv`) throws a `RenderError`: on a `<meta>` it can
 *   send the page to another site (`refresh`), so it is refused, not dropped.
 */
export function lowerProp(tag: string, prop: string, value: unknown, bind: Binder): boolean {
  if (value === null || value === undefined || value === false) return false;
  let kind = kindOf(prop);
  const renamed = kind >= RENAMED;
  if (renamed) kind -= RENAMED;
  if (kind === DROP) return false;
  if (kind === EVENT) {
    const name = eventAttr(prop);
    lowered.value = bind(tag, prop, value);
    if (name === null) return false;
    lowered.name = name;
    return true;
  }
  let text: string;
  if (kind === CLASS) {
    text = typeof value === "string" ? value : classText(value);
    if (text === "") return false;
    lowered.name = "class";
  } else if (kind === STYLE && typeof value === "object") {
    text = styleText(value as Record<string, unknown>);
    if (text === "") return false;
    lowered.name = "style";
  } else {
    if (kind === REFUSE) refuse(tag, prop, value);
    text = typeof value === "string" ? value : attrText(tag, prop, value);
    if (kind === URL ? isUnsafeAttr(prop, text) : kind === ANIMATES ? LINK_TARGET.test(text) : kind === OTHER_URL ? otherUrlRefused(prop, text) : kind >= NAME && refusedName(tag, kind, text)) return false;
    lowered.name = kind === FOR ? "for" : kind === SVG_NAME ? SVG_NAMES.get(prop)! : renamed ? canonicalName(prop) : prop;
  }
  lowered.value = text;
  return true;
}

/*
 * What a prop name is, decided once per distinct name: lowering runs for every
 * prop of every element on every render, and the name checks (lowercasing,
 * three regular expressions) cost more than the rest of the diff of an
 * unchanged element. Only the value of a URL attribute still needs a look.
 */
const DROP = 0, PLAIN = 1, URL = 2, EVENT = 3, CLASS = 4, STYLE = 5, FOR = 6, REFUSE = 7, ANIMATES = 8, OTHER_URL = 9, SVG_NAME = 10, NAME = 11, ID = 12, REL = 13;
/** Added to the kind of an attribute written under another name than the prop's (see {@link canonicalName}). */
const RENAMED = 16;

/**
 * SVG's attribute names that have capitals, by their lower case: the HTML
 * parser lower-cases every attribute name of the first page and gives these
 * back their case (the spec's "adjust SVG attributes"), while a patch's
 * `setAttribute` on an SVG element keeps the name as written: `viewbox`
 * worked on the first page and did nothing in a patch, `tabIndex` the other
 * way round (fuzz probe).
 */
const SVG_CASED = new Map(
  ("attributeName attributeType baseFrequency baseProfile calcMode clipPathUnits diffuseConstant edgeMode filterUnits glyphRef gradientTransform " +
    "gradientUnits kernelMatrix kernelUnitLength keyPoints keySplines keyTimes lengthAdjust limitingConeAngle markerHeight markerUnits markerWidth " +
    "maskContentUnits maskUnits numOctaves pathLength patternContentUnits patternTransform patternUnits pointsAtX pointsAtY pointsAtZ preserveAlpha " +
    "preserveAspectRatio primitiveUnits refX refY repeatCount repeatDur requiredExtensions requiredFeatures specularConstant specularExponent " +
    "spreadMethod startOffset stdDeviation stitchTiles surfaceScale systemLanguage tableValues targetX targetY textLength viewBox viewTarget " +
    "xChannelSelector yChannelSelector zoomAndPan").split(" ").map((name) => [name.toLowerCase(), name]),
);

/**
 * The name an attribute is written under, as the HTML parser leaves it: in
 * lower case (as on any HTML element, where `setAttribute` lower-cases too),
 * SVG's cased names in their case, and `xlink:href` as `href` (SVG 2), which
 * `setAttribute` cannot put in the XLink namespace the parser puts it in.
 */
const canonicalName = nameCache((prop: string): string => {
  const lower = prop.toLowerCase();
  return lower === "xlink:href" ? "href" : SVG_CASED.get(lower) ?? lower;
}, 4096);

/**
 * SVG's presentation attributes, whose names have hyphens, by the camelCase
 * name JSX (and React) writes them with: `strokeWidth` → `stroke-width`, as
 * `htmlFor` → `for`; written as given, `strokeWidth` is no attribute of SVG's
 * and did nothing (new-user probe). Other camelCase names (`viewBox`,
 * `preserveAspectRatio`) are SVG's own and stay.
 */
const SVG_NAMES = new Map(
  ("alignment-baseline baseline-shift clip-path clip-rule color-interpolation color-interpolation-filters color-rendering dominant-baseline " +
    "fill-opacity fill-rule flood-color flood-opacity font-family font-size font-size-adjust font-stretch font-style font-variant font-weight " +
    "glyph-orientation-horizontal glyph-orientation-vertical image-rendering letter-spacing lighting-color marker-end marker-mid marker-start " +
    "paint-order pointer-events shape-rendering stop-color stop-opacity stroke-dasharray stroke-dashoffset stroke-linecap stroke-linejoin " +
    "stroke-miterlimit stroke-opacity stroke-width text-anchor text-decoration text-rendering transform-origin unicode-bidi vector-effect " +
    "word-spacing writing-mode").split(" ").map((name) => [name.replace(/-([a-z])/g, (_, c: string) => c.toUpperCase()), name]),
);

/**
 * Whether a `name`, `id` or `rel` (kinds from NAME on) is dropped for its
 * value: a `name` or `id` that would hide a member of the document or a form
 * (shadowing.ts); a `<meta name="referrer">`, which would override the page's
 * `Referrer-Policy: same-origin` and send its whole address, query included,
 * to the sites it links to; a `<link rel>` that has the browser fetch or
 * connect ahead (prefetch, preconnect, dns-prefetch, prerender), which the
 * page's CSP does not stop: one built from data reached another site from
 * the first page and from a patch in Chromium (attack probe).
 */
function refusedName(tag: string, kind: number, value: string): boolean {
  if (kind === REL) return tag.toLowerCase() === "link" && AHEAD.test(value);
  if (kind === NAME && tag.toLowerCase() === "meta" && value.trim().toLowerCase() === "referrer") return true;
  return hidesDomMember(tag, kind === NAME ? "name" : "id", value);
}

const AHEAD = /(?:^|\s)(?:prefetch|dns-prefetch|preconnect|prerender)(?=\s|$)/i;

/**
 * Attributes whose value is a URL (or a list of them: `ping`, `srcset`, …)
 * other than those both ends check (`isUnsafeAttr`: `href`, `src`, `action`,
 * …): none runs a `javascript:` URL in today's browsers, but none needs one,
 * so the server drops one there too, checked as an `href` would be.
 */
const OTHER_URLS = new Set(["cite", "poster", "background", "longdesc", "manifest", "icon", "codebase", "lowsrc", "dynsrc", "profile", "classid", "itemid", "itemtype", "usemap", "data"]);
const URL_LISTS = new Set(["ping", "srcset", "imagesrcset", "archive"]);

/**
 * The URLs of a `srcset`, as a browser reads them: each candidate is a run
 * without spaces (a `data:` URL keeps its comma), less the commas that end it,
 * then descriptors up to the next comma (`a.png 1x,b.png 2x` is two).
 */
function srcsetUrls(text: string): string[] {
  const urls: string[] = [];
  const n = text.length;
  let i = 0;
  while (i < n) {
    while (i < n && (text[i] === "," || /\s/.test(text[i]!))) i++;
    let j = i;
    while (j < n && !/\s/.test(text[j]!)) j++;
    const run = text.slice(i, j);
    // Its commas at the end cut in one pass: `replace(/,+$/, "")` backtracked at every run of commas
    // not at the end, and a 60 KB srcset of them took 3.7 s to render (attack probe).
    let end = run.length;
    while (end > 0 && run.charCodeAt(end - 1) === 44) end--;
    urls.push(run.slice(0, end));
    i = j;
    if (end < run.length) continue;
    // Descriptors, up to the comma that ends the candidate; one inside parentheses does not, and, as in a
    // browser, parentheses do not nest: the first `)` closes them (`x((y),javascript:…` is two candidates).
    for (let inParens = false; i < n; i++) {
      const c = text[i];
      if (c === "(") inParens = true;
      else if (c === ")") inParens = false;
      else if (c === "," && !inParens) {
        i++;
        break;
      }
    }
  }
  return urls;
}

/** True when the value of `prop`, one of {@link OTHER_URLS} or {@link URL_LISTS}, is (or holds) a URL an `href` could not have. */
function otherUrlRefused(prop: string, value: string): boolean {
  const name = prop.toLowerCase();
  // One URL is checked as an href is (browsers drop its tabs and newlines: "java\tscript:" is "javascript:"); a
  // list is split where a browser splits it, at any whitespace, tabs and newlines included, before each URL is checked.
  if (!URL_LISTS.has(name)) return isUnsafeAttr("href", value);
  const urls = name === "srcset" || name === "imagesrcset" ? srcsetUrls(value) : value.split(/\s+/);
  for (const url of urls) if (url !== "" && isUnsafeAttr("href", url)) return true;
  return false;
}
/**
 * An SVG animation's `attributeName` that targets a link (`href`,
 * `xlink:href`): `<set attributeName="href" to="javascript:…">` inside an
 * `<a>` gives the link a script URL that no attribute of its own holds, so it
 * is dropped (the animation then changes nothing).
 */
const LINK_TARGET = /^\s*([\w.-]*:)?href\s*$/i;

/**
 * The longest text the caches of lowering and writing keep (names, joined
 * classes, attribute pieces): what code writes is shorter, and what is longer
 * comes from data, which a cache would keep for the life of the process
 * (attack probe: 200 first pages showing a 1 MB profile field in an attribute
 * held 200 MB after every session ended).
 */
export const CACHED_CHARS = 256;

/**
 * Memoizes `decide(name)` per distinct name, in a null-prototype record (a
 * keyed load, cheaper than a Map lookup) holding at most `cap` names of at
 * most {@link CACHED_CHARS}: names come from code, so the record stays small,
 * and the bounds keep names built from data from growing it.
 */
export function nameCache<T>(decide: (name: string) => T, cap: number): (name: string) => T {
  const known: Record<string, T> = Object.create(null);
  let count = 0;
  const miss = (name: string): T => {
    const out = decide(name);
    if (count < cap && name.length <= CACHED_CHARS) {
      count++;
      known[name] = out;
    }
    return out;
  };
  return (name) => {
    const out = known[name];
    return out !== undefined ? out : miss(name);
  };
}

const kindOf = nameCache(decideKind, 4096);

function decideKind(prop: string): number {
  let kind: number;
  const lower = prop.toLowerCase();
  if (lower.startsWith("on")) kind = prop.length > 2 ? EVENT : DROP;
  else if (prop === "class" || prop === "className") kind = CLASS;
  else if (prop === "style") kind = STYLE;
  else if (prop === "htmlFor") kind = FOR;
  else if (SVG_NAMES.has(prop)) kind = SVG_NAME;
  else if (lower === "http-equiv" || lower === "httpequiv") kind = REFUSE;
  else if (lower === "attributename") kind = ANIMATES;
  // Checked against what they would hide in the DOM (shadowing.ts).
  else if (lower === "name") kind = NAME;
  else if (lower === "id") kind = ID;
  else if (lower === "rel") kind = REL;
  else if (DROPPED.has(lower) || lower.startsWith(ID_ATTR)) kind = DROP;
  // A URL attribute is unsafe for some values only; anything else is decided by its name.
  else kind = isUnsafeAttr(prop, "") ? DROP : isUnsafeAttr(prop, "javascript:") ? URL : OTHER_URLS.has(lower) || URL_LISTS.has(lower) ? OTHER_URL : PLAIN;
  const attribute = kind === PLAIN || kind === URL || kind === OTHER_URL || kind === ANIMATES || kind >= NAME;
  return attribute && canonicalName(prop) !== prop ? kind + RENAMED : kind;
}

function refuse(tag: string, prop: string, value: unknown): never {
  throw new RenderError(
    `<${tag} ${prop}=${JSON.stringify(String(value)).slice(0, 40)}>: http-equiv cannot be rendered: <meta http-equiv="refresh"> sends the page elsewhere. ` +
      `Set response headers on the server instead (srv.koa), and use "static head" on the App class for <meta name=…> tags.`,
  );
}

function attrText(tag: string, prop: string, value: unknown): string {
  switch (typeof value) {
    case "string":
      return value;
    case "number":
    case "bigint":
      return String(value);
    case "boolean":
      return ""; // only `true` gets here
    default:
      throw new RenderError(
        `<${tag} ${prop}> got a ${typeof value}; attributes take strings, numbers or booleans. ` +
          (typeof value === "function" ? `Event handlers go in on* props (e.g. onClick).` : `Convert it to a string (e.g. JSON.stringify) first.`),
      );
  }
}

/**
 * `"a b"`, `["a", cond && "b"]` and `{ a: true, b: false }` all work, like the
 * `clsx` package. The parts are joined by {@link joinClass}, so the same
 * classes give the very same string from one render to the next.
 */
function classText(value: unknown): string {
  if (typeof value === "string") return value;
  if (typeof value === "number") return String(value);
  let out = "";
  if (Array.isArray(value)) {
    for (let i = 0; i < value.length; i++) {
      const part = classText(value[i]);
      if (part !== "") out = out === "" ? part : joinClass(out, part);
    }
  } else if (typeof value === "object" && value !== null) {
    const on = value as Record<string, unknown>;
    // for…in allocates no list of keys; it equals Object.keys when nothing on the prototype chain is enumerable.
    if (isPlainObject(value)) {
      for (const k in on) if (on[k]) out = out === "" ? k : joinClass(out, k);
    } else {
      for (const k of Object.keys(on)) if (on[k]) out = out === "" ? k : joinClass(out, k);
    }
  }
  return out;
}

function isPlainObject(value: object): boolean {
  const proto = Object.getPrototypeOf(value);
  return proto === Object.prototype || proto === null;
}

/*
 * `prefix + " " + part`, remembered: an element whose classes toggle
 * (`{ item: true, active: on }`) gets a new object every render. Joined
 * through this table, the same classes give the same string object, which
 * compares at once, and building it is two map lookups per part instead of an
 * allocation: 8 % of the diff bench's class churn (2,000 elements, four
 * classes each: 1.14 → 1.05 ms). Class names come from code, so the table
 * stays small; JOIN_CAP and CACHED_CHARS bound it when they come from data.
 */
const joins = new Map<string, Map<string, string>>();
let joinCount = 0;
const JOIN_CAP = 4096;

function joinClass(prefix: string, part: string): string {
  if (prefix.length + part.length >= CACHED_CHARS) return prefix + " " + part;
  let next = joins.get(prefix);
  if (next === undefined) {
    if (joinCount >= JOIN_CAP) return prefix + " " + part;
    joins.set(prefix, (next = new Map()));
  }
  let text = next.get(part);
  if (text === undefined) {
    text = prefix + " " + part;
    if (joinCount < JOIN_CAP) {
      joinCount++;
      next.set(part, text);
    }
  }
  return text;
}

/**
 * `{ fontSize: "12px", "--gap": 4 }` → `font-size:12px;--gap:4`. Numbers get no unit: write `"12px"`.
 * Names are rewritten once each (see cssName) and values scanned before any
 * replace: with a regular expression per name and per value on every render,
 * re-rendering 2,000 elements with a two-property style took twice as long.
 */
function styleText(style: Record<string, unknown>): string {
  let out = "", values: StyleValues | undefined = [];
  for (const k in style) {
    const v = style[k];
    const name = cssName(k);
    if (v === null || v === undefined || v === false || v === "" || name === "") continue;
    if (values !== undefined && (typeof v === "string" || typeof v === "number")) values.push(k, v);
    else values = undefined; // another value's text could change while it stays the same object
    let text = typeof v === "string" ? v : String(v);
    // A `;`, `{` or `}` in a value would start another declaration or rule. Tested first: most values have none.
    if (CSS_BREAK.test(text)) text = text.replace(CSS_BREAKS, "");
    out += (out === "" ? "" : ";") + name + ":" + text;
  }
  styleValues = values;
  return out;
}

/**
 * What a `style` object was lowered from, `[key, value, …]` as written (strings and numbers
 * only), kept on its element's attribute list (see {@link StyledList}): the next render's
 * object is compared with it value by value, as snabbdom's style module compares two objects,
 * instead of having its text built and compared: 1,000 elements with a three-property style,
 * a third changing, cost 3.9× snabbdom built and compared (`npm run bench diff style`).
 * The values are the list's own, not the old object, which the app may have changed since.
 */
type StyleValues = (string | number)[];

/** An attribute list whose `style` attribute was lowered from an object of strings and numbers. */
type StyledList = AttrList & { style?: StyleValues };

/** The values {@link styleText} last wrote, or undefined when one was neither a string nor a number. */
let styleValues: StyleValues | undefined;

/** True when `style` writes the declarations `values` were written from, in their order: then its text is theirs. */
function sameStyle(style: Record<string, unknown>, values: StyleValues): boolean {
  let j = 0;
  for (const k in style) {
    const v = style[k];
    if (v === null || v === undefined || v === false || v === "") continue;
    if (values[j] !== k || values[j + 1] !== v) return false;
    j += 2;
  }
  return j === values.length;
}

/** `pairs`' first `n` attributes as a new list, with the values of its style object if it has one. */
function listOf(n: number, style: StyleValues | undefined): AttrList {
  const list: StyledList = pairs.slice(0, 2 * n);
  if (style !== undefined) list.style = style;
  return list;
}

const CSS_BREAK = /[;{}]/, CSS_BREAKS = /[;{}]/g;

/**
 * `fontSize` → `font-size` (custom properties, `--gap`, as written), decided
 * once per name; "" for a name that is not a property's (`"color:red;top"`, a
 * key taken from data, would write declarations of its own): its declaration
 * is left out.
 */
const cssName = nameCache((k) => (!CSS_PROPERTY.test(k) ? "" : k.startsWith("--") ? k : k.replace(/[A-Z]/g, (m) => "-" + m.toLowerCase())), 1024);
const CSS_PROPERTY = /^(?:--[\w-]+|-?[A-Za-z][\w-]*)$/;

/**
 * Lowers all props of an element to its attribute record.
 *
 * @example
 * lowerProps("a", { href: "/x", className: "link", key: 1 }, noBinder) // { href: "/x", class: "link" }
 */
export function lowerProps(tag: string, props: Readonly<Record<string, unknown>>, bind: Binder): Record<string, string> {
  const attrs = lowerAttrs(tag, props, bind);
  return isList(attrs) ? attrRecord(attrs) : attrs;
}

/**
 * Lowers all props of an element as a lowered tree keeps them (`ElementVNode.lowAttrs`):
 * the record {@link lowerProps} would give when that is the props object itself
 * (or the empty one), else an attribute list (see {@link AttrList}), which is
 * cheaper to build than a record and which the next diff compares by position.
 *
 * @example
 * lowerAttrs("a", { href: "/x" }, noBinder)                       // the props object itself
 * lowerAttrs("a", { href: "/x", className: "link", key: 1 }, noBinder) // ["href", "/x", "class", "link"]
 */
export function lowerAttrs(tag: string, props: Readonly<Record<string, unknown>>, bind: Binder): LoweredAttrs {
  const same = asAttrs(tag, props);
  if (same !== undefined) return same;
  let n = 0, renamed = false, style: StyleValues | undefined;
  for (const prop in props) {
    const v = props[prop];
    if (!lowerProp(tag, prop, v, bind)) continue;
    if (lowered.name !== prop) renamed = true;
    else if (prop === "style" && typeof v === "object") style = styleValues;
    pairs[2 * n] = lowered.name;
    pairs[2 * n++ + 1] = lowered.value;
  }
  if (renamed) n = dedupe(n);
  return n === 0 ? EMPTY_ATTRS : listOf(n, style);
}

/**
 * `props` as its own attribute record when every prop is a string attribute
 * under its own name (the usual case: no copy, the tree keeps what h() was
 * given), the shared empty record when there are none, else undefined.
 */
function asAttrs(tag: string, props: Readonly<Record<string, unknown>>): Record<string, string> | undefined {
  let n = 0, key = false;
  for (const prop in props) {
    if (prop === "key") {
      key = true; // never an attribute: a keyed row's props are often nothing else
      continue;
    }
    const v = props[prop];
    if (typeof v !== "string" || !keepsName(tag, prop, v)) return undefined;
    n++;
  }
  return n === 0 ? EMPTY_ATTRS : key ? undefined : (props as Record<string, string>);
}

/** True when lowering the string prop `prop` gives the attribute `prop` with the same value. */
function keepsName(tag: string, prop: string, value: string): boolean {
  if (prop === "class") return value !== ""; // the usual prop, decided without the kind lookup
  const kind = kindOf(prop);
  return kind === PLAIN || kind === STYLE || (kind === CLASS && prop === "class" && value !== "") || (kind === URL && !isUnsafeAttr(prop, value)) || (kind === OTHER_URL && !otherUrlRefused(prop, value)) ||
    (kind >= NAME && kind < RENAMED && !refusedName(tag, kind, value));
}

/**
 * An element's lowered attributes as lowering and the diff keep them, unless
 * its props are all string attributes (then the props object itself, see
 * {@link lowerAttrs}): `[name, value, name, value, …]` in prop order, one
 * array filled in order, where a record cost a store by name per attribute
 * (18 % of the time of the churn workload, 2,000 elements nearly all
 * changing, went to building those records). Read as a record through
 * `ElementNode.attrs` (see {@link attrRecord}).
 */
export type AttrList = readonly string[];

/** Either form of an element's lowered attributes (see {@link AttrList}). */
export type LoweredAttrs = Readonly<Record<string, string>> | AttrList;

/**
 * The record of an attribute list (see {@link AttrList}), built when something
 * reads the attributes by name: a snapshot, `pack()`, {@link lowerProps}.
 *
 * @example
 * attrRecord(["class", "a", "title", "t"]) // { class: "a", title: "t" }
 */
export function attrRecord(list: AttrList): Record<string, string> {
  if (list.length === 0) return EMPTY_ATTRS;
  const out: Record<string, string> = {};
  for (let i = 0; i < list.length; i += 2) setOwn(out, list[i]!, list[i + 1]!);
  return out;
}

/** `record[name] = value`, but as an own property for `__proto__` too (which an assignment would take as the prototype, dropping the attribute). */
function setOwn(record: Record<string, string>, name: string, value: string): void {
  if (name === "__proto__") Object.defineProperty(record, name, { value, enumerable: true, writable: true, configurable: true });
  else record[name] = value;
}

/** The `set` and `remove` of an attrs op that has none: shared (nothing writes to an op once it is made). */
const NO_SET: Record<string, string> = Object.freeze({}) as Record<string, string>;
const NO_REMOVE: string[] = Object.freeze([]) as unknown as string[];

/**
 * What {@link updateAttrs} found changed, as an `attrs` op carries it
 * (ARCHITECTURE §5, docs/protocol.md): the attributes set, by name, and the
 * names removed. Set when something changed.
 */
export const attrChanges: { set: Record<string, string>; remove: string[] } = { set: NO_SET, remove: NO_REMOVE };

/*
 * Scratch lists reused for every element, so that comparing allocates nothing
 * (and a change, two lists of the right length):
 * `pairs`, the element's new attributes `[name, value, …]` in prop order
 * (lowering each prop once serves both the comparison and, when something
 * changed, the new list: one copy of its start); `was`, an old record read
 * into a list (see updateRecord).
 */
const pairs: string[] = [], was: string[] = [];
/** The changes found, `[name, value or null, …]`, made into the op's `set` and `remove` once complete (see {@link attrChanges}). */
const changes: (string | null)[] = [];

/** True when `name` is among the first `n` names of `pairs`. */
function named(name: string, n: number): boolean {
  for (let k = 0; k < 2 * n; k += 2) if (pairs[k] === name) return true;
  return false;
}

/** The value of `name` among the first `end` entries of `prev`, a list, or undefined. */
function valueIn(prev: AttrList, end: number, name: string): string | undefined {
  for (let j = 0; j < end; j += 2) if (prev[j] === name) return prev[j + 1];
  return undefined;
}

/**
 * Lowers `props` (as {@link lowerProps} does) and compares the result with
 * `prev`, what lowering or the last diff left (a record or a list, see
 * {@link AttrList}). Returns `prev` itself when they are the same attributes,
 * checked without allocating (the diff asks this for every element on every
 * render); else the new list, with what changed in {@link attrChanges}.
 *
 * The old attributes are compared by position first: the props of one `h()`
 * call come in the same order every render, so the old attribute of a prop is
 * usually the next one, found without a lookup by name (a keyed load from
 * another object: a third of the time of the churn workload when it was one
 * per prop). And the fast path needs no rule lookup: every attribute name
 * lowering writes, except the `data-rv-on-*` names of event bindings, lowers
 * to itself when written as a prop with the same string value (the rules are
 * per name, and that value already passed them). So a string prop equal to the
 * old attribute of its own name is unchanged, unless it tries to forge a binding.
 *
 * @example
 * updateAttrs({ class: "a" }, { class: "a", title: "t" }, "p", noBinder) // ["class", "a", "title", "t"]; attrChanges.set = { title: "t" }
 */
export function updateAttrs(prev: LoweredAttrs, props: Readonly<Record<string, unknown>>, tag: string, bind: Binder): LoweredAttrs {
  return isList(prev) ? updateList(prev, props, tag, bind) : sameStrings(prev, props) ? prev : updateRecord(prev, props, tag, bind);
}

/** True for an attribute list, false for a record (see {@link AttrList}). */
export const isList = Array.isArray as (a: LoweredAttrs) => a is AttrList;

/** {@link updateAttrs} against a list (an element as the last diff left it). */
export function updateList(prev: AttrList, props: Readonly<Record<string, unknown>>, tag: string, bind: Binder): LoweredAttrs {
  const n = compare(prev, prev.length, props, tag, bind);
  return n < 0 ? prev : n === 0 ? EMPTY_ATTRS : listOf(n, comparedStyle);
}

/**
 * {@link updateAttrs} against a record (an element as lowering left it) that
 * {@link sameStrings} found changed, read into a list first: a for-in over the
 * record reading its own values takes V8's fast path, and the comparison is
 * then by position as for a list.
 */
export function updateRecord(prev: Readonly<Record<string, string>>, props: Readonly<Record<string, unknown>>, tag: string, bind: Binder): LoweredAttrs {
  let end = 0;
  for (const k in prev) {
    was[end++] = k;
    was[end++] = prev[k]!;
  }
  const n = compare(was, end, props, tag, bind);
  return n < 0 ? prev : n === 0 ? EMPTY_ATTRS : listOf(n, comparedStyle);
}

/**
 * True when `props` are string attributes under their own names equal to
 * `prev`'s, all of them (and a key): the usual case of a record, which
 * lowering keeps only for such props (the props object itself, see
 * {@link lowerAttrs}), answered by name (the records of one `h()` call share a
 * shape, so these loads stay fast) without reading the record into a list.
 */
export function sameStrings(prev: Readonly<Record<string, string>>, props: Readonly<Record<string, unknown>>): boolean {
  let n = 0;
  for (const p in props) {
    const v = props[p];
    // `class`, the usual one, read by its name: a named load, cheaper than one by a name held in a variable.
    if (typeof v === "string" && (p === "class" ? prev.class : prev[p]) === v && !(p.charCodeAt(0) === 100 /* d */ && p.startsWith(ID_ATTR))) n++;
    else if (p !== "key") return false;
  }
  for (const _ in prev) n--;
  return n === 0;
}

/** The values of the style object {@link compare} last met (see {@link StyleValues}), for the list it makes. */
let comparedStyle: StyleValues | undefined;

/**
 * Compares `props`, lowered into `pairs`, with the first `end` entries of
 * `prev` (a list). Returns -1 when the attributes are the same, else how many
 * there are now, with the changes in {@link attrChanges}.
 */
function compare(prev: AttrList, end: number, props: Readonly<Record<string, unknown>>, tag: string, bind: Binder): number {
  // `at`: where in `prev` the next prop's old attribute is looked for first;
  // `found`: how many new attributes had an old one (all of `prev`'s: none was removed);
  // `renamed`: some prop lowered to another name (className → class), so two props may share one.
  let n = 0, at = 0, found = 0, renamed = false;
  let c = 0;
  comparedStyle = undefined;
  for (const p in props) {
    const v = props[p];
    if (p === "style" && at < end && prev[at] === "style" && typeof v === "object" && v !== null) {
      const values = (prev as StyledList).style;
      if (values !== undefined && sameStyle(v as Record<string, unknown>, values)) {
        pairs[2 * n] = p;
        pairs[2 * n++ + 1] = prev[at + 1]!;
        at += 2;
        found++;
        comparedStyle = values;
        continue;
      }
    }
    if (typeof v === "string" && at < end && prev[at] === p && prev[at + 1] === v && !(p.charCodeAt(0) === 100 /* d */ && p.startsWith(ID_ATTR))) {
      pairs[2 * n] = p;
      pairs[2 * n++ + 1] = v;
      at += 2;
      found++;
      continue;
    }
    if (p === "key" || !lowerProp(tag, p, v, bind)) continue;
    const name = lowered.name, value = lowered.value;
    if (p === "style" && typeof v === "object") comparedStyle = styleValues;
    let old: string | undefined;
    if (at < end && prev[at] === name) {
      old = prev[at + 1];
      at += 2;
    } else if (at + 2 < end && prev[at + 2] === name) {
      // The attribute before it is gone (or comes later): the props after it are still found in place.
      old = prev[at + 3];
      at += 4;
    } else old = valueIn(prev, end, name);
    if (old !== undefined) found++;
    if (name !== p) renamed = true;
    pairs[2 * n] = name;
    pairs[2 * n++ + 1] = value;
    if (old !== value) {
      changes[c++] = name;
      changes[c++] = value;
    }
  }
  // Names are unique in `prev` and, but for two props naming one attribute, among the new ones:
  // each old attribute is found at most once.
  if (renamed && n !== (n = dedupe(n))) c = recompare(prev, end, n);
  else if (2 * found !== end) c = removed(prev, end, n, c);
  if (c === 0) return -1;
  takeChanges(c);
  return n;
}

/**
 * Compares two sets of attributes lowered already (a copy of a node `unpack()`
 * rebuilt carries its own, see vnode.ts `UNPACKED`): returns `prev` when they
 * are the same, else `next`, with what changed in {@link attrChanges}.
 */
export function updateLowered(prev: LoweredAttrs, next: LoweredAttrs): LoweredAttrs {
  const a = Array.isArray(prev) ? attrRecord(prev as AttrList) : (prev as Record<string, string>);
  const b = Array.isArray(next) ? attrRecord(next as AttrList) : (next as Record<string, string>);
  let c = 0;
  for (const name in b) {
    if (!Object.hasOwn(a, name) || a[name] !== b[name]) {
      changes[c++] = name;
      changes[c++] = b[name]!;
    }
  }
  for (const name in a) {
    if (!Object.hasOwn(b, name)) {
      changes[c++] = name;
      changes[c++] = null;
    }
  }
  if (c === 0) return prev;
  takeChanges(c);
  return next;
}

/** The first `c` entries of `changes` (`[name, value or null, …]`, names unique) into {@link attrChanges}. */
function takeChanges(c: number): void {
  let set = NO_SET, remove = NO_REMOVE;
  for (let k = 0; k < c; k += 2) {
    const name = changes[k]!, value = changes[k + 1];
    if (value === null) {
      if (remove === NO_REMOVE) remove = [];
      remove.push(name);
    } else {
      if (set === NO_SET) set = {};
      setOwn(set, name, value);
    }
  }
  attrChanges.set = set;
  attrChanges.remove = remove;
}

/**
 * Merges the attributes of `pairs` that two props lowered to (`class` and
 * `className`), as a record would: the first one's place, the last one's
 * value. Returns how many attributes are left.
 */
function dedupe(n: number): number {
  let m = 0;
  for (let k = 0; k < 2 * n; k += 2) {
    const name = pairs[k]!;
    let j = 0;
    while (j < 2 * m && pairs[j] !== name) j += 2;
    if (j < 2 * m) pairs[j + 1] = pairs[k + 1]!;
    else {
      pairs[2 * m] = name;
      pairs[2 * m++ + 1] = pairs[k + 1]!;
    }
  }
  return m;
}

/**
 * Writes to `changes` the changes from the first `end` entries of `prev` to
 * the first `n` attributes of `pairs`, name by name, and returns their length: when two props lowered to one name,
 * the changes found prop by prop may name a value a later prop replaced, or
 * a name twice.
 */
function recompare(prev: AttrList, end: number, n: number): number {
  let c = 0;
  for (let k = 0; k < 2 * n; k += 2) {
    const name = pairs[k]!;
    if (valueIn(prev, end, name) === pairs[k + 1]) continue;
    changes[c++] = name;
    changes[c++] = pairs[k + 1]!;
  }
  return removed(prev, end, n, c);
}

/** Writes to `changes` from `c` on the names of `prev`'s first `end` entries that none of `pairs`' first `n` has; returns the new length. */
function removed(prev: AttrList, end: number, n: number, c: number): number {
  for (let j = 0; j < end; j += 2) {
    if (named(prev[j]!, n)) continue;
    changes[c++] = prev[j]!;
    changes[c++] = null;
  }
  return c;
}
