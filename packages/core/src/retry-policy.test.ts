import { describe, expect, it } from "vitest";
import { backoffDelay, defaultRetryPolicy, type RetryPolicy } from "./retry-policy.js";

const policy: RetryPolicy = {
  maxRetries: 5,
  initialBackoffMs: 100,
  maxBackoffMs: 1000,
  multiplier: 2,
  jitter: 0,
};

describe("backoffDelay", () => {
  it("grows exponentially from the initial delay and stops at the cap", () => {
    expect([1, 2, 3, 4, 5, 6].map((retry) => backoffDelay(policy, retry))).toEqual([
      100, 200, 400, 800, 1000, 1000,
    ]);
  });

  it("draws jittered delays from [delay × (1 − jitter), delay]", () => {
    const jittered = { ...policy, jitter: 0.5 };
    expect(backoffDelay(jittered, 3, () => 0)).toBe(400);
    expect(backoffDelay(jittered, 3, () => 0.999999)).toBe(200);
    const samples = Array.from({ length: 200 }, () => backoffDelay(jittered, 3));
    expect(Math.min(...samples)).toBeGreaterThanOrEqual(200);
    expect(Math.max(...samples)).toBeLessThanOrEqual(400);
    expect(new Set(samples).size).toBeGreaterThan(10);
  });

  it("has documented defaults: 3 retries, 100ms doubling to 30s, half jitter", () => {
    expect(defaultRetryPolicy).toEqual({
      maxRetries: 3,
      initialBackoffMs: 100,
      maxBackoffMs: 30_000,
      multiplier: 2,
      jitter: 0.5,
    });
  });
});
