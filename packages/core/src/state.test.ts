import { describe, expect, it } from "vitest";
import { isPrismError, PrismErrorCode } from "./errors.js";
import { type ConsumerState, decodeState, encodeState, stateKey } from "./state.js";

const bytes = (value: unknown) => new TextEncoder().encode(JSON.stringify(value));

describe("state", () => {
  it("is stored under consumer:{group}:{topic}:{name}", () => {
    expect(stateKey("order-processor-group", "orders.created", "order-processor")).toBe(
      "consumer:order-processor-group:orders.created:order-processor",
    );
  });

  it("round-trips the seed's fields plus per-partition offsets", () => {
    const state: ConsumerState = {
      offset: 12345,
      offsets: { "0": 12345, "3": "1700000000000-7" },
      last_message_id: "msg-abc-123",
      last_updated: "2025-10-13T20:00:00.000Z",
      retry_count: 2,
    };
    expect(JSON.parse(new TextDecoder().decode(encodeState(state)))).toEqual(state);
    expect(decodeState(encodeState(state), "k")).toEqual(state);
  });

  it("reads the seed's original shape: offset without offsets means partition 0", () => {
    const seed = {
      offset: 12345,
      last_message_id: "msg-abc-123",
      last_updated: "2025-10-13T20:00:00Z",
      retry_count: 0,
    };
    expect(decodeState(bytes(seed), "k")).toEqual({ ...seed, offsets: { "0": 12345 } });
  });

  it.each([
    ["not JSON", new TextEncoder().encode("{oops"), "not UTF-8 JSON"],
    ["an array", bytes([1]), "not an object"],
    ["a bad offset", bytes({ offset: true }), "offset is not a number or string"],
    ["a bad partition offset", bytes({ offsets: { "2": null } }), "offsets.2 is not a number or string"],
    ["a bad retry count", bytes({ retry_count: -1 }), "retry_count is not an integer >= 0"],
  ])("rejects %s with STATE_CORRUPT naming the key", (_, input, why) => {
    let caught: unknown;
    try {
      decodeState(input, "consumer:g:t:n");
    } catch (error) {
      caught = error;
    }
    expect(isPrismError(caught) && caught.code).toBe(PrismErrorCode.StateCorrupt);
    expect((caught as Error).message).toContain('"consumer:g:t:n"');
    expect((caught as Error).message).toContain(why);
  });
});
