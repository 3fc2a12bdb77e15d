// The settings area: agents, teams, inboxes, webhooks (admins) and API tokens
// (everyone). Each section lists through the REST API and edits in one dialog.

import {
  accountPath,
  api,
  ApiError,
  availabilityLabel,
  avatar,
  boot,
  el,
  errorText,
  fieldLabel,
  formatDateTime,
  initShell,
  languageName,
  macroActionWords,
  relativeTime,
  t,
  toast,
} from "./common.js";
import { channelSettingsForm, kindLabel, settingsFacts } from "./channel_settings.js";

const content = document.getElementById("settings-content");
const addButton = document.getElementById("add-button");
const dialog = document.getElementById("form-dialog");
const dialogForm = document.getElementById("form-dialog-form");
const dialogTitle = document.getElementById("form-dialog-title");
const dialogFields = document.getElementById("form-dialog-fields");
const dialogError = document.getElementById("form-dialog-error");
const dialogSubmit = document.getElementById("form-dialog-submit");

const ROLES = ["agent", "supervisor", "admin"];
const LEVELS = [0, 1, 2, 3, 4, 5];
const WEBHOOK_EVENTS = ["conversation_created", "message_created", "conversation_status_changed", "conversation_assigned"];
// Offered as suggestions; any BCP 47 code is accepted.
const COMMON_LANGUAGES = ["en", "zh-Hans", "zh-Hant", "es", "pt", "pt-BR", "fr", "de", "it", "ja", "ko", "ar", "th", "vi", "id", "ms", "tl", "hi", "ru", "tr"];

// -- small builders ---------------------------------------------------------------

function field(label, control, help) {
  return el("label", { class: "field" }, el("span", { class: "field-label" }, label), control, help ? el("span", { class: "field-help" }, help) : null);
}

function input(name, attributes = {}) {
  return el("input", { name, id: `f-${name}`, ...attributes });
}

function select(name, options, selected, attributes = {}) {
  return el(
    "select",
    { name, id: `f-${name}`, ...attributes },
    options.map(([value, label]) => el("option", { value, selected: String(value) === String(selected ?? "") }, label)),
  );
}

