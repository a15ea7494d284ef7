import type { Logger } from "@prism/consumer-core/driver";
import { describeError, reconnectDelay } from "@prism/consumer-core/driver";
import type { Redis, RedisOptions } from "ioredis";
import { mapRedisError } from "../errors.js";

/**
 * For every connection the driver opens. `lazyConnect` lets `connectClient` fail fast on the first
 * connect; after that, lost connections reconnect with backoff capped at 2 s, forever. Commands issued
 * while disconnected wait through at most 5 reconnect attempts (a few seconds), then fail with
 * MaxRetriesPerRequestError, which maps to a retryable BACKEND_UNAVAILABLE.
 */
export function connectionDefaults(connectTimeoutMs: number): RedisOptions {
  return {
    lazyConnect: true,
    connectTimeout: connectTimeoutMs,
    maxRetriesPerRequest: 5,
    retryStrategy: (attempt) => reconnectDelay(attempt, { maxMs: 2000 }),
  };
}

/**
 * Connects a lazy client and PINGs it. On failure the client is disconnected (so it stops retrying) and
 * the error that explains it best — the socket or AUTH error ioredis emitted, not the generic
 * "Connection is closed." its `connect()` rejects with — is thrown as a `PrismError`.
 */
export async function connectClient(client: Redis, where: string): Promise<void> {
  let emitted: unknown;
  const remember = (error: unknown) => {
    emitted ??= error;
  };
  client.on("error", remember);
  try {
    await client.connect();
    await client.ping();
  } catch (error) {
    client.disconnect();
    throw mapRedisError(emitted ?? error, `connect to ${where}`);
  } finally {
    client.off("error", remember);
  }
}

/**
 * Logs connection trouble once per outage (ioredis emits an error on every reconnect attempt) and the
 * recovery; without an "error" listener ioredis would print every attempt itself.
 */
export function reportConnectionTrouble(client: Redis, logger: Logger, where: string): void {
  let failing = false;
  client.on("error", (error: unknown) => {
    if (failing) return;
    failing = true;
    logger.warn(`redis connection to ${where} failed; reconnecting`, { error: describeError(error) });
  });
  client.on("ready", () => {
    if (!failing) return;
    failing = false;
    logger.info(`redis connection to ${where} is back`);
  });
}

/** Closes a connection the driver owns: QUIT when connected (lets replies drain), else drop the socket. */
export async function closeClient(client: Redis): Promise<void> {
  if (client.status === "ready") {
    await client.quit().catch(() => client.disconnect());
  } else {
    client.disconnect();
  }
}
