import { createConnection } from "node:net";
import { describe, expect, it } from "vitest";
import {
  backendError,
  describeError,
  isNetworkError,
  isPrismError,
  isRetryable,
  PermanentError,
  PrismError,
  PrismErrorCode,
} from "./errors.js";

describe("errors", () => {
  it("recognises Prism errors by brand, also from another copy of core", () => {
    expect(isPrismError(new PrismError("CONFIG_INVALID", "x"))).toBe(true);
    const foreign = Object.assign(new Error("x"), { [Symbol.for("@prism/consumer-core/error")]: true });
    expect(isPrismError(foreign)).toBe(true);
    expect(isPrismError(new Error("x"))).toBe(false);
  });

  it("treats only errors that say so as not retryable", () => {
    expect(isRetryable(new PermanentError("bad"))).toBe(false);
    expect(isRetryable(new PrismError("BACKEND_UNAVAILABLE", "down"))).toBe(true);
    expect(isRetryable(new PrismError("BACKEND_REJECTED", "no"))).toBe(false);
    expect(isRetryable(new Error("plain"))).toBe(true);
  });

  it("recognises a real refused connection as a network error, also wrapped", async () => {
    const refused = await new Promise<Error>((resolve) => {
      const socket = createConnection({ host: "127.0.0.1", port: 1 });
      socket.on("error", resolve);
    });
    expect(isNetworkError(refused)).toBe(true);
    expect(isNetworkError(new Error("wrapped", { cause: refused }))).toBe(true);
    expect(isNetworkError(new AggregateError([new Error("other"), refused]))).toBe(true);
    expect(isNetworkError(new Error("WRONGPASS"))).toBe(false);
  });

  it("describes anything thrown in one line", () => {
    expect(describeError(new Error("boom"))).toBe("boom");
    expect(describeError("text")).toBe("text");
    expect(describeError({ a: 1 })).toBe('{"a":1}');
  });
});

describe("backendError", () => {
  it("makes an unavailable backend retryable and a refusal final, and passes a PrismError unchanged", () => {
    const refused = Object.assign(new Error("connect ECONNREFUSED"), { code: "ECONNREFUSED" });
    const down = backendError(refused, true, 'redis XADD "orders" failed');
    expect(down).toMatchObject({
      code: PrismErrorCode.BackendUnavailable,
      retryable: true,
      message: 'redis XADD "orders" failed: connect ECONNREFUSED',
      cause: refused,
    });
    const denied = backendError(new Error("NOPERM"), false, "redis GET failed");
    expect(denied).toMatchObject({ code: PrismErrorCode.BackendRejected, retryable: false });
    expect(backendError(denied, true, "again")).toBe(denied);
  });
});
