#!/usr/bin/env node
// `node scripts/node/install.mjs <major>`: installs the newest Node <major> from the npm registry into
// .cache/node/<major> (once; later runs reuse it) and prints the path of its `node` binary.
//
// The registry's `node` package (`npm i node@24`) only runs an install script that installs the platform
// package `node-<platform>-<arch>@<version>` (the official binary) and links it. This installs that
// platform package directly: the same download, without depending on npm running install scripts (newer
// npm versions warn about them and may stop running them).
import { execFileSync } from "node:child_process";
import fs from "node:fs";
import path from "node:path";
import { fileURLToPath } from "node:url";

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "../..");
const major = process.argv[2];
if (!major || !/^\d+$/.test(major)) {
  console.error("usage: node scripts/node/install.mjs <major version>, e.g. 24");
  process.exit(2);
}

const platform = process.platform === "win32" ? "win" : process.platform;
// The `node` package uses this name for Apple silicon; every other platform is node-<platform>-<arch>.
const prefix = process.platform === "darwin" && process.arch === "arm64" ? "node-bin" : "node";
const packageName = `${prefix}-${platform}-${process.arch}`;
const dir = path.join(root, ".cache", "node", major);
const binary = path.join(
  dir,
  "node_modules",
  packageName,
  "bin",
  process.platform === "win32" ? "node.exe" : "node",
);

function versionOf(file) {
  try {
    return execFileSync(file, ["--version"], { encoding: "utf8" }).trim();
  } catch {
    return undefined;
  }
}

if (!versionOf(binary)?.startsWith(`v${major}.`)) {
  fs.mkdirSync(dir, { recursive: true });
  fs.writeFileSync(path.join(dir, "package.json"), '{ "private": true }\n');
  const npm = process.platform === "win32" ? "npm.cmd" : "npm";
  // stdout carries only the path; npm's output goes to stderr.
  execFileSync(
    npm,
    [
      "install",
      "--no-audit",
      "--no-fund",
      "--no-package-lock",
      "--ignore-scripts",
      `${packageName}@^${major}`,
    ],
    { cwd: dir, stdio: ["ignore", process.stderr, "inherit"] },
  );
}
const version = versionOf(binary);
if (!version?.startsWith(`v${major}.`)) {
  console.error(`${packageName}@^${major} installed in ${dir}, but ${binary} does not run as Node ${major}`);
  process.exit(1);
}
console.log(binary);
