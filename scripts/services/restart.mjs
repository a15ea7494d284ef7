#!/usr/bin/env node
// Restart a local service mid-test: stop it, wait until it no longer answers, start it, wait until it answers.
//   import { restart } from "../../scripts/services/restart.mjs";
//   const r = await restart("kafka"); // { name, where, stopMs, startMs, totalMs }
// CLI: node scripts/services/restart.mjs redis [nats kafka postgres ...]
//
// What survives a restart:
//   kafka    same KRaft storage dir (.cache/services/kafka/data): topics, messages, committed offsets survive.
//            Only a broker started by this harness (pid file) can be restarted.
//   redis    everything: stopped with SHUTDOWN SAVE and started again from the same --dir (as a Redis with
//            persistence would); between restarts it saves nothing (--save "" --appendonly no).
//   nats     JetStream streams/consumers survive (store dir /var/lib/nats-server); core subscriptions don't.
//   postgres everything (pg_ctlcluster stop/start of the local cluster).
// Stopping nats uses start-stop-daemon --stop --exec nats-server, i.e. every local nats-server process.

import { pathToFileURL } from "node:url";
import { isLocalHost, probe, SERVICES, settings } from "./probe.mjs";
import { kafkaPid, startService, stopService, waitGone } from "./services.mjs";

/**
 * @param {"postgres"|"redis"|"nats"|"kafka"} name
 * @param {Record<string, string|undefined>} [env]
 * @returns {Promise<{ name: string, where: string, stopMs: number, startMs: number, totalMs: number }>}
 */
export async function restart(name, env = process.env) {
  if (!SERVICES.includes(name))
    throw new Error(`unknown service "${name}" (expected: ${SERVICES.join(" ")})`);
  const s = settings(name, env);
  const t = s.targets[0];
  const where = `${t.host}:${t.port}`;
  if (!isLocalHost(t.host)) throw new Error(`${name}: ${s.envVar}=${s.url} is not local; can't restart it`);
  if (name === "kafka" && !kafkaPid()) {
    const p = await probe(name, env);
    throw new Error(
      p.reachable
        ? `kafka at ${where} was not started by the harness (no live pid in .cache/services/kafka/kafka.pid)`
        : `kafka at ${where} is not running; run: node scripts/services/services.mjs up kafka`,
    );
  }
  const t0 = Date.now();
  try {
    await stopService(name, env);
    await waitGone(name, env);
    const stoppedAt = Date.now();
    await startService(name, env); // throws unless it answers again
    const now = Date.now();
    return { name, where, stopMs: stoppedAt - t0, startMs: now - stoppedAt, totalMs: now - t0 };
  } catch (e) {
    throw new Error(`restart ${name} (${where}) failed: ${e.message}`);
  }
}

if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href) {
  const names = process.argv.slice(2);
  if (!names.length) {
    console.error(`usage: node scripts/services/restart.mjs ${SERVICES.join("|")} [...]`);
    process.exit(2);
  }
  let rc = 0;
  for (const n of names) {
    try {
      const r = await restart(n);
      const sec = (ms) => `${(ms / 1000).toFixed(1)}s`;
      console.log(
        `${n.padEnd(9)} restarted   ${r.where.padEnd(16)} stop ${sec(r.stopMs)}, start ${sec(r.startMs)}, total ${sec(r.totalMs)}`,
      );
    } catch (e) {
      console.error(`${n.padEnd(9)} failed      ${e.message}`);
      rc = 1;
    }
  }
  process.exit(rc);
}
