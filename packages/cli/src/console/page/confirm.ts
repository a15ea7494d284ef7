// Every replay and purge is confirmed in a dialog saying exactly what will happen.
import { byId, setText } from "./dom.js";

/** Shows `question`; resolves `true` when the operator presses `okLabel`, `false` on Cancel or Escape. */
export function confirmAction(question: string, okLabel: string, danger = false): Promise<boolean> {
  const dialog = byId<HTMLDialogElement>("confirm");
  const ok = byId<HTMLButtonElement>("confirm-ok");
  const cancel = byId<HTMLButtonElement>("confirm-cancel");
  setText(byId("confirm-text"), question);
  setText(ok, okLabel);
  ok.classList.toggle("danger", danger);
  return new Promise((resolve) => {
    const finish = (answer: boolean) => {
      ok.removeEventListener("click", onOk);
      cancel.removeEventListener("click", onCancel);
      dialog.removeEventListener("cancel", onCancel);
      if (dialog.open) dialog.close();
      resolve(answer);
    };
    const onOk = () => finish(true);
    const onCancel = () => finish(false);
    ok.addEventListener("click", onOk);
    cancel.addEventListener("click", onCancel);
    dialog.addEventListener("cancel", onCancel);
    dialog.showModal();
    cancel.focus();
  });
}
