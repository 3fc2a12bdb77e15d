// What every settings section shares: the page's content area, its "Add"
// button, the form dialog, copying a secret, and the lists of choices more
// than one section offers. Each section's own module (./<section>/) lists
// its records through the REST API and edits them in the dialog.
import { el } from "../kit/dom.js";
import { formDialog } from "../kit/dialog.js";
import { t } from "../kit/i18n.js";
import { errorText } from "../kit/api.js";
import { toast } from "../kit/toast.js";

export { dataTable as table } from "../kit/table.js";
export { emptyState } from "../kit/list.js";

export const content = /** @type {HTMLElement} */ (document.getElementById("settings-content"));
const addButton = /** @type {HTMLButtonElement} */ (document.getElementById("add-button"));

// Offered as suggestions; any BCP 47 code is accepted.
export const COMMON_LANGUAGES = ["en", "zh-Hans", "zh-Hant", "es", "pt", "pt-BR", "fr", "de", "it", "ja", "ko", "ar", "th", "vi", "id", "ms", "tl", "hi", "ru", "tr"];
export const TICKET_STATUSES = ["new", "open", "pending", "on_hold", "solved", "closed"];
export const PRIORITIES = ["low", "normal", "high", "urgent"];

/** The "Add" button works once its section has loaded what its form needs. */
export function onAdd(/** @type {() => void} */ handler) {
  addButton.onclick = handler;
  addButton.disabled = false;
}

export function showLoadError(/** @type {unknown} */ error) {
  content.replaceChildren(el("div", { class: "alert alert-error", role: "alert" }, errorText(error)));
}

const dialog = formDialog("form-dialog", { saveLabel: t("save"), errorText });

/** Opens the page's form dialog (kit/dialog.js) with a section's fields. */
export const openDialog = (/** @type {import("../kit/dialog.js").DialogSpec} */ spec) => dialog.open(spec);

export function copyButton(/** @type {string} */ text) {
  const button = el("button", { type: "button", class: "btn btn-sm" }, t("copy"));
  button.addEventListener("click", async () => {
    try {
      await navigator.clipboard.writeText(text);
      toast(t("copied"));
    } catch (error) {
      // Clipboard access needs a secure context; selecting the text still lets the user copy it.
      const range = document.createRange();
      range.selectNodeContents(button.previousElementSibling || button);
      window.getSelection()?.removeAllRanges();
      window.getSelection()?.addRange(range);
      toast(t("copy_manually"));
    }
  });
  return button;
}

/** A secret shown once (a webhook's signing secret, a new API token), with its Copy button. */
export function secretBox(/** @type {string} */ value, /** @type {string} */ testid) {
  return el("div", { class: "secret-box" }, el("code", { "data-testid": testid }, value), copyButton(value));
}
