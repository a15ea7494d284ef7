import type { Middleware } from "../../middleware.js";
import type { DeadlineWatch } from "../deadline-watch.js";

/**
 * Each attempt gets `processingTimeout`: at the deadline its `signal` aborts and the attempt fails with
 * TIMED_OUT ("timed out after …"), which the retry stage retries and then dead-letters like any failure.
 */
export function timeout(watch: DeadlineWatch): Middleware {
  return (next) => (delivery) => watch.run(delivery, next);
}
