// An inbox's channel settings as form fields, drawn from its channel kind's
// schema (GET /api/v1/channel_kinds, inboxes/channel_kinds.py): a new channel
// brings its settings schema and gets its form, with no script of its own.
//
// Controls are named after the setting's path ("settings.imap.host" is
// "imap_host") and carry it in data-field, so an API error naming the field
// lands under it. Secrets are never filled in: left empty, the mask goes back
// and the server keeps the stored one.

import { fieldLabel } from "../../common.js";
import { el } from "../../kit/dom.js";
import { field } from "../../kit/field.js";
import { t } from "../../kit/i18n.js";

/**
 * Words in the console's languages, as the channel declared them: {"en": ..., "zh-Hans": ...}.
 * @typedef {Record<string, string>} Labels
 */

/**
 * One setting as GET /api/v1/channel_kinds describes it (channel_kinds.describe_schema).
 * @typedef {{
 *   name: string,
 *   path: string,
 *   type: "text" | "number" | "checkbox" | "select" | "textarea" | "group",
 *   label: Labels,
 *   help?: Labels | null,
 *   required: boolean,
 *   default?: unknown,
 *   options?: Array<{ value: string, label: Labels }>,
 *   fields?: SettingSpec[],
 *   secret?: boolean,
 *   placeholder?: string | Labels,
 *   min?: number,
 *   max?: number,
 *   step?: string,
 *   input?: string,
 *   row?: string,
 *   show_when?: Record<string, string>,
 *   fact?: boolean | string,
 * }} SettingSpec
 */

/**
 * A channel kind as GET /api/v1/channel_kinds describes it (channel_kinds.describe_kind).
 * @typedef {{
 *   name: string,
 *   labels: Labels,
 *   delivery: "later" | "push" | "none",
 *   website_token: boolean,
 *   connection_test: boolean,
 *   switches: string[],
 *   settings: SettingSpec[],
 * }} ChannelKind
 */

/** @typedef {Record<string, any>} Settings */
/** @typedef {import("../../kit/dialog.js").NamedForm} NamedForm */

// What the API shows instead of a stored secret; sent back, it keeps the secret.
const MASK = "********";

/** @param {Labels | null | undefined} labels @param {string} [fallback] */
const words = (labels, fallback = "") => (labels ? fieldLabel({ labels }) : fallback);
const controlName = (/** @type {string} */ path) => path.replace(/^settings\./, "").replaceAll(".", "_");

/** @param {SettingSpec} spec @param {unknown} value */
function control(spec, value) {
  const name = controlName(spec.path);
  const common = { name, id: `f-${name}`, "data-field": spec.path, autocomplete: "off" };
  if (spec.type === "select") {
    return el(
      "select",
      common,
      (spec.options || []).map((option) => el("option", { value: option.value, selected: String(option.value) === String(value ?? spec.default ?? "") }, words(option.label, option.value))),
    );
  }
  if (spec.type === "textarea") return el("textarea", { ...common, rows: 2 }, /** @type {string} */ (value ?? ""));
  if (spec.type === "checkbox") return el("input", { ...common, type: "checkbox", checked: value === true });
  // Required only at the top: a server's host may stay empty (no server), the API names what is missing.
  const required = spec.required && spec.path.split(".").length === 2;
  const shown = value === undefined ? spec.default : value;
  /** @type {Record<string, unknown>} */
  const attributes = { ...common, value: spec.secret ? "" : shown ?? "", required, placeholder: typeof spec.placeholder === "object" ? words(spec.placeholder) : spec.placeholder };
  if (spec.secret) Object.assign(attributes, { type: "password", autocomplete: "new-password", placeholder: value ? t("secret_kept") : "" });
  else if (spec.type === "number") Object.assign(attributes, { type: "number", min: spec.min, max: spec.max, step: spec.step });
  else if (spec.input) attributes.type = spec.input;
  return el("input", attributes);
}

/** @param {SettingSpec} spec @param {unknown} value @returns {HTMLElement} */
function fieldNode(spec, value) {
  const label = words(spec.label, spec.name);
  if (spec.type === "group") {
    const inner = value && typeof value === "object" ? /** @type {Settings} */ (value) : {};
    return el(
      "fieldset",
      { class: "field settings-group", "data-field": spec.path, "data-group": spec.name },
      el("legend", { class: "field-label" }, label),
      spec.help ? el("p", { class: "field-help" }, words(spec.help)) : null,
      rows(spec.fields || [], inner),
    );
  }
  if (spec.type === "checkbox") {
    return el("div", { class: "field" }, el("label", { class: "check" }, control(spec, value), el("span", {}, label)));
  }
  if (spec.type === "textarea" && value !== null && typeof value === "object") {
    // Set per language through the API: shown, kept as it is.
    const shown = Object.entries(value).map(([tag, text]) => `${tag}: ${text}`).join(" · ");
    return el("div", { class: "field" }, el("span", { class: "field-label" }, label), el("p", { class: "muted" }, shown), el("span", { class: "field-help" }, t("kept_as_set")));
  }
  return field(label, control(spec, value), spec.secret && value ? t("secret_stored") : words(spec.help));
}

/** Fields in order; neighbours with the same `row` side by side.
 * @param {SettingSpec[]} specs @param {Settings} values @returns {HTMLElement[]} */
