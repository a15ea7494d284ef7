import type { BaseOptions, SASLMechanismValue } from "@platformatic/kafka";
import type { ResolvedPlatformaticOptions } from "../config.js";

/** What every client of the driver (admin, producer, group members) is created with. */
export type ClientOptions = Pick<
  BaseOptions,
  "clientId" | "bootstrapBrokers" | "connectTimeout" | "retries" | "retryDelay" | "tls" | "sasl"
>;

const mechanisms: Record<NonNullable<ResolvedPlatformaticOptions["sasl"]>["mechanism"], SASLMechanismValue> =
  {
    plain: "PLAIN",
    "scram-sha-256": "SCRAM-SHA-256",
    "scram-sha-512": "SCRAM-SHA-512",
  };

export function clientOptions(o: ResolvedPlatformaticOptions): ClientOptions {
  return {
    clientId: o.clientId,
    bootstrapBrokers: [...o.brokers],
    connectTimeout: o.connectionTimeoutMs,
    retries: 5,
    retryDelay: 100,
    ...(o.ssl ? { tls: {} } : {}),
    ...(o.sasl
      ? {
          sasl: {
            mechanism: mechanisms[o.sasl.mechanism],
            username: o.sasl.username,
            password: o.sasl.password,
          },
        }
      : {}),
  };
}
