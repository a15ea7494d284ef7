import type { Middleware } from "../../middleware.js";
import { isPromiseLike } from "../async.js";
import type { DeadlineWatch } from "../deadline-watch.js";
import { PipelineDelivery } from "../pipeline-delivery.js";

/**
 * Each attempt gets `processingTimeout`: at the deadline its `signal` aborts and the attempt fails with
 * TIMED_OUT ("timed out after …"), which the retry stage retries and then dead-letters like any failure.
 * An attempt that finishes synchronously costs nothing here.
 */
export function timeout(watch: DeadlineWatch): Middleware {
  return (next) => (delivery) => {
    const attempt = PipelineDelivery.of(delivery, true);
    let result: void | Promise<void>;
    try {
      result = next(attempt);
    } catch (error) {
      attempt.finish();
      throw error;
    }
    if (!isPromiseLike(result)) {
      attempt.finish();
      return result;
    }
    return watch.track(attempt, Promise.resolve(result));
  };
}
