// Types for restart.mjs.
import type { Env, ServiceName } from "./probe.mjs";

export interface RestartResult {
  name: ServiceName;
  where: string;
  /** From the stop request until the service no longer answered. */
  stopMs: number;
  /** From then until it answered again. */
  startMs: number;
  totalMs: number;
}

/** Stops the local service, waits until it is gone, starts it and waits until it answers again. */
export declare function restart(name: ServiceName, env?: Env): Promise<RestartResult>;
