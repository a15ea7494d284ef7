// The console page: two views (overview, dead letters) switched by the URL's hash, the status polled
// every second and the dead-letter list every five (for the count on its tab, too).
import { getStatus } from "./api.js";
import { DeadLettersView } from "./dead-letters-view.js";
import { byId, setText } from "./dom.js";
import { renderOverview } from "./overview-view.js";

const views = ["overview", "dead-letters"] as const;
type View = (typeof views)[number];

function currentView(): View {
  const hash = location.hash.slice(1);
  return (views as readonly string[]).includes(hash) ? (hash as View) : "overview";
}

function showView(deadLetters: DeadLettersView): void {
  const view = currentView();
  for (const name of views) {
    byId(`view-${name}`).hidden = name !== view;
    const tab = byId(`tab-${name}`);
    if (name === view) tab.setAttribute("aria-current", "page");
    else tab.removeAttribute("aria-current");
  }
  if (view === "dead-letters") void deadLetters.refresh();
}

async function pollStatus(deadLetters: DeadLettersView): Promise<void> {
  const answer = await getStatus();
  const offline = byId("offline");
  offline.hidden = answer.ok;
  if (!answer.ok) {
    setText(offline, `No status from the consumer: ${answer.error}. Retrying…`);
    const badge = byId("status");
    setText(badge, "unreachable");
    badge.dataset.status = "unreachable";
    return;
  }
  renderOverview(answer.body);
  deadLetters.configure(answer.body.deadLetters, answer.body.actions);
}

function start(): void {
  const pill = byId("dlq-count");
  const deadLetters = new DeadLettersView((total, more) => {
    pill.hidden = total === 0;
    setText(pill, `${total}${more ? "+" : ""}`);
  });
  window.addEventListener("hashchange", () => showView(deadLetters));
  showView(deadLetters);
  let first = true;
  const tick = async () => {
    await pollStatus(deadLetters);
    if (first) {
      first = false;
      void deadLetters.refresh();
    }
    setTimeout(tick, 1000);
  };
  void tick();
  setInterval(() => {
    if (!byId<HTMLDialogElement>("confirm").open) void deadLetters.refresh();
  }, 5000);
}

start();
