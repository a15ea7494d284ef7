// This checkout's PostgreSQL: a cluster of its own (initdb), run from the machine's PostgreSQL binaries.
// PostgreSQL refuses to run as root, so when the harness runs as root (as CI does) the cluster belongs to
// the `postgres` system user and runs as that user.
import { spawn } from "node:child_process";
import { createHash } from "node:crypto";
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import {
  failed,
  isExecutable,
  lastLines,
  livePid,
  missing,
  rel,
  run,
  ServiceError,
  which,
} from "./processes.mjs";

const runsAsRoot = () => typeof process.getuid === "function" && process.getuid() === 0;

// Where PostgreSQL packages put their binaries when not on PATH: <dir>/<entry>/bin, entry naming the version.
const installRoots = [
  { dir: "/usr/lib/postgresql", entry: /^(\d+)$/ }, // Debian, Ubuntu
  { dir: "/usr", entry: /^pgsql-(\d+)$/ }, // RHEL, Fedora (PGDG)
  { dir: "/opt/homebrew/opt", entry: /^postgresql@(\d+)$/ }, // macOS, Homebrew
  { dir: "/usr/local/opt", entry: /^postgresql@(\d+)$/ },
];

/** initdb, postgres: on PATH, else from the newest PostgreSQL installed in the usual places. */
function binary(name) {
  const onPath = which(name);
  if (onPath) return onPath;
  const found = [];
  for (const root of installRoots) {
    let entries = [];
    try {
      entries = fs.readdirSync(root.dir);
    } catch {
      continue;
    }
    for (const entry of entries) {
      const version = root.entry.exec(entry)?.[1];
      const file = path.join(root.dir, entry, "bin", name);
      if (version && isExecutable(file)) found.push({ version: Number(version), file });
    }
  }
  found.sort((a, b) => b.version - a.version);
  if (found[0]) return found[0].file;
  throw missing(
    `${name} not found (PostgreSQL server binaries): apt-get install postgresql, brew install postgresql, ` +
      "or set DATABASE_URL to a server of your own",
  );
}

/** The uid/gid to run the cluster as: ours, or the `postgres` system user's when we are root. */
function clusterUser() {
  if (!runsAsRoot()) return {};
  const uid = run("id", ["-u", "postgres"]);
  const gid = run("id", ["-g", "postgres"]);
  if (uid.status !== 0 || gid.status !== 0) {
    throw missing(
      "PostgreSQL will not run as root and there is no `postgres` user to run it as: " +
        "adduser --system --group postgres (or run services:up as a normal user)",
    );
  }
  return { uid: Number(uid.out), gid: Number(gid.out) };
}

/**
 * Where the cluster's files go: the instance directory, unless we are root and the `postgres` user cannot
 * reach it (a checkout under /root); then a directory of this checkout's own under the system's tmp.
 */
function clusterDir(inst, user) {
  if (user.uid === undefined) return inst.dir;
  const ownedByClusterUser = (dir) => {
    fs.mkdirSync(dir, { recursive: true });
    fs.chownSync(dir, user.uid, user.gid);
    const check = `require("fs").accessSync(${JSON.stringify(dir)}, require("fs").constants.W_OK)`;
    return run(process.execPath, ["-e", check], user).status === 0;
  };
  if (ownedByClusterUser(inst.dir)) return inst.dir;
  const hash = createHash("sha256").update(inst.dir).digest("hex").slice(0, 12);
  const fallback = path.join(os.tmpdir(), `prism-services-${hash}`, "postgres");
  if (ownedByClusterUser(fallback)) return fallback;
  throw failed(`the postgres user can write neither ${rel(inst.dir)} nor ${fallback}`);
}

const filesByInstance = new Map();

/** The cluster's user, directory, data directory and log (worked out once per process). */
function files(inst) {
  let found = filesByInstance.get(inst.dir);
  if (!found) {
    const user = clusterUser();
    const dir = clusterDir(inst, user);
    found = { user, dir, data: path.join(dir, "data"), log: path.join(dir, "postgres.log") };
    filesByInstance.set(inst.dir, found);
  }
  return found;
}

// A disposable test cluster: durability traded for speed, TCP only (no socket in the system's directory).
const settings = `
# written by scripts/services/postgres.mjs: a private, disposable test cluster
listen_addresses = '127.0.0.1'
unix_socket_directories = ''
max_connections = 300
fsync = off
synchronous_commit = off
full_page_writes = off
`;

function initialise(f, env) {
  if (fs.existsSync(path.join(f.data, "PG_VERSION"))) return false;
  fs.mkdirSync(f.dir, { recursive: true });
  const args = ["-D", f.data, "-U", "postgres", "-A", "trust", "-E", "UTF8", "--locale=C", "--no-sync"];
  const result = run(binary("initdb"), args, { ...f.user, env: { ...env, LC_ALL: "C" } });
  if (result.status !== 0) throw failed(`initdb ${rel(f.data)} failed:\n${lastLines(result.out)}`);
  fs.appendFileSync(path.join(f.data, "postgresql.conf"), settings);
  return true;
}

export const postgres = {
  stopSignal: "SIGINT", // "fast" shutdown: SIGTERM would wait for every client to disconnect
  pid: (inst) => {
    let f;
    try {
      f = files(inst);
    } catch (error) {
      // No user to run a cluster as (root without a `postgres` user): then no cluster of ours can run.
      if (error instanceof ServiceError) return null;
      throw error;
    }
    return livePid(path.join(f.data, "postmaster.pid"), f.data);
  },
  logFile: (inst) => files(inst).log,
  start(inst, env) {
    const f = files(inst);
    const created = initialise(f, env);
    const log = fs.openSync(f.log, "a");
    const child = spawn(binary("postgres"), ["-D", f.data, "-p", String(inst.port)], {
      ...f.user,
      detached: true,
      stdio: ["ignore", log, log],
      env: { ...env, LC_ALL: "C" },
    });
    fs.closeSync(log);
    child.unref();
    const where =
      f.dir === inst.dir ? rel(f.data) : `${f.data} (the postgres user cannot reach ${rel(inst.dir)})`;
    return { child, detail: `${created ? "initdb + " : ""}cluster ${where}` };
  },
};
