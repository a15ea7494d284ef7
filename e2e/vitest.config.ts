import { mergeConfig } from "vitest/config";
import { sharedTestConfig } from "../vitest.shared.js";

// End-to-end runs share the servers and kill processes: one file at a time, generous timeouts.
export default mergeConfig(sharedTestConfig, {
  test: { include: ["*.test.ts"], fileParallelism: false, testTimeout: 300_000 },
});
