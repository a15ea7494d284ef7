/** Characters a NATS KV key may hold, except `_` (the escape character) and `.` (kept only between tokens). */
const plain = /[-/=A-Za-z0-9]/;

/**
 * Turns any string into a valid NATS KV key (`[-/_=.A-Za-z0-9]`, no empty dot-separated token), readably
 * and injectively:
 * - ASCII letters, digits, `-`, `/` and `=` stay as they are;
 * - `.` stays when it has a character other than `.` on both sides, so it never starts, ends or doubles a
 *   token; otherwise it becomes `_2E`;
 * - `_` and every other byte of the UTF-8 form become `_XX` (upper-case hex): `:` → `_3A`, `é` → `_C3_A9`
 *   (a lone UTF-16 surrogate, which has no UTF-8 form, takes the three bytes UTF-8 would give its code
 *   point, which no valid character uses);
 * - the empty key becomes `_` (no other key does: every other `_` starts a three-character escape).
 *
 * So `consumer:group:orders.created:name` → `consumer_3Agroup_3Aorders.created_3Aname`. Every output
 * decodes to exactly one input, which is what keeps distinct Prism keys apart.
 */
export function encodeKvKey(key: string): string {
  if (key === "") return "_";
  let encoded = "";
  for (let i = 0; i < key.length; i++) {
    const char = key[i] as string;
    if (plain.test(char) || (char === "." && isInnerDot(key, i))) {
      encoded += char;
      continue;
    }
    const codePoint = key.codePointAt(i) as number;
    if (codePoint > 0xffff) i++; // the second half of a surrogate pair
    for (const byte of utf8Bytes(codePoint))
      encoded += `_${byte.toString(16).toUpperCase().padStart(2, "0")}`;
  }
  return encoded;
}

function isInnerDot(key: string, i: number): boolean {
  return i > 0 && i < key.length - 1 && key[i - 1] !== "." && key[i + 1] !== ".";
}

/** UTF-8 of one code point; unlike TextEncoder, keeps lone surrogates apart instead of replacing them. */
function utf8Bytes(codePoint: number): number[] {
  const tail = (shift: number) => 0x80 | ((codePoint >> shift) & 0x3f);
  if (codePoint < 0x80) return [codePoint];
  if (codePoint < 0x800) return [0xc0 | (codePoint >> 6), tail(0)];
  if (codePoint < 0x10000) return [0xe0 | (codePoint >> 12), tail(6), tail(0)];
  return [0xf0 | (codePoint >> 18), tail(12), tail(6), tail(0)];
}
