import { probe, settings } from "../../scripts/services/probe.mjs";

/** Connection string of a service: its env var (DATABASE_URL, …) or the local default. Never print it. */
export function serviceUrl(name) {
  return settings(name).raw;
}

/** Kafka brokers as a list of host:port. */
export function kafkaBrokers() {
  return settings("kafka").targets.map((t) => `${t.host}:${t.port}`);
}

/** Whether the service answers; `reason` (credentials redacted) when it does not. */
export async function checkService(name) {
  const result = await probe(name);
  return { reachable: result.reachable, reason: result.reason };
}
