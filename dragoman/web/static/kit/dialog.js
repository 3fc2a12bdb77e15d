// The form dialog (one per page, a <dialog> the page renders with its
// title, fields, error line and Save/Cancel buttons) and confirmations.
import { clearFieldErrors, fieldErrorOf, showFieldError } from "./field.js";

/**
 * A form whose controls are read by name (form.elements.title.value).
 * @typedef {HTMLFormElement & { elements: HTMLFormControlsCollection & Record<string, any> }} NamedForm
 */

/**
 * @typedef {{
 *   title: string,
 *   fields: Array<Node | null | undefined | false>,
 *   submitLabel?: string,
 *   onSubmit: (form: NamedForm) => Promise<unknown>,
 * }} DialogSpec
 */

/**
 * The page's form dialog, by the ids the page gives its parts ("<id>-form",
 * "-title", "-fields", "-error", "-submit", "-cancel"). `open(spec)` shows it;
 * Save runs `onSubmit(form)`: the dialog closes when it resolves, and an error
 * is shown by the buttons and beside the field the API names.
 * @param {string} id
 * @param {{ saveLabel: string, errorText: (error: unknown) => string }} words
 */
export function formDialog(id, { saveLabel, errorText }) {
  const part = (/** @type {string} */ suffix) => /** @type {HTMLElement} */ (document.getElementById(`${id}${suffix}`));
  const dialog = /** @type {HTMLDialogElement} */ (part(""));
  const form = /** @type {NamedForm} */ (part("-form"));
  const title = part("-title");
  const fields = part("-fields");
  const errorLine = part("-error");
  const submit = /** @type {HTMLButtonElement} */ (part("-submit"));
  /** @type {DialogSpec["onSubmit"] | null} */
  let submitHandler = null;

  form.addEventListener("submit", async (event) => {
    event.preventDefault();
    if (!submitHandler) return;
    submit.disabled = true;
    errorLine.textContent = "";
    clearFieldErrors(form);
    try {
      await submitHandler(form);
      dialog.close();
    } catch (error) {
      // Beside the field it names, and by the buttons too: a long form may have
      // scrolled the field out of sight.
      const message = errorText(error);
      errorLine.textContent = message;
      const named = fieldErrorOf(/** @type {{body?: unknown}} */ (error)?.body);
      if (named) showFieldError(form, named.field, message);
    } finally {
      submit.disabled = false;
    }
  });
  part("-cancel").addEventListener("click", () => dialog.close());

  return {
    /** @param {DialogSpec} spec */
    open({ title: heading, fields: nodes, submitLabel, onSubmit }) {
      title.textContent = heading;
      // A field a form leaves out for this record is null: nothing to show (not the word "null").
      fields.replaceChildren(.../** @type {Node[]} */ (nodes.filter((node) => node !== null && node !== undefined && node !== false)));
      errorLine.textContent = "";
      submit.textContent = submitLabel || saveLabel;
      submit.disabled = false;
      submitHandler = onSubmit;
      dialog.showModal();
      const first = fields.querySelector("input:not([type=hidden]):not([type=checkbox]), select, textarea");
      if (first instanceof HTMLElement) first.focus();
    },
    close: () => dialog.close(),
  };
}

/** Asks before something that cannot be undone (deleting, revoking). */
export function confirmed(/** @type {string} */ question) {
  return window.confirm(question);
}

/** Opens a plain <dialog> (the keyboard shortcuts) unless it is open already. */
export function openDialog(/** @type {HTMLDialogElement | null} */ dialog) {
  if (dialog && !dialog.open) dialog.showModal();
}
