export interface ScenarioOptions {
  source: string;
  urls: { nats: string; redis: string; postgres: string; kafka: string };
  processes?: number;
  messages?: number;
  kills?: number;
  terms?: number;
  adds?: number;
  delayMs?: number;
  publishRate?: number;
  commitIntervalMs?: number;
  extraBehavior?: string;
  transactional?: boolean;
  log?: (line: string) => void;
}

export interface ScenarioReport {
  source: string;
  processes: number;
  messages: number;
  kills: number;
  terms: number;
  adds: number;
  lost: number;
  lostIds: number[];
  duplicates: number;
  duplicateBound: number;
  duplicatesAfter: Array<{ action: string; member: string; duplicates: number }>;
  duplicatesBeforeAnyAction: number;
  checkpointSamples: number;
  regressions: Array<{ partition: string; from: unknown; to: unknown; at: number }>;
  takeoverMs: number;
  joinStartMs: number;
  rate: number;
  seconds: number;
  failures: string[];
  ok: boolean;
}

export interface ThroughputReport {
  source: string;
  processes: number;
  messages: number;
  processed: number;
  rate: number;
  failures: string[];
}

export function runScenario(options: ScenarioOptions): Promise<ScenarioReport>;
export function measureThroughput(options: ScenarioOptions): Promise<ThroughputReport>;
