import type { Offset } from "./message.js";

/** `123`, `"123"` (Kafka) or `"1700000000000-3"` (Redis Streams): numbers compared part by part. */
const numericOffset = /^\d+(?:-\d+)?$/;

/**
 * Orders two offsets of one partition: negative when `a` comes first, positive when `b` does, 0 when
 * equal; `undefined` when they cannot be compared (an opaque string offset of some other driver).
 * Numbers and numeric strings — Kafka offsets, JetStream sequences, Redis Streams ids — compare by value,
 * so a checkpoint can refuse to move a partition backwards.
 */
export function compareOffsets(a: Offset, b: Offset): number | undefined {
  if (typeof a === "number" && typeof b === "number") return a - b;
  const left = parts(a);
  const right = parts(b);
  if (left === undefined || right === undefined) return a === b ? 0 : undefined;
  for (let i = 0; i < 2; i++) {
    const x = left[i] ?? 0n;
    const y = right[i] ?? 0n;
    if (x !== y) return x < y ? -1 : 1;
  }
  return 0;
}

/** The later of two offsets; `candidate` when they cannot be compared (the newer write wins). */
export function laterOffset(stored: Offset | undefined, candidate: Offset): Offset {
  if (stored === undefined) return candidate;
  const order = compareOffsets(stored, candidate);
  return order !== undefined && order > 0 ? stored : candidate;
}

function parts(offset: Offset): [bigint, bigint?] | undefined {
  if (typeof offset === "number")
    return Number.isSafeInteger(offset) && offset >= 0 ? [BigInt(offset)] : undefined;
  if (!numericOffset.test(offset)) return undefined;
  const [high, low] = offset.split("-");
  return low === undefined ? [BigInt(high as string)] : [BigInt(high as string), BigInt(low)];
}
