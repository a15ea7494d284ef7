import { bytesEqual, type KeyValueBasicInterface } from "@prism/consumer-core/driver";

interface Entry {
  readonly value: Uint8Array;
  /** Epoch ms; 0 keeps the entry until deleted. */
  readonly expiresAt: number;
}

const sweepEvery = 1024;

/** Key/value with TTL: expired entries vanish on read and in a sweep every 1024 writes. */
export class MemKeyValue implements KeyValueBasicInterface {
  private readonly entries = new Map<string, Entry>();
  private writes = 0;

  constructor(private readonly now: () => number) {}

  async set(key: string, value: Uint8Array, ttlSeconds = 0): Promise<void> {
    if (!Number.isFinite(ttlSeconds) || ttlSeconds < 0) {
      throw new RangeError(`memstore set("${key}"): ttlSeconds must be a number >= 0, got ${ttlSeconds}`);
    }
    const expiresAt = ttlSeconds > 0 ? this.now() + ttlSeconds * 1000 : 0;
    // Copies, so the caller may reuse its buffer and readers cannot change what is stored.
    this.entries.set(key, { value: value.slice(), expiresAt });
    if (++this.writes % sweepEvery === 0) this.sweep();
  }

  async get(key: string): Promise<Uint8Array | undefined> {
    return this.live(key)?.value.slice();
  }

  async delete(key: string): Promise<void> {
    this.entries.delete(key);
  }

  async exists(key: string): Promise<boolean> {
    return this.live(key) !== undefined;
  }

  async compareAndSet(key: string, expected: Uint8Array | undefined, value: Uint8Array): Promise<boolean> {
    if (!bytesEqual(this.live(key)?.value, expected)) return false;
    this.entries.set(key, { value: value.slice(), expiresAt: 0 });
    return true;
  }

  private live(key: string): Entry | undefined {
    const entry = this.entries.get(key);
    if (entry && entry.expiresAt !== 0 && entry.expiresAt <= this.now()) {
      this.entries.delete(key);
      return undefined;
    }
    return entry;
  }

  private sweep(): void {
    const now = this.now();
    for (const [key, entry] of this.entries) {
      if (entry.expiresAt !== 0 && entry.expiresAt <= now) this.entries.delete(key);
    }
  }
}
