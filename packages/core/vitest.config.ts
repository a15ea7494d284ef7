import { fileURLToPath } from "node:url";
import { mergeConfig } from "vitest/config";
import { sharedTestConfig } from "../../vitest.shared.js";

// Core's tests use the memstore driver as their double. Both are read from source, so the tests need no
// build and the packages need no dependency cycle (memstore peer-depends on core).
export default mergeConfig(sharedTestConfig, {
  resolve: {
    alias: {
      "@prism/consumer-core": fileURLToPath(new URL("./src/index.ts", import.meta.url)),
      "@prism/driver-memstore": fileURLToPath(new URL("../driver-memstore/src/index.ts", import.meta.url)),
    },
  },
});
