import { defineConfig, type Plugin } from "vitest/config";
import { fileURLToPath } from "node:url";
import { transform } from "esbuild";

const src = (p: string) => fileURLToPath(new URL(p, import.meta.url));

const alias = {
  "revue/testing": src("./src/testing/index.ts"),
  "revue/jsx-runtime": src("./src/jsx-runtime.ts"),
  "revue/jsx-dev-runtime": src("./src/jsx-runtime.ts"),
  revue: src("./src/index.ts"),
};

/**
 * Vite 8's Oxc transformer does not compile TC39 standard decorators, so the
 * standard-mode project compiles its own test files with esbuild first
 * (experimentalDecorators off). Framework sources stay on the default path:
 * they contain no decorators.
 */
function standardDecorators(): Plugin {
  return {
    name: "revue:tc39-decorators",
    enforce: "pre",
    async transform(code, id) {
      if (!/\/test\/standard\/.*\.tsx?$/.test(id)) return null;
      const out = await transform(code, {
        loader: id.endsWith("x") ? "tsx" : "ts",
        target: "es2022",
        sourcemap: true,
        sourcefile: id,
        tsconfigRaw: { compilerOptions: { experimentalDecorators: false, useDefineForClassFields: true } },
      });
      return { code: out.code, map: out.map };
    },
  };
}

/** Test files that load the machine (a child process flooding a server, a long run measuring the heap, a build and an npm install). */
const HEAVY = ["test/server/load.test.ts", "test/server/leak.test.ts", "test/cli/pack.test.ts"];

export default defineConfig({
  resolve: { alias },
  test: {
    projects: [
      {
        resolve: { alias },
        test: {
          name: "legacy",
          // Integration tests wait on real sockets; a loaded 2-core CI machine needs headroom.
          testTimeout: 15_000,
          include: ["test/**/*.test.ts", "test/**/*.test.tsx"],
          exclude: ["test/standard/**", "test/e2e/**", "node_modules/**", ...HEAVY],
        },
      },
      {
        resolve: { alias },
        plugins: [standardDecorators()],
        test: { name: "standard", include: ["test/standard/**/*.test.ts"] },
      },
      {
        resolve: { alias },
        test: { name: "e2e", include: ["test/e2e/**/*.test.ts"], testTimeout: 60_000, hookTimeout: 60_000, fileParallelism: false, sequence: { groupOrder: 1 } },
      },
      {
        resolve: { alias },
        // Load and long-run tests take both cores: alone, after everything else, so that they neither slow nor flake the others.
        test: { name: "heavy", include: HEAVY, testTimeout: 300_000, fileParallelism: false, sequence: { groupOrder: 2 } },
      },
    ],
  },
});
