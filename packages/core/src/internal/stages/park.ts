import type { FailureRecord } from "../../dead-letter.js";
import type { Logger } from "../../logger.js";
import type { Message } from "../../message.js";
import type { EventHub } from "../event-hub.js";
import { Abandoned } from "../outcomes.js";

/**
 * `onExhausted: "park"`: alerts (an error in the log, a `parked` event per message) and holds the
 * delivery unsettled until the consumer stops — so its partition takes nothing more (with
 * `ordering: "partition"`, the other partitions go on) and its checkpoint cannot pass it. At stop the
 * delivery is given back, to come again after the restart that follows a fix.
 */
export async function park(
  messages: readonly Message[],
  failure: FailureRecord,
  o: {
    readonly stopSignal: AbortSignal;
    readonly hub: EventHub;
    readonly logger: Logger;
    readonly topic: string;
  },
): Promise<never> {
  for (const message of messages) {
    o.logger.error(
      `parked message ${message.id} on "${o.topic}" after ${failure.attempts} attempt(s): its partition takes ` +
        "nothing more until the consumer is restarted (on_exhausted: park)",
      { id: message.id, partition: message.position?.partition, error: failure.error },
    );
    o.hub.parked(message, failure);
  }
  if (!o.stopSignal.aborted) {
    await new Promise((resolve) => o.stopSignal.addEventListener("abort", resolve, { once: true }));
  }
  throw new Abandoned();
}
