import { RenderError } from "../errors.js";
import { TEXT_ONLY_TAGS, isUnsafeTag } from "./types.js";

/*
 * The server's side of the tag rules (the browser's is `isUnsafeTag` alone,
 * in types.ts). `h()` and lowering look at every element they build, so these
 * checks start with a test on a tag's length and letters that almost every tag
 * fails at once; only the few that pass it meet a regular expression.
 */

/**
 * True when the server refuses `tag` by name: `script`, `base`, `object` or
 * `embed`, in any case (`isUnsafeTag`, the rule the browser applies too),
 * `plaintext`, after which the parser reads the rest of the page, the
 * runtime's script included, as text, and the obsolete `xmp`, `noembed` and
 * `noframes` (see RAW_OBSOLETE). A tag of 4 to 6 characters starting and
 * ending as one of the four does (`s…t`, `o…t`, `b…e`, `e…d`) is checked with
 * the full rule; other tags cannot be one of them.
 *
 * @example
 * isRefusedTag("Script") // true
 * isRefusedTag("select") // false
 */
export function isRefusedTag(tag: string): boolean {
  const n = tag.length;
  if (n === 9) return tag.toLowerCase() === "plaintext";
  if (n === 3 || n === 7 || n === 8) return RAW_OBSOLETE.test(tag);
  if (!(n >= 4 && n <= 6)) return false; // also for a tag that is not a string: lowering says what is wrong with it
  const a = tag.charCodeAt(0) | 32, z = tag.charCodeAt(n - 1) | 32; // ASCII letters to lower case
  return ((z === 116 && (a === 115 || a === 111)) || (a === 98 && z === 101) || (a === 101 && z === 100)) && isUnsafeTag(tag);
}

/** Obsolete elements whose content the parser reads as raw text, as it does a `<style>`'s: a first page and its patches would disagree on what they hold. */
const RAW_OBSOLETE = /^(?:xmp|noembed|noframes)$/i;

/**
 * Throws the error for a refused tag (see {@link isRefusedTag}), naming where
 * it was met and what to do instead.
 */
export function refuseTag(tag: string, where: string): never {
  const name = tag.toLowerCase();
  throw new RenderError(
    `${where}: <${name}> elements cannot be rendered (tag ${JSON.stringify(tag)}): ` +
      (name === "script"
        ? `a script in the page would run. Put browser code in @client methods. `
        : name === "plaintext"
          ? `it turns the rest of the page into text. Use <pre> instead. `
          : RAW_OBSOLETE.test(name)
            ? `an obsolete element whose content the browser reads as raw text. Use <pre> (or no wrapper) instead. `
            : `<base>, <object> and <embed> load or redirect what the page shows. `) +
      `If the tag name comes from data, check it against a list of the tags you allow.`,
  );
}

/**
 * True for textarea, title, style, iframe and noscript, in any case: elements
 * whose content the HTML parser reads as text (RCDATA, or RAWTEXT), which hold
 * one text and no markers (see TEXT_ONLY_TAGS). Checked by length first.
 *
 * @example
 * isTextOnly("STYLE") // true
 */
export function isTextOnly(tag: string): boolean {
  const n = tag.length;
  return (n === 5 || n === 6 || n === 8) && (TEXT_ONLY_TAGS.has(tag) || TEXT_ONLY_TAGS.has(tag.toLowerCase()));
}
