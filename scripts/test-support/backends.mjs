// Shared by the driver test suites: is a backend reachable, and what to do when it is not.
// Without it, `pnpm test` skips that backend's suites and says so loudly; with CI=true it fails.
import { probe, settings } from "../services/probe.mjs";

const required = () => process.env.CI === "true" || process.env.CI === "1";

/**
 * Probes a local service (postgres, redis, nats, kafka) and returns its connection URL (from
 * DATABASE_URL, REDIS_URL, NATS_URL, KAFKA_BROKERS or the local default) and whether it answers.
 * Under CI=true an unreachable backend throws, so the run fails instead of skipping.
 * @returns {Promise<{ available: boolean, url: string, redactedUrl: string, reason?: string }>}
 */
export async function backend(name) {
  const config = settings(name);
  const result = await probe(name);
  if (result.reachable) return { available: true, url: config.raw, redactedUrl: config.url };
  const message =
    `${name} at ${config.url} is not reachable (${result.reason ?? "no answer"}). ` +
    `Start it with \`pnpm services:up\` or point ${config.envVar} at a running server.`;
  if (required()) throw new Error(`${message} CI=true: integration tests must not be skipped.`);
  console.warn(`\n!!! SKIPPING the ${name} integration tests: ${message}\n`);
  return { available: false, url: config.raw, redactedUrl: config.url, reason: result.reason };
}
