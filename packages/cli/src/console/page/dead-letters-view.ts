// The dead-letter view: browse (filtered by error text), select, replay or purge — each action confirmed,
// each result shown. Payloads and metadata are set as text; binary payloads arrive as a hex dump.
import type { ConsoleActions, DeadLetterEntry, DeadLetterPage, DeadLetterSelection } from "../api-types.js";
import { type Answer, getDeadLetters, purge, replay, setToken } from "./api.js";
import { confirmAction } from "./confirm.js";
import { byId, h, replace, setText } from "./dom.js";
import { ago, count, plural, time } from "./format.js";

export class DeadLettersView {
  private entries: readonly DeadLetterEntry[] = [];
  private more = false;
  private readonly selected = new Set<string>();
  private readonly expanded = new Set<string>();
  private actions: ConsoleActions = { mode: "read-only", reason: "" };
  private available = false;
  private busy = false;
  private loading: Promise<void> | undefined;
  private filterTimer: ReturnType<typeof setTimeout> | undefined;

  constructor(private readonly onCount: (total: number, more: boolean) => void) {
    byId<HTMLInputElement>("token").addEventListener("input", (event) =>
      setToken((event.target as HTMLInputElement).value),
    );
    byId("dlq-filter").addEventListener("input", () => {
      clearTimeout(this.filterTimer);
      this.filterTimer = setTimeout(() => void this.refresh(), 300);
    });
    byId("dlq-refresh").addEventListener("click", () => void this.refresh());
    byId<HTMLInputElement>("select-all").addEventListener("change", (event) => {
      const checked = (event.target as HTMLInputElement).checked;
      for (const entry of this.entries)
        checked ? this.selected.add(entry.id) : this.selected.delete(entry.id);
      this.render();
    });
    byId("replay-selected").addEventListener("click", () => void this.act("replay", "selected"));
    byId("replay-all").addEventListener("click", () => void this.act("replay", "all"));
    byId("purge-selected").addEventListener("click", () => void this.act("purge", "selected"));
    byId("purge-all").addEventListener("click", () => void this.act("purge", "all"));
  }

  /** Takes what the status says about the DLQ and who may act on it. */
  configure(
    deadLetters: { available: boolean; topic: string | null; reason?: string },
    actions: ConsoleActions,
  ): void {
    this.available = deadLetters.available;
    this.actions = actions;
    setText(byId("dlq-topic"), deadLetters.topic ? `in "${deadLetters.topic}"` : "");
    const unavailable = byId("dlq-unavailable");
    unavailable.hidden = deadLetters.available;
    setText(unavailable, deadLetters.reason ?? "");
    const note = byId("actions-note");
    note.className = `banner${actions.mode === "read-only" ? " read-only" : ""}`;
    setText(
      note,
      actions.mode === "open"
        ? `Replay and purge are enabled: ${actions.reason}.`
        : actions.mode === "token"
          ? `Replay and purge need the console token: ${actions.reason}. Enter it below (it stays in this page's memory).`
          : `${capitalise(actions.reason)}.`,
    );
    byId("token-row").hidden = actions.mode !== "token";
    this.renderButtons();
  }

  /** Reads the list again (one read at a time), keeping what is selected and expanded. */
  refresh(): Promise<void> {
    if (!this.available) return Promise.resolve();
    this.loading ??= this.load().finally(() => {
      this.loading = undefined;
    });
    return this.loading;
  }

  private async load(): Promise<void> {
    const answer = await getDeadLetters(this.filterText());
    if (!answer.ok) {
      setText(byId("dlq-summary"), `Could not read the dead letters: ${answer.error}`);
      return;
    }
    this.show(answer.body);
  }

  private show(page: DeadLetterPage): void {
    this.entries = page.entries;
    this.more = page.more;
    const ids = new Set(page.entries.map((entry) => entry.id));
    for (const id of this.selected) if (!ids.has(id)) this.selected.delete(id);
    this.onCount(page.entries.length, page.more);
    this.render();
  }

  private render(): void {
    const filter = this.filterText();
    setText(
      byId("dlq-summary"),
      this.entries.length === 0
        ? filter
          ? `No dead letter's error contains "${filter}".`
          : "The dead-letter queue is empty."
        : `${plural(this.entries.length, "dead letter")}${this.more ? " shown (the oldest; more match)" : ""}${filter ? ` whose error contains "${filter}"` : ""}, oldest first.`,
    );
    replace(byId("dlq-list"), ...this.entries.map((entry) => this.item(entry)));
    const all = byId<HTMLInputElement>("select-all");
    all.checked = this.entries.length > 0 && this.entries.every((entry) => this.selected.has(entry.id));
    this.renderButtons();
  }

  private renderButtons(): void {
    const blocked = this.actions.mode === "read-only" || !this.available || this.busy;
    const none = this.entries.length === 0;
    const selected = this.selected.size;
    const replaySelected = byId<HTMLButtonElement>("replay-selected");
    const purgeSelected = byId<HTMLButtonElement>("purge-selected");
    replaySelected.disabled = blocked || selected === 0;
    purgeSelected.disabled = blocked || selected === 0;
    setText(replaySelected, `Replay selected (${count(selected)})`);
    setText(purgeSelected, `Purge selected (${count(selected)})`);
    byId<HTMLButtonElement>("replay-all").disabled = blocked || none;
    byId<HTMLButtonElement>("purge-all").disabled = blocked || none;
    const title = this.actions.mode === "read-only" ? this.actions.reason : "";
    for (const id of ["replay-selected", "replay-all", "purge-selected", "purge-all"]) byId(id).title = title;
  }

