import type { Message, Metadata } from "@prism/consumer-core";

/** One stream entry as Redis returns it; `fields` is null for an entry deleted (trimmed) while pending. */
export interface StreamEntry {
  readonly id: string;
  readonly fields: ReadonlyMap<string, Buffer> | null;
}

/** The fields the driver writes with XADD. */
export const Field = { Payload: "payload", Metadata: "metadata", Timestamp: "ts" } as const;

/** The entries of an XREADGROUP reply for one stream (`null` when BLOCK timed out). */
export function entriesOfRead(reply: unknown): StreamEntry[] {
  if (reply === null) return [];
  const streams = list(reply, "XREADGROUP");
  const first = streams[0];
  return first === undefined ? [] : entryList(list(first, "XREADGROUP stream")[1]);
}

/** XAUTOCLAIM: the cursor for the next call and the claimed entries (deleted ones are not included). */
export function entriesOfAutoClaim(reply: unknown): { cursor: string; entries: StreamEntry[] } {
  const [cursor, entries] = list(reply, "XAUTOCLAIM");
  return { cursor: text(cursor, "XAUTOCLAIM cursor"), entries: entryList(entries) };
}

/** XCLAIM (without JUSTID): the claimed entries. */
export function entriesOfClaim(reply: unknown): StreamEntry[] {
  return entryList(reply);
}

/** XPENDING's extended form: delivery count per entry id. */
export function deliveryCounts(reply: unknown): Map<string, number> {
  const counts = new Map<string, number>();
  for (const row of list(reply, "XPENDING")) {
    const [id, , , count] = list(row, "XPENDING row");
    counts.set(text(id, "XPENDING id"), Number(count));
  }
  return counts;
}

/**
 * The message for an entry. Entries written by this driver carry `payload`, `metadata` (JSON) and `ts`;
 * for entries written by other producers, every field but `payload` becomes metadata.
 */
export function toMessage(entry: StreamEntry, topic: string, deliveryAttempt: number): Message {
  const fields = entry.fields ?? new Map<string, Buffer>();
  const payload = fields.get(Field.Payload);
  const timestamp = Number(fields.get(Field.Timestamp)?.toString("latin1"));
  return {
    id: entry.id,
    topic,
    payload: payload ? new Uint8Array(payload) : new Uint8Array(),
    metadata: metadataOf(fields),
    timestamp: Number.isFinite(timestamp) ? timestamp : Number(entry.id.split("-")[0]),
    position: { partition: "0", offset: entry.id },
    deliveryAttempt,
  };
}

/** Orders stream ids ("ms-seq") numerically. */
export function compareIds(a: string, b: string): number {
  const [aMs = "0", aSeq = "0"] = a.split("-");
  const [bMs = "0", bSeq = "0"] = b.split("-");
  const byMs = BigInt(aMs) - BigInt(bMs);
  if (byMs !== 0n) return byMs < 0n ? -1 : 1;
  const bySeq = BigInt(aSeq) - BigInt(bSeq);
  return bySeq === 0n ? 0 : bySeq < 0n ? -1 : 1;
}

function metadataOf(fields: ReadonlyMap<string, Buffer>): Metadata {
  const json = fields.get(Field.Metadata);
  const parsed = json === undefined ? undefined : parseJson(json.toString("utf8"));
  if (typeof parsed === "object" && parsed !== null && !Array.isArray(parsed)) {
    return Object.fromEntries(Object.entries(parsed).map(([key, value]) => [key, String(value)]));
  }
  const metadata: Record<string, string> = {};
  for (const [name, value] of fields) {
    if (name !== Field.Payload) metadata[name] = value.toString("utf8");
  }
  return metadata;
}

function parseJson(json: string): unknown {
  try {
    return JSON.parse(json);
  } catch {
    return undefined; // not ours: its fields become metadata
  }
}

function entryList(raw: unknown): StreamEntry[] {
  return list(raw, "entries").map((item) => {
    const [id, flat] = list(item, "entry");
    if (flat === null) return { id: text(id, "entry id"), fields: null };
    const values = list(flat, "entry fields");
    const fields = new Map<string, Buffer>();
    for (let i = 0; i + 1 < values.length; i += 2) {
      fields.set(text(values[i], "field name"), values[i + 1] as Buffer);
    }
    return { id: text(id, "entry id"), fields };
  });
}

function list(value: unknown, what: string): unknown[] {
  if (!Array.isArray(value)) throw new TypeError(`unexpected ${what} reply from redis: ${typeof value}`);
  return value;
}

function text(value: unknown, what: string): string {
  if (Buffer.isBuffer(value)) return value.toString("utf8");
  if (typeof value === "string") return value;
  throw new TypeError(`unexpected ${what} in a redis reply: ${typeof value}`);
}
