import type { Pool } from "pg";
import { describe, expect, it } from "vitest";
import { AcknowledgementBatcher } from "./acknowledgement-batcher.js";

/** A pool whose queries stay in flight until the test settles them. */
function fakePool() {
  const queries: { values: unknown[]; settle: (error?: Error) => void }[] = [];
  const pool = {
    query: (_text: string, values: unknown[]) =>
      new Promise((resolve, reject) => {
        queries.push({ values, settle: (error) => (error ? reject(error) : resolve({ rowCount: 1 })) });
      }),
  };
  return { pool: pool as unknown as Pool, queries };
}

const settled = () => new Promise((resolve) => setImmediate(resolve));

describe("AcknowledgementBatcher", () => {
  it("deletes the first row at once and the ones acknowledged meanwhile together in the next DELETE", async () => {
    const { pool, queries } = fakePool();
    const batcher = new AcknowledgementBatcher(pool, '"public"."q"');
    const first = batcher.acknowledge("1");
    const rest = [batcher.acknowledge("2"), batcher.acknowledge("3")];
    expect(queries.map((q) => q.values)).toEqual([[["1"]]]);
    queries[0]?.settle();
    await first;
    await settled();
    expect(queries.map((q) => q.values)).toEqual([[["1"]], [["2", "3"]]]);
    queries[1]?.settle();
    await expect(Promise.all(rest)).resolves.toEqual([undefined, undefined]);
  });

  it("fails the acknowledgements of a failed DELETE and carries on with the next ones", async () => {
    const { pool, queries } = fakePool();
    const batcher = new AcknowledgementBatcher(pool, '"public"."q"');
    const failing = batcher.acknowledge("1");
    queries[0]?.settle(new Error("terminating connection"));
    await expect(failing).rejects.toThrow("terminating connection");
    await settled();
    const next = batcher.acknowledge("2");
    queries[1]?.settle();
    await expect(next).resolves.toBeUndefined();
  });
});
