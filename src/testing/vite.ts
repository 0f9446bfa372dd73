/**
 * `revue/testing/vite`: the one line a project with TC39 standard decorators
 * (no `experimentalDecorators` in its tsconfig) adds to its vitest config.
 * Vite 8 compiles TypeScript with Oxc, which does not lower standard
 * decorators; this plugin compiles the files that use them with esbuild
 * first (an optional peer dependency of Revue: `npm install -D esbuild`).
 *
 * @example
 * // vitest.config.ts
 * import { defineConfig } from "vitest/config";
 * import { tc39Decorators } from "revue/testing/vite";
 * export default defineConfig({ plugins: [tc39Decorators()] });
 */

/** Options of {@link tc39Decorators}. */
export interface Tc39DecoratorsOptions {
  /** Which files to compile. Default: `.ts`, `.tsx`, `.mts` and `.cts` files outside node_modules. */
  include?: RegExp;
  /** Where `.tsx` files import JSX from. Default: "revue" (its `revue/jsx-runtime`). */
  jsxImportSource?: string;
}

/** The part of a Vite plugin this one uses (kept structural: Revue does not depend on Vite). */
export interface TransformPlugin {
  name: string;
  enforce: "pre";
  transform(code: string, id: string): Promise<{ code: string; map: string } | null>;
}

const TYPESCRIPT = /\.[cm]?tsx?$/;

/**
 * A Vite/Vitest plugin that compiles TC39 standard decorators with esbuild,
 * before Vite's own TypeScript transform. Files without an `@` are left to Vite.
 *
 * @example
 * export default defineConfig({ plugins: [tc39Decorators()] });
 */
export function tc39Decorators(options: Tc39DecoratorsOptions = {}): TransformPlugin {
  const include = options.include ?? TYPESCRIPT;
  let esbuild: Promise<typeof import("esbuild")> | undefined;
  return {
    name: "revue:tc39-decorators",
    enforce: "pre",
    async transform(code, id) {
      const file = id.split("?")[0]!;
      if (!TYPESCRIPT.test(file) || file.endsWith(".d.ts") || /[\\/]node_modules[\\/]/.test(file) || !include.test(file) || !code.includes("@")) return null;
      esbuild ??= import("esbuild").catch(() => {
        throw new Error(`revue/testing/vite compiles TC39 decorators with esbuild, which is not installed. Install it: npm install --save-dev esbuild`);
      });
      const { transform } = await esbuild;
      const out = await transform(code, {
        loader: file.endsWith("x") ? "tsx" : "ts",
        target: "es2022",
        sourcemap: true,
        sourcefile: file,
        tsconfigRaw: {
          compilerOptions: {
            experimentalDecorators: false,
            useDefineForClassFields: true,
            jsx: "react-jsx",
            jsxImportSource: options.jsxImportSource ?? "revue",
          },
        },
      });
      return { code: out.code, map: out.map };
    },
  };
}
