// Ticket fields: what a team records on every ticket, labelled per language.

import { accountPath, api, el, errorText, fieldLabel, t, toast } from "../../common.js";
import { field, input, select, checkboxGroup, checkedValues } from "../../kit/field.js";
import { content, onAdd, showLoadError, openDialog, table } from "../page.js";
import { confirmed } from "../../kit/dialog.js";
const FIELD_TYPES = ["text", "number", "select", "checkbox", "date"];

/** Labels as the form shows them: one "language: label" per line. */
const labelLines = (labels) => Object.entries(labels || {}).map(([tag, text]) => `${tag}: ${text}`).join("\n");

function parseLabelLines(text) {
  const labels = {};
  for (const line of text.split("\n").map((part) => part.trim()).filter(Boolean)) {
    const colon = line.indexOf(":");
    // A line with no language is English, as most accounts start.
    if (colon < 0) labels.en = line;
    else labels[line.slice(0, colon).trim()] = line.slice(colon + 1).trim();
  }
  return labels;
}

function ticketFieldForm(fieldDef, count, onSaved) {
  const creating = !fieldDef;
  const typeSelect = select("type", FIELD_TYPES.map((type) => [type, t(`field_type_${type}`)]), fieldDef ? fieldDef.type : "text");
  const options = field(t("field_options"), input("options", { value: fieldDef ? fieldDef.options.join(", ") : "", autocomplete: "off", "data-field": "options" }), t("field_options_help"));
  const showOptions = () => {
    options.hidden = typeSelect.value !== "select";
  };
  typeSelect.addEventListener("change", showOptions);
  showOptions();
  openDialog({
    title: creating ? t("add_ticket_field") : t("edit_ticket_field", { name: fieldLabel(fieldDef) }),
    fields: [
      creating
        ? field(t("field_key"), input("key", { required: true, autocomplete: "off", placeholder: "order_number", "data-field": "key" }), t("field_key_help"))
        : null,
      field(t("field_type"), typeSelect),
      field(t("field_labels"), el("textarea", { name: "labels", id: "f-labels", rows: 3, required: true, "data-field": "labels", placeholder: "en: Order number\nde: Bestellnummer" }, labelLines(fieldDef ? fieldDef.labels : {})), t("field_labels_help")),
      options,
      checkboxGroup("rules", t("field_rules"), [["required_to_solve", t("field_required_to_solve")]], fieldDef && fieldDef.required_to_solve ? ["required_to_solve"] : []),
    ],
    submitLabel: creating ? t("add_ticket_field") : t("save"),
    onSubmit: async (form) => {
      const body = {
        key: creating ? form.elements.key.value.trim() : fieldDef.key,
        type: form.elements.type.value,
        labels: parseLabelLines(form.elements.labels.value),
        options: form.elements.type.value === "select" ? form.elements.options.value.split(",").map((part) => part.trim()).filter(Boolean) : [],
        required_to_solve: checkedValues(form, "rules").includes("required_to_solve"),
        position: creating ? count : fieldDef.position,
      };
      if (creating) await api("POST", accountPath("/ticket_fields"), body);
      else await api("PUT", accountPath(`/ticket_fields/${fieldDef.id}`), body);
      toast(t("saved"));
      onSaved();
    },
  });
}

export async function show() {
  const fields = await api("GET", accountPath("/ticket_fields"));
  const reload = () => show().catch(showLoadError);
  onAdd(() => ticketFieldForm(null, fields.length, reload));
  const rows = fields.map((fieldDef) =>
    el(
      "tr",
      { "data-testid": "ticket-field-row", "data-field-key": fieldDef.key },
      el("td", {}, el("strong", {}, fieldLabel(fieldDef)), el("div", { class: "muted" }, Object.keys(fieldDef.labels).join(", "))),
      el("td", {}, el("code", {}, fieldDef.key)),
      el("td", {}, t(`field_type_${fieldDef.type}`), fieldDef.options.length ? el("div", { class: "muted" }, fieldDef.options.join(", ")) : null),
      el("td", {}, fieldDef.required_to_solve ? t("field_required_to_solve") : el("span", { class: "muted" }, t("field_optional"))),
      el(
        "td",
        { class: "actions" },
        el("button", { type: "button", class: "btn btn-sm", onclick: () => ticketFieldForm(fieldDef, fields.length, reload) }, t("edit")),
        el(
          "button",
          {
            type: "button",
            class: "btn btn-sm btn-danger-quiet",
            onclick: async () => {
              if (!confirmed(t("confirm_delete_ticket_field", { name: fieldLabel(fieldDef) }))) return;
              try {
                await api("DELETE", accountPath(`/ticket_fields/${fieldDef.id}`));
                toast(t("ticket_field_deleted"));
                reload();
              } catch (error) {
                toast(errorText(error), "error");
              }
            },
          },
          t("delete"),
        ),
      ),
    ),
  );
  content.replaceChildren(table([t("field_label"), t("field_key"), t("field_type"), t("field_rules"), ""], rows, t("no_ticket_fields")));
}
