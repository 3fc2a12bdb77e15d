// Inboxes: one card per inbox (its channel's settings as facts, a web chat's
// snippet, an e-mail inbox's servers tried from here) and one form for every
// channel kind, drawn from the kind's settings schema (channel-settings.js).

import { accountPath, api, el, errorText, t, toast } from "../../common.js";
import { field, input, checkboxGroup, checkedValues } from "../../kit/field.js";
import { content, onAdd, showLoadError, openDialog, copyButton, emptyState } from "../page.js";
import { channelSettingsForm, kindLabel, settingsFacts } from "./channel-settings.js";
function widgetSnippet(inbox) {
  return `<script src="${window.location.origin}/widget.js" data-website-token="${inbox.website_token}"></script>`;
}

/** Greetings set per language through the API: {"en": "...", "es": "..."}. */
const isPerLanguage = (greeting) => typeof greeting === "object" && greeting !== null;

function greetingText(greeting) {
  if (isPerLanguage(greeting)) return Object.entries(greeting).map(([tag, text]) => `${tag}: ${text}`).join(" · ");
  return greeting || "";
}

// The common switches an inbox form offers, as its channel kind lists them.
const SWITCH_LABELS = { bot: "inbox_bot", csat: "inbox_csat", customer_files: "inbox_customer_files" };

/** Any kind's inbox form: the name, the channel's own settings drawn from
 * its schema (channel-settings.js), the teams and the kind's switches.
 * @param {import("./channel-settings.js").ChannelKind} kind
 * @param {any} inbox null for a new one
 * @param {{id: number, name: string}[]} teams
 * @param {() => void} onSaved */
function inboxForm(kind, inbox, teams, onSaved) {
  const creating = !inbox;
  const stored = inbox ? inbox.settings || {} : {};
  const defaults = Object.fromEntries(kind.settings.filter((spec) => spec.default !== null && spec.default !== undefined).map((spec) => [spec.name, spec.default]));
  const channel = channelSettingsForm(kind, creating ? defaults : stored);
  const switches = kind.switches.filter((name) => SWITCH_LABELS[name]).map((name) => [name, t(SWITCH_LABELS[name])]);
  openDialog({
    title: creating ? t("add_channel_inbox", { channel: kindLabel(kind) }) : t("edit_inbox", { name: inbox.name }),
    fields: [
      field(t("name"), input("name", { value: inbox ? inbox.name : "", required: true, autocomplete: "off", placeholder: kind.website_token ? t("inbox_name_example") : "" })),
      ...channel.nodes,
      checkboxGroup("team_ids", t("teams_working_inbox"), teams.map((team) => [team.id, team.name]), inbox ? inbox.team_ids : [], t("no_teams_yet")),
      switches.length ? checkboxGroup("switches", t("inbox_automation"), switches, switches.map(([name]) => name).filter((name) => stored[name] === true)) : null,
    ],
    submitLabel: creating ? t("create_inbox") : t("save"),
    onSubmit: async (form) => {
      const ticked = checkedValues(form, "switches");
      const body = {
        name: form.elements.name.value,
        team_ids: checkedValues(form, "team_ids").map(Number),
        settings: { ...Object.fromEntries(switches.map(([name]) => [name, ticked.includes(name)])), ...channel.read(form) },
      };
      if (creating) {
        await api("POST", accountPath("/inboxes"), { ...body, channel_type: kind.name });
        // A web chat inbox's next step is its snippet on the website.
        toast(t(kind.website_token ? "inbox_created" : "email_inbox_created", { name: body.name }));
      } else {
        await api("PATCH", accountPath(`/inboxes/${inbox.id}`), body);
        toast(t("saved"));
      }
      onSaved();
    },
  });
}

