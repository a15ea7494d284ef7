// Packs every package, checks that each tarball carries the repository's LICENSE, and installs the
// tarballs into fresh npm projects outside the workspace, then runs
// a consumer there as ESM and as CommonJS: once with @prism/consumer-core + @prism/driver-nats only
// (checking no other backend client was pulled in), once with the nats-redis plugin; and runs the packed
// `prism-consumer` (validate, --help, and `run --http` serving its operator's console) in a project with the
// CLI and the NATS driver; and checks that @prism/driver-kafka-platformatic refuses to install on a Node
// older than it supports (or installs and loads on one it supports).
// Needs NATS (JetStream) and Redis: `pnpm services:up`. Usage: node scripts/pack-check/run.mjs
import { execFileSync, spawn } from "node:child_process";
import {
  existsSync,
  mkdirSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  rmSync,
  writeFileSync,
} from "node:fs";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import { settings } from "../services/probe.mjs";
import { consumerScript } from "./consumer-script.mjs";

const root = resolve(fileURLToPath(new URL("../..", import.meta.url)));
const work = mkdtempSync(join(tmpdir(), "prism-pack-"));
const tarballs = join(work, "tarballs");
mkdirSync(tarballs);

const run = (command, args, cwd) =>
  execFileSync(command, args, { cwd, stdio: ["ignore", "pipe", "inherit"] }).toString();

console.log(`packing into ${tarballs}`);
for (const name of readdirSync(join(root, "packages"))) {
  run("pnpm", ["pack", "--pack-destination", tarballs], join(root, "packages", name));
}
const tarball = (pkg) => {
  const file = readdirSync(tarballs).find((f) => f.startsWith(`prism-${pkg}-`));
  if (!file) throw new Error(`no tarball for @prism/${pkg}`);
  return join(tarballs, file);
};

// The manifests say Apache-2.0; the license text must travel with every package.
const license = readFileSync(join(root, "LICENSE"));
for (const file of readdirSync(tarballs)) {
  const packed = execFileSync("tar", ["-xzOf", join(tarballs, file), "package/LICENSE"]);
  if (!packed.equals(license))
    throw new Error(`${file}: package/LICENSE differs from the repository's LICENSE`);
}
console.log(`LICENSE in all ${readdirSync(tarballs).length} tarballs`);

const backendClients = [
  "ioredis",
  "pg",
  "kafkajs",
  "@prism/driver-redis",
  "@prism/driver-postgres",
  "@prism/driver-kafka",
];
const env = {
  ...process.env,
  NATS_URL: settings("nats").raw,
  REDIS_URL: settings("redis").raw,
};

function project(label, packages, { forbidden = [] } = {}) {
  const dir = join(work, label);
  mkdirSync(dir);
  writeFileSync(
    join(dir, "package.json"),
    JSON.stringify({ name: `prism-pack-${label}`, private: true }, null, 2),
  );
  run("npm", ["install", "--no-audit", "--no-fund", "--loglevel=error", ...packages.map(tarball)], dir);
  for (const name of forbidden) {
    if (existsSync(join(dir, "node_modules", name)))
      throw new Error(`${label}: ${name} was installed but must not be`);
  }
  for (const format of ["mjs", "cjs"]) {
    const file = join(dir, `consumer.${format}`);
    writeFileSync(file, consumerScript(label, format));
    const output = execFileSync(process.execPath, [file], {
      cwd: dir,
      env,
      stdio: ["ignore", "pipe", "inherit"],
    });
    console.log(`${label} (${format === "mjs" ? "ESM" : "CommonJS"}): ${output.toString().trim()}`);
  }
}

/** The packed CLI as `npx prism-consumer` runs it: finds the driver package its YAML names, and answers. */
function cliProject() {
  const dir = join(work, "cli");
  mkdirSync(dir);
  writeFileSync(
    join(dir, "package.json"),
    JSON.stringify({ name: "prism-pack-cli", private: true }, null, 2),
  );
  const packages = ["consumer-core", "driver-nats", "opentelemetry", "cli"];
  run("npm", ["install", "--no-audit", "--no-fund", "--loglevel=error", ...packages.map(tarball)], dir);
  writeFileSync(
    join(dir, "consumer.yaml"),
    `name: pack-check
slots:
  message_source: { driver: nats, config: { url: "\${NATS_URL}" } }
  state_store: { driver: nats, config: { url: "\${NATS_URL}" } }
behavior: { consumer_group: pack-check, topic: pack-check }
`,
  );
  const npx = (args) =>
    execFileSync("npx", ["--no-install", "prism-consumer", ...args], {
      cwd: dir,
      env,
      stdio: ["ignore", "pipe", "inherit"],
    });
  console.log(`cli: ${npx(["validate", "consumer.yaml"]).toString().trim()}`);
  npx(["run", "--help"]);
  return dir;
}

/**
 * The packed CLI's operator's console: `run --http` serves the page, its script and its style from the
 * tarball (built into dist/console, nothing fetched elsewhere), then stops on SIGTERM.
 */
