import type { Message, Metadata } from "@prism/consumer-core/driver";

/**
 * One stream entry as Redis returns it: `fields` alternates names and values; it is null for an entry
 * deleted (trimmed) while pending.
 */
export interface StreamEntry {
  readonly id: string;
  readonly fields: readonly Buffer[] | null;
}

/** The fields the driver writes with XADD. */
export const Field = { Payload: "payload", Metadata: "metadata", Timestamp: "ts" } as const;

// Field names as bytes: a reply's names are compared without decoding them (it runs per message).
const payloadName = Buffer.from(Field.Payload);
const metadataName = Buffer.from(Field.Metadata);
const timestampName = Buffer.from(Field.Timestamp);
const emptyObjectJson = Buffer.from("{}");

/** The entries of an XREADGROUP reply for one stream (`null` when BLOCK timed out). */
export function entriesOfRead(reply: unknown): StreamEntry[] {
  if (reply === null) return [];
  const streams = list(reply, "XREADGROUP");
  const first = streams[0];
  return first === undefined ? [] : entryList(list(first, "XREADGROUP stream")[1]);
}

/** The entries of an XCLAIM reply (entries deleted from the stream meanwhile are left out by Redis). */
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
  const fields = entry.fields ?? [];
  let payload: Buffer | undefined;
  let metadataJson: Buffer | undefined;
  let timestampText: Buffer | undefined;
  for (let i = 0; i + 1 < fields.length; i += 2) {
    const name = fields[i] as Buffer;
    const value = fields[i + 1] as Buffer;
    if (sameBytes(name, payloadName)) payload = value;
    else if (sameBytes(name, metadataName)) metadataJson = value;
    else if (sameBytes(name, timestampName)) timestampText = value;
  }
  const timestamp = timestampText === undefined ? Number.NaN : Number(timestampText.toString("latin1"));
  return {
    id: entry.id,
    topic,
    // A copy: the reply's buffers are views of the socket's read buffer, which they would keep alive.
    payload: payload ? new Uint8Array(payload) : new Uint8Array(),
    metadata: metadataJson === undefined ? foreignMetadata(fields) : ownMetadata(metadataJson, fields),
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

/** The `metadata` field as written by this driver (JSON of a string map). */
function ownMetadata(json: Buffer, fields: readonly Buffer[]): Metadata {
  if (sameBytes(json, emptyObjectJson)) return {};
  const parsed = parseJson(json.toString("utf8"));
  if (typeof parsed !== "object" || parsed === null || Array.isArray(parsed)) return foreignMetadata(fields);
  const metadata: Record<string, string> = {};
  for (const key in parsed) metadata[key] = String((parsed as Record<string, unknown>)[key]);
  return metadata;
}

/** An entry another producer wrote: every field but `payload` becomes metadata. */
function foreignMetadata(fields: readonly Buffer[]): Metadata {
  const metadata: Record<string, string> = {};
  for (let i = 0; i + 1 < fields.length; i += 2) {
    const name = fields[i] as Buffer;
    if (!sameBytes(name, payloadName))
      metadata[name.toString("utf8")] = (fields[i + 1] as Buffer).toString("utf8");
  }
  return metadata;
}

function sameBytes(a: Buffer, b: Buffer): boolean {
  if (a.length !== b.length) return false;
  for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) return false;
  return true;
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
    const fields = flat === null ? null : list(flat, "entry fields");
    if (fields?.some((field) => !Buffer.isBuffer(field))) {
      throw new TypeError("unexpected entry fields in a redis reply: expected bulk strings");
    }
    return { id: text(id, "entry id"), fields: fields as Buffer[] | null };
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
