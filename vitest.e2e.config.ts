import { defineConfig } from "vitest/config";

// Browser tests: Debian's Chromium driven by playwright-core against the built UI.
export default defineConfig({
  test: {
    include: ["src/**/*.e2e.test.ts"],
    testTimeout: 180_000,
    hookTimeout: 180_000,
    fileParallelism: false,
  },
});
