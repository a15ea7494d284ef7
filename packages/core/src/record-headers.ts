import { isUtf8 } from "node:buffer";

/** Metadata key that carries a Kafka record's key in both directions. */
export const KAFKA_KEY = "kafka-key";

/** Appended to a metadata key whose value arrived as bytes that are not UTF-8 text, given as base64. */
export const BASE64_SUFFIX = ".base64";

/**
 * Adds one record header (or key) to `metadata`: text as it is, a null value (`kcat -H name`, Java's
 * `new RecordHeader(name, null)`) as "", bytes that are not UTF-8 as base64 under `name.base64`. A
 * repeated name keeps its last value. Throws for a value of any other type (the caller hands the record
 * over with a `conversionError` rather than stall the partition).
 */
export function addRecordHeader(metadata: Record<string, string>, name: string, value: unknown): void {
  if (typeof value === "string") metadata[name] = value;
  else if (value === null || value === undefined) metadata[name] = "";
  else if (!Buffer.isBuffer(value))
    throw new TypeError(`header "${name}" has a value of type ${typeof value}`);
  else if (isUtf8(value)) metadata[name] = value.toString("utf8");
  else metadata[`${name}${BASE64_SUFFIX}`] = value.toString("base64");
}

/** A record's id: partition and offset. */
export function recordId(partition: number, offset: string | bigint): string {
  return `${partition}-${offset}`;
}
