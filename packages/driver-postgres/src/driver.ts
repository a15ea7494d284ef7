import type { DriverFactory } from "@prism/consumer-core/driver";
import { parsePostgresConfig } from "./options.js";
import { PostgresDriver } from "./postgres-driver.js";

/**
 * Factory for `driver: "postgres"`: checks the slot's `config` (see `parsePostgresConfig`), connects and
 * creates the missing tables; fails with a `PrismError` when the server is unreachable or refuses.
 * Pass it as `{ postgres: postgresDriver }` to `createConsumer`.
 */
export const postgresDriver: DriverFactory = (config, context) =>
  PostgresDriver.connect({
    ...parsePostgresConfig(config, context.path),
    ...(context.logger ? { logger: context.logger } : {}),
  });
