import type { ConfigIssue } from "@prism/consumer-core";

/** Every problem of a config file, one per line, by path. */
export function configIssues(file: string, issues: readonly ConfigIssue[]): string {
  const lines = issues.map((issue) => `  ${issue.path}: ${issue.message}`);
  return `${file}: ${issues.length} problem${issues.length === 1 ? "" : "s"}\n${lines.join("\n")}`;
}
