import { defineConfig } from "vitest/config";

// Unit and integration tests: everything beside the code, nothing that needs a
// package from outside npm (those live in *.interop.test.ts and *.e2e.test.ts).
export default defineConfig({
  test: {
    include: ["src/**/*.test.ts"],
    exclude: ["src/**/*.interop.test.ts", "src/**/*.e2e.test.ts", "node_modules/**"],
    testTimeout: 60_000,
    hookTimeout: 60_000,
  },
});
