import type { StandardSchemaV1 } from "@standard-schema/spec";
import { RevueError, UsageError } from "../errors.js";

/**
 * Call arguments checked against Standard Schema validators (zod, valibot,
 * arktype, …: anything with a `~standard` property), one per positional
 * argument, before the call is queued. A failure is `400 INVALID_ARGS` with
 * every issue and its path (`[argument index, ...path in it]`), so a page
 * can show each next to its field.
 */

/** Any Standard Schema validator. */
export type Schema = StandardSchemaV1;

/** One thing wrong with a call's arguments: where (argument index first) and what. */
export interface ArgIssue {
  path: Array<string | number>;
  message: string;
}

/** The output types of a list of schemas: what the method's parameters receive. */
export type SchemaOutputs<S extends readonly Schema[]> = { -readonly [K in keyof S]: StandardSchemaV1.InferOutput<S[K]> };

/** Whether `x` is a Standard Schema validator (an object or, as arktype's, a function). */
export function isSchema(x: unknown): x is Schema {
  return (typeof x === "object" || typeof x === "function") && x !== null && typeof (x as { "~standard"?: { validate?: unknown } })["~standard"]?.validate === "function";
}

/**
 * The call's arguments as the schemas output them (a schema may coerce or
 * default), or an `INVALID_ARGS` error naming every issue. Arguments past the
 * schemas are kept as they are when `extra` (a realtime call bound to an
 * element gets the event's summary last), else refused.
 *
 * @example
 * validateArgs("Shop.buy", [z.string(), z.number().int().positive()], ["apple", 0], false)
 * // throws INVALID_ARGS: Shop.buy: argument 2: Too small: expected number to be >0
 */
export function validateArgs(where: string, schemas: readonly Schema[], args: readonly unknown[], extra: boolean): unknown[] {
  if (!extra && args.length > schemas.length) {
    throw invalid(where, [{ path: [schemas.length], message: `${args.length} arguments were sent; ${where} takes ${schemas.length}.` }]);
  }
  const out = [...args];
  const issues: ArgIssue[] = [];
  schemas.forEach((schema, i) => {
    const result = schema["~standard"].validate(args[i]);
    if (result instanceof Promise) {
      throw new UsageError(`${where}: the schema of argument ${i + 1} validates asynchronously; Revue checks call arguments before the call is queued, so it needs a synchronous schema (move async checks into the method).`);
    }
    if (result.issues) {
      // Array.from, not .map: a library's path may be an Array subclass whose map builds its own kind.
      for (const issue of result.issues) issues.push({ path: [i, ...Array.from(issue.path ?? [], (p) => (typeof p === "object" ? keyOf(p.key) : keyOf(p)))], message: issue.message });
    } else out[i] = result.value;
  });
  if (issues.length) throw invalid(where, issues);
  return out;
}

/** The most issues an answer lists: an array of 100,000 bad items would otherwise answer with as many. */
const MAX_ISSUES = 100;

const keyOf = (k: PropertyKey): string | number => (typeof k === "number" ? k : String(k));

function invalid(where: string, issues: ArgIssue[]): RevueError {
  const first = issues[0]!;
  const at = `argument ${Number(first.path[0]) + 1}${first.path.length > 1 ? ` (${first.path.slice(1).join(".")})` : ""}`;
  const more = issues.length > 1 ? ` (and ${issues.length - 1} more issue${issues.length > 2 ? "s" : ""}${issues.length > MAX_ISSUES ? `; the first ${MAX_ISSUES} are listed` : ""})` : "";
  return new RevueError("INVALID_ARGS", `${where}: ${at}: ${first.message}${more}`, { issues: issues.slice(0, MAX_ISSUES) });
}
