import type { FilterPredicate } from "../../filter.js";
import type { Message } from "../../message.js";
import type { Middleware } from "../../middleware.js";
import type { EventHub } from "../event-hub.js";
import { withMessages } from "../pipeline-delivery.js";

/**
 * Messages the filter rejects are done: acknowledged and checkpointed by the pipeline, counted as
 * `filtered`, never processed, never dead-lettered. Only the others go on.
 */
export function filter(accepts: FilterPredicate, hub: EventHub): Middleware {
  return (next) => (delivery) => {
    const { messages } = delivery;
    if (messages.length === 1) {
      const message = messages[0] as Message;
      if (accepts(message)) return next(delivery);
      hub.filtered(message);
      return;
    }
    const kept: Message[] = [];
    for (const message of messages) {
      if (accepts(message)) kept.push(message);
      else hub.filtered(message);
    }
    if (kept.length === messages.length) return next(delivery);
    if (kept.length > 0) return next(withMessages(delivery, kept));
  };
}
