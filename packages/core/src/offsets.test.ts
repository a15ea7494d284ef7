import { describe, expect, it } from "vitest";
import { compareOffsets, laterOffset } from "./offsets.js";

/** By value, parsing each part as a BigInt: what the comparison must agree with. */
function byValue(a: string, b: string): number {
  const parts = (offset: string) => {
    const [high, low = "0"] = offset.split("-");
    return [BigInt(high as string), BigInt(low)];
  };
  const [x, y] = [parts(a), parts(b)];
  for (let i = 0; i < 2; i++) {
    if ((x[i] as bigint) !== (y[i] as bigint)) return (x[i] as bigint) < (y[i] as bigint) ? -1 : 1;
  }
  return 0;
}

describe("compareOffsets", () => {
  it("orders Kafka offsets, JetStream sequences and Redis Streams ids by value", () => {
    expect(compareOffsets("9", "10")).toBeLessThan(0);
    expect(compareOffsets("1700000000000-12", "1700000000000-3")).toBeGreaterThan(0);
    expect(compareOffsets("1700000000001-0", "1700000000000-99")).toBeGreaterThan(0);
    expect(compareOffsets("5", "5-0")).toBe(0);
    expect(compareOffsets("007", "7")).toBe(0);
    expect(compareOffsets(3, 12)).toBeLessThan(0);
    expect(compareOffsets(12, "12")).toBe(0);
    expect(compareOffsets("abc", "abd")).toBeUndefined();
    expect(compareOffsets("abc", "abc")).toBe(0);
    expect(compareOffsets("1-2-3", "1")).toBeUndefined();
  });

  it("agrees with comparing by value on random offsets, leading zeros included", () => {
    let seed = 7;
    const random = (n: number) => {
      seed = (seed * 1_103_515_245 + 12_345) % 2 ** 31;
      return seed % n;
    };
    const digits = () => {
      const zeros = random(5) === 0 ? "0".repeat(1 + random(2)) : "";
      return zeros + String(random(4) === 0 ? random(10) : 10 ** random(15) + random(1000));
    };
    const offset = () => (random(2) === 0 ? digits() : `${digits()}-${digits()}`);
    for (let i = 0; i < 20_000; i++) {
      const [a, b] = [offset(), offset()];
      expect(Math.sign(compareOffsets(a, b) as number), `${a} vs ${b}`).toBe(byValue(a, b));
    }
  });

  it("keeps the later offset; the newer write wins when they cannot be compared", () => {
    expect(laterOffset("1700000000000-12", "1700000000000-3")).toBe("1700000000000-12");
    expect(laterOffset(undefined, "4")).toBe("4");
    expect(laterOffset("x", "y")).toBe("y");
  });
});
