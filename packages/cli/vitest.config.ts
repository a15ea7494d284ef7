import { mergeConfig } from "vitest/config";
import { sharedTestConfig } from "../../vitest.shared.js";

// One file at a time: a test restarts this checkout's NATS, which the other files must not see.
export default mergeConfig(sharedTestConfig, { test: { fileParallelism: false } });
