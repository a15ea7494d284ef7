#!/usr/bin/env node
// Restarts this checkout's private instance of a service mid-test: stop it, wait until it is gone, start it
// on the same files, wait until it answers. It restarts nothing else: a server it did not start is refused.
//   import { restart } from "../../scripts/services/restart.mjs";
//   const r = await restart("kafka"); // { name, where, stopMs, startMs, totalMs }
// CLI: node scripts/services/restart.mjs redis [nats kafka postgres ...]
//
// What survives a restart: everything each server keeps on disk in .cache/services/<name> — PostgreSQL's
// cluster, Redis's append-only file, JetStream's streams and consumers (core NATS subscriptions do not),
// Kafka's topics, messages and committed offsets.
import { pathToFileURL } from "node:url";
import { instance, SERVICES } from "./instances.mjs";
import { privatePid, startService, stopService } from "./services.mjs";

/**
 * @param {"postgres"|"redis"|"nats"|"kafka"} name
 * @param {Record<string, string|undefined>} [env]
 * @returns {Promise<{ name: string, where: string, stopMs: number, startMs: number, totalMs: number }>}
 */
export async function restart(name, env = process.env) {
  if (!SERVICES.includes(name))
    throw new Error(`unknown service "${name}" (expected: ${SERVICES.join(" ")})`);
  const inst = instance(name, env);
  const where = `${inst.host}:${inst.port}`;
  if (!privatePid(name, env)) {
    throw new Error(`this checkout's ${name} (${where}) is not running: pnpm services:up ${name}`);
  }
  const t0 = Date.now();
  try {
    await stopService(name, env);
    const stoppedAt = Date.now();
    await startService(name, env);
    const now = Date.now();
    return { name, where, stopMs: stoppedAt - t0, startMs: now - stoppedAt, totalMs: now - t0 };
  } catch (error) {
    throw new Error(`restart ${name} (${where}) failed: ${error.message}`);
  }
}

if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href) {
  const names = process.argv.slice(2);
  if (names.length === 0) {
    console.error(`usage: node scripts/services/restart.mjs ${SERVICES.join("|")} [...]`);
    process.exit(2);
  }
  let exitCode = 0;
  for (const name of names) {
    try {
      const r = await restart(name);
      const sec = (ms) => `${(ms / 1000).toFixed(1)}s`;
      console.log(
        `${name.padEnd(9)} restarted   ${r.where.padEnd(16)} stop ${sec(r.stopMs)}, start ${sec(r.startMs)}, total ${sec(r.totalMs)}`,
      );
    } catch (error) {
      console.error(`${name.padEnd(9)} failed      ${error.message}`);
      exitCode = 1;
    }
  }
  process.exit(exitCode);
}
