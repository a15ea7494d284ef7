import type {
  BatchAcknowledgement,
  Closable,
  DriverFactory,
  HealthReporting,
  LagReporting,
  PartitionedSource,
  PubSubInterface,
  QueueInterface,
  ResumableSource,
} from "@prism/consumer-core/driver";

/** What both Kafka drivers are, as these suites use them. */
export type KafkaTestDriver = PubSubInterface &
  QueueInterface &
  BatchAcknowledgement &
  ResumableSource &
  PartitionedSource &
  HealthReporting &
  LagReporting &
  Closable;

/** The options both Kafka drivers take that these suites set. */
export interface KafkaTestOptions {
  readonly brokers: readonly string[];
  readonly partitions?: number;
  readonly sessionTimeout?: number;
  readonly heartbeatInterval?: number;
}

/**
 * A Kafka driver under test. The Kafka driver suites (test/suites) run for `@prism/driver-kafka` here and
 * for `@prism/driver-kafka-platformatic` in its package: the same tests for both clients.
 */
export interface KafkaUnderTest {
  /** Shown in the suite names: "kafkajs", "@platformatic/kafka". */
  readonly label: string;
  readonly connect: (options: KafkaTestOptions) => Promise<KafkaTestDriver>;
  /** The driver's name in YAML (`driver: kafka`) and its factory. */
  readonly driverName: string;
  readonly factory: DriverFactory;
  /** The built package and the driver class it exports, for member processes (fixtures/group-member.mjs). */
  readonly module: string;
  readonly exportName: string;
}
