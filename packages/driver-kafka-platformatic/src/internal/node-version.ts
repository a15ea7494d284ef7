/** The oldest Node @platformatic/kafka supports (its `engines`), and so this driver. */
export const requiredNode = "22.22.0";

/** Throws, naming the version, on a Node too old for @platformatic/kafka (it may load there, then fail later). */
export function assertSupportedNode(version = process.versions.node): void {
  const have = version.split(".").map(Number);
  const need = requiredNode.split(".").map(Number);
  const differs = need.findIndex((part, i) => (have[i] ?? 0) !== part);
  if (differs !== -1 && (have[differs] ?? 0) < (need[differs] ?? 0)) {
    throw new Error(
      `@prism/driver-kafka-platformatic needs Node >= ${requiredNode} (its client @platformatic/kafka does), ` +
        `but this is Node ${version}. Upgrade Node, or use @prism/driver-kafka (kafkajs, Node >= 20).`,
    );
  }
}
