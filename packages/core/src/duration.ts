/** A duration as written in config: Go-style text ("250ms", "5s", "1m30s") or milliseconds. */
export type Duration = string | number;

const unitMs: Record<string, number> = { ms: 1, s: 1000, m: 60_000, h: 3_600_000 };
const durationPattern = /^(?:\d+(?:\.\d+)?(?:ms|s|m|h))+$/;
const partPattern = /(\d+(?:\.\d+)?)(ms|s|m|h)/g;

/**
 * Milliseconds for a duration, or `undefined` when it is not one: a finite number >= 0 (already ms) or
 * text made of number+unit parts with units ms, s, m and h.
 */
export function parseDuration(value: unknown): number | undefined {
  if (typeof value === "number") return Number.isFinite(value) && value >= 0 ? value : undefined;
  if (typeof value !== "string") return undefined;
  const text = value.trim();
  if (text === "0") return 0;
  if (!durationPattern.test(text)) return undefined;
  let total = 0;
  for (const [, amount, unit] of text.matchAll(partPattern)) {
    total += Number(amount) * (unitMs[unit as string] ?? Number.NaN);
  }
  return Number.isFinite(total) ? total : undefined;
}

/**
 * The longest a JavaScript timer can wait: 2^31 − 1 ms (about 24.8 days). Node fires a longer delay after
 * 1 ms instead, so no duration in a configuration may exceed it.
 */
export const maxDurationMs = 2_147_483_647;

/**
 * The problem with a duration of `ms` milliseconds if a timer cannot hold it, for a config error that
 * names the field: `"600h" is longer than a timer can wait (at most "596h31m23.647s", about 24.8 days)`.
 * `written` is the value as the user wrote it.
 */
export function timerLimitProblem(ms: number, written: string): string | undefined {
  if (ms <= maxDurationMs) return undefined;
  return `${written} is longer than a timer can wait (at most "596h31m23.647s", about 24.8 days)`;
}

/** "5s", "250ms", "1m30s": the shortest Go-style text for a number of milliseconds. */
export function formatDuration(ms: number): string {
  if (ms < 1000 || ms % 1000 !== 0) return `${ms}ms`;
  let seconds = ms / 1000;
  const hours = Math.floor(seconds / 3600);
  seconds -= hours * 3600;
  const minutes = Math.floor(seconds / 60);
  seconds -= minutes * 60;
  return `${hours ? `${hours}h` : ""}${minutes ? `${minutes}m` : ""}${seconds ? `${seconds}s` : ""}`;
}
