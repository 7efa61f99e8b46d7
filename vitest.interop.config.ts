import { defineConfig } from "vitest/config";

// Tests against real peers from Debian's packages (prometheus, promtool, …).
export default defineConfig({
  test: {
    include: ["src/**/*.interop.test.ts"],
    testTimeout: 180_000,
    hookTimeout: 180_000,
    fileParallelism: false,
  },
});
