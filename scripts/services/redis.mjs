// This checkout's Redis: redis-server from the machine, with its own port, directory, pid file and log.
// The append-only file (fsync left to the OS) keeps the data across a restart, as a production Redis
// with persistence would, without the cost of a sync per write.
import fs from "node:fs";
import path from "node:path";
import { failed, lastLines, livePid, missing, run, which } from "./processes.mjs";

const files = (inst) => ({
  pidFile: path.join(inst.dir, "redis.pid"),
  log: path.join(inst.dir, "redis.log"),
});

export const redis = {
  stopSignal: "SIGTERM", // Redis flushes the append-only file and exits
  // Redis renames its process to "redis-server host:port", so that is what the command line shows.
  pid: (inst) => livePid(files(inst).pidFile, "redis-server"),
  logFile: (inst) => files(inst).log,
  start(inst) {
    const server = which("redis-server");
    if (!server) {
      throw missing(
        "redis-server not found: apt-get install redis-server, brew install redis, or set REDIS_URL to a server of your own",
      );
    }
    const f = files(inst);
    fs.mkdirSync(inst.dir, { recursive: true });
    const args = [
      ...["--port", String(inst.port), "--bind", inst.host, "--dir", inst.dir],
      ...["--daemonize", "yes", "--pidfile", f.pidFile, "--logfile", f.log],
      ...["--save", "", "--appendonly", "yes", "--appendfsync", "no"],
    ];
    const result = run(server, args);
    if (result.status !== 0) throw failed(`redis-server: ${lastLines(result.out)}`);
    return { detail: "redis-server --daemonize yes --appendonly yes" };
  },
};
