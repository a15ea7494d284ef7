// Kafka on @platformatic/kafka, one partition: the row beside kafkajs's (./kafka.mjs), whose topics and
// producer it shares. Raw: the client's own consumer stream (offsets committed every 5 s). Consumer:
// @prism/driver-kafka-platformatic as a pub/sub source, like the kafkajs row. Needs Node >= 22.22.
import { Consumer, MessagesStreamModes } from "@platformatic/kafka";
import { kafkaBrokers } from "../lib/services.mjs";
import { consumerOn } from "./kafka.mjs";

export { close, drop, messages, open, prepare, publisher, timedFromFirstDelivery } from "./kafka.mjs";

export const title = "Kafka (@platformatic/kafka)";
export const note =
  "one partition, as the kafkajs row; raw is @platformatic/kafka's consumer stream with offsets committed every 5 s; the consumer uses @prism/driver-kafka-platformatic as pub/sub. Timed from the first message, as the kafkajs row. Needs Node >= 22.22.";
export const service = "kafka";
export const minimumNode = "22.22.0";

export async function raw(ctx, topic, sink) {
  const consumer = new Consumer({
    clientId: "prism-bench",
    bootstrapBrokers: kafkaBrokers(),
    groupId: `raw-${ctx.id}-${++ctx.groups}`,
  });
  const stream = await consumer.consume({
    topics: [topic],
    mode: MessagesStreamModes.EARLIEST,
    autocommit: 5000,
  });
  stream.on("data", (message) => sink(message.value));
  return {
    stop: async () => {
      await stream.close();
      await consumer.close(true);
    },
  };
}

export async function consumer(ctx, topic, sink, options) {
  // Imported here: it refuses to load on a Node older than 22.22, and the rest of this module need not.
  const { PlatformaticKafkaDriver } = await import("@prism/driver-kafka-platformatic");
  return consumerOn(PlatformaticKafkaDriver, ctx, topic, sink, options);
}
