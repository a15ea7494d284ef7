export type { NatsDriverOptions } from "./config.js";
export { natsOptionsFromConfig } from "./config.js";
export { natsDriver } from "./driver.js";
export { isTransientNatsError, mapNatsError } from "./errors.js";
export { NatsDriver } from "./nats-driver.js";
