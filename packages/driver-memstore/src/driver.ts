import {
  ConfigError,
  type ConfigIssue,
  type DriverFactory,
  parseDuration,
  timerLimitProblem,
} from "@prism/consumer-core/driver";
import { MemStore, type MemStoreOptions } from "./mem-store.js";

/**
 * Factory for `driver: "memstore"`: a new, empty `MemStore` per distinct config. Keys (all optional):
 * `capacity`, `retention`, `visibility_timeout` (a duration such as "30s"). To share one store between
 * consumers (or with your test), pass `{ memstore: () => store }` instead.
 */
export const memstoreDriver: DriverFactory = (config, context) =>
  new MemStore(memStoreOptions(config, context.path));

function memStoreOptions(config: Readonly<Record<string, unknown>>, path: string): MemStoreOptions {
  const issues: ConfigIssue[] = [];
  const options: { -readonly [K in keyof MemStoreOptions]: MemStoreOptions[K] } = {};
  for (const [key, value] of Object.entries(config)) {
    if (key === "capacity" || key === "retention") {
      if (typeof value === "number" && Number.isInteger(value) && value >= (key === "capacity" ? 1 : 0)) {
        options[key] = value;
      } else {
        issues.push({
          path: `${path}.${key}`,
          message: `expected an integer >= ${key === "capacity" ? 1 : 0}, got ${JSON.stringify(value)}`,
        });
      }
    } else if (key === "visibility_timeout") {
      const ms = parseDuration(value);
      const tooLong = ms === undefined ? undefined : timerLimitProblem(ms, JSON.stringify(value));
      if (ms !== undefined && ms > 0 && !tooLong) options.visibilityTimeoutMs = ms;
      else
        issues.push({
          path: `${path}.${key}`,
          message: tooLong ?? `expected a duration like "30s", got ${JSON.stringify(value)}`,
        });
    } else {
      issues.push({
        path: `${path}.${key}`,
        message: "unknown key; expected one of capacity, retention, visibility_timeout",
      });
    }
  }
  if (issues.length > 0) throw new ConfigError(issues);
  return options;
}
