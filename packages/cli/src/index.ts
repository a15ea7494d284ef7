// The `prism-consumer` command line as a module: `main(argv)` runs a command; the driver convention is
// exported for runners of one's own.
export type { Io } from "./commands/io.js";
export { driverPackage, factoryExport, loadDriverFactories } from "./driver-packages.js";
export { main } from "./main.js";
export { isLive, notReadyReason } from "./readiness.js";