function checkboxGroup(name, legend, options, checked, emptyText) {
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

const checkedValues = (form, name) => [...form.querySelectorAll(`input[name="${name}"]:checked`)].map((box) => box.value);

function copyButton(text) {
  const button = el("button", { type: "button", class: "btn btn-sm" }, t("copy"));
  button.addEventListener("click", async () => {
    try {
      await navigator.clipboard.writeText(text);
      toast(t("copied"));
    } catch (error) {
      // Clipboard access needs a secure context; selecting the text still lets the user copy it.
      const range = document.createRange();
      range.selectNodeContents(button.previousElementSibling || button);
      window.getSelection().removeAllRanges();
      window.getSelection().addRange(range);
      toast(t("copy_manually"));
    }
  });
  return button;
}

function secretBox(value, testid) {
  return el("div", { class: "secret-box" }, el("code", { "data-testid": testid }, value), copyButton(value));
}

function table(headers, rows, emptyText) {
  if (!rows.length) return el("div", { class: "empty-state" }, el("p", {}, emptyText));
  return el(
    "table",
    { class: "data-table" },
    el("thead", {}, el("tr", {}, headers.map((header) => el("th", { scope: "col" }, header)))),
    el("tbody", {}, rows),
  );
}

/** The "Add" button works once its section has loaded what its form needs. */
function onAdd(handler) {
  addButton.onclick = handler;
  addButton.disabled = false;
}

function showLoadError(error) {
  content.replaceChildren(el("div", { class: "alert alert-error", role: "alert" }, errorText(error)));
}

// -- the form dialog ----------------------------------------------------------------

let submitHandler = null;

function openDialog({ title, fields, submitLabel, onSubmit }) {
  dialogTitle.textContent = title;
  // A field a form leaves out for this record is null: nothing to show (not the word "null").
  dialogFields.replaceChildren(...fields.filter((field) => field !== null && field !== undefined && field !== false));
  dialogError.textContent = "";
  dialogSubmit.textContent = submitLabel || t("save");
  dialogSubmit.disabled = false;
  submitHandler = onSubmit;
  dialog.showModal();
  const first = dialogFields.querySelector("input:not([type=hidden]):not([type=checkbox]), select, textarea");
  if (first) first.focus();
}

/** The control an API error names: "settings.imap.host" the control carrying
 * that data-field or name, "languages[0].reading" the control named like
 * that, else its group. */
function invalidTarget(fieldName) {
  const base = fieldName.split(/[.[]/)[0];
  return (
    dialogForm.querySelector(`[data-field="${CSS.escape(fieldName)}"]`) ||
    dialogForm.querySelector(`[name="${CSS.escape(fieldName)}"]`) ||
    dialogForm.querySelector(`[data-field="${CSS.escape(fieldName.replace(/\[\d+\]$/, ""))}"]`) ||
    dialogForm.querySelector(`[name="${CSS.escape(base)}"]`) ||
    dialogForm.querySelector(`[data-name="${CSS.escape(base)}"]`)
  );
}

function clearInvalid() {
  for (const node of dialogForm.querySelectorAll("[aria-invalid]")) node.removeAttribute("aria-invalid");
  for (const node of dialogForm.querySelectorAll(".field-error")) node.remove();
}

/** Marks the field the API named and puts its message right beside it. */
function markInvalid(fieldName, message) {
  clearInvalid();
  if (!fieldName) return;
  const target = invalidTarget(fieldName);
  if (!target) return;
  target.setAttribute("aria-invalid", "true");
  const note = el("span", { class: "field-error", role: "alert", "data-testid": "field-error" }, message);
  // Inside the field's label (or group) when it has one, so the message sits under its control.
  // A line of a list (business hours) gets it right under that line.
  const line = target.closest(".hours-line");
  const holder = target.closest(".field, td") || target;
  if (line) line.after(note);
  else if (holder === target) target.after(note);
  else holder.append(note);
  if (typeof target.focus === "function") target.focus();
}

dialogForm.addEventListener("submit", async (event) => {
  event.preventDefault();
  if (!submitHandler) return;
  dialogSubmit.disabled = true;
  dialogError.textContent = "";
  clearInvalid();
  try {
    await submitHandler(dialogForm);
    dialog.close();
  } catch (error) {
    // Beside the field it names, and by the buttons too: a long form may have
    // scrolled the field out of sight.
    const message = errorText(error);
    dialogError.textContent = message;
    if (error instanceof ApiError) markInvalid(error.field, message);
  } finally {
    dialogSubmit.disabled = false;
  }
});
document.getElementById("form-dialog-cancel").addEventListener("click", () => dialog.close());

// -- agents -----------------------------------------------------------------------

function languageRow(skill = { language: "", reading: 3, writing: 3, speaking: 3 }, index) {
  const row = el(
    "div",
    { class: "language-row" },
    el("input", { class: "lang-code", "aria-label": t("language_code"), placeholder: "es", value: skill.language, list: "language-codes", "data-role": "language" }),
    ["reading", "writing", "speaking"].map((mode) =>
      el(
        "label",
        { class: "level" },
        el("span", {}, t(`skill_${mode}`)),
        el("select", { "data-role": mode, "aria-label": t(`skill_${mode}`) }, LEVELS.map((level) => el("option", { value: level, selected: level === skill[mode] }, String(level)))),
      ),
    ),
    el("button", { type: "button", class: "btn btn-sm btn-quiet", "aria-label": t("remove_language"), onclick: () => row.remove() }, "✕"),
  );
  row.dataset.index = String(index ?? 0);
  return row;
}

function languagesEditor(languages) {
  const rows = el("div", { class: "language-rows", "data-name": "languages" }, languages.map((skill, index) => languageRow(skill, index)));
  const datalist = el("datalist", { id: "language-codes" }, COMMON_LANGUAGES.map((code) => el("option", { value: code }, languageName(code))));
  return el(
    "fieldset",
    { class: "field" },
    el("legend", { class: "field-label" }, t("languages")),
    el("p", { class: "field-help" }, t("languages_help")),
    rows,
    datalist,
    el("button", { type: "button", class: "btn btn-sm", onclick: () => rows.append(languageRow(undefined, rows.children.length)) }, "+ ", t("add_language")),
  );
}

function readLanguages(form) {
  return [...form.querySelectorAll(".language-row")]
    .map((row) => ({
      language: row.querySelector('[data-role="language"]').value.trim(),
      reading: Number(row.querySelector('[data-role="reading"]').value),
      writing: Number(row.querySelector('[data-role="writing"]').value),
      speaking: Number(row.querySelector('[data-role="speaking"]').value),
    }))
    .filter((skill) => skill.language);
}

function agentForm(agent, teams, onSaved) {
  const creating = !agent;
  const fields = [
    field(t("name"), input("name", { value: agent ? agent.name : "", required: true, autocomplete: "off" })),
    creating ? field(t("email"), input("email", { type: "email", required: true, autocomplete: "off" })) : null,
    field(
      creating ? t("password") : t("new_password"),
      input("password", { type: "password", autocomplete: "new-password", minlength: 8, required: creating }),
      creating ? t("password_help") : t("new_password_help"),
    ),
    el(
      "div",
      { class: "field-row" },
      field(t("role"), select("role", ROLES.map((role) => [role, t(`role_${role}`)]), agent ? agent.role : "agent")),
      field(t("working_language"), input("working_language", { value: agent ? agent.working_language : "en", list: "language-codes" }), t("working_language_help")),
    ),
    checkboxGroup("team_ids", t("teams"), teams.map((team) => [team.id, team.name]), agent ? agent.team_ids : [], t("no_teams_yet")),
    languagesEditor(agent ? agent.languages : [{ language: "en", reading: 5, writing: 5, speaking: 5 }]),
  ].filter(Boolean);
  openDialog({
    title: creating ? t("add_agent") : t("edit_agent", { name: agent.name }),
    fields,
    submitLabel: creating ? t("create_agent") : t("save"),
    onSubmit: async (form) => {
      const body = {
        name: form.elements.name.value,
        role: form.elements.role.value,
        working_language: form.elements.working_language.value.trim(),
        team_ids: checkedValues(form, "team_ids").map(Number),
        languages: readLanguages(form),
      };
      const password = form.elements.password.value;
      if (creating) {
        body.email = form.elements.email.value;
        body.password = password;
        await api("POST", accountPath("/agents"), body);
        toast(t("agent_created", { name: body.name }));
      } else {
        if (password) body.password = password;
        await api("PATCH", accountPath(`/agents/${agent.id}`), body);
        toast(t("saved"));
      }
      onSaved();
    },
  });
}

function skillChip(skill) {
  const levels = { reading: skill.reading, writing: skill.writing, speaking: skill.speaking };
  return el(
    "span",
    { class: "chip", title: t("skill_levels", levels) },
    languageName(skill.language),
    " ",
    el("span", { class: "levels" }, `${skill.reading}/${skill.writing}/${skill.speaking}`),
  );
}

async function showAgents() {
  const [agents, teams] = await Promise.all([api("GET", accountPath("/agents")), api("GET", accountPath("/teams"))]);
  const teamNames = new Map(teams.map((team) => [team.id, team.name]));
  const reload = () => showAgents().catch(showLoadError);
  onAdd(() => agentForm(null, teams, reload));
  const rows = agents.map((agent) =>
    el(
      "tr",
      { "data-testid": "agent-row", "data-agent-id": agent.id, class: agent.active ? "" : "inactive" },
      el("td", {}, el("div", { class: "person" }, avatar(agent.name, agent.id), el("div", {}, el("strong", {}, agent.name), el("span", { class: "muted" }, agent.email)))),
      el("td", {}, el("span", { class: `role-badge role-${agent.role}` }, t(`role_${agent.role}`))),
      el("td", {}, agent.team_ids.map((id) => teamNames.get(id)).filter(Boolean).join(", ") || el("span", { class: "muted" }, "—")),
      el("td", {}, agent.languages.length ? el("div", { class: "chips" }, agent.languages.map(skillChip)) : el("span", { class: "muted" }, "—")),
      el(
        "td",
        {},
        agent.active
          ? el("span", { class: "presence" }, el("span", { class: "presence-dot", "data-availability": agent.availability }), availabilityLabel(agent.availability))
          : el("span", { class: "pill pill-resolved" }, t("deactivated")),
      ),
      el(
        "td",
        { class: "actions" },
        el("button", { type: "button", class: "btn btn-sm", onclick: () => agentForm(agent, teams, reload) }, t("edit")),
        agent.id === boot.user.id
          ? null
          : el(
              "button",
              {
                type: "button",
                class: `btn btn-sm ${agent.active ? "btn-danger-quiet" : ""}`,
                onclick: async () => {
                  if (agent.active && !window.confirm(t("confirm_deactivate", { name: agent.name }))) return;
                  try {
                    await api("PATCH", accountPath(`/agents/${agent.id}`), { active: !agent.active });
                    toast(agent.active ? t("agent_deactivated", { name: agent.name }) : t("agent_reactivated", { name: agent.name }));
                    reload();
                  } catch (error) {
                    toast(errorText(error), "error");
                  }
                },
              },
              agent.active ? t("deactivate") : t("reactivate"),
            ),
      ),
    ),
  );
  content.replaceChildren(table([t("name"), t("role"), t("teams"), t("languages_column"), t("status"), ""], rows, t("no_agents")));
}

// -- teams ------------------------------------------------------------------------

const NEW_VENDOR = "__new__";

function teamForm(team, agents, vendors, onSaved) {
  const creating = !team;
  const vendorSelect = select(
    "vendor_id",
    [["", t("in_house")], ...vendors.map((vendor) => [vendor.id, vendor.name]), [NEW_VENDOR, t("new_vendor")]],
    team && team.vendor_id ? team.vendor_id : "",
  );
  const newVendor = field(t("vendor_name"), input("new_vendor", { autocomplete: "off" }));
  newVendor.hidden = true;
  vendorSelect.addEventListener("change", () => {
    newVendor.hidden = vendorSelect.value !== NEW_VENDOR;
  });
  const members = agents.filter((agent) => agent.active || (team && team.member_ids.includes(agent.id)));
  openDialog({
    title: creating ? t("add_team") : t("edit_team", { name: team.name }),
    fields: [
      field(t("name"), input("name", { value: team ? team.name : "", required: true, autocomplete: "off" })),
      field(t("vendor"), vendorSelect, t("vendor_help")),
      newVendor,
      checkboxGroup("member_ids", t("members"), members.map((agent) => [agent.id, agent.name]), team ? team.member_ids : [], t("no_agents")),
    ],
    submitLabel: creating ? t("create_team") : t("save"),
    onSubmit: async (form) => {
      let vendorId = form.elements.vendor_id.value;
      if (vendorId === NEW_VENDOR) {
        const vendor = await api("POST", accountPath("/vendors"), { name: form.elements.new_vendor.value });
        vendorId = vendor.id;
      }
      const body = {
        name: form.elements.name.value,
        vendor_id: vendorId ? Number(vendorId) : null,
        member_ids: checkedValues(form, "member_ids").map(Number),
      };
      if (creating) {
        await api("POST", accountPath("/teams"), body);
        toast(t("team_created", { name: body.name }));
      } else {
        await api("PATCH", accountPath(`/teams/${team.id}`), body);
        toast(t("saved"));
      }
      onSaved();
    },
  });
}

async function showTeams() {
  const [teams, agents, vendors, inboxes] = await Promise.all([
    api("GET", accountPath("/teams")),
    api("GET", accountPath("/agents")),
    api("GET", accountPath("/vendors")),
    api("GET", accountPath("/inboxes")),
  ]);
  const agentNames = new Map(agents.map((agent) => [agent.id, agent.name]));
  const vendorNames = new Map(vendors.map((vendor) => [vendor.id, vendor.name]));
  const reload = () => showTeams().catch(showLoadError);
  onAdd(() => teamForm(null, agents, vendors, reload));
  const rows = teams.map((team) =>
    el(
      "tr",
      { "data-testid": "team-row", "data-team-id": team.id },
      el("td", {}, el("strong", {}, team.name)),
      el("td", {}, team.vendor_id ? vendorNames.get(team.vendor_id) : el("span", { class: "muted" }, t("in_house"))),
      el(
        "td",
        {},
        team.member_ids.length
          ? el("div", { class: "chips" }, team.member_ids.map((id) => el("span", { class: "chip" }, agentNames.get(id) || `#${id}`)))
          : el("span", { class: "muted" }, t("no_members")),
      ),
      el("td", {}, inboxes.filter((inbox) => inbox.team_ids.includes(team.id)).map((inbox) => inbox.name).join(", ") || el("span", { class: "muted" }, "—")),
      el("td", { class: "actions" }, el("button", { type: "button", class: "btn btn-sm", onclick: () => teamForm(team, agents, vendors, reload) }, t("edit"))),
    ),
  );
  content.replaceChildren(table([t("name"), t("vendor"), t("members"), t("inboxes"), ""], rows, t("no_teams_yet")));
}

// -- inboxes ----------------------------------------------------------------------

function widgetSnippet(inbox) {
  return `<script src="${window.location.origin}/widget.js" data-website-token="${inbox.website_token}"></script>`;
}

// The widget's own default greeting: the widget translates this exact text
// into each customer's language, so a new inbox starts with it.
/** Greetings set per language through the API: {"en": "...", "es": "..."}. */
const isPerLanguage = (greeting) => typeof greeting === "object" && greeting !== null;

function greetingText(greeting) {
  if (isPerLanguage(greeting)) return Object.entries(greeting).map(([tag, text]) => `${tag}: ${text}`).join(" · ");
  return greeting || "";
}

// The common switches an inbox form offers, as its channel kind lists them.
const SWITCH_LABELS = { bot: "inbox_bot", csat: "inbox_csat", customer_files: "inbox_customer_files" };

/** Any kind's inbox form: the name, the channel's own settings drawn from
 * its schema (channel_settings.js), the teams and the kind's switches. */
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

async function showInboxes() {
  const [inboxes, teams, kindList] = await Promise.all([api("GET", accountPath("/inboxes")), api("GET", accountPath("/teams")), api("GET", "/api/v1/channel_kinds")]);
  const kinds = new Map(kindList.map((kind) => [kind.name, kind]));
  const teamNames = new Map(teams.map((team) => [team.id, team.name]));
  const reload = () => showInboxes().catch(showLoadError);
  onAdd(() => inboxForm(kinds.get("webchat"), null, teams, reload));
  const addEmail = document.getElementById("add-email-button");
  addEmail.onclick = () => inboxForm(kinds.get("email"), null, teams, reload);
  addEmail.disabled = false;
  if (!inboxes.length) {
    content.replaceChildren(el("div", { class: "empty-state" }, el("p", {}, t("no_inboxes"))));
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

// -- webhooks ---------------------------------------------------------------------

function webhookForm(onSaved) {
  openDialog({
    title: t("add_webhook"),
    fields: [
      field(t("webhook_url"), input("url", { type: "url", required: true, placeholder: "https://example.com/dragoman/events", autocomplete: "off" })),
      checkboxGroup("events", t("webhook_events"), WEBHOOK_EVENTS.map((name) => [name, `${t(`event_${name}`)} (${name})`]), WEBHOOK_EVENTS),
    ],
    submitLabel: t("create_webhook"),
    onSubmit: async (form) => {
      const created = await api("POST", accountPath("/webhooks"), { url: form.elements.url.value.trim(), events: checkedValues(form, "events") });
      toast(t("webhook_created"));
      onSaved(created);
    },
  });
}

function deliveryRow(webhook, delivery, refresh) {
  return el(
    "tr",
    { "data-testid": "delivery-row", "data-delivery-id": delivery.id },
    el("td", {}, el("time", { datetime: delivery.created_at, title: formatDateTime(delivery.created_at) }, relativeTime(delivery.created_at))),
    el("td", {}, el("code", {}, delivery.event)),
    el("td", {}, el("span", { class: `pill pill-delivery-${delivery.status}` }, t(`delivery_${delivery.status}`))),
    el("td", { class: "num" }, String(delivery.attempts)),
    el("td", { class: "num" }, delivery.last_status_code ? String(delivery.last_status_code) : "—"),
    el("td", { class: "error-cell" }, delivery.last_error || "—"),
    el(
      "td",
      {},
      delivery.delivered_at
        ? t("delivered_at", { time: formatDateTime(delivery.delivered_at) })
        : delivery.status === "pending" && delivery.next_attempt_at
          ? t("next_attempt_at", { time: formatDateTime(delivery.next_attempt_at) })
          : "—",
    ),
    el(
      "td",
      { class: "actions" },
      delivery.status === "succeeded"
        ? null
        : el(
            "button",
            {
              type: "button",
              class: "btn btn-sm",
              "data-testid": "delivery-retry",
              onclick: async () => {
                try {
                  await api("POST", accountPath(`/webhooks/${webhook.id}/deliveries/${delivery.id}/retry`));
                  toast(t("retry_queued"));
                  refresh();
                } catch (error) {
                  toast(errorText(error), "error");
                }
              },
            },
            t("retry"),
          ),
    ),
  );
}

async function showDeliveries(webhook, panel) {
  panel.replaceChildren(el("p", { class: "muted" }, t("loading")));
  const refresh = () => showDeliveries(webhook, panel).catch((error) => panel.replaceChildren(el("p", { class: "form-error" }, errorText(error))));
  const deliveries = await api("GET", accountPath(`/webhooks/${webhook.id}/deliveries`));
  panel.replaceChildren(
    el(
      "div",
      { class: "panel-head" },
      el("h4", {}, t("delivery_log")),
      el("button", { type: "button", class: "btn btn-sm", onclick: refresh }, t("refresh")),
    ),
    table(
      [t("when"), t("event"), t("status"), t("attempts"), t("http_code"), t("error"), t("delivery"), ""],
      deliveries.map((delivery) => deliveryRow(webhook, delivery, refresh)),
      t("no_deliveries"),
    ),
  );
}

function webhookCard(webhook, reload, revealSecret) {
  const secretSlot = el("div", { class: "secret-slot" });
  const showSecret = () => secretSlot.replaceChildren(el("p", { class: "field-label" }, t("signing_secret")), secretBox(webhook.secret, "webhook-secret"), el("p", { class: "field-help" }, t("signing_secret_help")));
  if (revealSecret) showSecret();
  const deliveries = el("div", { class: "deliveries", hidden: true });
  const card = el(
    "article",
    { class: "card webhook-card", "data-testid": "webhook-card", "data-webhook-id": webhook.id },
    el(
      "header",
      { class: "inbox-head" },
      el(
        "div",
        {},
        el("h3", { class: "webhook-url" }, webhook.url),
        el("div", { class: "chips" }, webhook.events.map((name) => el("span", { class: "chip" }, t(`event_${name}`)))),
        el("p", { class: "muted" }, t("created_on", { time: formatDateTime(webhook.created_at) }), " · ", webhook.active ? t("active") : t("paused")),
      ),
      el(
        "div",
        { class: "actions" },
        el("button", { type: "button", class: "btn btn-sm", onclick: () => (secretSlot.childElementCount ? secretSlot.replaceChildren() : showSecret()) }, t("show_secret")),
        el(
          "button",
          {
            type: "button",
            class: "btn btn-sm",
            "data-testid": "webhook-deliveries",
            onclick: () => {
              deliveries.hidden = !deliveries.hidden;
              if (!deliveries.hidden) showDeliveries(webhook, deliveries).catch((error) => deliveries.replaceChildren(el("p", { class: "form-error" }, errorText(error))));
            },
          },
          t("deliveries"),
        ),
        el(
          "button",
          {
            type: "button",
            class: "btn btn-sm",
            onclick: async () => {
              try {
                await api("PATCH", accountPath(`/webhooks/${webhook.id}`), { active: !webhook.active });
                reload();
              } catch (error) {
                toast(errorText(error), "error");
              }
            },
          },
          webhook.active ? t("pause") : t("resume"),
        ),
        el(
          "button",
          {
            type: "button",
            class: "btn btn-sm btn-danger-quiet",
            onclick: async () => {
              if (!window.confirm(t("confirm_delete_webhook", { url: webhook.url }))) return;
              try {
                await api("DELETE", accountPath(`/webhooks/${webhook.id}`));
                toast(t("webhook_deleted"));
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
    secretSlot,
    deliveries,
  );
  return card;
}

async function showWebhooks(justCreatedId) {
  const reload = (created) => showWebhooks(created && created.id).catch(showLoadError);
  onAdd(() => webhookForm(reload));
  let webhooks;
  try {
    webhooks = await api("GET", accountPath("/webhooks"));
  } catch (error) {
    if (error instanceof ApiError && (error.status === 404 || error.status === 405)) {
      content.replaceChildren(el("div", { class: "empty-state" }, el("p", {}, t("webhooks_unavailable"))));
      return;
    }
    throw error;
  }
  if (!webhooks.length) {
    content.replaceChildren(el("div", { class: "empty-state" }, el("p", {}, t("no_webhooks"))));
    return;
  }
  content.replaceChildren(...webhooks.map((webhook) => webhookCard(webhook, reload, webhook.id === justCreatedId)));
}

// -- language and glossary ------------------------------------------------------------

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

async function showLanguage() {
  const [settings, terms] = await Promise.all([api("GET", accountPath("/language_settings")), api("GET", accountPath("/glossary"))]);
  const reload = () => showLanguage().catch(showLoadError);
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
              if (!window.confirm(t("confirm_delete_term", { term: term.term }))) return;
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

// -- API tokens -------------------------------------------------------------------

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

async function showTokens(created) {
  const [tokens, agents] = await Promise.all([
    api("GET", accountPath("/api_tokens")),
    boot.is_admin ? api("GET", accountPath("/agents")) : Promise.resolve([boot.user]),
  ]);
  const owners = new Map(agents.map((agent) => [agent.id, agent.name]));
  const reload = (justCreated) => showTokens(justCreated).catch(showLoadError);
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
              if (!window.confirm(t("confirm_revoke", { name: token.name }))) return;
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

// -- ticket fields ----------------------------------------------------------------

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

async function showTicketFields() {
  const fields = await api("GET", accountPath("/ticket_fields"));
  const reload = () => showTicketFields().catch(showLoadError);
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
              if (!window.confirm(t("confirm_delete_ticket_field", { name: fieldLabel(fieldDef) }))) return;
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

// -- saved replies ----------------------------------------------------------------

const REPLY_KINDS = ["greeting", "reassurance", "closing", "other"];
const TICKET_STATUSES = ["new", "open", "pending", "on_hold", "solved", "closed"];
const PRIORITIES = ["low", "normal", "high", "urgent"];

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
        texts[block.querySelector("[name=version-language]").value.trim()] = block.querySelector("[name=version-text]").value;
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

async function showSavedReplies() {
  const [replies, teams] = await Promise.all([api("GET", accountPath("/canned_replies")), api("GET", accountPath("/teams"))]);
  const reload = () => showSavedReplies().catch(showLoadError);
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
              if (!window.confirm(t("confirm_delete_saved_reply", { name: reply.title }))) return;
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

// -- SLA policies -----------------------------------------------------------------

const SLA_TARGETS = ["first_response_seconds", "next_response_seconds", "resolution_seconds"];
const BREACH_ACTIONS = ["notify", "raise_priority", "reassign"];
const DURATION_UNITS = [["60", "unit_minutes"], ["3600", "unit_hours"], ["86400", "unit_days"]];
const WEEKDAYS = [0, 1, 2, 3, 4, 5, 6];

/** A target such as 4 h as the form shows it: the largest unit that divides it. */
function splitDuration(seconds) {
  if (!seconds) return ["", "3600"];
  for (const [unit] of [...DURATION_UNITS].reverse()) {
    if (seconds % Number(unit) === 0) return [String(seconds / Number(unit)), unit];
  }
  return [String(Math.round(seconds / 60)), "60"];
}

/** "4 h", "1 d 2 h", "45 min": a target as the list shows it. */
function durationWords(seconds) {
  if (!seconds) return null;
  const days = Math.floor(seconds / 86400);
  const hours = Math.floor((seconds % 86400) / 3600);
  const minutes = Math.round((seconds % 3600) / 60);
  return [days ? t("span_days", { num: days }) : null, hours ? t("span_hours", { num: hours }) : null, minutes ? t("span_minutes", { num: minutes }) : null]
    .filter(Boolean)
    .join(" ");
}

function durationField(name, seconds) {
  const [amount, unit] = splitDuration(seconds);
  return field(
    t(`sla_${name}`),
    el(
      "span",
      { class: "duration", "data-field": name },
      el("input", { type: "number", name: `${name}_amount`, min: 0, step: "any", value: amount, "aria-label": t(`sla_${name}`), class: "duration-amount" }),
      el("select", { name: `${name}_unit`, "aria-label": t("unit") }, DURATION_UNITS.map(([value, key]) => el("option", { value, selected: value === unit }, t(key)))),
    ),
  );
}

function readDuration(form, name) {
  const raw = form.elements[`${name}_amount`].value.trim();
  if (raw === "") return null;
  return Math.round(Number(raw) * Number(form.elements[`${name}_unit`].value));
}

/** One weekly window of business hours; names count rows so an error names its cell. */
function businessHoursRow(hours, index) {
  const row = el(
    "div",
    { class: "hours-line", "data-testid": "sla-hours-row", "data-field": `hours[${index}]` },
    el("select", { name: "hours-weekday", "aria-label": t("weekday"), "data-field": `hours[${index}].weekday` }, WEEKDAYS.map((day) => el("option", { value: day, selected: day === hours.weekday }, t(`weekday_${day}`)))),
    el("input", { name: "hours-start", value: hours.start, placeholder: "09:00", "aria-label": t("hours_from"), "data-field": `hours[${index}].start`, class: "hours-time" }),
    el("span", { class: "muted" }, "–"),
    el("input", { name: "hours-end", value: hours.end, placeholder: "18:00", "aria-label": t("hours_to"), "data-field": `hours[${index}].end`, class: "hours-time" }),
    el("button", { type: "button", class: "btn btn-sm btn-quiet", "aria-label": t("remove"), onclick: () => row.remove() }, "✕"),
  );
  return row;
}

function readBusinessHours(form) {
  return [...form.querySelectorAll(".hours-line")].map((row) => ({
    weekday: Number(row.querySelector("[name=hours-weekday]").value),
    start: row.querySelector("[name=hours-start]").value.trim(),
    end: row.querySelector("[name=hours-end]").value.trim(),
  }));
}

function timeZones() {
  try {
    return Intl.supportedValuesOf("timeZone");
  } catch (error) {
    return ["UTC"];
  }
}

function slaPolicyForm(policy, onSaved) {
  const creating = !policy;
  const rows = el("div", { class: "hours-lines", "data-field": "hours" }, (policy ? policy.hours : []).map(businessHoursRow));
  const addHours = () => {
    const last = rows.lastElementChild ? readBusinessHours(dialogForm).at(-1) : null;
    const next = last ? { weekday: (last.weekday + 1) % 7, start: last.start, end: last.end } : { weekday: 0, start: "09:00", end: "18:00" };
    rows.append(businessHoursRow(next, rows.children.length));
  };
  openDialog({
    title: creating ? t("add_sla_policy") : t("edit_sla_policy", { name: policy.name }),
    fields: [
      field(t("name"), input("name", { value: policy ? policy.name : "", required: true, autocomplete: "off", placeholder: t("sla_name_example") })),
      el(
        "div",
        { class: "field-row" },
        field(t("priority"), select("priority", PRIORITIES.map((priority) => [priority, t(`priority_${priority}`)]), policy ? policy.priority : "normal"), t("sla_priority_help")),
        field(t("sla_tier"), input("tier", { value: (policy && policy.tier) || "", autocomplete: "off", placeholder: "gold" }), t("sla_tier_help")),
      ),
      el("fieldset", { class: "field" }, el("legend", { class: "field-label" }, t("sla_targets")), el("p", { class: "field-help" }, t("sla_targets_help")), el("div", { class: "field-row field-row-even" }, SLA_TARGETS.map((name) => durationField(name, policy ? policy[name] : null)))),
      el(
        "div",
        { class: "field-row" },
        field(t("sla_warn_at"), input("warn_percent", { type: "number", min: 1, max: 99, value: Math.round(100 * (policy ? policy.warn_ratio : 0.75)), "data-field": "warn_ratio" }), t("sla_warn_at_help")),
        field(t("sla_breach_action"), select("breach_action", BREACH_ACTIONS.map((action) => [action, t(`sla_breach_${action}`)]), policy ? policy.breach_action : "notify")),
      ),
      el(
        "fieldset",
        { class: "field" },
        el("legend", { class: "field-label" }, t("business_hours")),
        el("p", { class: "field-help" }, t("business_hours_help")),
        el("datalist", { id: "time-zones" }, timeZones().map((zone) => el("option", { value: zone }))),
        field(t("time_zone"), input("timezone", { value: policy ? policy.timezone : Intl.DateTimeFormat().resolvedOptions().timeZone || "UTC", list: "time-zones", autocomplete: "off" })),
        rows,
        el("button", { type: "button", class: "btn btn-sm", "data-testid": "add-sla-hours", onclick: addHours }, "+ ", t("add_hours")),
        el(
          "div",
          { class: "field-row" },
          field(t("holiday_country"), input("holiday_country", { value: (policy && policy.holiday_country) || "", autocomplete: "off", placeholder: "DE", maxlength: 8 }), t("holiday_country_help")),
          field(t("holiday_subdivision"), input("holiday_subdivision", { value: (policy && policy.holiday_subdivision) || "", autocomplete: "off", placeholder: "BY", maxlength: 16 })),
        ),
      ),
    ],
    submitLabel: creating ? t("add_sla_policy") : t("save"),
    onSubmit: async (form) => {
      const percent = form.elements.warn_percent.value.trim();
      const body = {
        name: form.elements.name.value,
        priority: form.elements.priority.value,
        tier: form.elements.tier.value.trim() || null,
        ...Object.fromEntries(SLA_TARGETS.map((name) => [name, readDuration(form, name)])),
        warn_ratio: percent === "" ? 0.75 : Number(percent) / 100,
        breach_action: form.elements.breach_action.value,
        timezone: form.elements.timezone.value.trim() || "UTC",
        hours: readBusinessHours(form),
        holiday_country: form.elements.holiday_country.value.trim() || null,
        holiday_subdivision: form.elements.holiday_subdivision.value.trim() || null,
      };
      if (creating) await api("POST", accountPath("/sla_policies"), body);
      else await api("PUT", accountPath(`/sla_policies/${policy.id}`), body);
      toast(t("saved"));
      onSaved();
    },
  });
}

/** "Mon 09:00–18:00 · Tue …", or "Around the clock", and the time zone. */
function hoursWords(policy) {
  const windows = policy.hours.length
    ? policy.hours.map((hours) => `${t(`weekday_short_${hours.weekday}`)} ${hours.start}–${hours.end}`).join(" · ")
    : t("around_the_clock");
  const holidays = policy.holiday_country ? ` · ${t("holidays_of", { country: [policy.holiday_country, policy.holiday_subdivision].filter(Boolean).join("-") })}` : "";
  return [el("div", {}, windows), el("div", { class: "muted" }, `${policy.timezone}${holidays}`)];
}

async function showSlaPolicies() {
  const policies = await api("GET", accountPath("/sla_policies"));
  const reload = () => showSlaPolicies().catch(showLoadError);
  onAdd(() => slaPolicyForm(null, reload));
  const order = (policy) => PRIORITIES.indexOf(policy.priority);
  const rows = [...policies]
    .sort((a, b) => order(b) - order(a) || String(a.tier || "").localeCompare(String(b.tier || "")))
    .map((policy) =>
      el(
        "tr",
        { "data-testid": "sla-policy-row", "data-policy-id": policy.id },
        el("td", {}, el("strong", {}, policy.name), policy.tier ? el("div", { class: "muted" }, t("sla_for_tier", { tier: policy.tier })) : null),
        el("td", {}, el("span", { class: `pill priority-${policy.priority}` }, t(`priority_${policy.priority}`))),
        el(
          "td",
          {},
          el(
            "dl",
            { class: "facts facts-inline sla-targets" },
            SLA_TARGETS.filter((name) => policy[name]).flatMap((name) => [el("dt", {}, t(`sla_${name}`)), el("dd", {}, durationWords(policy[name]))]),
          ),
        ),
        el("td", {}, hoursWords(policy)),
        el("td", {}, t(`sla_breach_${policy.breach_action}`)),
        el(
          "td",
          { class: "actions" },
          el("button", { type: "button", class: "btn btn-sm", onclick: () => slaPolicyForm(policy, reload) }, t("edit")),
          el(
            "button",
            {
              type: "button",
              class: "btn btn-sm btn-danger-quiet",
              onclick: async () => {
                if (!window.confirm(t("confirm_delete_sla_policy", { name: policy.name }))) return;
                try {
                  await api("DELETE", accountPath(`/sla_policies/${policy.id}`));
                  toast(t("sla_policy_deleted"));
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
  content.replaceChildren(table([t("name"), t("priority"), t("sla_targets"), t("business_hours"), t("sla_breach_action"), ""], rows, t("no_sla_policies")));
}

// -- satisfaction -------------------------------------------------------------------

const isoDay = (date) => date.toISOString().slice(0, 10);

function scoreCells(row) {
  return [
    el("td", { class: "num" }, String(row.answered)),
    el("td", { class: "num" }, row.average === null ? "—" : row.average.toFixed(2)),
    el("td", { class: "num" }, row.satisfied_percent === null ? "—" : `${row.satisfied_percent}%`),
  ];
}

function scoreTable(title, column, testid, rows, nameOf) {
  return el(
    "section",
    { class: "card score-card", "data-testid": testid },
    el("h3", { class: "card-title" }, title),
    rows.length
      ? el(
          "table",
          { class: "data-table" },
          el("thead", {}, el("tr", {}, [column, t("csat_answers"), t("csat_average"), t("csat_satisfied")].map((header) => el("th", { scope: "col" }, header)))),
          el("tbody", {}, rows.map((row) => el("tr", { "data-key": String(row.key) }, el("td", {}, nameOf(row.key)), scoreCells(row)))),
        )
      : el("p", { class: "muted" }, t("csat_no_answers")),
  );
}

function stars(rating) {
  return el("span", { class: `csat-rating csat-rating-${rating}`, title: t("csat_rating_of", { rating }) }, "★".repeat(rating), el("span", { class: "csat-rating-rest" }, "★".repeat(5 - rating)));
}

async function showSatisfaction(period) {
  const until = (period && period.until) || isoDay(new Date());
  const since = (period && period.since) || isoDay(new Date(Date.now() - 29 * 86400000));
  const [report, agents, teams] = await Promise.all([
    api("GET", accountPath(`/csat/report?since=${encodeURIComponent(since)}&until=${encodeURIComponent(until)}`)),
    api("GET", accountPath("/agents")),
    api("GET", accountPath("/teams")),
  ]);
  const agentNames = new Map(agents.map((agent) => [agent.id, agent.name]));
  const teamNames = new Map(teams.map((team) => [team.id, team.name]));
  const agentName = (id) => (id === null ? t("csat_no_agent") : agentNames.get(id) || `#${id}`);
  const teamName = (id) => (id === null ? t("csat_no_team") : teamNames.get(id) || `#${id}`);
  const languageLabel = (code) => (code === null ? t("unknown") : languageName(code));
  const channelLabel = (channel) => t(`channel_${channel}`);

  const sinceInput = el("input", { type: "date", name: "since", value: report.since, max: report.until, "data-testid": "csat-since" });
  const untilInput = el("input", { type: "date", name: "until", value: report.until, "data-testid": "csat-until" });
  const periodError = el("p", { class: "form-error", role: "alert" });
  const periodForm = el(
    "form",
    { class: "period-form", "data-testid": "csat-period" },
    el("label", { class: "field" }, el("span", { class: "field-label" }, t("period_from")), sinceInput),
    el("label", { class: "field" }, el("span", { class: "field-label" }, t("period_to")), untilInput),
    el("button", { type: "submit", class: "btn" }, t("show")),
    periodError,
  );
  periodForm.addEventListener("submit", async (event) => {
    event.preventDefault();
    sinceInput.removeAttribute("aria-invalid");
    try {
      await showSatisfaction({ since: sinceInput.value, until: untilInput.value });
    } catch (error) {
      periodError.textContent = errorText(error);
      if (error instanceof ApiError && error.field) periodForm.querySelector(`[name="${CSS.escape(error.field)}"]`)?.setAttribute("aria-invalid", "true");
    }
  });

  const overall = report.overall;
  const kpi = (label, value, testid) => el("div", { class: "kpi", "data-testid": testid }, el("span", { class: "kpi-value" }, value), el("span", { class: "kpi-label" }, label));
  const comments = report.comments.map((item) =>
    el(
      "li",
      { class: "csat-comment", "data-testid": "csat-comment" },
      el("div", { class: "csat-comment-head" }, stars(item.rating), el("span", { class: "muted" }, [formatDateTime(item.answered_at), agentName(item.assignee_id), languageLabel(item.language), channelLabel(item.channel)].join(" · "))),
      el("p", { class: "csat-comment-text", lang: item.language || undefined }, item.comment),
      el("a", { href: `/app?conversation=${item.conversation_id}`, class: "csat-comment-link" }, item.ticket_id ? t("csat_open_ticket", { id: item.ticket_id }) : t("csat_open_conversation")),
    ),
  );
  content.replaceChildren(
    periodForm,
    el(
      "div",
      { class: "kpis" },
      kpi(t("csat_answers"), String(overall.answered), "csat-answered"),
      kpi(t("csat_average"), overall.average === null ? "—" : `${overall.average.toFixed(2)} / 5`, "csat-average"),
      kpi(t("csat_satisfied"), overall.satisfied_percent === null ? "—" : `${overall.satisfied_percent}%`, "csat-satisfied"),
    ),
    el("p", { class: "field-help" }, t("csat_satisfied_help")),
    el(
      "div",
      { class: "score-grid" },
      scoreTable(t("csat_by_agent"), t("csat_agent"), "csat-by-agent", report.by_agent, agentName),
      scoreTable(t("csat_by_team"), t("team"), "csat-by-team", report.by_team, teamName),
      scoreTable(t("csat_by_language"), t("language"), "csat-by-language", report.by_language, languageLabel),
      scoreTable(t("csat_by_channel"), t("csat_channel"), "csat-by-channel", report.by_channel, channelLabel),
    ),
    el("h3", { class: "card-title csat-comments-title" }, t("csat_comments")),
    comments.length ? el("ul", { class: "csat-comments" }, comments) : el("div", { class: "empty-state" }, el("p", {}, t("csat_no_comments"))),
  );
}

// -- start ----------------------------------------------------------------------

const SECTIONS = {
  agents: showAgents,
  teams: showTeams,
  inboxes: showInboxes,
  webhooks: showWebhooks,
  language: showLanguage,
  "ticket-fields": showTicketFields,
  "saved-replies": showSavedReplies,
  "sla-policies": showSlaPolicies,
  satisfaction: showSatisfaction,
  "api-tokens": showTokens,
};

initShell();
// On a phone the sections are a strip: the one open is scrolled into sight.
document.querySelector('.settings-nav a[aria-current="page"]')?.scrollIntoView({ block: "nearest", inline: "center" });
const section = document.getElementById("settings-body").dataset.section;
SECTIONS[section]().catch(showLoadError);
