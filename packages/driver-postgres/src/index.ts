export { postgresDriver } from "./driver.js";
export type { ErrorContext } from "./errors.js";
export { mapPostgresError } from "./errors.js";
export type { SchemaNames } from "./internal/schema.js";
export type { PostgresDriverOptions } from "./options.js";
export { parsePostgresConfig } from "./options.js";
export { PostgresDriver } from "./postgres-driver.js";
export { transactionOf } from "./transaction-of.js";
