/** The placeholder a stream name template replaces with the (sanitised) subject. */
export const subjectPlaceholder = "{subject}";

/** The default stream name template: one stream per subject, e.g. `orders.created` → `PRISM_orders_created`. */
export const defaultStreamTemplate = `PRISM_${subjectPlaceholder}`;

/**
 * Makes text usable as a JetStream stream or consumer name, or a queue group: every character other than
 * ASCII letters, digits, `-` and `_` becomes `_` (NATS forbids `.`, `*`, `>`, whitespace and path
 * separators there).
 */
export function sanitizeName(text: string): string {
  return text.replace(/[^A-Za-z0-9_-]/g, "_");
}

/** The stream a subject goes to when no existing stream captures it. */
export function streamNameFor(template: string, subject: string): string {
  return template.replaceAll(subjectPlaceholder, sanitizeName(subject));
}

/**
 * The durable consumer that holds a group's place on a subject: `{group}_{subject}`, both sanitised, so
 * groups reading different subjects of one stream never share a durable.
 */
export function durableNameFor(group: string, subject: string): string {
  return `${sanitizeName(group)}_${sanitizeName(subject)}`;
}
