import { defineConfig } from "vitest/config";

/** Shared by every package's vitest.config.ts so test behaviour is the same everywhere. */
export const sharedTestConfig = defineConfig({
  test: {
    include: ["src/**/*.test.ts", "test/**/*.test.ts"],
    testTimeout: 20_000,
    hookTimeout: 60_000,
    reporters: process.env.CI ? ["default"] : ["default"],
  },
});
