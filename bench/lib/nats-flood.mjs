// Child process for the core NATS rows: publishes a burst as fast as the connection takes it.
// Usage: node nats-flood.mjs <servers> <subject> <count> <payload bytes>
import { connect } from "@nats-io/transport-node";

const [servers, subject, count, size] = process.argv.slice(2);
const nc = await connect({ servers });
const payload = new Uint8Array(Number(size));
// No flush per message or per chunk: the client writes the burst as fast as the socket takes it, so the
// reader, not a round trip, sets the pace.
for (let i = 0; i < Number(count); i++) nc.publish(subject, payload);
await nc.drain();
