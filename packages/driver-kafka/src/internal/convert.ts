import type { Message, Metadata } from "@prism/consumer-core/driver";
import type { IHeaders, KafkaMessage, Message as OutgoingMessage } from "kafkajs";

/** Metadata key that carries the Kafka message key in both directions. */
export const KAFKA_KEY = "kafka-key";

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

export function toMessage(
  topic: string,
  partition: number,
  message: KafkaMessage,
  deliveryAttempt: number,
): Message {
  const metadata: Record<string, string> = {};
  const headers = message.headers ?? {};
  // for…in rather than Object.entries: no array per message on this hot path.
  for (const name in headers) {
    const value = headers[name];
    if (value === undefined) continue;
    // A header may repeat; the metadata map keeps its last value.
    const last = Array.isArray(value) ? value[value.length - 1] : value;
    if (last !== undefined) metadata[name] = typeof last === "string" ? last : last.toString("utf8");
  }
  if (message.key !== null && message.key !== undefined) metadata[KAFKA_KEY] = message.key.toString("utf8");
  const value = message.value ?? Buffer.alloc(0);
  return {
    id: messageId(partition, message.offset),
    topic,
    payload: new Uint8Array(value.buffer, value.byteOffset, value.byteLength),
    metadata,
    timestamp: Number(message.timestamp),
    position: { partition: String(partition), offset: Number(message.offset) },
    deliveryAttempt,
  };
}
