// API tokens: a person's tokens for scripts and integrations, shown once when created.

import { accountPath, api, boot, el, errorText, formatDateTime, relativeTime, t, toast } from "../../common.js";
import { field, input } from "../../kit/field.js";
import { content, onAdd, showLoadError, openDialog, secretBox, table } from "../page.js";
import { confirmed } from "../../kit/dialog.js";
function tokenForm(onCreated) {
  openDialog({
    title: t("create_token"),
    fields: [field(t("token_name"), input("name", { required: true, autocomplete: "off", placeholder: t("token_name_example") }), t("token_name_help"))],
    submitLabel: t("create_token"),
    onSubmit: async (form) => {
      const created = await api("POST", accountPath("/api_tokens"), { name: form.elements.name.value });
      onCreated(created);
    },
  });
}

export async function show(created) {
  const [tokens, agents] = await Promise.all([
    api("GET", accountPath("/api_tokens")),
    boot.is_admin ? api("GET", accountPath("/agents")) : Promise.resolve([boot.user]),
  ]);
  const owners = new Map(agents.map((agent) => [agent.id, agent.name]));
  const reload = (justCreated) => show(justCreated).catch(showLoadError);
  onAdd(() => tokenForm(reload));
  const reveal = created
    ? el(
        "div",
        { class: "alert alert-success token-reveal", role: "status" },
        el("strong", {}, t("token_created", { name: created.name })),
        el("p", {}, t("token_shown_once")),
        secretBox(created.token, "new-token"),
      )
    : null;
  const rows = tokens.map((token) =>
    el(
      "tr",
      { "data-testid": "token-row", "data-token-id": token.id },
      el("td", {}, el("strong", {}, token.name)),
      el("td", {}, el("code", {}, `${token.prefix}…`)),
      boot.is_admin ? el("td", {}, owners.get(token.user_id) || `#${token.user_id}`) : null,
      el("td", {}, formatDateTime(token.created_at)),
      el("td", {}, token.last_used_at ? relativeTime(token.last_used_at) : el("span", { class: "muted" }, t("never"))),
      el(
        "td",
        { class: "actions" },
        el(
          "button",
          {
            type: "button",
            class: "btn btn-sm btn-danger-quiet",
            onclick: async () => {
              if (!confirmed(t("confirm_revoke", { name: token.name }))) return;
              try {
                await api("DELETE", accountPath(`/api_tokens/${token.id}`));
                toast(t("token_revoked"));
                reload();
              } catch (error) {
                toast(errorText(error), "error");
              }
            },
          },
          t("revoke"),
        ),
      ),
    ),
  );
  const headers = [t("name"), t("token"), boot.is_admin ? t("owner") : null, t("created"), t("last_used"), ""].filter((header) => header !== null);
  content.replaceChildren(...[reveal, table(headers, rows, t("no_tokens"))].filter(Boolean));
}
