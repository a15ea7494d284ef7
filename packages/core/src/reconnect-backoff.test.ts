import { describe, expect, it } from "vitest";
import { reconnectDelay, waitBeforeRetry } from "./reconnect-backoff.js";

describe("reconnect backoff", () => {
  it("doubles from the initial wait up to the cap", () => {
    expect([1, 2, 3, 4, 6, 7, 50].map((attempt) => reconnectDelay(attempt))).toEqual([
      100, 200, 400, 800, 3200, 5000, 5000,
    ]);
    expect([1, 2, 3].map((attempt) => reconnectDelay(attempt, { initialMs: 50, maxMs: 120 }))).toEqual([
      50, 100, 120,
    ]);
  });

  it("stops waiting as soon as the reader stops", async () => {
    const abort = new AbortController();
    const waiting = waitBeforeRetry(10, abort.signal, { initialMs: 60_000, maxMs: 60_000 });
    abort.abort();
    expect(await waiting).toBe(false);
    expect(await waitBeforeRetry(1, new AbortController().signal, { initialMs: 1 })).toBe(true);
  });
});
