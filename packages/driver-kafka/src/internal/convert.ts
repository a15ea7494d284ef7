import {
  addRecordHeader,
  describeError,
  KAFKA_KEY,
  type Message,
  type Metadata,
  recordId,
} from "@prism/consumer-core/driver";
import type { IHeaders, KafkaMessage, Message as OutgoingMessage } from "kafkajs";

export function toKafkaMessage(payload: Uint8Array, metadata: Metadata): OutgoingMessage {
  const headers: IHeaders = {};
  for (const [name, value] of Object.entries(metadata)) if (name !== KAFKA_KEY) headers[name] = value;
  return {
    key: metadata[KAFKA_KEY] ?? null,
    value: Buffer.from(payload.buffer, payload.byteOffset, payload.byteLength),
    headers,
  };
}

/**
 * A record as a `Message`. Headers become metadata (core's `addRecordHeader`: text, "" for null, base64
 * under `name.base64` for bytes that are not UTF-8, the last of a repeated header); the key likewise as
 * `kafka-key` (or `kafka-key.base64`). A null
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
    id: recordId(partition, message.offset),
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
      if (header !== undefined) {
        addRecordHeader(metadata, name, Array.isArray(header) ? header.at(-1) : header);
      }
    }
    if (message.key !== null && message.key !== undefined) addRecordHeader(metadata, KAFKA_KEY, message.key);
    return { ...converted, metadata };
  } catch (error) {
    return {
      ...converted,
      metadata,
      conversionError: `kafka record ${converted.id}: ${describeError(error)}`,
    };
  }
}
