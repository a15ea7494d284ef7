import { describe, expect, it } from "vitest";
import { coalescer } from "./coalescer.js";

describe("coalescer", () => {
  it("sends the first item at once and what arrives meanwhile together, settling each with its send", async () => {
    const sends: number[][] = [];
    let release: () => void = () => {};
    const send = coalescer<number>(async (items) => {
      sends.push([...items]);
      if (sends.length === 1) await new Promise<void>((resolve) => (release = resolve));
    });
    let settled = 0;
    const all = [1, 2, 3, 4].map((n) => send(n).then(() => settled++));
    await new Promise((resolve) => setTimeout(resolve, 1));
    expect(sends).toEqual([[1]]);
    expect(settled).toBe(0);
    release();
    await Promise.all(all);
    expect(sends).toEqual([[1], [2, 3, 4]]);
  });

  it("splits at maxBatch and rejects every item of a failed send", async () => {
    const sends: number[][] = [];
    const send = coalescer<number>(async (items) => {
      sends.push([...items]);
      if (items.includes(3)) throw new Error("connection lost");
    }, 2);
    const results = await Promise.allSettled([1, 2, 3, 4, 5].map((n) => send(n)));
    expect(sends).toEqual([[1], [2, 3], [4, 5]]);
    expect(results.map((r) => r.status)).toEqual([
      "fulfilled",
      "rejected",
      "rejected",
      "fulfilled",
      "fulfilled",
    ]);
  });
});
