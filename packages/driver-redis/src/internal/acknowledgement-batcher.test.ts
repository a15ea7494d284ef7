import type { Redis } from "ioredis";
import { describe, expect, it } from "vitest";
import { AcknowledgementBatcher } from "./acknowledgement-batcher.js";

/** A client whose XACKs stay in flight until the test settles them. */
function fakeClient() {
  const calls: { args: unknown[]; settle: (error?: Error) => void }[] = [];
  const client = {
    call: (...args: unknown[]) =>
      new Promise((resolve, reject) => {
        calls.push({ args, settle: (error) => (error ? reject(error) : resolve(1)) });
      }),
  };
  return { client: client as unknown as Redis, calls };
}

const settled = () => new Promise((resolve) => setImmediate(resolve));

describe("AcknowledgementBatcher", () => {
  it("sends the first XACK at once and the ones made meanwhile together in the next", async () => {
    const { client, calls } = fakeClient();
    const batcher = new AcknowledgementBatcher(client);
    const first = batcher.acknowledge("s", "g", "1-0");
    const second = batcher.acknowledge("s", "g", "2-0");
    const third = batcher.acknowledge("s", "g", "3-0");
    expect(calls.map((c) => c.args)).toEqual([["XACK", "s", "g", "1-0"]]);
    calls[0]?.settle();
    await first;
    await settled();
    expect(calls.map((c) => c.args)).toEqual([
      ["XACK", "s", "g", "1-0"],
      ["XACK", "s", "g", "2-0", "3-0"],
    ]);
    calls[1]?.settle();
    await expect(Promise.all([second, third])).resolves.toEqual([undefined, undefined]);
  });

  it("keeps streams and groups apart and fails exactly the acknowledgements of a failed XACK", async () => {
    const { client, calls } = fakeClient();
    const batcher = new AcknowledgementBatcher(client);
    const inA = batcher.acknowledge("a", "g", "1-0");
    const inB = batcher.acknowledge("b", "g", "1-0");
    expect(calls.map((c) => c.args)).toEqual([
      ["XACK", "a", "g", "1-0"],
      ["XACK", "b", "g", "1-0"],
    ]);
    calls[0]?.settle(new Error("Connection is closed."));
    calls[1]?.settle();
    await expect(inA).rejects.toThrow("Connection is closed.");
    await expect(inB).resolves.toBeUndefined();
  });
});
