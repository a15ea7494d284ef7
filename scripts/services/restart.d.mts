// Types for restart.mjs.
import type { Env, ServiceName } from "./probe.mjs";

export interface RestartResult {
  name: ServiceName;
  where: string;
  /** From the stop request until the process exited. */
  stopMs: number;
  /** From then until it answered again. */
  startMs: number;
  totalMs: number;
}

/** Restarts this checkout's private instance (and nothing else): stop, wait until gone, start, wait until it answers. */
export declare function restart(name: ServiceName, env?: Env): Promise<RestartResult>;
