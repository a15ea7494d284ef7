// The overview: who this consumer is, its status and last error, the five counts with their rates, the
// chart, lag and checkpoint per partition, and the slots' drivers.
import { type ConsoleStatus, CountName } from "../api-types.js";
import { renderChart } from "./chart.js";
import { byId, h, replace, setText } from "./dom.js";
import { ago, count, rate, time } from "./format.js";

const countLabels: Record<CountName, string> = {
  processed: "Processed",
  failed: "Failed attempts",
  retried: "Retried",
  deadLettered: "Dead-lettered",
  filtered: "Filtered",
};

export function renderOverview(status: ConsoleStatus): void {
  const { consumer } = status;
  setText(byId("consumer-name"), consumer.name);
  document.title = `${consumer.name} · ${status.status} · prism-consumer`;
  const badge = byId("status");
  setText(badge, status.status);
  badge.dataset.status = status.status;

  replace(
    byId("identity"),
    ...pair("Group", consumer.group),
    ...pair("Topic", consumer.topic),
    ...pair("In flight", count(status.inFlight)),
    ...(consumer.partitions ? pair("Partitions owned", consumer.partitions.join(", ") || "none") : []),
    ...(consumer.member ? pair("Member", consumer.member) : []),
  );

  const lastError = byId("last-error");
  lastError.hidden = status.lastError === null;
  if (status.lastError) {
    setText(byId("last-error-at"), ago(status.lastError.at, status.at));
    byId("last-error-at").title = time(status.lastError.at);
    setText(byId("last-error-message"), status.lastError.message);
  }

  replace(
    byId("counts"),
    ...Object.values(CountName).map((name) =>
      h(
        "div",
        { class: "card", "data-count": name },
        h("div", { class: "label" }, countLabels[name]),
        h("div", { class: "value" }, count(status.counts[name])),
        h("div", { class: "rate" }, rate(status.rates[name])),
      ),
    ),
  );

  renderChart(byId("chart") as unknown as SVGSVGElement, status.history, status.at);
  renderLag(status);
  renderSlots(status);
}

function pair(term: string, detail: string): HTMLElement[] {
  return [h("dt", {}, term), h("dd", {}, detail)];
}

function renderLag(status: ConsoleStatus): void {
  const { lag, checkpoint } = status;
  const partitions = new Set([
    ...Object.keys(lag.partitions ?? {}),
    ...Object.keys(checkpoint.stored?.offsets ?? {}),
    ...Object.keys(checkpoint.current.offsets),
  ]);
  const rows = [...partitions]
    .sort(byNumber)
    .map((partition) =>
      h(
        "tr",
        { "data-partition": partition },
        h("td", { "data-label": "Partition" }, partition),
        h(
          "td",
          { class: "num", "data-label": "Lag" },
          lag.partitions ? count(lag.partitions[partition] ?? 0) : "–",
        ),
        h(
          "td",
          { class: "num", "data-label": "Stored checkpoint" },
          String(checkpoint.stored?.offsets[partition] ?? "–"),
        ),
        h(
          "td",
          { class: "num", "data-label": "Current" },
          String(checkpoint.current.offsets[partition] ?? "–"),
        ),
      ),
    );
  if (rows.length === 0)
    rows.push(h("tr", {}, h("td", { colspan: 4, class: "muted" }, "nothing consumed yet")));
  replace(byId("lag").querySelector("tbody") as HTMLElement, ...rows);

  const lagNote =
    lag.error !== undefined
      ? `The source could not tell its lag: ${lag.error}`
      : lag.partitions === null
        ? "This source does not report its lag."
        : `Total lag ${count(lag.total ?? 0)}${lag.at ? `, read ${ago(lag.at, status.at)}` : ""}.`;
  setText(byId("lag-note"), lagNote);
  const stored = checkpoint.stored;
  const parts = [
    stored
      ? `Stored checkpoint updated ${stored.lastUpdated ? ago(Date.parse(stored.lastUpdated), status.at) : "at an unknown time"}${stored.lastMessageId ? `, last message ${stored.lastMessageId}` : ""}.`
      : "No checkpoint stored yet.",
    checkpoint.storedError ? `Reading it failed: ${checkpoint.storedError}.` : "",
    checkpoint.lastCommitAt ? `Last commit by this process ${ago(checkpoint.lastCommitAt, status.at)}.` : "",
  ];
  setText(byId("checkpoint-note"), parts.filter(Boolean).join(" "));
}

function renderSlots(status: ConsoleStatus): void {
  const rows = status.slots.map((slot) =>
    h(
      "tr",
      { "data-slot": slot.slot },
      h("td", { "data-label": "Slot" }, slot.slot),
      h(
        "td",
        { "data-label": "Driver" },
        slot.driver,
        slot.interface ? ` (${slot.interface})` : "",
        slot.package ? h("div", { class: "muted" }, slot.package) : null,
      ),
      h("td", { "data-label": "Endpoint" }, slot.endpoint ?? "–"),
      h(
        "td",
        {
          "data-label": "Connection",
          class: slot.connected === undefined ? "" : slot.connected ? "connected" : "disconnected",
        },
        slot.connected === undefined ? "not reported" : slot.connected ? "connected" : "disconnected",
        slot.reconnects ? ` · ${count(slot.reconnects)} reconnects` : "",
        slot.lastError ? h("div", { class: "muted" }, slot.lastError) : null,
      ),
    ),
  );
  replace(byId("slots").querySelector("tbody") as HTMLElement, ...rows);
}

function byNumber(a: string, b: string): number {
  const difference = Number(a) - Number(b);
  return Number.isNaN(difference) ? a.localeCompare(b) : difference;
}
