import type { ConsumerEvents, ConsumerHealth, Middleware, MiddlewareStage } from "@prism/consumer-core";

/** What instrumentation needs of a consumer: a `Consumer` of any payload type has it. */
export interface InstrumentableConsumer {
  use(middleware: Middleware, stage?: MiddlewareStage): unknown;
  on: ConsumerEvents["on"];
  health(): ConsumerHealth;
}
