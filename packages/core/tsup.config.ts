import { defineConfig } from "tsup";

export default defineConfig({
  entry: ["src/index.ts", "src/driver.ts"],
  format: ["esm", "cjs"],
  dts: true,
  clean: true,
  target: "node20",
  treeshake: true,
  // Shared code in one chunk for both entry points (CommonJS too), so `PrismError` imported from the root
  // and from "/driver" is one class.
  splitting: true,
});
