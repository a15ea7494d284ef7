// Numbers and times as an operator reads them.

const integer = new Intl.NumberFormat("en", { maximumFractionDigits: 0 });
const decimal = new Intl.NumberFormat("en", { maximumFractionDigits: 1 });

/** `12,345` */
export function count(value: number): string {
  return integer.format(value);
}

/** `3.5/s` (one decimal below 10, none above). */
export function rate(perSecond: number): string {
  return `${perSecond < 10 ? decimal.format(perSecond) : integer.format(perSecond)}/s`;
}

/** `12 s ago`, `5 min ago`, `3 h ago`, `2 d ago`. */
export function ago(epochMs: number, now = Date.now()): string {
  const seconds = Math.max(0, Math.round((now - epochMs) / 1000));
  if (seconds < 120) return `${seconds} s ago`;
  if (seconds < 7200) return `${Math.round(seconds / 60)} min ago`;
  if (seconds < 172_800) return `${Math.round(seconds / 3600)} h ago`;
  return `${Math.round(seconds / 86_400)} d ago`;
}

/** The local date and time, to the second. */
export function time(epochMs: number): string {
  return new Date(epochMs).toLocaleString(undefined, { hour12: false });
}

/** `1 dead letter`, `3 dead letters`. */
export function plural(n: number, word: string): string {
  return `${count(n)} ${word}${n === 1 ? "" : "s"}`;
}

/** A compact axis label: 950, 1.2k, 3.4M. */
export function short(value: number): string {
  if (value >= 1e6) return `${decimal.format(value / 1e6)}M`;
  if (value >= 1e3) return `${decimal.format(value / 1e3)}k`;
  return decimal.format(value);
}
