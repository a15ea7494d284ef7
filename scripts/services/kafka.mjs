// This checkout's Kafka: a single-node KRaft broker (broker and controller in one JVM, controller on the
// port after the broker's) run from jars Maven resolves from Maven Central. See kafka/README.md.
import { spawn, spawnSync } from "node:child_process";
import { createHash, randomBytes } from "node:crypto";
import fs from "node:fs";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { failed, isExecutable, lastLines, livePid, missing, rel, run, secs, which } from "./processes.mjs";

const here = path.join(path.dirname(fileURLToPath(import.meta.url)), "kafka");
const pom = path.join(here, "pom.xml");

function files(inst) {
  return {
    libs: path.join(inst.dir, "libs"),
    data: path.join(inst.dir, "data"),
    logs: path.join(inst.dir, "logs"),
    pidFile: path.join(inst.dir, "kafka.pid"),
    props: path.join(inst.dir, "server.properties"),
  };
}

/** The Kafka version the harness runs (from kafka/pom.xml). */
export function kafkaVersion() {
  const match = fs.readFileSync(pom, "utf8").match(/<kafka\.version>([^<]+)<\/kafka\.version>/);
  return match ? match[1] : "?";
}

function java(env) {
  const bin = env.JAVA_HOME ? path.join(env.JAVA_HOME, "bin", "java") : which("java");
  if (!bin || !isExecutable(bin)) {
    throw missing(
      "java not found (Kafka needs Java 17+): apt-get install openjdk-17-jre-headless, or set KAFKA_BROKERS",
    );
  }
  const version = spawnSync(bin, ["-version"], { encoding: "utf8" });
  const match = `${version.stderr}${version.stdout}`.match(/version "(\d+)(?:\.(\d+))?/);
  const major = match ? (match[1] === "1" ? Number(match[2]) : Number(match[1])) : 0;
  if (major < 17) {
    throw missing(
      `${bin} is Java ${major || "?"}; Kafka ${kafkaVersion()} needs 17+: apt-get install openjdk-17-jre-headless`,
    );
  }
  return bin;
}

/** Resolves the jars with Maven once per pom.xml (its hash is kept next to them); true when it ran. */
function resolveJars(f) {
  const pomHash = createHash("sha256").update(fs.readFileSync(pom)).digest("hex");
  const marker = path.join(f.libs, ".resolved");
  if (fs.existsSync(marker) && fs.readFileSync(marker, "utf8").trim() === pomHash) return false;
  if (!which("mvn")) {
    throw missing(
      `mvn not found (needed once to fetch the Kafka ${kafkaVersion()} jars): apt-get install maven`,
    );
  }
  fs.rmSync(f.libs, { recursive: true, force: true });
  const args = ["-q", "-B", "-f", pom, "dependency:copy-dependencies", `-DoutputDirectory=${f.libs}`];
  const result = run("mvn", args);
  if (result.status !== 0)
    throw failed(`mvn dependency:copy-dependencies failed:\n${lastLines(result.out, 15)}`);
  fs.writeFileSync(marker, `${pomHash}\n`);
  return true;
}

function writeProperties(f, inst) {
  const text = fs
    .readFileSync(path.join(here, "server.properties.template"), "utf8")
    .replaceAll("@HOST@", inst.host)
    .replaceAll("@PORT@", String(inst.port))
    .replaceAll("@CONTROLLER_PORT@", String(inst.port + 1))
    .replaceAll("@DATA_DIR@", f.data);
  fs.writeFileSync(f.props, text);
}

function jvmArgs(f) {
  return [
    ...["-Xms256m", "-Xmx512m", "-XX:+UseG1GC", "-XX:MaxGCPauseMillis=20"],
    ...[
      "-XX:InitiatingHeapOccupancyPercent=35",
      "-XX:+ExplicitGCInvokesConcurrent",
      "-Djava.awt.headless=true",
    ],
    `-Dkafka.logs.dir=${f.logs}`,
    `-Dlog4j2.configurationFile=${path.join(here, "log4j2.properties")}`,
    ...["-cp", path.join(f.libs, "*")],
  ];
}

/** Formats the KRaft storage once (a random cluster id); true when it ran. */
function formatStorage(f, bin) {
  if (fs.existsSync(path.join(f.data, "meta.properties"))) return false;
  let id;
  do id = randomBytes(16).toString("base64url");
  while (id.startsWith("-"));
  fs.mkdirSync(f.data, { recursive: true });
  const result = run(bin, [...jvmArgs(f), "kafka.tools.StorageTool", "format", "-t", id, "-c", f.props]);
  if (result.status !== 0) throw failed(`kafka-storage format failed:\n${lastLines(result.out)}`);
  return true;
}

export const kafka = {
  stopSignal: "SIGTERM", // controlled shutdown, about 2 s
  pid: (inst) => livePid(files(inst).pidFile, files(inst).logs),
  logFile: (inst) => path.join(files(inst).logs, "server.log"),
  start(inst, env) {
    const f = files(inst);
    const bin = java(env);
    fs.mkdirSync(f.logs, { recursive: true });
    const steps = [];
    let t0 = Date.now();
    if (resolveJars(f)) steps.push(`mvn ${secs(Date.now() - t0)}`);
    writeProperties(f, inst);
    t0 = Date.now();
    if (formatStorage(f, bin)) steps.push(`format ${secs(Date.now() - t0)}`);
    const out = fs.openSync(path.join(f.logs, "stdout.log"), "a");
    const child = spawn(bin, [...jvmArgs(f), "kafka.Kafka", f.props], {
      cwd: inst.dir,
      detached: true,
      stdio: ["ignore", out, out],
    });
    fs.closeSync(out);
    child.unref();
    fs.writeFileSync(f.pidFile, `${child.pid}\n`);
    const prepared = steps.length > 0 ? ` (${steps.join(", ")})` : "";
    return { child, detail: `Kafka ${kafkaVersion()}, data ${rel(f.data)}${prepared}` };
  },
};
