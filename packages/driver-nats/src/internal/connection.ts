import { type ConnectionOptions, connect, type NatsConnection } from "@nats-io/transport-node";
import { describeError, isPrismError, PrismError, PrismErrorCode } from "@prism/consumer-core/driver";
import type { ResolvedNatsOptions } from "../config.js";
import { isTransientNatsError } from "../errors.js";

/**
 * Connects to the configured servers. The first connection fails at once when no server answers (a
 * `PrismError`: BACKEND_UNAVAILABLE when unreachable, BACKEND_REJECTED when authorization fails); once
 * connected, nats.js reconnects after a lost connection, `maxReconnects` times per server (-1: forever).
 */
export async function openConnection(options: ResolvedNatsOptions): Promise<NatsConnection> {
  const connectionOptions: ConnectionOptions = {
    servers: [...options.servers],
    maxReconnectAttempts: options.maxReconnects,
    waitOnFirstConnect: false,
    ...(options.user !== undefined ? { user: options.user } : {}),
    ...(options.password !== undefined ? { pass: options.password } : {}),
    ...(options.token !== undefined ? { token: options.token } : {}),
    ...(options.tls ? { tls: {} } : {}),
    ...(options.name !== undefined ? { name: options.name } : {}),
  };
  try {
    return await connect(connectionOptions);
  } catch (error) {
    throw connectError(error, options.servers.join(","));
  }
}

/** An error of the first connection attempt, naming the servers (never credentials) and what to check. */
export function connectError(error: unknown, servers: string): PrismError {
  if (isPrismError(error)) return error;
  const detail = describeError(error);
  if (isTransientNatsError(error)) {
    return new PrismError(
      PrismErrorCode.BackendUnavailable,
      `could not connect to NATS at ${servers}: ${detail}; is the server running and the url right?`,
      { cause: error },
    );
  }
  const hint = /authori[sz]ation/i.test(detail) ? "; check user/password/token" : "";
  return new PrismError(
    PrismErrorCode.BackendRejected,
    `NATS at ${servers} refused the connection: ${detail}${hint}`,
    {
      cause: error,
    },
  );
}
