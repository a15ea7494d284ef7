import { type JetStreamManager, StorageType } from "@nats-io/jetstream";
import { PrismError, PrismErrorCode } from "@prism/consumer-core/driver";
import { jetStreamErrorCode } from "../errors.js";
import { streamNameFor } from "./names.js";

/** JetStream's err_code for "stream name already in use with a different configuration". */
const streamNameInUse = 10058;

export interface StreamSettings {
  readonly streamTemplate: string;
  readonly createStreams: boolean;
  readonly storage: "file" | "memory";
}

/**
 * Finds the stream that captures a subject; when none does, creates it (named by the template) or, when
 * the template names a stream that exists for other subjects, adds the subject to it. With
 * `createStreams: false` a missing stream is a BACKEND_REJECTED error. Answers are cached per subject.
 */
export class StreamResolver {
  private readonly known = new Map<string, Promise<string>>();

  constructor(
    private readonly jsm: JetStreamManager,
    private readonly settings: StreamSettings,
  ) {}

  streamFor(subject: string): Promise<string> {
    const cached = this.known.get(subject);
    if (cached) return cached;
    const resolving = this.resolve(subject);
    this.known.set(subject, resolving);
    resolving.catch(() => {
      if (this.known.get(subject) === resolving) this.known.delete(subject);
    });
    return resolving;
  }

  /** Forgets the subject's stream, e.g. after it was deleted, so the next call looks again. */
  forget(subject: string): void {
    this.known.delete(subject);
  }

  private async resolve(subject: string): Promise<string> {
    const found = await this.capturing(subject);
    if (found !== undefined) return found;
    const name = streamNameFor(this.settings.streamTemplate, subject);
    if (!this.settings.createStreams) {
      throw new PrismError(
        PrismErrorCode.BackendRejected,
        `no JetStream stream captures subject "${subject}" and create_streams is false: create one ` +
          `(e.g. nats stream add ${name} --subjects "${subject}") or set create_streams: true`,
      );
    }
    const storage = this.settings.storage === "memory" ? StorageType.Memory : StorageType.File;
    try {
      await this.jsm.streams.add({ name, subjects: [subject], storage });
    } catch (error) {
      if (jetStreamErrorCode(error) !== streamNameInUse) throw error;
      const info = await this.jsm.streams.info(name);
      const subjects = info.config.subjects ?? [];
      if (!subjects.includes(subject)) {
        await this.jsm.streams.update(name, { ...info.config, subjects: [...subjects, subject] });
      }
    }
    return name;
  }

  private async capturing(subject: string): Promise<string | undefined> {
    const names: string[] = [];
    for await (const name of this.jsm.streams.names(subject)) names.push(name);
    if (names.length > 1) {
      throw new PrismError(
        PrismErrorCode.BackendRejected,
        `subject "${subject}" is captured by several JetStream streams (${names.join(", ")}); ` +
          "subscribe to a subject only one of them captures",
      );
    }
    return names[0];
  }
}
