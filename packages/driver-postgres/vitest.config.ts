import { mergeConfig } from "vitest/config";
import { sharedTestConfig } from "../../vitest.shared.js";

// The test files share one PostgreSQL server, and one of them restarts it.
export default mergeConfig(sharedTestConfig, { test: { fileParallelism: false } });
