import type { DriverFactory } from "@prism/consumer-core/driver";
import { MemStore } from "./mem-store.js";
import { memStoreOptions } from "./options.js";

/**
 * Factory for `driver: "memstore"`: a new, empty `MemStore` per distinct config. Keys (all optional):
 * `capacity`, `retention`, `visibility_timeout` (a duration such as "30s"), `acknowledged_subscriptions`.
 * To share one store between consumers (or with your test), pass `{ memstore: () => store }` instead.
 */
export const memstoreDriver: DriverFactory = (config, context) =>
  new MemStore(memStoreOptions.read(config, { style: "snake", path: context.path, defaults: false }));
