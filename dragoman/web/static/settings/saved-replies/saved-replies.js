// Saved replies: a reply per language version, and what sending it changes on the ticket (a macro).

import { accountPath, api, el, errorText, languageName, macroActionWords, t, toast } from "../../common.js";
import { field, input, select } from "../../kit/field.js";
import { content, onAdd, showLoadError, openDialog, table, COMMON_LANGUAGES, PRIORITIES, TICKET_STATUSES } from "../page.js";
import { confirmed } from "../../kit/dialog.js";
const REPLY_KINDS = ["greeting", "reassurance", "closing", "other"];

/** One language version of a saved reply: its language and its text, removable. */
function versionBlock(language, text) {
  const block = el(
    "div",
    { class: "version-block", "data-testid": "reply-version" },
    el(
      "div",
      { class: "version-head" },
      el("input", { name: "version-language", value: language || "", list: "reply-languages", required: true, "aria-label": t("language"), placeholder: "en", class: "version-language" }),
      el("button", { type: "button", class: "btn btn-sm btn-danger-quiet", onclick: () => block.remove() }, t("remove_language")),
    ),
    el("textarea", { name: "version-text", rows: 4, required: true, "aria-label": t("reply_text") }, text || ""),
  );
  return block;
}

function savedReplyForm(reply, teams, onSaved) {
  const creating = !reply;
  const actions = (reply && reply.actions) || {};
  const versions = el(
    "div",
    { class: "field", "data-name": "versions" },
    el("span", { class: "field-label" }, t("reply_versions")),
    el("datalist", { id: "reply-languages" }, COMMON_LANGUAGES.map((code) => el("option", { value: code }, languageName(code)))),
    el("div", { class: "version-list" }, Object.entries(reply ? reply.versions : { en: "" }).map(([code, text]) => versionBlock(code, text))),
    el("button", { type: "button", class: "btn btn-sm", "data-testid": "add-version", onclick: () => versions.querySelector(".version-list").append(versionBlock("", "")) }, t("add_language_version")),
    el("span", { class: "field-help" }, t("reply_placeholders_help")),
  );
  openDialog({
    title: creating ? t("add_saved_reply") : t("edit_saved_reply", { name: reply.title }),
    fields: [
      field(t("reply_title"), input("title", { value: reply ? reply.title : "", required: true, autocomplete: "off" })),
      field(t("reply_shortcut"), input("shortcut", { value: reply ? reply.shortcut : "", required: true, autocomplete: "off", placeholder: "delivery-delay" }), t("reply_shortcut_help")),
      field(t("reply_kind"), select("kind", REPLY_KINDS.map((kind) => [kind, t(`reply_kind_${kind}`)]), reply ? reply.kind : "other")),
      versions,
      el(
        "fieldset",
        { class: "field macro-fields" },
        el("legend", { class: "field-label" }, t("macro_when_sent")),
        field(t("ticket_status"), select("ticket_status", [["", t("unchanged")], ...TICKET_STATUSES.map((status) => [status, t(`ticket_status_${status}`)])], actions.ticket_status || "")),
        field(t("priority"), select("priority", [["", t("unchanged")], ...PRIORITIES.map((priority) => [priority, t(`priority_${priority}`)])], actions.priority || "")),
        field(t("macro_add_tags"), input("add_tags", { value: (actions.add_tags || []).join(", "), autocomplete: "off", placeholder: "refund, damaged" })),
        field(t("team"), select("team_id", [["", t("unchanged")], ...teams.map((team) => [team.id, team.name])], actions.team_id || "")),
      ),
    ],
    submitLabel: creating ? t("add_saved_reply") : t("save"),
    onSubmit: async (form) => {
      const texts = {};
      for (const block of form.querySelectorAll(".version-block")) {
        const value = (/** @type {string} */ name) => /** @type {HTMLInputElement} */ (block.querySelector(`[name=${name}]`)).value;
        texts[value("version-language").trim()] = value("version-text");
      }
      const body = {
        title: form.elements.title.value,
        shortcut: form.elements.shortcut.value,
        kind: form.elements.kind.value,
        versions: texts,
        actions: {
          ticket_status: form.elements.ticket_status.value || null,
          priority: form.elements.priority.value || null,
          add_tags: form.elements.add_tags.value.split(",").map((tag) => tag.trim()).filter(Boolean),
          team_id: form.elements.team_id.value ? Number(form.elements.team_id.value) : null,
        },
      };
      if (creating) await api("POST", accountPath("/canned_replies"), body);
      else await api("PUT", accountPath(`/canned_replies/${reply.id}`), body);
      toast(t("saved"));
      onSaved();
    },
  });
}

export async function show() {
  const [replies, teams] = await Promise.all([api("GET", accountPath("/canned_replies")), api("GET", accountPath("/teams"))]);
  const reload = () => show().catch(showLoadError);
  onAdd(() => savedReplyForm(null, teams, reload));
  const rows = replies.map((reply) =>
    el(
      "tr",
      { "data-testid": "saved-reply-row", "data-shortcut": reply.shortcut },
      el("td", {}, el("strong", {}, reply.title), el("div", { class: "muted" }, t(`reply_kind_${reply.kind}`))),
      el("td", {}, el("code", {}, `/${reply.shortcut}`)),
      el("td", {}, el("div", { class: "chips" }, Object.keys(reply.versions).map((code) => el("span", { class: "chip", title: languageName(code) }, code)))),
      el("td", {}, macroActionWords(reply, teams) || el("span", { class: "muted" }, "—")),
      el(
        "td",
        { class: "actions" },
        el("button", { type: "button", class: "btn btn-sm", onclick: () => savedReplyForm(reply, teams, reload) }, t("edit")),
        el(
          "button",
          {
            type: "button",
            class: "btn btn-sm btn-danger-quiet",
            onclick: async () => {
              if (!confirmed(t("confirm_delete_saved_reply", { name: reply.title }))) return;
              try {
                await api("DELETE", accountPath(`/canned_replies/${reply.id}`));
                toast(t("saved_reply_deleted"));
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
  content.replaceChildren(table([t("reply_title"), t("reply_shortcut"), t("reply_versions"), t("macro_when_sent"), ""], rows, t("no_saved_replies")));
}
