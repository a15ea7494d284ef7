import { fileURLToPath } from "node:url";
import { mergeConfig } from "vitest/config";
import { sharedTestConfig } from "../../vitest.shared.js";

const source = (path: string) => fileURLToPath(new URL(path, import.meta.url));

// Core's tests use the memstore driver as their double. Both are read from source, so the tests need no
// build and the packages need no dependency cycle (memstore peer-depends on core).
export default mergeConfig(sharedTestConfig, {
  resolve: {
    alias: [
      { find: /^@prism\/consumer-core$/, replacement: source("./src/index.ts") },
      { find: /^@prism\/consumer-core\/driver$/, replacement: source("./src/driver.ts") },
      { find: /^@prism\/driver-memstore$/, replacement: source("../driver-memstore/src/index.ts") },
    ],
  },
});
