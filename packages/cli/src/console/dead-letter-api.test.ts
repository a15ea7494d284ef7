import { DeadLetterKey } from "@prism/consumer-core";
import { MemStore } from "@prism/driver-memstore";
import { describe, expect, it } from "vitest";
import { DeadLetterApi, filterOf } from "./dead-letter-api.js";
import { BadRequest } from "./http-json.js";

describe("filterOf", () => {
  it("takes ids, or all narrowed by error text", () => {
    expect(filterOf({ ids: ["1", "2"] })).toEqual({ ids: new Set(["1", "2"]) });
    expect(filterOf({ all: true })).toEqual({});
    expect(filterOf({ all: true, error: "timeout" })).toEqual({ errorText: "timeout" });
  });

  it("never reads an empty or odd body as everything", () => {
    for (const body of [
      {},
      null,
      [],
      "all",
      { ids: [] },
      { all: "yes" },
      { ids: [1] },
      { all: true, ids: ["1"] },
    ])
      expect(() => filterOf(body), JSON.stringify(body)).toThrow(BadRequest);
    expect(() => filterOf({ all: true, error: 3 })).toThrow('"error" must be a string');
    expect(() => filterOf({ ids: Array.from({ length: 1001 }, (_, i) => String(i)) })).toThrow(
      "at most 1000",
    );
  });
});

describe("DeadLetterApi", () => {
  it("lists the oldest first with what failed and a payload preview, and says when more match", async () => {
    const store = new MemStore();
    for (const payload of ["one", "two", "three"])
      await store.enqueue("t.dlq", new TextEncoder().encode(payload), {
        [DeadLetterKey.Error]: `refused ${payload}`,
        [DeadLetterKey.Attempts]: "2",
        [DeadLetterKey.FirstFailureAt]: "1000",
        [DeadLetterKey.LastFailureAt]: "2000",
      });
    const api = new DeadLetterApi({ queue: store, topic: "t.dlq", defaultTopic: "t" }, "cannot publish");
    const page = await api.list(undefined, 2);
    expect(page.more).toBe(true);
    expect(page.entries.map((entry) => entry.payload.text)).toEqual(["one", "two"]);
    expect(page.entries[0]).toMatchObject({
      error: "refused one",
      attempts: 2,
      firstFailureAt: 1000,
      lastFailureAt: 2000,
      originalTopic: null,
    });
    expect((await api.list("THREE", 2)).entries.map((entry) => entry.error)).toEqual(["refused three"]);
    await expect(api.replay({})).rejects.toThrow("cannot publish");
    expect(await api.purge({ errorText: "two" })).toEqual({ removed: 1 });
    expect((await api.list(undefined, 10)).entries).toHaveLength(2);
  });
});
