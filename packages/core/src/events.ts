import type { FailureRecord } from "./dead-letter.js";
import type { GroupChange } from "./interfaces.js";
import type { Message } from "./message.js";
import type { ConsumerState } from "./state.js";

/** What the consumer tells listeners (`consumer.on(name, listener)`), one event per outcome. */
export interface ConsumerEventMap {
  /** The processor succeeded for these messages (one, or a batch). */
  processed: {
    readonly messages: readonly Message[];
    readonly attempt: number;
    /** How long the successful attempt took. */
    readonly durationMs: number;
  };
  /** An attempt failed (`timedOut` when it ran past `processingTimeout`). */
  failed: {
    readonly messages: readonly Message[];
    readonly attempt: number;
    readonly error: unknown;
    readonly timedOut: boolean;
    readonly durationMs: number;
  };
  /** Another attempt follows after `delayMs`. */
  retrying: {
    readonly messages: readonly Message[];
    readonly nextAttempt: number;
    readonly delayMs: number;
    readonly error: unknown;
  };
  /** Failed every attempt and went to the dead-letter queue. */
  deadLettered: { readonly message: Message; readonly failure: FailureRecord };
  /** Failed every attempt and went to the retry topic, to be processed again after its delay. */
  sentToRetryTopic: {
    readonly message: Message;
    readonly failure: FailureRecord;
    readonly topic: string;
    /** Rounds through the retry topic, this one included. */
    readonly round: number;
  };
  /**
   * Failed every attempt and was parked (`onExhausted: "park"`): it stays unsettled and its partition
   * takes nothing more until the consumer is restarted. An alert: someone has to look.
   */
  parked: { readonly message: Message; readonly failure: FailureRecord };
  /** Failed every attempt and was dropped (`onExhausted: "drop"`). */
  dropped: { readonly message: Message; readonly failure: FailureRecord };
  /** Did not match the filter: acknowledged and checkpointed, never processed. */
  filtered: { readonly message: Message };
  /** Its id was seen within the deduplication window: acknowledged and checkpointed, not processed again. */
  deduplicated: { readonly message: Message };
  /** Given back unfinished when `stop()` ran out of patience (delivered again later). */
  abandoned: { readonly messages: readonly Message[] };
  /** An attempt is still running after its deadline was signalled (its processor ignores `signal`). */
  stalled: { readonly messages: readonly Message[]; readonly runningMs: number };
  /** The checkpoint was written. */
  committed: { readonly state: ConsumerState };
  /** A backend call failed (an acknowledgement, a commit, the dead-letter queue…); `operation` says which. */
  driverError: { readonly operation: string; readonly error: unknown };
  /** The source reported a change in this member's share of its group. */
  groupChanged: { readonly change: GroupChange };
}

export type ConsumerEventName = keyof ConsumerEventMap;
export type ConsumerEventListener<K extends ConsumerEventName> = (event: ConsumerEventMap[K]) => void;

/** Subscribes to the consumer's events. */
export interface ConsumerEvents {
  /** Calls `listener` for every `name` event; returns the function that unsubscribes it. */
  on<K extends ConsumerEventName>(name: K, listener: ConsumerEventListener<K>): () => void;
  /** Resolves with the next `name` event (for which `matches` holds, when given). */
  once<K extends ConsumerEventName>(
    name: K,
    matches?: (event: ConsumerEventMap[K]) => boolean,
  ): Promise<ConsumerEventMap[K]>;
}
