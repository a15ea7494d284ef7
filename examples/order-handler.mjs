// The handler `prism-consumer run` loads for the seed's order-processor: the module's default export
// processes one message. Throwing retries it; after max_retries it goes to the dead-letter queue.
//   pnpm --filter @prism/examples exec prism-consumer run order-processor.nats-redis.yaml \
//     --processor ./order-handler.mjs --http :9464
export default async function handle(message, { attempt }) {
  const order = JSON.parse(new TextDecoder().decode(message.payload));
  if (!order.id) throw new Error("order without id");
  console.log(`order ${order.id}, attempt ${attempt}`);
}
