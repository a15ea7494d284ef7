import type { Message } from "./message.js";

/**
 * Which messages the processor gets, declared (YAML `behavior.filter`). Every condition given must hold;
 * a message that fails one is acknowledged, checkpointed and counted as `filtered`, never processed.
 */
export interface FilterRule {
  /** The message's topic or subject; `*` matches any run of characters (`orders.*`). */
  readonly topic?: string;
  /** Metadata keys that must be present with this value, or one of these values. */
  readonly metadata?: Readonly<Record<string, string | readonly string[]>>;
}

/** A filter in code: return `true` to process the message. */
export type FilterPredicate = (message: Message) => boolean;

/** The predicate a rule stands for. */
export function compileFilter(rule: FilterRule): FilterPredicate {
  const topic = rule.topic === undefined ? undefined : globToRegExp(rule.topic);
  const conditions = Object.entries(rule.metadata ?? {}).map(
    ([key, allowed]) => [key, typeof allowed === "string" ? [allowed] : allowed] as const,
  );
  return (message) => {
    if (topic && !topic.test(message.topic)) return false;
    for (const [key, allowed] of conditions) {
      const value = message.metadata[key];
      if (value === undefined || !allowed.includes(value)) return false;
    }
    return true;
  };
}

function globToRegExp(glob: string): RegExp {
  const escaped = glob.split("*").map((part) => part.replace(/[.+?^${}()|[\]\\]/g, "\\$&"));
  return new RegExp(`^${escaped.join(".*")}$`, "s");
}
