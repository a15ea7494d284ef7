import { missingMethods } from "./capabilities.js";
import type { Position } from "./message.js";

/**
 * Optional: a state store whose database can run the processor's effects and the record of what was
 * processed in one transaction (PostgreSQL). With `behavior.transactional`, each attempt runs in a
 * transaction of it: the messages' positions are recorded first — a position some committed transaction
 * recorded already is skipped, not processed again — then the processor writes its effects through
 * `transaction.client`, and both commit together or not at all.
 */
export interface TransactionalState<Client = unknown> {
  /** Opens a transaction (`BEGIN`) on a connection of its own. */
  beginTransaction(): Promise<StateTransaction<Client>>;
  /**
   * Deletes the records of these positions under `key`: the source will not deliver them again. Also
   * deletes records under `key` older than the store's retention, left behind by members that crashed.
   */
  forgetRecorded(key: string, positions: readonly Position[]): Promise<void>;
}

/** One open transaction of a `TransactionalState`. */
export interface StateTransaction<Client = unknown> {
  /** The connection inside the transaction, for the processor's own statements. */
  readonly client: Client;
  /**
   * Records under `key`, inside this transaction, that these positions are processed. Resolves with,
   * for each position, whether it was recorded now (`false`: a committed transaction recorded it before,
   * so its effects are there already). Waits while another open transaction records the same position.
   */
  record(key: string, positions: readonly Position[]): Promise<readonly boolean[]>;
  /** Commits; the connection goes back to the store. */
  commit(): Promise<void>;
  /** Rolls back; the connection goes back to the store (or is discarded if it failed). */
  rollback(): Promise<void>;
}

export function isTransactionalState(driver: unknown): driver is TransactionalState {
  return missingMethods(driver, ["beginTransaction", "forgetRecorded"]).length === 0;
}
