import { headers, type MsgHdrs } from "@nats-io/transport-node";
import { describeError, type Metadata, PrismError, PrismErrorCode } from "@prism/consumer-core/driver";

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

/**
 * A message's headers as metadata (a repeated header's last value, as in the other drivers), without the
 * driver's own id header. nats.js parses them when first read and throws for a header it cannot read (a
 * name with characters NATS does not allow, from a producer that wrote the protocol itself): then
 * `problem` says why and the metadata is empty — the message is handed over unconvertible, not thrown.
 */
export function readMetadata(read: () => MsgHdrs | undefined): { metadata: Metadata; problem?: string } {
  let messageHeaders: MsgHdrs | undefined;
  try {
    messageHeaders = read();
  } catch (error) {
    return { metadata: {}, problem: `its headers cannot be read: ${describeError(error)}` };
  }
  const metadata: Record<string, string> = {};
  for (const [key, values] of messageHeaders ?? []) {
    const last = values.at(-1);
    if (key !== messageIdHeader && last !== undefined) metadata[key] = last;
  }
  return { metadata };
}

function rejected(message: string): PrismError {
  return new PrismError(PrismErrorCode.BackendRejected, message);
}
