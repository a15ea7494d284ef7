import { describe, expect, it } from "vitest";
import { PrismError, PrismErrorCode } from "./errors.js";
import { pollingIterable } from "./polling-iterable.js";

describe("pollingIterable", () => {
  it("yields each fetched batch in order and fetches again only when it is used up", async () => {
    const batches = [[1, 2], [], [3]];
    let fetches = 0;
    const abort = new AbortController();
    const seen: number[] = [];
    for await (const n of pollingIterable({
      signal: abort.signal,
      fetch: async () => {
        fetches++;
        expect(seen.length).toBe([0, 2, 2, 3][fetches - 1]);
        return batches.shift() ?? [];
      },
    })) {
      seen.push(n);
      if (n === 3) abort.abort();
    }
    expect(seen).toEqual([1, 2, 3]);
    expect(fetches).toBe(3);
  });

  it("retries retryable failures with backoff and reports them, then recovers", async () => {
    const events: string[] = [];
    let calls = 0;
    const abort = new AbortController();
    for await (const n of pollingIterable({
      signal: abort.signal,
      retryInitialMs: 1,
      fetch: async () => {
        calls++;
        if (calls <= 2) throw new PrismError(PrismErrorCode.BackendUnavailable, "connection lost");
        return [calls];
      },
      onRetry: (error, failures) => events.push(`retry ${failures}: ${(error as Error).message}`),
      onRecovered: (failures) => events.push(`recovered after ${failures}`),
    })) {
      expect(n).toBe(3);
      abort.abort();
    }
    expect(events).toEqual(["retry 1: connection lost", "retry 2: connection lost", "recovered after 2"]);
  });

  it("ends the iteration with a non-retryable error", async () => {
    const iterable = pollingIterable({
      fetch: async () => {
        throw new PrismError(PrismErrorCode.BackendRejected, "WRONGPASS");
      },
    });
    await expect(async () => {
      for await (const _ of iterable) {
        // nothing arrives
      }
    }).rejects.toThrow("WRONGPASS");
  });

  it("aborts a pending fetch when the signal fires", async () => {
    const abort = new AbortController();
    let fetchSignal: AbortSignal | undefined;
    const iterator = pollingIterable<number>({
      signal: abort.signal,
      fetch: (signal) => {
        fetchSignal = signal;
        return new Promise((_, reject) =>
          signal.addEventListener("abort", () => reject(new Error("aborted"))),
        );
      },
    })[Symbol.asyncIterator]();
    const next = iterator.next();
    await new Promise((resolve) => setTimeout(resolve, 1));
    abort.abort();
    expect(await next).toEqual({ done: true, value: undefined });
    expect(fetchSignal?.aborted).toBe(true);
  });

  it("with readAhead, fetches the next batch while the current one is taken, one batch ahead", async () => {
    const batches = [[1, 2], [3, 4], [5]];
    const seenAtFetch: number[] = [];
    const seen: number[] = [];
    const abort = new AbortController();
    for await (const n of pollingIterable({
      signal: abort.signal,
      readAhead: true,
      fetch: async () => {
        seenAtFetch.push(seen.length);
        return batches.shift() ?? [];
      },
    })) {
      seen.push(n);
      if (n === 5) abort.abort();
    }
    expect(seen).toEqual([1, 2, 3, 4, 5]);
    // Each fetch starts when the batch before it arrives, before any of its items is taken.
    expect(seenAtFetch).toEqual([0, 0, 2, 4]);
  });

  it("with readAhead, a failed fetch made ahead is retried like any other, losing nothing", async () => {
    let calls = 0;
    const retries: number[] = [];
    const seen: number[] = [];
    const abort = new AbortController();
    for await (const n of pollingIterable({
      signal: abort.signal,
      readAhead: true,
      retryInitialMs: 1,
      fetch: async () => {
        calls++;
        if (calls === 2) throw new PrismError(PrismErrorCode.BackendUnavailable, "connection lost");
        return calls === 1 ? [1, 2] : [calls];
      },
      onRetry: (_, failures) => retries.push(failures),
    })) {
      seen.push(n);
      if (n === 3) abort.abort();
    }
    expect(seen).toEqual([1, 2, 3]);
    expect(retries).toEqual([1]);
  });
});
