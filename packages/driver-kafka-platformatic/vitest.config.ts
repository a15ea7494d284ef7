import { mergeConfig } from "vitest/config";
import { sharedTestConfig } from "../../vitest.shared.js";

// The suites share one broker (and restart it): files run one after another.
export default mergeConfig(sharedTestConfig, { test: { fileParallelism: false } });
