// This checkout's NATS: nats-server from the machine with JetStream, storing in the instance directory.
import { spawn } from "node:child_process";
import fs from "node:fs";
import path from "node:path";
import { isExecutable, livePid, missing, rel, which } from "./processes.mjs";

const files = (inst) => ({
  pidFile: path.join(inst.dir, "nats.pid"),
  log: path.join(inst.dir, "nats.log"),
  store: path.join(inst.dir, "jetstream"),
});

function server() {
  const found = isExecutable("/usr/sbin/nats-server") ? "/usr/sbin/nats-server" : which("nats-server");
  if (!found) {
    throw missing(
      "nats-server not found: apt-get install nats-server, brew install nats-server, or set NATS_URL to a server of your own",
    );
  }
  return found;
}

export const nats = {
  stopSignal: "SIGTERM", // JetStream flushes its store and the server exits
  pid: (inst) => livePid(files(inst).pidFile, files(inst).store),
  logFile: (inst) => files(inst).log,
  start(inst) {
    const f = files(inst);
    fs.mkdirSync(f.store, { recursive: true });
    const args = [
      "-a",
      inst.host,
      "-p",
      String(inst.port),
      "-js",
      "-sd",
      f.store,
      "-l",
      f.log,
      "-P",
      f.pidFile,
    ];
    const child = spawn(server(), args, { detached: true, stdio: "ignore" });
    child.unref();
    return { child, detail: `nats-server -js, store ${rel(f.store)}` };
  },
};
