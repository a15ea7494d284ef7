import { type JetStreamClient, jetstream, StorageType } from "@nats-io/jetstream";
import { type KV, Kvm } from "@nats-io/kv";
import type { NatsConnection } from "@nats-io/transport-node";
import {
  bytesEqual,
  type CompareAndSetStore,
  type KeyValueBasicInterface,
  PrismError,
  PrismErrorCode,
} from "@prism/consumer-core/driver";
import { jetStreamErrorCode, mapNatsError } from "../errors.js";
import { encodeKvKey } from "./kv-keys.js";

/** JetStream's err_code for "stream not found": a bucket is the stream `KV_{bucket}`. */
const streamNotFound = 10059;
/** JetStream's err_code for "wrong last sequence": a conditional write lost to a newer one. */
const wrongLastSequence = 10071;

/**
 * How long the server keeps the marker it writes when a key's TTL ends. JetStream requires one to enable
 * per-message TTL on a stream; a minute lets watchers of the bucket see the expiry.
 */
const expiryMarkerTtlMs = 60_000;

export interface KvSettings {
  readonly kvBucket: string;
  readonly kvStorage: "file" | "memory";
  readonly createBuckets: boolean;
}

interface OpenBucket {
  readonly kv: KV;
  /** The bucket's stream allows per-message TTL (`allow_msg_ttl`). */
  readonly messageTtl: boolean;
}

/** Whether a NATS server version (`connection.info.version`) has per-message TTL: 2.11 and later. */
export function supportsMessageTtl(version: string | undefined): boolean {
  const match = /^v?(\d+)\.(\d+)\./.exec(version ?? "");
  if (!match) return false;
  const [major, minor] = [Number(match[1]), Number(match[2])];
  return major > 2 || (major === 2 && minor >= 11);
}

/**
 * Key/value on a JetStream KV bucket (history 1), opened — or created, when allowed — on first use.
 * Keys are encoded with `encodeKvKey`; deleted and expired entries read as missing. TTLs use per-message
 * TTL, which needs NATS 2.11: on older servers a `set` with a TTL is refused rather than stored forever.
 */
export class KvStore implements KeyValueBasicInterface, CompareAndSetStore {
  private readonly js: JetStreamClient;
  private bucket: Promise<OpenBucket> | undefined;

  constructor(
    private readonly connection: NatsConnection,
    private readonly settings: KvSettings,
  ) {
    this.js = jetstream(connection);
  }

  async set(key: string, value: Uint8Array, ttlSeconds = 0): Promise<void> {
    if (!Number.isFinite(ttlSeconds) || ttlSeconds < 0) {
      throw new PrismError(
        PrismErrorCode.BackendRejected,
        `NATS KV set("${key}"): ttlSeconds must be a number >= 0, got ${ttlSeconds}`,
      );
    }
    // The server's smallest TTL unit is the second: round up so a key never expires early.
    const ttl = ttlSeconds > 0 ? `${Math.ceil(ttlSeconds)}s` : undefined;
    // NATS before 2.11 stores the TTL header and ignores it: refuse instead of keeping the key forever.
    if (ttl !== undefined && !this.serverHasMessageTtl()) {
      throw new PrismError(
        PrismErrorCode.BackendRejected,
        `NATS KV set("${key}") with ttlSeconds ${ttlSeconds}: per-key TTL needs NATS server >= 2.11 ` +
          `(per-message TTL), this server is ${this.serverVersion()}; store without a TTL or upgrade the server`,
      );
    }
    const encoded = encodeKvKey(key);
    await this.run(`set "${key}"`, async ({ kv, messageTtl }) => {
      if (ttl === undefined) {
        await kv.put(encoded, value);
        return;
      }
      if (!messageTtl) {
        const { kvBucket } = this.settings;
        throw new PrismError(
          PrismErrorCode.BackendRejected,
          `NATS KV set("${key}") with ttlSeconds ${ttlSeconds}: bucket "${kvBucket}" was created without ` +
            `per-message TTL; enable allow_msg_ttl on stream KV_${kvBucket} or use a new kv_bucket`,
        );
      }
      // KV.put takes no TTL: publish to the key's subject as put does, with the TTL header.
      await this.js.publish(`$KV.${this.settings.kvBucket}.${encoded}`, value, { ttl });
    });
  }