  private item(entry: DeadLetterEntry): HTMLLIElement {
    const checkbox = h("input", {
      type: "checkbox",
      "aria-label": `select dead letter ${entry.id}`,
      checked: this.selected.has(entry.id),
    });
    checkbox.addEventListener("change", () => {
      if (checkbox.checked) this.selected.add(entry.id);
      else this.selected.delete(entry.id);
      this.render();
    });
    const metadata = h(
      "details",
      { open: this.expanded.has(entry.id) },
      h("summary", {}, `Metadata (${Object.keys(entry.metadata).length})`),
      h(
        "table",
        {},
        h(
          "tbody",
          {},
          ...Object.entries(entry.metadata).map(([key, value]) =>
            h("tr", {}, h("td", {}, key), h("td", {}, value)),
          ),
        ),
      ),
    );
    metadata.addEventListener("toggle", () => {
      if (metadata.open) this.expanded.add(entry.id);
      else this.expanded.delete(entry.id);
    });
    const { payload } = entry;
    const payloadLabel =
      payload.encoding === "utf8"
        ? `Payload, ${plural(payload.bytes, "byte")}${payload.truncated ? " (start)" : ""}`
        : `Binary payload, ${plural(payload.bytes, "byte")}, as hex${payload.truncated ? " (start)" : ""}`;
    return h(
      "li",
      { class: "dead-letter", "data-id": entry.id },
      checkbox,
      h(
        "div",
        {},
        h("div", { class: "error-text" }, entry.error ?? "(no error recorded)"),
        h(
          "div",
          { class: "facts" },
          h("span", {}, "id ", h("code", {}, entry.id)),
          h("span", {}, `to ${entry.originalTopic ?? "?"}`),
          h("span", {}, `${entry.attempts ?? "?"} attempt${entry.attempts === 1 ? "" : "s"}`),
          entry.firstFailureAt !== null
            ? h("span", { title: time(entry.firstFailureAt) }, `first failed ${ago(entry.firstFailureAt)}`)
            : null,
          h("span", { title: time(entry.lastFailureAt) }, `last failed ${ago(entry.lastFailureAt)}`),
          entry.consumer ? h("span", {}, `by ${entry.consumer}`) : null,
        ),
      ),
      h(
        "div",
        { class: "payload" },
        h("div", { class: "muted" }, payloadLabel),
        h("pre", { class: "payload-text", "data-encoding": payload.encoding }, payload.text),
        payload.base64 ? h("details", {}, h("summary", {}, "base64"), h("pre", {}, payload.base64)) : null,
      ),
      metadata,
    );
  }

  private async act(action: "replay" | "purge", scope: "selected" | "all"): Promise<void> {
    const filter = this.filterText();
    const selection: DeadLetterSelection =
      scope === "selected" ? { ids: [...this.selected] } : { all: true, ...(filter && { error: filter }) };
    const howMany =
      scope === "selected"
        ? plural(this.selected.size, "selected dead letter")
        : `every dead letter${filter ? ` whose error contains "${filter}"` : ""} (${count(this.entries.length)}${this.more ? "+" : ""})`;
    const question =
      action === "replay"
        ? `Replay ${howMany} to ${scope === "selected" && this.selected.size === 1 ? "its" : "their"} original topic? Each is removed from the dead-letter queue once the source has accepted its copy.`
        : `Purge ${howMany}? They are removed for good and cannot be replayed.`;
    if (!(await confirmAction(question, action === "replay" ? "Replay" : "Purge", action === "purge")))
      return;
    this.busy = true;
    this.renderButtons();
    this.showResult(`${action === "replay" ? "Replaying" : "Purging"}…`, false);
    try {
      const answer: Answer<
        { replayed: number; failed: readonly { id: string; error: string }[] } | { removed: number }
      > = action === "replay" ? await replay(selection) : await purge(selection);
      if (!answer.ok) {
        this.showResult(
          `${action === "replay" ? "Replay" : "Purge"} refused (${answer.status}): ${answer.error}`,
          true,
        );
        return;
      }
      const body = answer.body;
      if ("removed" in body) this.showResult(`Purged ${plural(body.removed, "dead letter")}.`, false);
      else {
        const failures = body.failed.map((failure) => `${failure.id}: ${failure.error}`).join("; ");
        this.showResult(
          `Replayed ${plural(body.replayed, "dead letter")}.${body.failed.length ? ` ${count(body.failed.length)} failed and stay in the queue: ${failures}` : ""}`,
          body.failed.length > 0,
        );
      }
      this.selected.clear();
    } finally {
      this.busy = false;
      await this.refresh();
      this.renderButtons();
    }
  }

  private showResult(text: string, error: boolean): void {
    const result = byId("dlq-result");
    result.hidden = false;
    result.classList.toggle("error", error);
    setText(result, text);
  }

  private filterText(): string {
    return byId<HTMLInputElement>("dlq-filter").value.trim();
  }
}

function capitalise(text: string): string {
  return text.charAt(0).toUpperCase() + text.slice(1);
}
