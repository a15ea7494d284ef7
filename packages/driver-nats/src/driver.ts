import type { DriverFactory } from "@prism/consumer-core/driver";
import { natsOptionsFromConfig } from "./config.js";
import { NatsDriver } from "./nats-driver.js";

/**
 * Factory for `driver: "nats"`: checks the slot's `config` (snake_case keys such as `url` and
 * `max_reconnects`; errors name the config path) and connects a `NatsDriver`, which reports through the
 * consumer's logger. Pass it as `{ nats: natsDriver }` to `createConsumer`.
 */
export const natsDriver: DriverFactory = (config, context) => {
  const options = natsOptionsFromConfig(config, context.path);
  return NatsDriver.connect(context.logger ? { ...options, logger: context.logger } : options);
};
