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
  // The checkpoint compares every finished message's offset: text in canonical form (no leading zeros)
  // compares without parsing or allocating.
  if (typeof a === "string" && typeof b === "string") {
    const order = compareCanonical(a, b);
    if (order !== undefined) return order;
  }
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

/** Compares `"123"` or `"1700000000000-3"` forms written without leading zeros; undefined for any other text. */
function compareCanonical(a: string, b: string): number | undefined {
  const dashA = a.indexOf("-");
  const dashB = b.indexOf("-");
  const highA = dashA < 0 ? a.length : dashA;
  const highB = dashB < 0 ? b.length : dashB;
  if (!isCanonical(a, 0, highA) || !isCanonical(b, 0, highB)) return undefined;
  if (dashA >= 0 && !isCanonical(a, dashA + 1, a.length)) return undefined;
  if (dashB >= 0 && !isCanonical(b, dashB + 1, b.length)) return undefined;
  const high = compareDigits(a, 0, highA, b, 0, highB);
  if (high !== 0) return high;
  // A missing sequence part counts as 0.
  return compareDigits(
    dashA < 0 ? "0" : a,
    dashA < 0 ? 0 : dashA + 1,
    dashA < 0 ? 1 : a.length,
    dashB < 0 ? "0" : b,
    dashB < 0 ? 0 : dashB + 1,
    dashB < 0 ? 1 : b.length,
  );
}

/** Digits only, at least one, and no leading zero (so the longer number is the larger). */
function isCanonical(text: string, start: number, end: number): boolean {
  if (end <= start || (end - start > 1 && text.charCodeAt(start) === 48)) return false;
  for (let i = start; i < end; i++) {
    const code = text.charCodeAt(i);
    if (code < 48 || code > 57) return false;
  }
  return true;
}

function compareDigits(
  a: string,
  startA: number,
  endA: number,
  b: string,
  startB: number,
  endB: number,
): number {
  const lengths = endA - startA - (endB - startB);
  if (lengths !== 0) return lengths < 0 ? -1 : 1;
  for (let i = 0; i < endA - startA; i++) {
    const difference = a.charCodeAt(startA + i) - b.charCodeAt(startB + i);
    if (difference !== 0) return difference < 0 ? -1 : 1;
  }
  return 0;
}
