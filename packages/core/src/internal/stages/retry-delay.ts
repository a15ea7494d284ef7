import type { Message } from "../../message.js";
import type { Middleware } from "../../middleware.js";
import { RetryTopicKey } from "../../retry-topic.js";
import { sleep } from "../async.js";
import { Abandoned } from "../outcomes.js";

/**
 * On a retry topic's consumer: a delivery whose messages are due later (`prism-retry-due`) waits until
 * then before it is processed — the retry topic's delay. A stop ends the wait and gives the delivery back.
 */
export function retryDelay(stopSignal: AbortSignal): Middleware {
  return (next) => (delivery) => {
    const wait = dueAt(delivery.messages) - Date.now();
    if (!(wait > 0)) return next(delivery);
    return sleep(wait, stopSignal).then((waited) => {
      if (!waited) throw new Abandoned();
      return next(delivery);
    });
  };
}

function dueAt(messages: readonly Message[]): number {
  let due = 0;
  for (const message of messages) {
    const value = Number(message.metadata[RetryTopicKey.Due]);
    if (value > due) due = value;
  }
  return due;
}
