import { type Duration, defineOptions, type OptionsOf, option } from "@prism/consumer-core/driver";

export interface MemStoreOptions {
  /**
   * Bound on buffered messages: per topic, how far the slowest subscriber group may lag; per queue,
   * how many messages may wait or be pending. `publish`/`enqueue` wait (never drop) while full.
   * Default 10,000.
   */
  readonly capacity?: number;
  /**
   * Messages a topic keeps for replay (new groups, resuming) once every group has received them.
   * Default: all of them.
   */
  readonly retention?: number;
  /**
   * How long a received queue message (or one of an acknowledged subscription) may stay unsettled
   * before it is delivered again. Default "30s".
   */
  readonly visibilityTimeout?: Duration;
  /**
   * Offer acknowledged subscriptions (`subscribeAcknowledged`): a consumer then acknowledges each pub/sub
   * message after processing, and one it never settles goes to the group's other members after
   * `visibilityTimeout`. For several consumers of one group in one process; it costs bookkeeping per
   * message. Default false: a consumer reads pub/sub topics through the group's cursor, its checkpoint
   * the record.
   */
  readonly acknowledgedSubscriptions?: boolean;
  /** Clock for timestamps and TTLs, in epoch ms (code only). Default `Date.now`. */
  readonly now?: () => number;
}

const isClock = (v: unknown): v is () => number => typeof v === "function";

/** The store's options, declared once for YAML (`driver: memstore`) and code (`new MemStore(options)`). */
export const memStoreOptions = defineOptions({
  capacity: { type: option.integer({ min: 1 }), default: 10_000 },
  retention: { type: option.integer({ min: 0 }), default: Number.MAX_SAFE_INTEGER },
  visibilityTimeout: { type: option.duration({ positive: true }), default: 30_000 },
  acknowledgedSubscriptions: { type: option.boolean(), default: false },
  now: { type: option.instance(isClock, "a function returning epoch milliseconds"), codeOnly: true },
});

export type ResolvedMemStoreOptions = OptionsOf<typeof memStoreOptions>;
