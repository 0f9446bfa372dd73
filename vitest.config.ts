import { defineConfig } from "vitest/config";
import { fileURLToPath } from "node:url";
import { tc39Decorators } from "./src/testing/vite.js";

const src = (p: string) => fileURLToPath(new URL(p, import.meta.url));

const alias = {
  "revue/internals": src("./src/internals.ts"),
  "revue/compat": src("./src/compat.ts"),
  "revue/testing/vite": src("./src/testing/vite.ts"),
  "revue/testing": src("./src/testing/index.ts"),
  "revue/redis": src("./src/redis/index.ts"),
  "revue/ui": src("./src/ui/index.ts"),
  "revue/runtime": src("./client/index.ts"),
  "revue/jsx-runtime": src("./src/jsx-runtime.ts"),
  "revue/jsx-dev-runtime": src("./src/jsx-runtime.ts"),
  revue: src("./src/index.ts"),
};

/** Test files that load the machine (a child process flooding a server, a long run measuring the heap, a build and an npm install). */
const HEAVY = ["test/server/load.test.ts", "test/server/leak.test.ts", "test/cli/pack.test.ts"];

export default defineConfig({
  resolve: { alias },
  test: {
    // Most test files wait on sockets, timers and child processes, not the CPU: one worker per core
    // left a 2-core machine half idle (phase one of the suite: 344 s with 1 worker, 188 s with 3).
    maxWorkers: 3,
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
        // What a TC39-decorator project adds (revue/testing/vite), here for test/standard only.
        plugins: [tc39Decorators({ include: /\/test\/standard\/.*\.tsx?$/ })],
        test: { name: "standard", include: ["test/standard/**/*.test.ts", "test/standard/**/*.test.tsx"] },
      },
      {
        resolve: { alias },
        test: { name: "e2e", include: ["test/e2e/**/*.test.ts"], testTimeout: 60_000, hookTimeout: 60_000, fileParallelism: false, sequence: { groupOrder: 1 }, expect: { poll: { timeout: 5_000 } } },
      },
      {
        resolve: { alias },
        // Load and long-run tests take both cores: alone, after everything else, so that they neither slow nor flake the others.
        test: { name: "heavy", include: HEAVY, testTimeout: 300_000, fileParallelism: false, sequence: { groupOrder: 2 } },
      },
    ],
  },
});
