import { describe, expect, it } from "vitest";
import { encodeKvKey } from "./kv-keys.js";

/** What NATS accepts as a KV key: its characters, and no empty dot-separated token. */
function isValidNatsKey(key: string): boolean {
  return /^[-/_=.A-Za-z0-9]+$/.test(key) && key.split(".").every((token) => token !== "");
}

/** Every string of up to `length` characters from `alphabet`, the empty one included. */
function allStrings(alphabet: readonly string[], length: number): string[] {
  let level = [""];
  const all = [""];
  for (let n = 0; n < length; n++) {
    level = level.flatMap((prefix) => alphabet.map((char) => prefix + char));
    all.push(...level);
  }
  return all;
}

describe("encodeKvKey", () => {
  it("keeps Prism state keys readable: only ':' and '_' are escaped", () => {
    expect(encodeKvKey("consumer:order-processor-group:orders.created:order-processor")).toBe(
      "consumer_3Aorder-processor-group_3Aorders.created_3Aorder-processor",
    );
    expect(encodeKvKey("consumer:my_group:a/b=c:x")).toBe("consumer_3Amy_5Fgroup_3Aa/b=c_3Ax");
  });

  it("escapes dots that would start, end or double a token, and nothing else", () => {
    expect(encodeKvKey("a.b.c")).toBe("a.b.c");
    expect(encodeKvKey(".a")).toBe("_2Ea");
    expect(encodeKvKey("a.")).toBe("a_2E");
    expect(encodeKvKey("a..b")).toBe("a_2E_2Eb");
    expect(encodeKvKey(".")).toBe("_2E");
    expect(encodeKvKey("...")).toBe("_2E_2E_2E");
  });

  it("escapes wildcards, whitespace and non-ASCII text as UTF-8 bytes", () => {
    expect(encodeKvKey("orders.*.>")).toBe("orders._2A._3E");
    expect(encodeKvKey("a b\tc")).toBe("a_20b_09c");
    expect(encodeKvKey("café")).toBe("caf_C3_A9");
    expect(encodeKvKey("😀")).toBe("_F0_9F_98_80");
    expect(encodeKvKey("")).toBe("_");
  });

  it("keeps lone surrogates apart from each other and from U+FFFD (which TextEncoder would not)", () => {
    const keys = ["\uD800", "\uDC00", "\uFFFD", "\uD83D", "\uDE00", "\uD83D\uDE00", "\uDE00\uD83D"];
    const encoded = keys.map(encodeKvKey);
    expect(new Set(encoded).size).toBe(keys.length);
    expect(encoded.every(isValidNatsKey)).toBe(true);
  });

  it("gives distinct keys distinct valid NATS keys: inputs that look like escapes, dots, the empty key", () => {
    const tricky = [
      "",
      "_",
      "__",
      "_5F",
      "_3A",
      ":",
      "a:b",
      "a_3Ab",
      "a.b",
      "a_2Eb",
      ".",
      "_2E",
      "..",
      "a..b",
      "a._2Eb",
      "a_2E.b",
      "a.",
      "a_2E",
      "A",
      "a",
      "_2e",
      "_2E_2E",
    ];
    const encoded = tricky.map(encodeKvKey);
    expect(new Set(encoded).size).toBe(tricky.length);
    expect(encoded.filter((key) => !isValidNatsKey(key))).toEqual([]);
  });

  it("is injective and always valid over every short string of an adversarial alphabet", () => {
    // Escape-like text, dots, the escape character, a multi-byte character and a lone surrogate.
    const inputs = allStrings(["a", "_", ".", ":", "2", "E", "F", "é", "\uD800"], 4);
    const seen = new Map<string, string>();
    for (const input of inputs) {
      const key = encodeKvKey(input);
      expect(isValidNatsKey(key), `${JSON.stringify(input)} → ${key}`).toBe(true);
      const clash = seen.get(key);
      if (clash !== undefined)
        throw new Error(`${JSON.stringify(clash)} and ${JSON.stringify(input)} → ${key}`);
      seen.set(key, input);
    }
    expect(seen.size).toBe(inputs.length);
  });
});
