import { PrismError, PrismErrorCode } from "@prism/consumer-core/driver";
import type { PoolClient } from "pg";

/**
 * The `pg` client of the attempt's transaction (`behavior.transactional` with the postgres driver as
 * state store), typed: write the processor's effects through it and they commit together with the
 * record that the message was processed — exactly once. Do not commit, roll back or release it.
 */
export function transactionOf(context: { readonly transaction?: unknown }): PoolClient {
  const client = context.transaction;
  if (client === undefined || client === null) {
    throw new PrismError(
      PrismErrorCode.Lifecycle,
      "transactionOf(context): no transaction; set behavior.transactional: true with the postgres driver as state store",
    );
  }
  return client as PoolClient;
}
