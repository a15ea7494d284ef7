#!/usr/bin/env node
// The servers listening on the usual ports (5432, 6379, 4222, 9092): the machine's own or a developer's,
// never this checkout's. `pnpm test` takes a snapshot before and after the run and fails if any of them
// was stopped, restarted or replaced meanwhile. Linux only (reads /proc); elsewhere it says so.
//   node scripts/services/system-servers.mjs      prints the snapshot
import fs from "node:fs";
import { pathToFileURL } from "node:url";
import { USUAL_PORTS } from "./instances.mjs";

/** Listening TCP sockets by port: the socket's inode (new for every server start). */
function listeningInodes() {
  const byPort = new Map();
  for (const file of ["/proc/net/tcp", "/proc/net/tcp6"]) {
    let text;
    try {
      text = fs.readFileSync(file, "utf8");
    } catch {
      continue;
    }
    for (const line of text.split("\n").slice(1)) {
      const columns = line.trim().split(/\s+/);
      if (columns[3] !== "0A") continue; // LISTEN
      const port = Number.parseInt(columns[1]?.split(":")[1] ?? "", 16);
      const inodes = byPort.get(port) ?? new Set();
      inodes.add(columns[9]);
      byPort.set(port, inodes);
    }
  }
  return byPort;
}

/** The processes holding these socket inodes (those we may look at: all of them as root). */
function owners(inodes) {
  const found = new Map();
  for (const pid of fs.readdirSync("/proc").filter((entry) => /^\d+$/.test(entry))) {
    let fds;
    try {
      fds = fs.readdirSync(`/proc/${pid}/fd`);
    } catch {
      continue;
    }
    for (const fd of fds) {
      try {
        const inode = /^socket:\[(\d+)\]$/.exec(fs.readlinkSync(`/proc/${pid}/fd/${fd}`))?.[1];
        if (inode && inodes.has(inode) && !found.has(inode)) found.set(inode, Number(pid));
      } catch {}
    }
  }
  return found;
}

function commandOf(pid) {
  try {
    return fs.readFileSync(`/proc/${pid}/cmdline`, "utf8").split("\0")[0] ?? "";
  } catch {
    return "";
  }
}

/** Where the process runs: says whose it is when a server was replaced (e.g. another checkout's harness). */
function directoryOf(pid) {
  try {
    return fs.readlinkSync(`/proc/${pid}/cwd`);
  } catch {
    return undefined;
  }
}

/**
 * What listens on each usual port: `{ service, port, listeners: [{ inode, pid?, command? }] }`, or
 * `undefined` where /proc/net/tcp does not exist.
 */
export function snapshot() {
  if (!fs.existsSync("/proc/net/tcp")) return undefined;
  const byPort = listeningInodes();
  const wanted = new Set(Object.values(USUAL_PORTS).flatMap((port) => [...(byPort.get(port) ?? [])]));
  const pids = owners(wanted);
  return Object.entries(USUAL_PORTS).map(([service, port]) => ({
    service,
    port,
    listeners: [...(byPort.get(port) ?? [])].sort().map((inode) => {
      const pid = pids.get(inode);
      return pid === undefined ? { inode } : { inode, pid, command: commandOf(pid), cwd: directoryOf(pid) };
    }),
  }));
}

function describe(entry) {
  if (entry.listeners.length === 0) return `${entry.service} ${entry.port}: nothing listens`;
  // One process often listens twice (IPv4 and IPv6): name it once.
  const who = new Set(
    entry.listeners.map((l) => (l.pid ? `pid ${l.pid} (${l.command})` : `socket ${l.inode}`)),
  );
  return `${entry.service} ${entry.port}: ${[...who].join(", ")}`;
}

/** One line per usual port, e.g. "redis 6379: pid 2216 (redis-server)". */
export function describeSnapshot(taken) {
  return taken ? taken.map(describe) : ["(no /proc/net/tcp: cannot see the servers on the usual ports)"];
}

/** The ports whose listeners changed between two snapshots, described. */
export function changes(before, after) {
  if (!before || !after) return [];
  const key = (entry) => entry.listeners.map((l) => l.inode).join(",");
  return before
    .map((entry, i) => ({ was: entry, now: after[i] }))
    .filter(({ was, now }) => now && key(was) !== key(now))
    .map(({ was, now }) => {
      const started = [...new Set(now.listeners.map((l) => l.cwd).filter(Boolean))];
      const where = started.length > 0 ? `, running in ${started.join(", ")}` : "";
      return `${describe(was)} -> now ${describe(now).replace(/^\S+ \d+: /, "")}${where}`;
    });
}

if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href) {
  for (const line of describeSnapshot(snapshot())) console.log(line);
}
