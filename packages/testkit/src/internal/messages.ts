import type { Message } from "@prism/consumer-core/driver";

const encoder = new TextEncoder();
const decoder = new TextDecoder();

/**
 * Payload of test message `index`: its number, then bytes a text-only transport would mangle
 * (NUL, 0xff, a UTF-8 sequence), so binary safety is checked on every message.
 */
export function payloadOf(index: number): Uint8Array {
  const head = encoder.encode(`m${index}:`);
  const tail = new Uint8Array([0x00, 0xff, 0x0a, 0xe2, 0x82, 0xac]);
  const payload = new Uint8Array(head.length + tail.length);
  payload.set(head);
  payload.set(tail, head.length);
  return payload;
}

export function metadataOf(index: number, extra: Record<string, string> = {}): Record<string, string> {
  return { "prism-index": String(index), "content-type": "application/octet-stream", ...extra };
}

/** The index a test message carries, checking that payload and metadata agree and arrived intact. */
export function indexOf(message: Message): number {
  const index = Number(message.metadata["prism-index"]);
  if (!Number.isInteger(index)) {
    throw new Error(`message ${message.id} lost its metadata: ${JSON.stringify(message.metadata)}`);
  }
  const expected = payloadOf(index);
  const actual = message.payload;
  if (actual.length !== expected.length || actual.some((byte, i) => byte !== expected[i])) {
    throw new Error(
      `message ${message.id} (index ${index}) has a corrupted payload: ${decoder.decode(actual)}`,
    );
  }
  return index;
}

export function range(count: number, from = 0): number[] {
  return Array.from({ length: count }, (_, i) => from + i);
}
