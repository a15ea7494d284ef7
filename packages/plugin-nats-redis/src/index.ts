import {
  type ConsumerConfig,
  ConsumerPlugin,
  type DriverFactories,
  type PluginDefinition,
  type PluginOptions,
} from "@prism/consumer-core";
import { memstoreDriver } from "@prism/driver-memstore";
import { natsDriver } from "@prism/driver-nats";
import { redisDriver } from "@prism/driver-redis";

/** The drivers this plugin resolves `slots.*.driver` names with: nats, redis and memstore. */
export const natsRedisDrivers: DriverFactories = {
  nats: natsDriver,
  redis: redisDriver,
  memstore: memstoreDriver,
};

export const natsRedisPlugin: PluginDefinition = { drivers: natsRedisDrivers };

/**
 * A consumer with NATS as its message source (JetStream by default: at-least-once, resumed from the
 * checkpoint) and Redis as its state store, from the seed's `ConsumerConfig` or a path to its YAML —
 * the seed's `order-processor` file loads and runs as written. Lifecycle: `initialize()`,
 * `setProcessor()`, `start()`, `stop()`. A dead-letter slot may name any driver with a queue: nats
 * (JetStream), redis (Streams) or memstore here, or others passed in `options.drivers`.
 */
export function natsRedis(config: ConsumerConfig | string, options: PluginOptions = {}): ConsumerPlugin {
  return new ConsumerPlugin(config, natsRedisPlugin, options);
}
