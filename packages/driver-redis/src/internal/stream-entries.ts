import { isUtf8 } from "node:buffer";
import type { Message } from "@prism/consumer-core/driver";

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
 * The message for an entry. The `payload` field is the payload, byte for byte. The other fields become
 * metadata: text as it is, a value that is not UTF-8 as base64 under `name.base64`; a `ts` field that is
 * an integer is the timestamp (else the id's time); a `metadata` field is a JSON object whose entries are
 * added (winning over fields of the same name), strings as they are and any other value as JSON text (as
 * the PostgreSQL driver does). An entry without `payload`, with a `metadata` field that is not a JSON
 * object, or with a field name that is not UTF-8 cannot be converted: it is handed over with
 * `conversionError` (the consumer dead-letters it, its fields kept as metadata).
 */
export function toMessage(entry: StreamEntry, topic: string, deliveryAttempt: number): Message {
  const fields = entry.fields ?? [];
  let payload: Buffer | undefined;
  let metadataJson: Buffer | undefined;
  let timestamp: number | undefined;
  let metadata: Record<string, string> = {};
  let problem: string | undefined;
  for (let i = 0; i + 1 < fields.length; i += 2) {
    const name = fields[i] as Buffer;
    const value = fields[i + 1] as Buffer;
    if (sameBytes(name, payloadName)) payload = value;
    else if (sameBytes(name, metadataName)) metadataJson = value;
    else if (sameBytes(name, timestampName) && isInteger(value)) timestamp = Number(value.toString("latin1"));
    else if (!isUtf8(name)) problem ??= `a field name is not UTF-8 text (base64 ${name.toString("base64")})`;
    else addField(metadata, name.toString("utf8"), value);
  }
  if (metadataJson !== undefined && !sameBytes(metadataJson, emptyObjectJson)) {
    const own = jsonObject(metadataJson);
    if (own) metadata = { ...metadata, ...own };
    else {
      addField(metadata, Field.Metadata, metadataJson);
      problem ??= 'its "metadata" field is not a JSON object';
    }
  }
  if (payload === undefined) {
    problem ??= `it has no "payload" field (fields: ${Object.keys(metadata).join(", ") || "none"})`;
  }
  const message: Message = {
    id: entry.id,
    topic,
    // A copy: the reply's buffers are views of the socket's read buffer, which they would keep alive.
    payload: payload ? new Uint8Array(payload) : new Uint8Array(),
    metadata,
    timestamp: timestamp ?? Number(entry.id.split("-")[0]),
    position: { partition: "0", offset: entry.id },
    deliveryAttempt,
  };
  return problem === undefined
    ? message
    : { ...message, conversionError: `redis entry ${entry.id}: ${problem}` };
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

/** Decimal digits only: a `ts` this driver (or a producer following it) wrote. */
function isInteger(value: Buffer): boolean {
  if (value.length === 0) return false;
  for (const byte of value) if (byte < 0x30 || byte > 0x39) return false;
  return true;
}

/** The `metadata` field's entries: strings as they are, other JSON values as JSON text. */
function jsonObject(json: Buffer): Record<string, string> | undefined {
  let parsed: unknown;
  try {
    parsed = JSON.parse(json.toString("utf8"));
  } catch {
    return undefined;
  }
  if (typeof parsed !== "object" || parsed === null || Array.isArray(parsed)) return undefined;
  const metadata: Record<string, string> = {};
  for (const [key, value] of Object.entries(parsed)) {
    metadata[key] = typeof value === "string" ? value : JSON.stringify(value);
  }
  return metadata;
}

/** A field as metadata: text as it is, bytes that are not UTF-8 as base64 under `name.base64`. */
function addField(metadata: Record<string, string>, name: string, value: Buffer): void {
  if (isUtf8(value)) metadata[name] = value.toString("utf8");
  else metadata[`${name}.base64`] = value.toString("base64");
}

function sameBytes(a: Buffer, b: Buffer): boolean {
  if (a.length !== b.length) return false;
  for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) return false;
  return true;
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
