import { defineConfig } from "tsup";

export default defineConfig([
  {
    entry: ["src/index.ts"],
    format: ["esm", "cjs"],
    dts: true,
    // Not the console's folder nor the bin, which the other builds below write meanwhile.
    clean: ["!console/**", "!cli.js"],
    target: "node20",
    treeshake: true,
    // import.meta.url in the CommonJS build too: the console's files are found beside the module.
    shims: true,
  },
  // The bin: ESM only (top-level await), no types.
  { entry: ["src/cli.ts"], format: ["esm"], target: "node20", treeshake: true },
  // The operator's console: one browser script bundled from src/console/page, plus its HTML and CSS
  // (src/console/public), into dist/console — shipped in the package, served by `run --http`.
  {
    entry: { console: "src/console/page/main.ts" },
    format: ["iife"],
    platform: "browser",
    target: ["chrome100", "firefox100", "safari15"],
    outDir: "dist/console",
    outExtension: () => ({ js: ".js" }),
    publicDir: "src/console/public",
    clean: true,
    tsconfig: "src/console/page/tsconfig.json",
  },
]);
