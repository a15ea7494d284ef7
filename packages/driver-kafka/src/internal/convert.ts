import { isUtf8 } from "node:buffer";
import { describeError, type Message, type Metadata } from "@prism/consumer-core/driver";
import type { IHeaders, KafkaMessage, Message as OutgoingMessage } from "kafkajs";

/** Metadata key that carries the Kafka message key in both directions. */
export const KAFKA_KEY = "kafka-key";

/** Appended to a metadata key whose value arrived as bytes that are not UTF-8 text, given as base64. */
export const BASE64_SUFFIX = ".base64";

export function toKafkaMessage(payload: Uint8Array, metadata: Metadata): OutgoingMessage {
  const headers: IHeaders = {};
  for (const [name, value] of Object.entries(metadata)) if (name !== KAFKA_KEY) headers[name] = value;
  return {
    key: metadata[KAFKA_KEY] ?? null,
    value: Buffer.from(payload.buffer, payload.byteOffset, payload.byteLength),
    headers,
  };
}

export function messageId(partition: number, offset: string): string {
  return `${partition}-${offset}`;
}

/**
 * A record as a `Message`. Headers become metadata: text as it is, a null value (`kcat -H name`, Java's
 * `new RecordHeader(name, null)`) as "", bytes that are not UTF-8 as base64 under `name.base64`, and
 * for a repeated header its last value; the key likewise as `kafka-key` (or `kafka-key.base64`). A null
 * value (a tombstone) is an empty payload. Should a record still not convert, it is handed over with
 * `conversionError` (the consumer dead-letters it) rather than thrown: a throw would stall the partition.
 */
export function toMessage(
  topic: string,
  partition: number,
  message: KafkaMessage,
  deliveryAttempt: number,
): Message {
  const value = message.value ?? Buffer.alloc(0);
  const converted = {
    id: messageId(partition, message.offset),
    topic,
    payload: new Uint8Array(value.buffer, value.byteOffset, value.byteLength),
    timestamp: Number(message.timestamp),
    position: { partition: String(partition), offset: Number(message.offset) },
    deliveryAttempt,
  };
  const metadata: Record<string, string> = {};
  try {
    const headers = message.headers ?? {};
    // for…in rather than Object.entries: no array per message on this hot path.
    for (const name in headers) {
      const header = headers[name];
      if (header !== undefined) addHeader(metadata, name, Array.isArray(header) ? header.at(-1) : header);
    }
    if (message.key !== null && message.key !== undefined) addHeader(metadata, KAFKA_KEY, message.key);
    return { ...converted, metadata };
  } catch (error) {
    return {
      ...converted,
      metadata,
      conversionError: `kafka record ${converted.id}: ${describeError(error)}`,
    };
  }
}

function addHeader(metadata: Record<string, string>, name: string, value: unknown): void {
  if (typeof value === "string") metadata[name] = value;
  else if (value === null || value === undefined) metadata[name] = "";
  else if (!Buffer.isBuffer(value))
    throw new TypeError(`header "${name}" has a value of type ${typeof value}`);
  else if (isUtf8(value)) metadata[name] = value.toString("utf8");
  else metadata[`${name}${BASE64_SUFFIX}`] = value.toString("base64");
}
