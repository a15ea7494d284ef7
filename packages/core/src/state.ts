import { PrismError, PrismErrorCode } from "./errors.js";
import type { Offset } from "./message.js";

/**
 * The checkpoint JSON kept in the state store, as in the original design, plus `offsets` for sources
 * with several partitions. Offsets are of the last *finished* message: resuming starts right after them.
 */
export interface ConsumerState {
  /** Offset of the message named by `last_message_id` (the seed's single-stream field). */
  offset: Offset | null;
  /** Last finished offset per partition; what resuming uses. */
  offsets: Record<string, Offset>;
  last_message_id: string | null;
  /** ISO-8601 time of the commit. */
  last_updated: string;
  /** Retries this consumer has made in its lifetime (carried across restarts). */
  retry_count: number;
}

/** `consumer:{group}:{topic}:{name}`, the key the state is stored under. */
export function stateKey(group: string, topic: string, name: string): string {
  return `consumer:${group}:${topic}:${name}`;
}

const encoder = new TextEncoder();
const decoder = new TextDecoder("utf-8", { fatal: true });

export function encodeState(state: ConsumerState): Uint8Array {
  return encoder.encode(JSON.stringify(state));
}

/**
 * Reads stored state. Accepts the seed's original shape (no `offsets`: its `offset` is then the
 * position in partition "0"); anything else malformed throws `STATE_CORRUPT` naming the key.
 */
export function decodeState(bytes: Uint8Array, key: string): ConsumerState {
  let raw: unknown;
  try {
    raw = JSON.parse(decoder.decode(bytes));
  } catch (error) {
    throw corrupt(key, "it is not UTF-8 JSON", error);
  }
  if (typeof raw !== "object" || raw === null || Array.isArray(raw))
    throw corrupt(key, "it is not an object");
  const record = raw as Record<string, unknown>;
  const offset = record.offset ?? null;
  if (offset !== null && !isOffset(offset)) throw corrupt(key, "offset is not a number or string");
  let offsets: Record<string, Offset> = {};
  if (record.offsets !== undefined) {
    if (typeof record.offsets !== "object" || record.offsets === null || Array.isArray(record.offsets)) {
      throw corrupt(key, "offsets is not an object");
    }
    for (const [partition, value] of Object.entries(record.offsets)) {
      if (!isOffset(value)) throw corrupt(key, `offsets.${partition} is not a number or string`);
      offsets[partition] = value;
    }
  } else if (offset !== null) {
    offsets = { "0": offset };
  }
  const lastMessageId = record.last_message_id ?? null;
  if (lastMessageId !== null && typeof lastMessageId !== "string") {
    throw corrupt(key, "last_message_id is not a string");
  }
  const retryCount = record.retry_count ?? 0;
  if (typeof retryCount !== "number" || !Number.isInteger(retryCount) || retryCount < 0) {
    throw corrupt(key, "retry_count is not an integer >= 0");
  }
  return {
    offset,
    offsets,
    last_message_id: lastMessageId,
    last_updated: typeof record.last_updated === "string" ? record.last_updated : "",
    retry_count: retryCount,
  };
}

function isOffset(value: unknown): value is Offset {
  return (typeof value === "number" && Number.isFinite(value)) || typeof value === "string";
}

function corrupt(key: string, why: string, cause?: unknown): PrismError {
  return new PrismError(
    PrismErrorCode.StateCorrupt,
    `state at "${key}" cannot be read: ${why}; fix or delete the key to start over`,
    { cause },
  );
}
