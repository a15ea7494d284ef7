import { type ConsumerHealth, ConsumerStatus } from "@prism/consumer-core";

/** Why a consumer is not ready to take traffic, or `undefined` when it is. */
export function notReadyReason(health: ConsumerHealth): string | undefined {
  if (health.status !== ConsumerStatus.Running) return `consumer is ${health.status}`;
  for (const [slot, driver] of Object.entries(health.drivers)) {
    if (driver && !driver.connected)
      return `${slot} is not connected${driver.lastError ? `: ${driver.lastError}` : ""}`;
  }
  return undefined;
}

/** Whether the process is alive: it is until the consumer stopped or failed. */
export function isLive(health: ConsumerHealth): boolean {
  return health.status !== ConsumerStatus.Failed && health.status !== ConsumerStatus.Stopped;
}