function rows(specs, values) {
  const nodes = [];
  for (let index = 0; index < specs.length; index += 1) {
    const spec = specs[index];
    if (!spec.row) {
      nodes.push(fieldNode(spec, values[spec.name]));
      continue;
    }
    const row = [spec];
    while (specs[index + 1] && specs[index + 1].row === spec.row) row.push(specs[(index += 1)]);
    nodes.push(el("div", { class: `field-row${row.length === 3 ? " field-row-3" : ""}` }, row.map((item) => fieldNode(item, values[item.name]))));
  }
  return nodes;
}

/** The value a control holds; undefined when the setting is not editable here.
 * @param {NamedForm} form @param {SettingSpec} spec @param {unknown} before */
function readValue(form, spec, before) {
  const node = form.elements[controlName(spec.path)];
  if (!node) return undefined; // not editable here (a per-language text): left as stored
  if (spec.type === "checkbox") return /** @type {HTMLInputElement} */ (node).checked;
  const raw = /** @type {HTMLInputElement} */ (node).value.trim();
  if (spec.secret) return raw || (before ? MASK : null);
  if (raw === "") return spec.type === "textarea" ? "" : null;
  return spec.type === "number" ? Number(raw) : raw;
}

/** The settings the form says, over what was stored (a group keeps what the form does not show).
 * @param {NamedForm} form @param {SettingSpec[]} specs @param {Settings} before @param {boolean} nested
 * @returns {Settings} */
function readFields(form, specs, before, nested) {
  /** @type {Settings} */
  const values = nested ? { ...before } : {};
  for (const spec of specs) {
    const stored = before ? before[spec.name] : undefined;
    let value;
    if (spec.type === "group") {
      const box = /** @type {HTMLElement | null} */ (form.querySelector(`[data-group="${CSS.escape(spec.name)}"][data-field="${CSS.escape(spec.path)}"]`));
      const inner = spec.fields || [];
      value = box && box.hidden ? null : readFields(form, inner, stored && typeof stored === "object" ? stored : {}, true);
      // A server without its required fields (no host) is no server.
      if (value && inner.some((item) => item.required && (value[item.name] === null || value[item.name] === undefined))) value = null;
    } else {
      value = readValue(form, spec, stored);
      if (value === undefined) continue;
    }
    if (nested && value === null) delete values[spec.name];
    else values[spec.name] = value;
  }
  return values;
}

/**
 * The kind's settings form: `nodes` for the dialog, `read(form)` the settings to send.
 * @param {ChannelKind} kind
 * @param {Settings} [stored]
 * @returns {{ nodes: HTMLElement[], read: (form: NamedForm) => Settings }}
 */
export function channelSettingsForm(kind, stored = {}) {
  const nodes = rows(kind.settings, stored);
  // A group shown only for one choice (the IMAP server when mail is read by IMAP).
  const wrapper = el("div", { class: "channel-settings" }, nodes);
  for (const spec of kind.settings) {
    if (spec.type !== "group" || !spec.show_when) continue;
    const [[name, wanted]] = Object.entries(spec.show_when);
    const chooser = /** @type {HTMLSelectElement | null} */ (wrapper.querySelector(`[name="${CSS.escape(name)}"]`));
    const box = /** @type {HTMLElement | null} */ (wrapper.querySelector(`[data-group="${CSS.escape(spec.name)}"]`));
    if (!chooser || !box) continue;
    const sync = () => {
      box.hidden = chooser.value !== wanted;
    };
    chooser.addEventListener("change", sync);
    sync();
  }
  return { nodes: [wrapper], read: (form) => readFields(form, kind.settings, stored, false) };
}

/** The kind's name for this reader. */
export const kindLabel = (/** @type {ChannelKind} */ kind) => words(kind.labels, kind.name);

/** @param {SettingSpec} spec @param {unknown} value */
const optionText = (spec, value) => {
  const option = (spec.options || []).find((item) => String(item.value) === String(value));
  return option ? words(option.label, option.value) : String(value);
};

/** A group's facts on one line: "imap.example.com:993 · TLS".
 * @param {SettingSpec} spec @param {unknown} value */
function groupFact(spec, value) {
  if (!value || typeof value !== "object") return null;
  const values = /** @type {Settings} */ (value);
  let text = "";
  for (const inner of spec.fields || []) {
    const part = inner.fact ? values[inner.name] : null;
    if (part === null || part === undefined || part === "") continue;
    const shown = inner.type === "select" ? optionText(inner, part) : String(part);
    text += text ? `${typeof inner.fact === "string" ? inner.fact : " · "}${shown}` : shown;
  }
  return text || null;
}

/**
 * What an inbox's card says about its channel: the settings its kind marks as facts, as dt/dd pairs.
 * @param {ChannelKind} kind
 * @param {Settings | null | undefined} settings
 */
export function settingsFacts(kind, settings) {
  const values = settings || {};
  const facts = [];
  for (const spec of kind.settings) {
    if (!spec.fact) continue;
    const hidden = spec.show_when && Object.entries(spec.show_when).some(([name, wanted]) => {
      const chooser = kind.settings.find((item) => item.name === name);
      return (values[name] ?? (chooser ? chooser.default : undefined)) !== wanted;
    });
    if (hidden) continue;
    const value = values[spec.name];
    let text;
    if (spec.type === "group") text = groupFact(spec, value) || t("not_set");
    else if (spec.type === "select") text = optionText(spec, value ?? spec.default);
    else text = value === null || value === undefined || value === "" ? "—" : String(value);
    facts.push(el("dt", {}, words(spec.label, spec.name)), el("dd", {}, text));
  }
  return facts;
}
