// What the test suites skipped in one `pnpm test` run, and why: each suite appends a line to a file in
// the run's directory (PRISM_TEST_RUN_DIR, set by run-tests.mjs), which prints one summary at the end.
import fs from "node:fs";
import path from "node:path";

export const RUN_DIR_VARIABLE = "PRISM_TEST_RUN_DIR";
const fileName = "skips.jsonl";

function currentPackage() {
  try {
    return JSON.parse(fs.readFileSync(path.join(process.cwd(), "package.json"), "utf8")).name;
  } catch {
    return path.basename(process.cwd());
  }
}

/** Notes a skip for the end-of-run summary (nothing to do outside `pnpm test`). */
export function recordSkip({ backend, what, reason }) {
  const dir = process.env[RUN_DIR_VARIABLE];
  if (!dir) return;
  const line = JSON.stringify({ backend, what, reason, package: currentPackage() });
  // One short append per line: lines from parallel test files do not interleave.
  fs.appendFileSync(path.join(dir, fileName), `${line}\n`);
}

export function readSkips(dir) {
  try {
    return fs
      .readFileSync(path.join(dir, fileName), "utf8")
      .split("\n")
      .filter(Boolean)
      .map((line) => JSON.parse(line));
  } catch (error) {
    if (error.code === "ENOENT") return [];
    throw error;
  }
}

/** One entry per backend, kind and reason, with the packages (and how many test files) it touched. */
export function summarise(skips) {
  const groups = new Map();
  for (const skip of skips) {
    const key = `${skip.backend}\0${skip.what}\0${skip.reason}`;
    const group = groups.get(key) ?? { ...skip, files: new Map() };
    group.files.set(skip.package, (group.files.get(skip.package) ?? 0) + 1);
    groups.set(key, group);
  }
  return [...groups.values()].map((group) => {
    const where = [...group.files]
      .map(([name, count]) => `${name} (${count} test file${count === 1 ? "" : "s"})`)
      .join(", ");
    return `${group.backend} ${group.what} skipped: ${group.reason}\n    in ${where}`;
  });
}
