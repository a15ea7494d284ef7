import type { ExhaustedAction } from "../config.js";
import type { ConsumerCounters } from "../health.js";
import type { Logger } from "../logger.js";
import type { BatchProcessor, MessageProcessor } from "../processor.js";
import type { BoundSlots } from "../slots.js";
import type { ResolvedBehavior } from "./resolve-behavior.js";

/** What one run of a consumer works with. */
export interface RunDeps {
  readonly name: string;
  /** This process's id in its group: `{name}@{host}:{pid}:{random}`. */
  readonly member: string;
  readonly behavior: ResolvedBehavior;
  readonly onExhausted: ExhaustedAction;
  readonly slots: BoundSlots;
  readonly processor: MessageProcessor | undefined;
  readonly batchProcessor: BatchProcessor | undefined;
  readonly logger: Logger;
  /** Lifetime totals, owned by the consumer and updated here. */
  readonly counters: ConsumerCounters;
  readonly random: () => number;
  readonly recordError: (error: unknown) => void;
}
