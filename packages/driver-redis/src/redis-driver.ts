import {
  type BatchAcknowledgement,
  type BrowsableQueue,
  type BrowseOptions,
  type Closable,
  type CompareAndSetStore,
  consoleLogger,
  type KeyValueBasicInterface,
  type LagReporting,
  type Logger,
  type Message,
  type Metadata,
  type QueueInterface,
  type ReceiveOptions,
} from "@prism/consumer-core/driver";
import { Redis } from "ioredis";
import { type RedisDriverOptions, type RedisSettings, resolveRedisSettings } from "./config.js";
import { mapRedisError } from "./errors.js";
import {
  closeClient,
  connectClient,
  connectionDefaults,
  reportConnectionTrouble,
} from "./internal/connection.js";
import { KeyValueStore } from "./internal/key-value-store.js";
import { StreamBrowser } from "./internal/stream-browser.js";
import { StreamQueue } from "./internal/stream-queue.js";

/**
 * Redis for Prism: a key/value state store (strings with TTL) and queues on Redis Streams with consumer
 * groups (at-least-once through the pending entries list; see the README). Create it with `connect`.
 */
export class RedisDriver
  implements
    KeyValueBasicInterface,
    CompareAndSetStore,
    QueueInterface,
    BatchAcknowledgement,
    LagReporting,
    BrowsableQueue,
    Closable
{
  private readonly keyValue: KeyValueStore;
  private readonly queue: StreamQueue;
  private readonly browser: StreamBrowser;

  private constructor(
    private readonly client: Redis,
    private readonly ownsClient: boolean,
    settings: RedisSettings,
    where: string,
    logger: Logger,
  ) {
    this.keyValue = new KeyValueStore(client, settings.keyPrefix);
    this.queue = new StreamQueue(client, { ...settings, where }, logger);
    this.browser = new StreamBrowser(client, settings.keyPrefix);
  }

  /**
   * Checks the options, connects and PINGs; fails fast with a `PrismError` (BACKEND_UNAVAILABLE when
   * the server cannot be reached in `connectTimeout`, BACKEND_REJECTED for bad credentials) instead of
   * waiting for the server. Later disconnects reconnect by themselves with backoff.
   */
  static async connect(options: RedisDriverOptions = {}): Promise<RedisDriver> {
    const settings = resolveRedisSettings(options);
    const logger = options.logger ?? consoleLogger;
    const { connection } = settings;
    if ("client" in connection) {
      const where = describeClient(connection.client);
      try {
        await connection.client.ping(); // connects a lazy client too
      } catch (error) {
        throw mapRedisError(error, `PING ${where}`);
      }
      return new RedisDriver(connection.client, false, settings, where, logger);
    }
    const ioredisOptions = { ...connectionDefaults(settings.connectTimeoutMs), ...connection.options };
    const client =
      connection.url === undefined ? new Redis(ioredisOptions) : new Redis(connection.url, ioredisOptions);
    await connectClient(client, connection.where);
    reportConnectionTrouble(client, logger, connection.where);
    return new RedisDriver(client, true, settings, connection.where, logger);
  }

  /** SET, with PX when `ttlSeconds` > 0 (a plain SET clears an earlier TTL). */
  set(key: string, value: Uint8Array, ttlSeconds?: number): Promise<void> {
    return this.keyValue.set(key, value, ttlSeconds);
  }

  get(key: string): Promise<Uint8Array | undefined> {
    return this.keyValue.get(key);
  }

  delete(key: string): Promise<void> {
    return this.keyValue.delete(key);
  }

  exists(key: string): Promise<boolean> {
    return this.keyValue.exists(key);
  }

  /** SET only while the key holds `expected` (`undefined`: while it is absent), atomically (a Lua script). */
  compareAndSet(key: string, expected: Uint8Array | undefined, value: Uint8Array): Promise<boolean> {
    return this.keyValue.compareAndSet(key, expected, value);
  }

  /** XADD to the stream `queue`; resolves with the stream id (e.g. "1732644000000-0"). */
  enqueue(queue: string, payload: Uint8Array, metadata?: Metadata): Promise<string> {
    return this.queue.enqueue(queue, payload, metadata);
  }

  /**
   * Reads `queue` as `options.consumerId` of the group `options.group` (default "prism"); a new group
   * starts at the beginning of the stream. Positions are `{ partition: "0", offset: <stream id> }`.
   */
  receive(queue: string, options?: ReceiveOptions): Promise<AsyncIterable<Message>> {
    return this.queue.receive(queue, options);
  }

  /** XACK. */
  acknowledge(message: Message): Promise<void> {
    return this.queue.acknowledge(message);
  }

  /** One XACK per stream and group for many messages (`BatchAcknowledgement`). */
  acknowledgeBatch(messages: readonly Message[]): Promise<void> {
    return this.queue.acknowledgeBatch(messages);
  }

  /** `requeue`: delivered again soon with a higher `deliveryAttempt`; otherwise XACK (dropped). */
  reject(message: Message, requeue: boolean): Promise<void> {
    return this.queue.reject(message, requeue);
  }

  /**
   * The group's lag on the stream `topic` (XINFO GROUPS: entries not read yet) plus its pending entries
   * (read, not acknowledged); empty when the stream or group does not exist.
   */
  consumerLag(topic: string, group: string): Promise<Readonly<Record<string, number>>> {
    return this.browser.lag(topic, group);
  }

  /** The stream's entries after `options.after` (XRANGE), left in place: no group reads them. */
  browse(queue: string, options: BrowseOptions = {}): Promise<readonly Message[]> {
    return this.browser.browse(queue, options);
  }

  /** XDEL: removes entries of the stream by id. */
  remove(queue: string, ids: readonly string[]): Promise<number> {
    return this.browser.remove(queue, ids);
  }

  /** Ends the receive loops and closes the driver's connections (not a client passed in). */
  async close(): Promise<void> {
    this.queue.close();
    if (this.ownsClient) await closeClient(this.client);
  }
}

function describeClient(client: Redis): string {
  const { host = "127.0.0.1", port = 6379 } = client.options;
  return `${host}:${port}`;
}
