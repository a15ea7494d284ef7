import { mergeConfig } from "vitest/config";
import { sharedTestConfig } from "../../vitest.shared.js";

// The worked example's tests (example/) run with the package's own.
export default mergeConfig(sharedTestConfig, { test: { include: ["example/**/*.test.ts"] } });
