import { type ConsumerConfig, type ConsumerHealth, redactUrl } from "@prism/consumer-core";
import type { SlotSummary } from "./api-types.js";

const slots = [
  ["messageSource", "message_source"],
  ["stateStore", "state_store"],
  ["deadLetterQueue", "dead_letter_queue"],
] as const;

/** The settings that say where a driver connects; nothing else of a slot's `config` is ever shown. */
const endpointKeys = [
  "url",
  "urls",
  "servers",
  "address",
  "brokers",
  "connection_string",
  "connectionString",
];

/**
 * Each slot's driver as the console shows it: its name, package, interface, connection state and where it
 * connects — an allow-list of settings, each URL through core's `redactUrl` and without its query string
 * (where a password may hide, `?password=`); a value that is neither a URL nor `host:port` is left out.
 */
export function slotSummaries(config: ConsumerConfig, health: ConsumerHealth): SlotSummary[] {
  const summaries: SlotSummary[] = [];
  for (const [key, yamlKey] of slots) {
    const binding = config.slots[key];
    if (!binding) continue;
    const driverHealth = health.drivers[key];
    const endpoint = endpointOf(binding.config ?? {});
    summaries.push({
      slot: yamlKey,
      driver: binding.driver,
      ...(binding.package !== undefined && { package: binding.package }),
      ...(binding.interface !== undefined && { interface: binding.interface }),
      ...(endpoint !== undefined && { endpoint }),
      ...(driverHealth && {
        connected: driverHealth.connected,
        reconnects: driverHealth.reconnects,
        ...(driverHealth.lastError !== undefined && { lastError: driverHealth.lastError }),
      }),
    });
  }
  return summaries;
}

function endpointOf(settings: Readonly<Record<string, unknown>>): string | undefined {
  for (const key of endpointKeys) {
    const value = settings[key];
    const items = Array.isArray(value) ? value : typeof value === "string" ? value.split(",") : [];
    const shown = items.map((item) => (typeof item === "string" ? redactEndpoint(item.trim()) : undefined));
    if (shown.length > 0 && shown.every((item) => item !== undefined)) return shown.join(", ");
  }
  return undefined;
}

/** `nats://user:pw@host:4222/?token=x` → `nats://***@host:4222/`; `host:9092` as it is; else undefined. */
export function redactEndpoint(value: string): string | undefined {
  if (/^[a-z][a-z0-9+.-]*:\/\//i.test(value)) {
    try {
      const url = new URL(redactUrl(value));
      url.search = "";
      url.hash = "";
      // `user:***@` still names the user; the console shows only that there are credentials.
      const auth = url.username || url.password ? "***@" : "";
      return `${url.protocol}//${auth}${url.host}${url.pathname === "/" ? "" : url.pathname}`;
    } catch {
      return undefined;
    }
  }
  return /^[\w.-]+(:\d+)?$/.test(value) || /^\[[\da-f:]+\](:\d+)?$/i.test(value) ? value : undefined;
}
