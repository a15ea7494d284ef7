export { memstoreDriver } from "./driver.js";
export type { MemStoreOptions } from "./mem-store.js";
export { MemStore } from "./mem-store.js";