/** Tries the inbox's saved servers and says, per server, whether it works and what it answered. */
async function testMailServers(inbox, button, results) {
  button.disabled = true;
  results.hidden = false;
  results.replaceChildren(el("li", { class: "muted" }, t("mail_testing")));
  try {
    const answer = await api("POST", accountPath(`/inboxes/${inbox.id}/test_connection`));
    results.replaceChildren(
      ...answer.checks.map((check) =>
        el(
          "li",
          { class: `mail-check ${check.ok ? "mail-check-ok" : "mail-check-failed"}`, "data-testid": "mail-check", "data-server": check.server },
          el("strong", {}, `${check.ok ? "✓" : "✗"} ${t(`mail_${check.server}_server`)}: ${check.ok ? t("mail_check_works") : t("mail_check_failed")}`),
          el("span", { class: "muted" }, check.detail),
        ),
      ),
    );
  } catch (error) {
    results.replaceChildren(el("li", { class: "mail-check mail-check-failed" }, errorText(error)));
  } finally {
    button.disabled = false;
  }
}

/** Whether there is a server to try: an IMAP mailbox mail is read from, or an SMTP server replies leave through. */
const hasMailServers = (settings) => Boolean((settings.receive !== "smtp" && settings.imap && settings.imap.host) || (settings.smtp && settings.smtp.host));

function mailTestBox(inbox) {
  const results = el("ul", { class: "mail-checks", hidden: true, "aria-live": "polite" });
  const button = el("button", { type: "button", class: "btn btn-sm", "data-testid": "mail-test" }, t("mail_test"));
  button.addEventListener("click", () => testMailServers(inbox, button, results));
  return el("div", { class: "mail-test" }, button, el("span", { class: "field-help" }, t("mail_test_help")), results);
}

export async function show() {
  const [inboxes, teams, kindList] = await Promise.all([api("GET", accountPath("/inboxes")), api("GET", accountPath("/teams")), api("GET", "/api/v1/channel_kinds")]);
  /** @type {Map<string, import("./channel-settings.js").ChannelKind>} */
  const kinds = new Map(kindList.map((kind) => [kind.name, kind]));
  const teamNames = new Map(teams.map((team) => [team.id, team.name]));
  const reload = () => show().catch(showLoadError);
  onAdd(() => inboxForm(kinds.get("webchat"), null, teams, reload));
  const addEmail = /** @type {HTMLButtonElement} */ (document.getElementById("add-email-button"));
  addEmail.onclick = () => inboxForm(kinds.get("email"), null, teams, reload);
  addEmail.disabled = false;
  if (!inboxes.length) {
    content.replaceChildren(emptyState(t("no_inboxes")));
    return;
  }
  content.replaceChildren(
    ...inboxes.map((inbox) =>
      el(
        "article",
        { class: "card inbox-card", "data-testid": "inbox-card", "data-inbox-id": inbox.id },
        el(
          "header",
          { class: "inbox-head" },
          el("div", {}, el("h3", {}, inbox.name), el("p", { class: "muted" }, kinds.has(inbox.channel_type) ? kindLabel(kinds.get(inbox.channel_type)) : inbox.channel_type)),
          el(
            "button",
            { type: "button", class: "btn btn-sm", disabled: !kinds.has(inbox.channel_type), onclick: () => inboxForm(kinds.get(inbox.channel_type), inbox, teams, reload) },
            t("edit"),
          ),
        ),
        el(
          "dl",
          { class: "facts facts-inline" },
          el("dt", {}, t("teams")),
          el("dd", {}, inbox.team_ids.map((id) => teamNames.get(id)).filter(Boolean).join(", ") || t("no_team_warning")),
          greetingText((inbox.settings || {}).greeting) ? [el("dt", {}, t("greeting")), el("dd", {}, greetingText(inbox.settings.greeting))] : null,
          kinds.has(inbox.channel_type) ? settingsFacts(kinds.get(inbox.channel_type), inbox.settings) : null,
        ),
        kinds.has(inbox.channel_type) && kinds.get(inbox.channel_type).connection_test && hasMailServers(inbox.settings || {}) ? mailTestBox(inbox) : null,
        inbox.website_token
          ? el(
              "div",
              { class: "snippet" },
              el("p", { class: "field-label" }, t("widget_snippet")),
              el("p", { class: "field-help" }, t("widget_snippet_help")),
              el("div", { class: "code-box" }, el("pre", {}, el("code", { "data-testid": "widget-snippet" }, widgetSnippet(inbox))), copyButton(widgetSnippet(inbox))),
            )
          : null,
      ),
    ),
  );
}
