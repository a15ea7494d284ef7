import type { DriverFactory } from "@prism/consumer-core/driver";
import { parseRedisConfig } from "./config.js";
import { RedisDriver } from "./redis-driver.js";

/**
 * Factory for `driver: "redis"`: a connected `RedisDriver` per distinct config. Keys (all optional):
 * `address` or `url`, `username`, `password`, `db`, `tls`, `connect_timeout`, `pool_size`, `key_prefix`,
 * `claim_idle`, `block`, `batch_size`, `max_len` (see the README). Bad keys fail with a `ConfigError`
 * naming each by path; an unreachable server fails with BACKEND_UNAVAILABLE.
 */
export const redisDriver: DriverFactory = (config, context) =>
  RedisDriver.connect({
    ...parseRedisConfig(config, context.path),
    ...(context.logger ? { logger: context.logger } : {}),
  });
