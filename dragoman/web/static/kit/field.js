// A form's fields and the API's errors on them. The REST API answers a bad
// value with {"error": "validation", "field": "hours[1].end", "message": "..."};
// the field it names is marked (aria-invalid) and, in dialogs, its message
// sits right under it.
import { el } from "./dom.js";
import { t } from "./i18n.js";

/**
 * @typedef {{ field: string | null, message: string }} FieldError
 */

/**
 * What an API error body says, for a form: which field (null: the whole
 * form) and the message; null when the body is not an error.
 * @param {unknown} body
 * @returns {FieldError | null}
 */
export function fieldErrorOf(body) {
  if (!body || typeof body !== "object") return null;
  const { field, message, error } = /** @type {{field?: unknown, message?: unknown, error?: unknown}} */ (body);
  if (typeof message !== "string" && typeof error !== "string") return null;
  return {
    field: typeof field === "string" && field ? field : null,
    message: typeof message === "string" ? message : String(error),
  };
}

/**
 * Where to look for the control a field name means, best first:
 * "settings.imap.host" the control carrying that data-field or name,
 * "languages[0].reading" the control named like that, "languages[1]" the
 * languages box, else the group the name starts with.
 * @param {string} fieldName
 * @returns {string[]} CSS selectors
 */
export function fieldSelectors(fieldName) {
  const base = fieldName.split(/[.[]/)[0];
  const list = fieldName.replace(/\[\d+\]$/, "");
  const quote = (/** @type {string} */ text) => JSON.stringify(text);
  const selectors = [`[data-field=${quote(fieldName)}]`, `[name=${quote(fieldName)}]`, `[data-field=${quote(list)}]`];
  if (base) selectors.push(`[name=${quote(base)}]`, `[data-name=${quote(base)}]`);
  return [...new Set(selectors)];
}

/**
 * The control in `form` an API error names, if any.
 * @param {ParentNode} form
 * @param {string} fieldName
 * @returns {HTMLElement | null}
 */
export function fieldControl(form, fieldName) {
  for (const selector of fieldSelectors(fieldName)) {
    const found = form.querySelector(selector);
    if (found instanceof HTMLElement) return found;
  }
  return null;
}

/** Unmarks every field of `form` and removes the messages put beside them. */
export function clearFieldErrors(/** @type {ParentNode} */ form) {
  for (const node of form.querySelectorAll("[aria-invalid]")) node.removeAttribute("aria-invalid");
  for (const node of form.querySelectorAll(".field-error")) node.remove();
}

/**
 * Marks the field an error names and focuses it; with `beside`, puts the
 * message right under it too (inside its label or group; a line of a list
 * gets it under that line). Returns the control, or null when none is named.
 * @param {ParentNode} form
 * @param {string | null | undefined} fieldName
 * @param {string} message
 * @param {{ beside?: boolean }} [options]
 */
export function showFieldError(form, fieldName, message, { beside = true } = {}) {
  clearFieldErrors(form);
  if (!fieldName) return null;
  const target = fieldControl(form, fieldName);
  if (!target) return null;
  target.setAttribute("aria-invalid", "true");
  if (beside) {
    const note = el("span", { class: "field-error", role: "alert", "data-testid": "field-error" }, message);
    const line = target.closest(".hours-line");
    const holder = target.closest(".field, td") || target;
    if (line) line.after(note);
    else if (holder === target) target.after(note);
    else holder.append(note);
  }
  if (typeof target.focus === "function") target.focus();
  return target;
}

// -- building fields ------------------------------------------------------------------

/**
 * A labelled field: the label above its control, an optional help line under it.
 * @param {string} label
 * @param {Node} control
 * @param {string} [help]
 */
export function field(label, control, help) {
  return el("label", { class: "field" }, el("span", { class: "field-label" }, label), control, help ? el("span", { class: "field-help" }, help) : null);
}

/**
 * An input named `name`, with the id "f-<name>" tests and labels use.
 * @param {string} name
 * @param {import("./dom.js").Attributes} [attributes]
 */
export function input(name, attributes = {}) {
  return el("input", { name, id: `f-${name}`, ...attributes });
}

/**
 * A select of [value, label] options with `selected` chosen.
 * @param {string} name
 * @param {Array<Array<string | number>>} options [value, label] pairs
 * @param {unknown} selected
 * @param {import("./dom.js").Attributes} [attributes]
 */
export function select(name, options, selected, attributes = {}) {
  return el(
    "select",
    { name, id: `f-${name}`, ...attributes },
    options.map(([value, label]) => el("option", { value, selected: String(value) === String(selected ?? "") }, label)),
  );
}

/**
 * Checkboxes under one legend; `emptyText` when there is nothing to tick.
 * @param {string} name
 * @param {string} legend
 * @param {Array<Array<string | number>>} options [value, label] pairs
 * @param {Array<string | number> | null | undefined} checked
 * @param {string} [emptyText] what shows when there is nothing to tick (default: "None yet.")
 */
export function checkboxGroup(name, legend, options, checked, emptyText) {
  const chosen = new Set((checked || []).map(String));
  return el(
    "fieldset",
    { class: "field checkbox-group", "data-name": name },
    el("legend", { class: "field-label" }, legend),
    options.length
      ? options.map(([value, label]) =>
          el("label", { class: "check" }, el("input", { type: "checkbox", name, value, checked: chosen.has(String(value)) }), el("span", {}, label)),
        )
      : el("p", { class: "muted" }, emptyText || t("none_yet")),
  );
}

/** The values of the ticked checkboxes named `name`. */
export const checkedValues = (/** @type {ParentNode} */ form, /** @type {string} */ name) =>
  [...form.querySelectorAll(`input[name="${name}"]:checked`)].map((box) => /** @type {HTMLInputElement} */ (box).value);

/**
 * A form with one error line (the feature pages' editors): the message goes
 * on that line and the field the API names is marked and focused.
 * @param {ParentNode} form
 * @param {HTMLElement} line
 * @param {string} message
 * @param {string | null | undefined} fieldName
 */
export function showFormError(form, line, message, fieldName) {
  line.textContent = message;
  showFieldError(form, fieldName, message, { beside: false });
}

/** Clears a form's error line and its marked fields. */
export function clearFormError(/** @type {ParentNode} */ form, /** @type {HTMLElement} */ line) {
  clearFieldErrors(form);
  line.textContent = "";
}

/**
 * Replaces a select's options with [value, label] pairs, `selectedValue` chosen.
 * @param {HTMLSelectElement} select
 * @param {Array<Array<string | number>>} options
 * @param {unknown} selectedValue
 */
export function fillOptions(select, options, selectedValue) {
  select.replaceChildren(
    ...options.map(([value, label]) => el("option", { value, selected: String(value) === String(selectedValue) }, label)),
  );
}
