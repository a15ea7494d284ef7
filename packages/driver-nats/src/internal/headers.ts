import { headers, type MsgHdrs } from "@nats-io/transport-node";
import { type Metadata, PrismError, PrismErrorCode } from "@prism/consumer-core/driver";

/** Core NATS has no message ids: the driver sends the id it returns from `publish` in this header. */
export const messageIdHeader = "prism-message-id";

/**
 * Metadata as NATS headers, keys and values unchanged. Throws BACKEND_REJECTED (before anything is sent)
 * for what headers cannot carry intact: a key with a colon, whitespace or a non-ASCII character; a value
 * with a line break or leading/trailing whitespace (NATS trims it).
 */
export function toHeaders(metadata: Metadata, extra?: Metadata): MsgHdrs | undefined {
  const entries = [...Object.entries(metadata), ...Object.entries(extra ?? {})];
  if (entries.length === 0) return undefined;
  const result = headers();
  for (const [key, value] of entries) {
    if (!/^[!-9;-~]+$/.test(key)) {
      throw rejected(
        `metadata key ${JSON.stringify(key)} cannot be a NATS header name (printable ASCII without ":" or spaces)`,
      );
    }
    if (/[\r\n]/.test(value) || value !== value.trim()) {
      throw rejected(
        `metadata ${JSON.stringify(key)}: NATS header values cannot contain line breaks or start or end with whitespace`,
      );
    }
    result.set(key, value);
  }
  return result;
}

/** Headers as metadata (the first value of a repeated header), without the driver's own id header. */
export function toMetadata(messageHeaders: MsgHdrs | undefined): Record<string, string> {
  const metadata: Record<string, string> = {};
  if (!messageHeaders) return metadata;
  for (const [key, values] of messageHeaders) {
    if (key !== messageIdHeader && values[0] !== undefined) metadata[key] = values[0];
  }
  return metadata;
}

function rejected(message: string): PrismError {
  return new PrismError(PrismErrorCode.BackendRejected, message);
}
