import { defineConfig } from "vitest/config";

export default defineConfig({
  test: {
    // A file's first mount() loads jsdom and the app's page: a second or more on a busy machine (vitest's default is 5 s).
    testTimeout: 20_000,
  },
});
