import type { DriverHealth } from "./capabilities.js";
import type { GroupChange } from "./interfaces.js";
import type { Offset } from "./message.js";

export const ConsumerStatus = {
  /** Created, not started (or bound and waiting for `start()`). */
  Idle: "idle",
  Running: "running",
  /** `stop()` was called (or a failure is shutting it down): finishing in-flight work. */
  Draining: "draining",
  /**
   * Running, but an attempt is still busy after its `processingTimeout` was signalled (its processor
   * ignores `signal`): work may be piling up behind it.
   */
  Stalled: "stalled",
  Stopped: "stopped",
  /** Stopped because of an error; see `lastError` and `closed()`. */
  Failed: "failed",
} as const;
export type ConsumerStatus = (typeof ConsumerStatus)[keyof typeof ConsumerStatus];

/** Totals since the consumer object was created. */
export interface ConsumerCounters {
  /** Messages taken from the source. */
  received: number;
  /** Messages whose processing succeeded. */
  processed: number;
  /** Failed attempts (each throw of the processor, or timeout, counts once). */
  failures: number;
  /** Attempts that ran past `processingTimeout` (also counted in `failures`). */
  timedOut: number;
  /** Attempts that were retries. */
  retries: number;
  deadLettered: number;
  /** Messages given up without a dead-letter queue (`on_exhausted: drop`). */
  dropped: number;
  /** Messages sent to the retry topic (`on_exhausted: retry-topic`). */
  sentToRetryTopic: number;
  /** Messages parked (`on_exhausted: park`): unsettled, their partition stopped until a restart. */
  parked: number;
  /** Messages abandoned at stop (not checkpointed; delivered again later). */
  abandoned: number;
  /** Messages that did not match the filter (acknowledged and checkpointed, never processed). */
  filtered: number;
  /** Messages whose id was seen within the deduplication window (acknowledged, not processed again). */
  deduplicated: number;
  /** Checkpoints written to the state store. */
  commits: number;
  /** Acknowledgements the source refused (the message may be delivered again). */
  acknowledgeErrors: number;
}

/** A group change the source reported, and when. */
export interface GroupChangeRecord {
  readonly at: number;
  readonly change: GroupChange;
}

/** This process as a member of its consumer group. */
export interface MembershipHealth {
  /** Its id in the group while started: `{name}@{host}:{pid}:{random}`, new for every start. */
  readonly member: string | undefined;
  /** The partitions it owns now, for partitioned sources (Kafka); `undefined` for the others. */
  readonly partitions: readonly string[] | undefined;
  /** The last changes the source reported (partitions assigned or revoked, messages taken over), newest last. */
  readonly changes: readonly GroupChangeRecord[];
}

export interface ConsumerHealth {
  readonly status: ConsumerStatus;
  readonly name: string;
  readonly group: string;
  readonly topic: string;
  /** Messages being processed right now. */
  readonly inFlight: number;
  readonly counters: Readonly<ConsumerCounters>;
  readonly lastError: { readonly message: string; readonly at: number } | undefined;
  /** Epoch ms of the last successful commit. */
  readonly lastCommitAt: number | undefined;
  readonly membership: MembershipHealth;
  /** Connection state of the slots' drivers that report it (`HealthReporting`). */
  readonly drivers: {
    readonly messageSource?: DriverHealth;
    readonly stateStore?: DriverHealth;
    readonly deadLetterQueue?: DriverHealth;
  };
  /** The checkpoint as it would be committed now. */
  readonly checkpoint: {
    readonly offsets: Readonly<Record<string, Offset>>;
    readonly lastMessageId: string | null;
  };
}

export function emptyCounters(): ConsumerCounters {
  return {
    received: 0,
    processed: 0,
    failures: 0,
    timedOut: 0,
    retries: 0,
    deadLettered: 0,
    dropped: 0,
    sentToRetryTopic: 0,
    parked: 0,
    abandoned: 0,
    filtered: 0,
    deduplicated: 0,
    commits: 0,
    acknowledgeErrors: 0,
  };
}
