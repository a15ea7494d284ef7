import { type Document, isAlias, isMap, isScalar, isSeq, type LineCounter, type Node } from "yaml";
import type { ConfigIssue } from "../errors.js";

/**
 * The largest configuration text accepted. Consumer configs are a few KB; the YAML parser needs seconds
 * for a few MB, so larger text is refused before it is parsed.
 */
export const maxConfigBytes = 128 * 1024;

/**
 * Keys and values a configuration may hold once its aliases are expanded. Far above any real config; it
 * is what stops an alias bomb (aliases of aliases that expand to millions of values from a few lines).
 */
export const maxConfigValues = 10_000;

/**
 * What a parsed document must not contain, found in one pass over its nodes (each visited once; an alias
 * counts as the size of what it repeats): a key given twice in one mapping, and more than
 * `maxConfigValues` keys and values. Iterative, so deep nesting cannot exhaust the stack.
 */
export function documentProblems(document: Document.Parsed, lines: LineCounter): ConfigIssue[] {
  const at = (node: Node) => {
    const { line, col } = lines.linePos(node.range?.[0] ?? 0);
    return `line ${line}, column ${col}`;
  };
  const issues: ConfigIssue[] = [];
  const sizes = new Map<Node, number>();
  /** Nodes with an alias in them: their size counts what the aliases repeat. */
  const repeating = new Set<Node>();
  // Resolved as the walk meets them, in document order: an alias repeats the latest anchor of its name.
  const anchors = new Map<string, Node>();
  const targets = new Map<Node, Node | undefined>();
  const sizeOf = (node: unknown) => (node && typeof node === "object" ? (sizes.get(node as Node) ?? 1) : 0);
  const root = document.contents;
  const stack: Array<{ node: Node; path: string; entered: boolean }> = root
    ? [{ node: root, path: "", entered: false }]
    : [];
  while (stack.length > 0) {
    const top = stack[stack.length - 1] as (typeof stack)[number];
    const { node, path } = top;
    if (!top.entered) {
      top.entered = true;
      if (isAlias(node)) targets.set(node, anchors.get(node.source));
      else if (node.anchor) anchors.set(node.anchor, node);
      for (const [child, childPath] of childrenOf(node, path, at, issues).reverse()) {
        stack.push({ node: child, path: childPath, entered: false });
      }
      continue;
    }
    stack.pop();
    let size = 1;
    const children: unknown[] = isMap(node)
      ? node.items.flatMap((pair) => [pair.key, pair.value])
      : isSeq(node)
        ? node.items
        : [];
    for (const child of children) {
      size += sizeOf(child);
      if (repeating.has(child as Node)) repeating.add(node);
    }
    if (isAlias(node)) {
      // A target still being visited (an alias inside its own anchor) counts once.
      size = sizeOf(targets.get(node));
      repeating.add(node);
    }
    sizes.set(node, size);
    if (size > maxConfigValues) {
      const what = isAlias(node)
        ? `the alias *${node.source} expands to ${size} keys and values`
        : repeating.has(node)
          ? `the values from here on expand, through aliases, to ${size} keys and values (an alias bomb?)`
          : `${size} keys and values from here on`;
      issues.push({
        path: at(node),
        message: `${what}; a consumer configuration may hold at most ${maxConfigValues}`,
      });
      return issues;
    }
  }
  return issues;
}

/** A node's child nodes with their paths; reports the keys a mapping repeats on the way. */
function childrenOf(
  node: Node,
  path: string,
  at: (node: Node) => string,
  issues: ConfigIssue[],
): Array<[Node, string]> {
  const children: Array<[Node, string]> = [];
  const add = (child: unknown, childPath: string) => {
    if (child && typeof child === "object") children.push([child as Node, childPath]);
  };
  if (isSeq(node)) {
    for (const [i, item] of node.items.entries()) add(item, `${path}[${i}]`);
  }
  if (!isMap(node)) return children;
  const seen = new Map<string, Node>();
  for (const pair of node.items) {
    const key = isScalar(pair.key) ? String(pair.key.value) : undefined;
    const keyPath = key === undefined ? `${path}{?}` : path ? `${path}.${key}` : key;
    add(pair.key, keyPath);
    add(pair.value, keyPath);
    if (key === undefined) continue;
    const first = seen.get(key);
    if (first && isScalar(pair.key)) {
      issues.push({
        path: keyPath,
        message: `given twice (${at(first)} and ${at(pair.key)}); YAML would keep only one: remove the other`,
      });
    } else if (isScalar(pair.key)) seen.set(key, pair.key);
  }
  return children;
}
