// This checkout's Prometheus: the `prometheus` binary from the machine, with its own port, data directory,
// pid file and log. It scrapes every second whatever the tests list in `targets/*.json` of its directory
// (file-based service discovery), so a test adds a target by writing a file and removes it by deleting it.
import { spawn } from "node:child_process";
import fs from "node:fs";
import path from "node:path";
import { livePid, missing, rel, which } from "./processes.mjs";

const files = (inst) => ({
  pidFile: path.join(inst.dir, "prometheus.pid"),
  log: path.join(inst.dir, "prometheus.log"),
  config: path.join(inst.dir, "prometheus.yml"),
  data: path.join(inst.dir, "data"),
  targets: path.join(inst.dir, "targets"),
});

/** Where a test writes `{name}.json` (`[{ "targets": ["127.0.0.1:9464"], "labels": {…} }]`) to be scraped. */
export const targetsDir = (inst) => files(inst).targets;

const config = (f) => `# Written by scripts/services/prometheus.mjs for this checkout's tests.
global:
  scrape_interval: 1s
  scrape_timeout: 900ms
  evaluation_interval: 1s
scrape_configs:
  - job_name: prism-tests
    file_sd_configs:
      - files: ["${f.targets}/*.json"]
        refresh_interval: 1s
`;

export const prometheus = {
  stopSignal: "SIGTERM", // Prometheus flushes its head block and exits
  pid: (inst) => livePid(files(inst).pidFile, files(inst).data),
  logFile: (inst) => files(inst).log,
  start(inst) {
    const server = which("prometheus");
    if (!server) {
      throw missing(
        "prometheus not found: apt-get install prometheus, brew install prometheus, or set PROMETHEUS_URL to a server of your own",
      );
    }
    const f = files(inst);
    fs.mkdirSync(f.data, { recursive: true });
    fs.mkdirSync(f.targets, { recursive: true });
    fs.writeFileSync(f.config, config(f));
    const log = fs.openSync(f.log, "a");
    const args = [
      `--config.file=${f.config}`,
      `--storage.tsdb.path=${f.data}`,
      `--web.listen-address=${inst.host}:${inst.port}`,
      "--storage.tsdb.retention.time=1d",
    ];
    const child = spawn(server, args, { detached: true, stdio: ["ignore", log, log] });
    fs.closeSync(log);
    fs.writeFileSync(f.pidFile, `${child.pid}\n`);
    child.unref();
    return { child, detail: `prometheus, scraping ${rel(f.targets)}/*.json every 1s` };
  },
};
