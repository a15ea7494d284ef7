// Writes consumer.schema.json (the consumer YAML as JSON Schema, for editors) from the built package.
import { writeFileSync } from "node:fs";
import { consumerConfigJsonSchema } from "../dist/index.js";

writeFileSync(
  new URL("../consumer.schema.json", import.meta.url),
  `${JSON.stringify(consumerConfigJsonSchema(), null, 2)}\n`,
);
