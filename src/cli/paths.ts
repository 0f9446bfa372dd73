import { existsSync } from "node:fs";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";

/**
 * Where the revue package lives and how it runs: from a source checkout
 * (`src/cli/*.ts`, run through tsx) or installed (`dist/src/cli/*.js`).
 */

const here = dirname(fileURLToPath(import.meta.url));

/** The package root: the folder holding package.json, bin/ and templates/. */
export const packageRoot = here.replace(/[\\/](?:dist[\\/])?src[\\/]cli$/, "");

/** True in a source checkout, where the CLI runs its TypeScript sources. */
export const fromSource = existsSync(join(packageRoot, "src/cli/serve.ts"));

/** A sibling module of the CLI (`serve` → `src/cli/serve.ts` or `dist/src/cli/serve.js`). */
export function cliModule(name: string): string {
  return join(here, `${name}${fromSource ? ".ts" : ".js"}`);
}
