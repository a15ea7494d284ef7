// Where this checkout's private servers live: one directory, port and URL per service.
// Plain Node 20 ESM, no npm dependencies. `pnpm services:up` starts them; the test suites, the examples
// and the benchmarks connect to them unless DATABASE_URL, REDIS_URL, NATS_URL or KAFKA_BROKERS say otherwise.
import path from "node:path";
import { fileURLToPath } from "node:url";

export const SERVICES = ["postgres", "redis", "nats", "kafka", "prometheus"];

const here = path.dirname(fileURLToPath(import.meta.url));
export const REPO_ROOT = path.resolve(here, "../..");

/**
 * Ports of the private instances: next to, never on, the servers' usual ports (5432, 6379, 4222, 9092), so a
 * system server or a developer's own can run beside them. Kafka's controller listens on the port after.
 */
export const PRIVATE_PORTS = { postgres: 15432, redis: 16379, nats: 14222, kafka: 19092, prometheus: 19090 };

/** Variables that move a private instance to another port, e.g. for a second checkout on the same machine. */
export const PORT_VARIABLES = {
  postgres: "PRISM_POSTGRES_PORT",
  redis: "PRISM_REDIS_PORT",
  nats: "PRISM_NATS_PORT",
  kafka: "PRISM_KAFKA_PORT",
  prometheus: "PRISM_PROMETHEUS_PORT",
};

/** Variables that point a test suite (and the examples) at another server instead. */
export const URL_VARIABLES = {
  postgres: "DATABASE_URL",
  redis: "REDIS_URL",
  nats: "NATS_URL",
  kafka: "KAFKA_BROKERS",
  prometheus: "PROMETHEUS_URL",
};

/** The servers' usual ports, where a machine's own servers run: nothing here ever stops those. */
export const USUAL_PORTS = { postgres: 5432, redis: 6379, nats: 4222, kafka: 9092, prometheus: 9090 };

/** Per checkout (SERVICES_CACHE_DIR moves it): two clones never share data, pid files or logs. */
export function cacheDir(env = process.env) {
  return env.SERVICES_CACHE_DIR
    ? path.resolve(env.SERVICES_CACHE_DIR)
    : path.join(REPO_ROOT, ".cache", "services");
}

/**
 * This checkout's instance of a service: where it listens and keeps its files.
 * @param {"postgres"|"redis"|"nats"|"kafka"|"prometheus"} name
 */
export function instance(name, env = process.env) {
  if (!SERVICES.includes(name))
    throw new Error(`unknown service "${name}" (expected: ${SERVICES.join(" ")})`);
  const variable = PORT_VARIABLES[name];
  const text = env[variable]?.trim();
  const port = text ? Number(text) : PRIVATE_PORTS[name];
  if (!Number.isInteger(port) || port < 1 || port > 65535 || (name === "kafka" && port === 65535)) {
    throw new Error(`${variable}=${JSON.stringify(text)}: expected a port number from 1 to 65535`);
  }
  const host = "127.0.0.1";
  return { name, host, port, dir: path.join(cacheDir(env), name), url: privateUrl(name, host, port) };
}

function privateUrl(name, host, port) {
  if (name === "postgres") return `postgres://postgres@${host}:${port}/postgres`;
  if (name === "redis") return `redis://${host}:${port}`;
  if (name === "nats") return `nats://${host}:${port}`;
  if (name === "prometheus") return `http://${host}:${port}`;
  return `${host}:${port}`;
}
