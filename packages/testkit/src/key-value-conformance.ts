import type { KeyValueBasicInterface } from "@prism/consumer-core/driver";
import { isClosable, isCompareAndSetStore } from "@prism/consumer-core/driver";
import { afterAll, afterEach, beforeEach, describe, expect, it } from "vitest";
import type { KeyValueFeatures } from "./features.js";
import { type ConformanceHarness, caseTimeout, deleteCreated, newKey, resolveHarness } from "./harness.js";
import { sleep } from "./internal/reader.js";

export interface KeyValueConformanceOptions {
  readonly name: string;
  /** A new, connected driver for each case; closed after it when it has `close()`. */
  readonly create: () => KeyValueBasicInterface | Promise<KeyValueBasicInterface>;
  readonly features: KeyValueFeatures;
  readonly harness?: ConformanceHarness;
}

const bytes = (text: string) => new TextEncoder().encode(text);

/** Registers the key/value conformance cases (vitest `describe`/`it`) for a driver. */
export function describeKeyValueConformance(options: KeyValueConformanceOptions): void {
  const h = resolveHarness(options.harness);
  describe(`${options.name}: KeyValueBasicInterface conformance`, { timeout: caseTimeout(h) }, () => {
    let driver: KeyValueBasicInterface | undefined;
    beforeEach(async () => {
      driver = await options.create();
    });
    afterEach(async () => {
      if (isClosable(driver)) await driver.close();
      driver = undefined;
    });
    afterAll(() => deleteCreated(h));
    const kv = () => driver as KeyValueBasicInterface;
    const key = (label: string) => newKey(h, label);

    it("gets what was set", async () => {
      const k = key("set");
      await kv().set(k, bytes("value"));
      expect(await kv().get(k)).toEqual(bytes("value"));
      expect(await kv().exists(k)).toBe(true);
    });

    it("returns undefined for a missing key, and exists() says false", async () => {
      const k = key("missing");
      expect(await kv().get(k)).toBeUndefined();
      expect(await kv().exists(k)).toBe(false);
    });

    it("overwrites", async () => {
      const k = key("overwrite");
      await kv().set(k, bytes("one"));
      await kv().set(k, bytes("two"));
      expect(await kv().get(k)).toEqual(bytes("two"));
    });

    it("keeps binary and empty values exactly", async () => {
      const binary = new Uint8Array(256).map((_, i) => i);
      const k = key("binary");
      await kv().set(k, binary);
      expect(await kv().get(k)).toEqual(binary);
      const e = key("empty");
      await kv().set(e, new Uint8Array());
      expect(await kv().get(e)).toEqual(new Uint8Array());
      expect(await kv().exists(e)).toBe(true);
    });

    it("stores a 1 MiB value", async () => {
      const big = new Uint8Array(1024 * 1024).map((_, i) => (i * 31) % 251);
      const k = key("big");
      await kv().set(k, big);
      const read = await kv().get(k);
      expect(read?.length).toBe(big.length);
      // Buffer comparison: element-wise toEqual on a MiB takes seconds.
      expect(Buffer.compare(Buffer.from(read ?? []), Buffer.from(big))).toBe(0);
    });

    it("deletes, and deleting a missing key is not an error", async () => {
      const k = key("delete");
      await kv().set(k, bytes("v"));
      await kv().delete(k);
      expect(await kv().get(k)).toBeUndefined();
      expect(await kv().exists(k)).toBe(false);
      await kv().delete(key("never-set"));
    });

    it.runIf(options.features.ttl)("expires a key after its TTL", async () => {
      const k = key("ttl");
      await kv().set(k, bytes("short-lived"), 1);
      expect(await kv().get(k)).toEqual(bytes("short-lived"));
      const deadline = Date.now() + 5000;
      while (await kv().exists(k)) {
        if (Date.now() > deadline) throw new Error("the key outlived its 1 s TTL by more than 4 s");
        await sleep(100);
      }
      expect(await kv().get(k)).toBeUndefined();
    });

    it.runIf(options.features.ttl)("never expires a key set with TTL 0", async () => {
      const k = key("ttl0");
      await kv().set(k, bytes("forever"), 0);
      await sleep(1500);
      expect(await kv().get(k)).toEqual(bytes("forever"));
    });

    it.runIf(options.features.ttl)("resets the TTL on overwrite", async () => {
      const k = key("ttl-reset");
      await kv().set(k, bytes("a"), 1);
      await kv().set(k, bytes("b"), 0);
      await sleep(1500);
      expect(await kv().get(k)).toEqual(bytes("b"));
      await kv().set(k, bytes("c"), 2);
      await sleep(1200);
      await kv().set(k, bytes("d"), 2);
      await sleep(1200);
      expect(await kv().get(k)).toEqual(bytes("d"));
    });

    it("survives concurrent writers and readers", async () => {
      const keys = Array.from({ length: 20 }, (_, i) => key(`c${i}`));
      await Promise.all(
        keys.flatMap((k) => [1, 2, 3, 4, 5].map((round) => kv().set(k, bytes(`${k}:${round}`)))),
      );
      const reads = await Promise.all(keys.map((k) => kv().get(k)));
      reads.forEach((value, i) => {
        expect(new TextDecoder().decode(value)).toMatch(new RegExp(`^${keys[i]}:[1-5]$`));
      });
      const writesAndReads = await Promise.all(
        keys.map(async (k) => {
          await kv().set(k, bytes("final"));
          return kv().get(k);
        }),
      );
      for (const value of writesAndReads) expect(value).toEqual(bytes("final"));
    });

    const cas = () => {
      const store = kv();
      if (!isCompareAndSetStore(store)) throw new Error(`${options.name} does not implement compareAndSet`);
      return store;
    };

    it.runIf(options.features.compareAndSet)(
      "compare-and-set writes only over the expected value",
      async () => {
        const k = key("cas");
        expect(await cas().compareAndSet(k, undefined, bytes("one"))).toBe(true);
        expect(await kv().get(k)).toEqual(bytes("one"));
        // Absent was expected, but the key exists; then a stale expected value.
        expect(await cas().compareAndSet(k, undefined, bytes("two"))).toBe(false);
        expect(await cas().compareAndSet(k, bytes("zero"), bytes("two"))).toBe(false);
        expect(await kv().get(k)).toEqual(bytes("one"));
        expect(await cas().compareAndSet(k, bytes("one"), bytes("two"))).toBe(true);
        expect(await kv().get(k)).toEqual(bytes("two"));
        // Binary and empty values compare byte by byte.
        expect(await cas().compareAndSet(k, bytes("two"), new Uint8Array())).toBe(true);
        expect(await cas().compareAndSet(k, new Uint8Array([0]), bytes("x"))).toBe(false);
        expect(await cas().compareAndSet(k, new Uint8Array(), bytes("three"))).toBe(true);
        expect(await kv().get(k)).toEqual(bytes("three"));
        // A deleted key counts as absent.
        await kv().delete(k);
        expect(await cas().compareAndSet(k, bytes("three"), bytes("four"))).toBe(false);
        expect(await cas().compareAndSet(k, undefined, bytes("four"))).toBe(true);
        expect(await kv().get(k)).toEqual(bytes("four"));
      },
    );

    it.runIf(options.features.compareAndSet)(
      "lets exactly one of concurrent compare-and-sets win",
      async () => {
        const k = key("cas-race");
        await kv().set(k, bytes("start"));
        const results = await Promise.all(
          Array.from({ length: 10 }, (_, i) => cas().compareAndSet(k, bytes("start"), bytes(`writer ${i}`))),
        );
        expect(results.filter(Boolean)).toHaveLength(1);
        const winner = results.indexOf(true);
        expect(await kv().get(k)).toEqual(bytes(`writer ${winner}`));
      },
    );
  });
}
