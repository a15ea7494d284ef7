import { isUtf8 } from "node:buffer";
import type { PayloadPreview } from "./api-types.js";

/** How much of a payload the console sends: enough to recognise it, little enough for a list of hundreds. */
export const previewBytes = 2048;

/**
 * The start of a payload for the page: UTF-8 text as it is (the page sets it as text, never as HTML),
 * anything else as a hex dump plus base64 — so bytes that are not text can neither garble the page nor
 * pass for text.
 */
export function payloadPreview(payload: Uint8Array, limit = previewBytes): PayloadPreview {
  const buffer = Buffer.from(payload.buffer, payload.byteOffset, payload.byteLength);
  if (isUtf8(buffer)) {
    // Cut by characters, not bytes, so a multi-byte character is never split; `limit` characters take at
    // most 4 × `limit` bytes, so only those are decoded.
    const chars = Array.from(buffer.subarray(0, limit * 4).toString("utf8"));
    const cut = chars.length > limit || buffer.length > limit * 4;
    return {
      bytes: buffer.length,
      encoding: "utf8",
      text: cut ? chars.slice(0, limit).join("") : chars.join(""),
      truncated: cut,
    };
  }
  const head = buffer.subarray(0, limit);
  return {
    bytes: buffer.length,
    encoding: "hex",
    text: hexDump(head),
    base64: head.toString("base64"),
    truncated: buffer.length > limit,
  };
}

/** `00000000  de ad be ef …` — 16 bytes per line, with the offset. */
function hexDump(bytes: Buffer): string {
  const lines: string[] = [];
  for (let offset = 0; offset < bytes.length; offset += 16) {
    const row = [...bytes.subarray(offset, offset + 16)].map((byte) => byte.toString(16).padStart(2, "0"));
    lines.push(`${offset.toString(16).padStart(8, "0")}  ${row.join(" ")}`);
  }
  return lines.join("\n");
}
