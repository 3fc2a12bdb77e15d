// Language and glossary: the customers' languages, the order numbers translation keeps, and the glossary.

import { accountPath, api, el, errorText, t, toast } from "../../common.js";
import { field, input } from "../../kit/field.js";
import { content, onAdd, showLoadError, openDialog, table } from "../page.js";
import { confirmed } from "../../kit/dialog.js";
function glossaryForm(term, onSaved) {
  const creating = !term;
  openDialog({
    title: creating ? t("add_term") : t("edit_term", { term: term.term }),
    fields: [
      field(t("term"), input("term", { value: term ? term.term : "", required: true, autocomplete: "off", placeholder: "Acme Cloud" })),
      field(t("forced_translation"), input("translation", { value: term && term.translation ? term.translation : "", autocomplete: "off" }), t("forced_translation_help")),
      field(t("source_language"), input("source_language", { value: term && term.source_language ? term.source_language : "", autocomplete: "off", placeholder: "en" })),
      field(t("target_language"), input("target_language", { value: term && term.target_language ? term.target_language : "", autocomplete: "off", placeholder: "es" })),
      el("label", { class: "check" }, el("input", { type: "checkbox", name: "case_sensitive", checked: Boolean(term && term.case_sensitive) }), el("span", {}, t("case_sensitive"))),
    ],
    submitLabel: creating ? t("add_term") : t("save"),
    onSubmit: async (form) => {
      const body = {
        term: form.elements.term.value,
        translation: form.elements.translation.value.trim() || null,
        source_language: form.elements.source_language.value.trim() || null,
        target_language: form.elements.target_language.value.trim() || null,
        case_sensitive: form.elements.case_sensitive.checked,
      };
      if (creating) await api("POST", accountPath("/glossary"), body);
      else await api("PATCH", accountPath(`/glossary/${term.id}`), body);
      toast(t("saved"));
      onSaved();
    },
  });
}

function languageSettingsForm(settings, onSaved) {
  const languages = input("languages", { value: settings.languages.join(", "), autocomplete: "off" });
  const pattern = input("order_pattern", { value: settings.order_pattern || "", autocomplete: "off", placeholder: "ORD-\\d{5}", class: "mono" });
  const error = el("p", { class: "form-error", role: "alert" });
  const form = el(
    "form",
    { class: "form card language-settings", "data-testid": "language-settings", novalidate: true },
    field(t("customer_languages"), languages, t("customer_languages_help")),
    field(t("order_pattern"), pattern, t("order_pattern_help")),
    el(
      "p",
      { class: "muted" },
      t("engines_here", {
        engines: settings.engines.filter((engine) => engine.available).map((engine) => engine.name).join(", ") || t("none_yet"),
      }),
    ),
    error,
    el("div", { class: "dialog-actions" }, el("button", { type: "submit", class: "btn btn-primary", "data-testid": "language-save" }, t("save"))),
  );
  form.addEventListener("submit", async (event) => {
    event.preventDefault();
    error.textContent = "";
    try {
      await api("PATCH", accountPath("/language_settings"), {
        languages: languages.value.split(/[\s,]+/).filter(Boolean),
        order_pattern: pattern.value.trim(),
      });
      toast(t("saved"));
      onSaved();
    } catch (failure) {
      error.textContent = errorText(failure);
    }
  });
  return form;
}

export async function show() {
  const [settings, terms] = await Promise.all([api("GET", accountPath("/language_settings")), api("GET", accountPath("/glossary"))]);
  const reload = () => show().catch(showLoadError);
  onAdd(() => glossaryForm(null, reload));
  const pair = (term) =>
    term.source_language || term.target_language ? `${term.source_language || "*"} → ${term.target_language || "*"}` : t("every_language");
  const rows = terms.map((term) =>
    el(
      "tr",
      { "data-testid": "term-row", "data-term-id": term.id },
      el("td", {}, el("strong", {}, term.term)),
      el("td", {}, term.translation || el("span", { class: "muted" }, t("kept_as_is"))),
      el("td", {}, pair(term)),
      el(
        "td",
        { class: "actions" },
        el("button", { type: "button", class: "btn btn-sm", onclick: () => glossaryForm(term, reload) }, t("edit")),
        el(
          "button",
          {
            type: "button",
            class: "btn btn-sm btn-danger-quiet",
            onclick: async () => {
              if (!confirmed(t("confirm_delete_term", { term: term.term }))) return;
              try {
                await api("DELETE", accountPath(`/glossary/${term.id}`));
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
  content.replaceChildren(
    languageSettingsForm(settings, reload),
    el("h3", { class: "card-title glossary-title" }, t("glossary")),
    table([t("term"), t("translation"), t("languages"), ""], rows, t("no_terms")),
  );
}
