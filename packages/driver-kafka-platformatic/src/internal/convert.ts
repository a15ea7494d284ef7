import type { KafkaRecord, MessageToProduce } from "@platformatic/kafka";
import {
  addRecordHeader,
  describeError,
  KAFKA_KEY,
  type Message,
  type Metadata,
  recordId,
} from "@prism/consumer-core/driver";

export function toProducedMessage(topic: string, payload: Uint8Array, metadata: Metadata): MessageToProduce {
  // The client's default serialisers take Buffers only, header names included.
  const headers = new Map<Buffer, Buffer>();
  for (const [name, value] of Object.entries(metadata)) {
    if (name !== KAFKA_KEY) headers.set(Buffer.from(name), Buffer.from(value));
  }
  const key = metadata[KAFKA_KEY];
  return {
    topic,
    ...(key !== undefined ? { key: Buffer.from(key) } : {}),
    value: Buffer.from(payload.buffer, payload.byteOffset, payload.byteLength),
    headers,
  };
}

/**
 * A fetched record as a `Message`: headers and key become metadata as core's `addRecordHeader` says (as
 * the kafkajs driver does); a null value (a tombstone) is an empty payload. Should a record still not
 * convert, it is handed over with `conversionError` (the consumer dead-letters it) rather than thrown.
 */
export function toMessage(
  topic: string,
  partition: number,
  offset: bigint,
  timestamp: bigint,
  record: KafkaRecord,
  deliveryAttempt: number,
): Message {
  const value = record.value ?? Buffer.alloc(0);
  const converted = {
    id: recordId(partition, offset),
    topic,
    payload: new Uint8Array(value.buffer, value.byteOffset, value.byteLength),
    timestamp: Number(timestamp),
    position: { partition: String(partition), offset: Number(offset) },
    deliveryAttempt,
  };
  const metadata: Record<string, string> = {};
  try {
    for (const [name, headerValue] of record.headers) {
      if (name !== null) addRecordHeader(metadata, name.toString("utf8"), headerValue);
    }
    if (record.key !== null) addRecordHeader(metadata, KAFKA_KEY, record.key);
    return { ...converted, metadata };
  } catch (error) {
    return {
      ...converted,
      metadata,
      conversionError: `kafka record ${converted.id}: ${describeError(error)}`,
    };
  }
}
