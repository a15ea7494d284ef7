export type { RedisDriverOptions } from "./config.js";
export { redisDriver } from "./driver.js";
export { isTransientRedisError, mapRedisError } from "./errors.js";
export { RedisDriver } from "./redis-driver.js";