async function cliConsole(dir) {
  writeFileSync(join(dir, "handler.mjs"), "export default async function handle() {}\n");
  const bin = join(dir, "node_modules", "@prism", "cli", "dist", "cli.js");
  const child = spawn(
    process.execPath,
    [bin, "run", "consumer.yaml", "--processor", "./handler.mjs", "--http", "127.0.0.1:0"],
    {
      cwd: dir,
      env,
      stdio: ["ignore", "pipe", "inherit"],
    },
  );
  const exited = new Promise((resolve) => child.once("exit", resolve));
  try {
    const port = await new Promise((resolve, reject) => {
      let out = "";
      const timer = setTimeout(
        () => reject(new Error(`no port from the packed CLI within 30 s:\n${out}`)),
        30_000,
      );
      child.stdout.on("data", (chunk) => {
        out += chunk;
        const match = /"msg":"serving \/healthz[^\n]*"port":(\d+)/.exec(out);
        if (match) {
          clearTimeout(timer);
          resolve(Number(match[1]));
        }
      });
      child.once("exit", (code) => reject(new Error(`the packed CLI exited with ${code}:\n${out}`)));
    });
    const sizes = [];
    for (const path of ["/", "/console.js", "/console.css"]) {
      const response = await fetch(`http://127.0.0.1:${port}${path}`);
      const body = await response.text();
      if (response.status !== 200 || body.length === 0)
        throw new Error(`packed CLI console: GET ${path} answered ${response.status}`);
      sizes.push(`${path} ${body.length} B`);
    }
    const status = await (await fetch(`http://127.0.0.1:${port}/api/status`)).json();
    if (status.consumer?.name !== "pack-check")
      throw new Error("packed CLI console: /api/status does not name the consumer");
    console.log(`cli console: ${sizes.join(", ")}, /api/status ok`);
  } catch (error) {
    child.kill("SIGKILL");
    throw error;
  }
  child.kill("SIGTERM");
  const code = await exited;
  if (code !== 0) throw new Error(`the packed CLI exited with ${code} after SIGTERM`);
}

/**
 * @prism/driver-kafka-platformatic needs Node >= 22.22: on an older Node, `npm i` of its tarball must fail
 * with a message naming the version (its preinstall check); on a newer one it installs and loads as ESM
 * and as CommonJS.
 */
function kafkaPlatformaticProject() {
  const dir = join(work, "kafka-platformatic");
  mkdirSync(dir);
  writeFileSync(join(dir, "package.json"), JSON.stringify({ name: "prism-pack-kp", private: true }));
  const packages = ["consumer-core", "driver-kafka-platformatic"].map(tarball);
  const [major, minor] = process.versions.node.split(".").map(Number);
  if (major > 22 || (major === 22 && minor >= 22)) {
    run("npm", ["install", "--no-audit", "--no-fund", "--loglevel=error", ...packages], dir);
    const load = (code, type) =>
      execFileSync(process.execPath, ["--input-type", type, "-e", code], { cwd: dir }).toString().trim();
    const esm = load(
      'import { PlatformaticKafkaDriver } from "@prism/driver-kafka-platformatic"; console.log(typeof PlatformaticKafkaDriver.connect)',
      "module",
    );
    const cjs = load(
      'console.log(typeof require("@prism/driver-kafka-platformatic").PlatformaticKafkaDriver.connect)',
      "commonjs",
    );
    if (esm !== "function" || cjs !== "function")
      throw new Error(`kafka-platformatic: loads as ${esm} / ${cjs}`);
    console.log(
      `kafka-platformatic: installs and loads as ESM and CommonJS on Node ${process.versions.node}`,
    );
    return;
  }
  let failure = "";
  try {
    execFileSync("npm", ["install", "--no-audit", "--no-fund", "--loglevel=error", ...packages], {
      cwd: dir,
      stdio: ["ignore", "pipe", "pipe"],
    });
  } catch (error) {
    failure = `${error.stdout}${error.stderr}`;
  }
  if (!failure.includes("@prism/driver-kafka-platformatic needs Node >= 22.22.0")) {
    throw new Error(
      `kafka-platformatic: npm i on Node ${process.versions.node} should fail naming the version:\n${failure}`,
    );
  }
  console.log(`kafka-platformatic: npm i on Node ${process.versions.node} fails, naming Node >= 22.22.0`);
}

try {
  kafkaPlatformaticProject();
  await cliConsole(cliProject());
  project("nats-only", ["consumer-core", "driver-nats"], { forbidden: backendClients });
  console.log(`nats-only: none of ${backendClients.join(", ")} in node_modules`);
  project(
    "plugin",
    ["consumer-core", "driver-memstore", "driver-nats", "driver-redis", "plugin-nats-redis"],
    {
      forbidden: ["pg", "kafkajs"],
    },
  );
  rmSync(work, { recursive: true, force: true });
  console.log("pack check passed");
} catch (error) {
  console.error(`pack check failed (work dir kept: ${work}): ${error.message}`);
  process.exit(1);
}
