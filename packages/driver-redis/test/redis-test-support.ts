import { Redis } from "ioredis";

/** A key prefix no other test run uses, so runs never see each other's keys and cleanup is exact. */
export function uniquePrefix(label: string): string {
  return `prism-test-${label}-${Date.now().toString(36)}${Math.random().toString(36).slice(2, 8)}:`;
}

/** Deletes exactly these keys (those that exist); returns how many. */
export async function deleteKeys(url: string, keys: readonly string[]): Promise<number> {
  if (keys.length === 0) return 0;
  const client = new Redis(url, { lazyConnect: true, maxRetriesPerRequest: 2 });
  await client.connect();
  try {
    return await client.unlink(...keys);
  } finally {
    client.disconnect();
  }
}

/** Deletes every key under `prefix` (what a test run created); returns how many. */
export async function deleteKeysUnder(url: string, prefix: string): Promise<number> {
  const client = new Redis(url, { lazyConnect: true, maxRetriesPerRequest: 2 });
  await client.connect();
  try {
    let cursor = "0";
    let deleted = 0;
    do {
      const [next, keys] = await client.scan(
        cursor,
        "MATCH",
        `${prefix.replace(/[*?[\]\\]/g, "\\$&")}*`,
        "COUNT",
        1000,
      );
      cursor = next;
      if (keys.length > 0) deleted += await client.unlink(...keys);
    } while (cursor !== "0");
    return deleted;
  } finally {
    client.disconnect();
  }
}
