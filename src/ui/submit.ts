import { RevueError, UsageError } from "../errors.js";
import type { MethodEntry } from "../registry/entries.js";
import { validateArgs, type ArgIssue } from "../registry/schema.js";
import { getSpec } from "../registry/spec.js";
import { admitCall, shownRefusal, type App } from "../app.js";

/**
 * What the kit's submitting components (form, chatInput, fileUpload) share:
 * the app method they hand their values to, and its schema check.
 */

/**
 * The entry of `fn` if it is one of the app's `@server.rpc` or
 * `@server.realtime` methods; otherwise a UsageError, thrown where the
 * component is drawn: "`param` must be one of App's … methods (`example`),
 * taking `takes`; got …".
 *
 * @example
 * const entry = serverMethod(this, this.save, "Shop: form(this, \"order\")", "onSubmit", "this.save", "the values object");
 */
export function serverMethod(app: object, fn: unknown, where: string, param: string, example: string, takes: string): MethodEntry {
  const appName = app.constructor?.name ?? "App";
  const entry = typeof fn === "function" ? getSpec(app.constructor).entryOf(fn) : undefined;
  if (!entry || (entry.kind !== "rpc" && entry.kind !== "realtime")) {
    const got = typeof fn === "function" ? fn.name || "an inline function" : typeof fn;
    throw new UsageError(`${where}: ${param} must be one of ${appName}'s @server.realtime or @server.rpc methods (${example}), taking ${takes}; got ${got}.`);
  }
  return entry;
}

/** The method's arguments as its Standard Schemas output them, or the issues that refuse them (any other error is thrown). */
export function checkedArgs(appName: string, entry: MethodEntry, args: unknown[]): { args: unknown[] } | { issues: ArgIssue[] } {
  if (!entry.options.schemas) return { args };
  try {
    return { args: validateArgs(`${appName}.${entry.method}`, entry.options.schemas, args, false) };
  } catch (err) {
    const issues = (err as RevueError).issues as ArgIssue[] | undefined;
    if (!issues) throw err;
    return { issues };
  }
}

/**
 * What the visitor is told when a call of `entry` from the page would be
 * refused (401 UNAUTHORIZED, 403 FORBIDDEN) by its `auth`, else undefined:
 * plain words, and in development the rule that refused it too. A
 * component's method runs through the component's field binding, not through
 * a call of its own, so its rule is checked here, before the method runs, as
 * the call would check it.
 *
 * @example
 * const refused = refusal(this, entry, "Shop: form(this, \"order\")");
 * if (refused) return { ...cur, status: "failed", message: refused };
 */
export function refusal(app: object, entry: MethodEntry, where: string): string | undefined {
  if (entry.options.auth === undefined) return undefined;
  try {
    admitCall(app as App, entry, where);
    return undefined;
  } catch (err) {
    if (!(err instanceof RevueError)) throw err;
    return shownRefusal(app as App, err);
  }
}