  async get(key: string): Promise<Uint8Array | undefined> {
    const encoded = encodeKvKey(key);
    return this.run(`get "${key}"`, async ({ kv }) => {
      const entry = await kv.get(encoded);
      // DEL and PURGE entries (a delete, or the server's marker for an expired key) mean "not found".
      if (entry === null || entry.operation !== "PUT") return undefined;
      // A copy: nats.js hands out a view into its read buffer.
      return new Uint8Array(entry.value);
    });
  }

  async delete(key: string): Promise<void> {
    const encoded = encodeKvKey(key);
    await this.run(`delete "${key}"`, ({ kv }) => kv.delete(encoded));
  }

  async exists(key: string): Promise<boolean> {
    return (await this.get(key)) !== undefined;
  }

  /**
   * Stores `value` only while the key holds `expected` (`undefined`: missing or deleted): a write
   * conditioned on the revision that was read (JetStream's expected last subject sequence), so a write
   * made in between makes this one fail and resolve `false`.
   */
  async compareAndSet(key: string, expected: Uint8Array | undefined, value: Uint8Array): Promise<boolean> {
    const encoded = encodeKvKey(key);
    return this.run(`compare-and-set "${key}"`, async ({ kv }) => {
      const entry = await kv.get(encoded);
      const current = entry !== null && entry.operation === "PUT" ? entry.value : undefined;
      if (!bytesEqual(current, expected)) return false;
      try {
        if (entry === null) await kv.create(encoded, value);
        else await kv.update(encoded, value, entry.revision);
        return true;
      } catch (error) {
        if (jetStreamErrorCode(error) === wrongLastSequence) return false;
        throw error;
      }
    });
  }

  private async run<T>(action: string, operation: (bucket: OpenBucket) => Promise<T>): Promise<T> {
    const opening = this.open();
    const bucket = await opening;
    try {
      return await operation(bucket);
    } catch (error) {
      const mapped = mapNatsError(error, `KV ${action} in bucket "${this.settings.kvBucket}"`);
      // Nobody answered: the bucket may have been deleted, so the next call opens (or creates) it again.
      if (mapped.retryable && this.bucket === opening) this.bucket = undefined;
      throw mapped;
    }
  }

  private open(): Promise<OpenBucket> {
    if (!this.bucket) {
      const opening = this.openBucket();
      this.bucket = opening;
      opening.catch(() => {
        if (this.bucket === opening) this.bucket = undefined;
      });
    }
    return this.bucket;
  }

  private async openBucket(): Promise<OpenBucket> {
    const { kvBucket: name, kvStorage, createBuckets } = this.settings;
    const kvm = new Kvm(this.js);
    try {
      const kv = createBuckets
        ? await kvm.create(name, {
            history: 1,
            // Reads through the stream leader: a replica answering a direct get may not have the last set yet.
            allow_direct: false,
            storage: kvStorage === "memory" ? StorageType.Memory : StorageType.File,
            ...(this.serverHasMessageTtl() ? { markerTTL: expiryMarkerTtlMs } : {}),
          })
        : await kvm.open(name);
      // open() does not look at the server: this proves the bucket exists, and says whether keys can expire.
      const status = await kv.status();
      return { kv, messageTtl: status.streamInfo.config.allow_msg_ttl === true };
    } catch (error) {
      if (jetStreamErrorCode(error) === streamNotFound) {
        throw new PrismError(
          PrismErrorCode.BackendRejected,
          `NATS KV bucket "${name}" does not exist and create_buckets is false: create it ` +
            `(e.g. nats kv add ${name} --history 1) or set create_buckets: true`,
          { cause: error },
        );
      }
      throw mapNatsError(error, `opening KV bucket "${name}"`);
    }
  }

  private serverHasMessageTtl(): boolean {
    return supportsMessageTtl(this.connection.info?.version);
  }

  private serverVersion(): string {
    return this.connection.info?.version ?? "of unknown version";
  }
}
