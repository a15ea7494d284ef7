import type { ResolvedHarness } from "../harness.js";

/**
 * The rules a driver must follow, as the README states them. Failure messages quote the rule broken, so
 * a driver author learns what to fix without reading the kit's code.
 */
export const rules = {
  settleAfterLoop: (what: string, error: unknown) =>
    `${what} failed after the receive loop that delivered the message had ended: ${describe(error)}. ` +
    "Rule: a message may be acknowledged or rejected after its receive loop ended (its signal aborted, " +
    "or the reader broke out of the loop); keep its handle until it is settled or the driver closes.",
  redelivery: (h: ResolvedHarness, detail: string) =>
    `${detail}. Rule: messages a stopped receiver never settled are delivered again within ` +
    `harness.timeoutMs (${h.timeoutMs} ms here). Configure the driver's redelivery delay (visibility ` +
    "timeout, ack wait, claim idle time) well below it, or raise harness.timeoutMs.",
  capacity: (maxUnsettled: number, received: number, wanted: number, timeoutMs: number) =>
    `one receive handed out ${received} of ${wanted} messages, none settled, within ${timeoutMs} ms. ` +
    `Rule: a receive hands out up to features.maxUnsettled (${maxUnsettled} here) messages before any is ` +
    "settled. If your driver stops at a prefetch, QoS or batch limit, declare that limit as maxUnsettled.",
} as const;

function describe(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}
