import { PrismError, PrismErrorCode } from "../../errors.js";
import type { Message } from "../../message.js";
import type { Middleware } from "../../middleware.js";
import { withMessages } from "../pipeline-delivery.js";
import type { GiveUp } from "./dead-letter.js";

/**
 * A record its driver could not convert (`conversionError`) is never processed: it is given up at once —
 * dead-lettered with the reason, or dropped, or it stops the consumer, per `onExhausted` — alone, so the
 * good messages of its batch go on and one foreign record cannot stall its partition. It is not an
 * attempt (no `failed` event); the reason shows in `health().lastError`.
 */
export function unconvertible(giveUp: GiveUp, recordError: (error: unknown) => void): Middleware {
  const refuse = (message: Message) => {
    const error = refusal(message);
    recordError(error);
    return giveUp([message], error);
  };
  return (next) => (delivery) => {
    const { messages } = delivery;
    if (messages.length === 1) {
      const message = messages[0] as Message;
      if (message.conversionError === undefined) return next(delivery);
      return refuse(message);
    }
    if (messages.every((message) => message.conversionError === undefined)) return next(delivery);
    return (async () => {
      const convertible: Message[] = [];
      for (const message of messages) {
        if (message.conversionError === undefined) convertible.push(message);
        else await refuse(message);
      }
      if (convertible.length > 0) await next(withMessages(delivery, convertible));
    })();
  };
}

function refusal(message: Message): PrismError {
  return new PrismError(
    PrismErrorCode.MessageUnconvertible,
    `message ${message.id} on "${message.topic}" could not be converted: ${message.conversionError}`,
  );
}
