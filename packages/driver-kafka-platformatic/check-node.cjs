// Runs before npm (and yarn, bun) installs this package: @platformatic/kafka needs Node >= 22.22, so an
// older Node fails the install here with this message rather than later at run time. Skipped in the
// Prism repository itself (not under node_modules), which builds every package on Node 20.
const required = [22, 22, 0];
const have = process.versions.node.split(".").map(Number);
const older = required.findIndex((part, i) => have[i] !== part);
if (__dirname.split(/[\\/]/).includes("node_modules") && older !== -1 && have[older] < required[older]) {
  console.error(
    `@prism/driver-kafka-platformatic needs Node >= ${required.join(".")} (its client @platformatic/kafka ` +
      `does), but this is Node ${process.versions.node}. Upgrade Node, or use @prism/driver-kafka (kafkajs, Node >= 20).`,
  );
  process.exit(1);
}
