// Types for probe.mjs (plain ESM, importable from TypeScript tests under NodeNext resolution).
export type ServiceName = "postgres" | "redis" | "nats" | "kafka" | "prometheus";
export type Env = Record<string, string | undefined>;

export interface ProbeResult {
  name: ServiceName;
  /** Connection setting with credentials replaced by *** (safe to print). */
  url: string;
  /** host:port of the first configured target (or of the one that answered). */
  where: string;
  reachable: boolean;
  /** Why it is not reachable (only when reachable is false). */
  reason?: string;
  /** What answered, e.g. "PostgreSQL 15.20 ...", "PONG", "nats-server 2.9.10, jetstream on". */
  detail?: string;
  /** Something accepted the TCP connection, even if the protocol check failed. */
  answered: boolean;
}

export interface Target {
  host: string;
  port: number;
  user?: string;
  password?: string;
  database?: string;
  tls?: boolean;
}

export declare const SERVICES: readonly ServiceName[];
export declare function redact(url: string): string;
export declare function isLocalHost(host: string): boolean;
export declare function settings(
  name: ServiceName,
  env?: Env,
): {
  name: ServiceName;
  envVar: string;
  /** The variable's value, or this checkout's private instance when the variable is not set. */
  raw: string;
  url: string;
  /** The variable set it (a server of the user's), rather than the private instance. */
  fromEnvironment: boolean;
  targets: Target[];
};
export declare function probe(
  name: ServiceName,
  env?: Env,
  opts?: { timeoutMs?: number },
): Promise<ProbeResult>;
export declare function probeAll(
  names?: readonly ServiceName[],
  env?: Env,
  opts?: { timeoutMs?: number },
): Promise<ProbeResult[]>;
