import { readFileSync } from "node:fs";
import { Ajv2020 } from "ajv/dist/2020.js";
import { describe, expect, it } from "vitest";
import { parse } from "yaml";
import { consumerConfigJsonSchema } from "./config-validation.js";

const published = JSON.parse(readFileSync(new URL("../consumer.schema.json", import.meta.url), "utf8"));
const seed = readFileSync(
  new URL("../../../examples/order-processor.nats-redis.yaml", import.meta.url),
  "utf8",
);

describe("the consumer YAML's JSON Schema", () => {
  it("is the file published with the package (rewritten at build)", () => {
    expect(published).toEqual(consumerConfigJsonSchema());
  });

  it("accepts the seed's YAML and refuses what the loader refuses", () => {
    const validate = new Ajv2020({ allErrors: true, strict: false }).compile(published);
    expect(validate(parse(seed)), JSON.stringify(validate.errors)).toBe(true);
    const broken = parse(seed);
    broken.behavior.max_retries = 1000;
    broken.behavior.comit_interval = "5s";
    broken.slots.state_store.interface = "queue";
    expect(validate(broken)).toBe(false);
    const paths = (validate.errors ?? []).map((e) => `${e.instancePath} ${e.keyword}`);
    expect(paths).toEqual(
      expect.arrayContaining([
        "/behavior/max_retries maximum",
        "/behavior additionalProperties",
        "/slots/state_store/interface not",
      ]),
    );
  });
});
