// The console's JSON API, as the server writes it and the page reads it: plain data, no secrets (slot
// settings are never sent; endpoints have their credentials replaced by `***` and no query string).

/** Who may replay and purge: the page shows the actions, asks for the token, or says why it cannot. */
export interface ConsoleActions {
  /** `open`: no token needed (loopback, none set); `token`: send it in `x-prism-console-token`; `read-only`. */
  readonly mode: "open" | "token" | "read-only";
  /** Why, in a sentence the page shows. */
  readonly reason: string;
}

export interface SlotSummary {
  /** `message_source`, `state_store` or `dead_letter_queue`, as in the YAML. */
  readonly slot: string;
  readonly driver: string;
  readonly package?: string;
  readonly interface?: string;
  /** Where it connects, without credentials (`nats://***@host:4222`), when its settings name a URL or hosts. */
  readonly endpoint?: string;
  readonly connected?: boolean;
  readonly reconnects?: number;
  readonly lastError?: string;
}

/** One point of the chart: messages processed per second and the total lag at `at` (epoch ms). */
export interface HistoryPoint {
  readonly at: number;
  readonly processedPerSecond: number;
  /** `null` when the source reports no lag (or it could not be read). */
  readonly lag: number | null;
}

/** The five counts the page shows with their rates (per second over the last few seconds). */
export const CountName = {
  Processed: "processed",
  Failed: "failed",
  Retried: "retried",
  DeadLettered: "deadLettered",
  Filtered: "filtered",
} as const;
export type CountName = (typeof CountName)[keyof typeof CountName];

export interface ConsoleStatus {
  readonly at: number;
  readonly consumer: {
    readonly name: string;
    readonly group: string;
    readonly topic: string;
    readonly member: string | undefined;
    /** Partitions this process owns (partitioned sources only). */
    readonly partitions: readonly string[] | undefined;
  };
  /** `idle`, `running`, `draining`, `stalled`, `stopped` or `failed`. */
  readonly status: string;
  readonly lastError: { readonly message: string; readonly at: number } | null;
  readonly inFlight: number;
  readonly slots: readonly SlotSummary[];
  readonly counts: Readonly<Record<CountName, number>>;
  readonly rates: Readonly<Record<CountName, number>>;
  /** Per partition (`"0"` for an unpartitioned source); `null` when the source cannot tell. */
  readonly lag: {
    readonly partitions: Readonly<Record<string, number>> | null;
    readonly total: number | null;
    readonly at: number | null;
    readonly error?: string;
  };
  readonly checkpoint: {
    /** What the consumer would commit now. */
    readonly current: {
      readonly offsets: Readonly<Record<string, string | number>>;
      readonly lastMessageId: string | null;
    };
    /** What the state store holds (read every few seconds); `null` before the first commit. */
    readonly stored: {
      readonly offsets: Readonly<Record<string, string | number>>;
      readonly lastMessageId: string | null;
      readonly lastUpdated: string;
    } | null;
    readonly storedError?: string;
    readonly lastCommitAt: number | null;
  };
  readonly history: readonly HistoryPoint[];
  readonly deadLetters: {
    readonly available: boolean;
    readonly topic: string | null;
    /** Why the DLQ cannot be browsed here, when it cannot. */
    readonly reason?: string;
  };
  readonly actions: ConsoleActions;
}

/** A dead letter as the console lists it. */
export interface DeadLetterEntry {
  readonly id: string;
  readonly originalTopic: string | null;
  readonly error: string | null;
  readonly attempts: number | null;
  readonly firstFailureAt: number | null;
  readonly lastFailureAt: number;
  readonly consumer: string | null;
  readonly metadata: Readonly<Record<string, string>>;
  readonly payload: PayloadPreview;
}

/** The start of a payload, as text when it is UTF-8, else as hex (and base64 to copy). */
export interface PayloadPreview {
  readonly bytes: number;
  readonly encoding: "utf8" | "hex";
  readonly text: string;
  /** The first bytes in base64, for a binary payload. */
  readonly base64?: string;
  /** Whether `text` shows only the start of the payload. */
  readonly truncated: boolean;
}

export interface DeadLetterPage {
  readonly topic: string;
  readonly entries: readonly DeadLetterEntry[];
  /** More dead letters match than `entries` holds (the page shows the first `limit`). */
  readonly more: boolean;
}

/** The body of `POST /api/dlq/replay` and `/api/dlq/purge`: ids, or `all` (narrowed by `error`). */
export interface DeadLetterSelection {
  readonly ids?: readonly string[];
  readonly all?: boolean;
  readonly error?: string;
}

export interface ReplayResponse {
  readonly replayed: number;
  readonly failed: ReadonlyArray<{ readonly id: string; readonly target: string; readonly error: string }>;
}

export interface PurgeResponse {
  readonly removed: number;
}

/** Every refusal or failure of the API: `{ error }` with a sentence saying what to do. */
export interface ApiError {
  readonly error: string;
}

/** The header a mutating request carries the console token in (never a cookie: no CSRF by ambient auth). */
export const tokenHeader = "x-prism-console-token";
