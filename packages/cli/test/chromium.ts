// Headless Chromium for the console's browser tests: the machine's own (Debian's `chromium` package, or
// PRISM_CHROMIUM), driven by playwright-core — never a downloaded browser. Missing, the tests skip loudly
// with how to install it; under CI=true a missing Chromium fails them instead.
import { accessSync, constants } from "node:fs";
import path from "node:path";
import { type Browser, chromium } from "playwright-core";
import { tool } from "../../../scripts/test-support/backends.mjs";

const install =
  "install it with `apt-get install chromium` (Debian, Ubuntu: chromium-browser) or `brew install --cask chromium`, " +
  "or set PRISM_CHROMIUM to a Chromium or Chrome executable";
const names = ["chromium", "chromium-browser", "google-chrome", "google-chrome-stable"];

function executable(file: string): boolean {
  try {
    accessSync(file, constants.X_OK);
    return true;
  } catch {
    return false;
  }
}

/** The Chromium to drive, or `undefined` after a loud skip (throws under CI=true). */
export function chromiumPath(): string | undefined {
  const given = process.env.PRISM_CHROMIUM;
  if (given) return tool(given, install);
  const dirs = (process.env.PATH ?? "").split(path.delimiter).filter(Boolean);
  for (const name of names) {
    for (const dir of dirs) if (executable(path.join(dir, name))) return path.join(dir, name);
  }
  return tool("chromium", install);
}

export function launch(executablePath: string): Promise<Browser> {
  return chromium.launch({ executablePath, headless: true, args: ["--disable-gpu", "--no-first-run"] });
}
