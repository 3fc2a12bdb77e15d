// Inboxes: web chat inboxes (their snippet and greeting) and e-mail inboxes (their servers, tried from here).

import { accountPath, api, el, errorText, t, toast } from "../../common.js";
import { field, input, select, checkboxGroup, checkedValues } from "../../kit/field.js";
import { content, onAdd, showLoadError, openDialog, copyButton, emptyState } from "../page.js";
function widgetSnippet(inbox) {
  return `<script src="${window.location.origin}/widget.js" data-website-token="${inbox.website_token}"></script>`;
}

// The widget's own default greeting: the widget translates this exact text
// into each customer's language, so a new inbox starts with it.
const DEFAULT_GREETING = "Hi! How can we help you today?";

/** Greetings set per language through the API: {"en": "...", "es": "..."}. */
const isPerLanguage = (greeting) => typeof greeting === "object" && greeting !== null;

function greetingText(greeting) {
  if (isPerLanguage(greeting)) return Object.entries(greeting).map(([tag, text]) => `${tag}: ${text}`).join(" · ");
  return greeting || "";
}

function inboxForm(inbox, teams, onSaved) {
  const creating = !inbox;
  const current = inbox ? (inbox.settings || {}).greeting : DEFAULT_GREETING;
  const greetingField = isPerLanguage(current)
    ? field(t("greeting"), el("p", { class: "muted" }, greetingText(current)), t("greeting_per_language"))
    : field(t("greeting"), el("textarea", { name: "greeting", rows: 2 }, current || ""), t("greeting_help"));
  const settings = inbox ? inbox.settings || {} : {};
  const chat = creating || inbox.channel_type === "webchat";
  // The FAQ bot answers on web chat; a satisfaction survey goes out on every channel.
  const switches = [["csat", t("inbox_csat")]];
  if (chat) switches.unshift(["bot", t("inbox_bot")]);
  // Off until an admin turns it on: files come from anyone on the website.
  if (chat) switches.push(["customer_files", t("inbox_customer_files")]);
  // A mail that opens a request is answered at once with its number.
  if (inbox && inbox.channel_type === "email") switches.push(["acknowledge", t("inbox_acknowledge")]);
  openDialog({
    title: creating ? t("add_inbox") : t("edit_inbox", { name: inbox.name }),
    fields: [
      field(t("name"), input("name", { value: inbox ? inbox.name : "", required: true, autocomplete: "off", placeholder: t("inbox_name_example") })),
      // The greeting is the web chat's first words; mail has none.
      chat ? greetingField : null,
      checkboxGroup("team_ids", t("teams_working_inbox"), teams.map((team) => [team.id, team.name]), inbox ? inbox.team_ids : [], t("no_teams_yet")),
      checkboxGroup("switches", t("inbox_automation"), switches, switches.map(([name]) => name).filter((name) => settings[name] === true)),
      chat
        ? field(
            t("inbox_bot_threshold"),
            input("bot_threshold", { type: "number", min: 0, max: 1, step: "any", value: settings.bot_threshold ?? "", "data-field": "settings.bot_threshold" }),
            t("inbox_bot_threshold_help"),
          )
        : null,
      chat
        ? field(
            t("inbox_bot_words_threshold"),
            input("bot_words_threshold", { type: "number", min: 0, max: 1, step: "any", value: settings.bot_words_threshold ?? "", "data-field": "settings.bot_words_threshold" }),
            t("inbox_bot_words_threshold_help"),
          )
        : null,
    ],
    submitLabel: creating ? t("create_inbox") : t("save"),
    onSubmit: async (form) => {
      const body = { name: form.elements.name.value, team_ids: checkedValues(form, "team_ids").map(Number) };
      const ticked = checkedValues(form, "switches");
      body.settings = Object.fromEntries(switches.map(([name]) => [name, ticked.includes(name)]));
      for (const name of ["bot_threshold", "bot_words_threshold"]) {
        if (!form.elements[name]) continue;
        const raw = form.elements[name].value.trim();
        body.settings[name] = raw === "" ? null : Number(raw);
      }
      // Per-language greetings are left as they are: this form edits one text.
      if (form.elements.greeting) body.settings.greeting = form.elements.greeting.value.trim();
      if (creating) {
        await api("POST", accountPath("/inboxes"), { ...body, channel_type: "webchat" });
        toast(t("inbox_created", { name: body.name }));
      } else {
        await api("PATCH", accountPath(`/inboxes/${inbox.id}`), body);
        toast(t("saved"));
      }
      onSaved();
    },
  });
}

const MAIL_SECURITY = ["tls", "starttls", "none"];
// What the API shows instead of a stored password; sent back, it keeps the password.
const PASSWORD_MASK = "********";

/** One mail server's settings (IMAP in, SMTP out): host, port, security, sign-in. */
function mailServerFields(kind, server, defaultSecurity) {
  const prefix = `settings.${kind}`;
  const stored = Boolean(server && server.password);
  return el(
    "fieldset",
    { class: "field mail-server", "data-server": kind, "data-field": prefix },
    el("legend", { class: "field-label" }, t(`mail_${kind}_server`)),
    el("p", { class: "field-help" }, t(`mail_${kind}_help`)),
    el(
      "div",
      { class: "field-row field-row-3" },
      field(t("mail_host"), input(`${kind}_host`, { value: (server && server.host) || "", autocomplete: "off", placeholder: kind === "imap" ? "imap.example.com" : "smtp.example.com", "data-field": `${prefix}.host` })),
      field(t("mail_port"), input(`${kind}_port`, { type: "number", min: 1, max: 65535, value: (server && server.port) || "", placeholder: t("mail_port_default"), "data-field": `${prefix}.port` })),
      field(
        t("mail_security"),
        select(`${kind}_security`, MAIL_SECURITY.map((value) => [value, t(`mail_security_${value}`)]), (server && server.security) || defaultSecurity, { "data-field": `${prefix}.security` }),
      ),
    ),
    el(
      "div",
      { class: "field-row" },
      field(t("mail_username"), input(`${kind}_username`, { value: (server && server.username) || "", autocomplete: "off", "data-field": `${prefix}.username` })),
      field(
        t("password"),
        // Never filled in: the stored password stays on the server.
        input(`${kind}_password`, { type: "password", autocomplete: "new-password", placeholder: stored ? t("mail_password_kept") : "", "data-field": `${prefix}.password` }),
        stored ? t("mail_password_stored") : null,
      ),
    ),
    kind === "imap" ? field(t("mail_folder"), input("imap_folder", { value: (server && server.folder) || "INBOX", autocomplete: "off", "data-field": `${prefix}.folder` })) : null,
  );
}

/** A server's settings from the form, over what was stored (its certificates,
 * IDLE and polling stay as they were); null when no host is given. */
function readMailServer(form, kind, before) {
  const value = (name) => form.elements[`${kind}_${name}`].value.trim();
  if (!value("host")) return null;
  const server = { ...(before || {}), host: value("host"), security: form.elements[`${kind}_security`].value, username: value("username") || null };
  const port = value("port");
  if (port === "") delete server.port;
  else server.port = Number(port);
  const password = form.elements[`${kind}_password`].value;
  if (password) server.password = password;
  else if (before && before.password) server.password = PASSWORD_MASK;
  else delete server.password;
  if (kind === "imap") server.folder = value("folder") || "INBOX";
  return server;
}

function emailInboxForm(inbox, teams, onSaved) {
  const creating = !inbox;
  const settings = inbox ? inbox.settings || {} : { receive: "imap" };
  const receive = select("receive", [["imap", t("mail_receive_imap")], ["smtp", t("mail_receive_smtp")]], settings.receive || (settings.imap ? "imap" : "smtp"), { "data-field": "settings.receive" });
  const imapBox = mailServerFields("imap", settings.imap, "tls");
  const showImap = () => {
    imapBox.hidden = receive.value !== "imap";
  };
  receive.addEventListener("change", showImap);
  showImap();
  const switches = [
    ["csat", t("inbox_csat")],
    ["acknowledge", t("inbox_acknowledge")],
  ];
  openDialog({
    title: creating ? t("add_email_inbox") : t("edit_inbox", { name: inbox.name }),
    fields: [
      field(t("name"), input("name", { value: inbox ? inbox.name : "", required: true, autocomplete: "off", placeholder: t("email_inbox_name_example") })),
      el(
        "div",
        { class: "field-row" },
        field(t("mail_address"), input("address", { type: "email", value: settings.address || "", required: true, autocomplete: "off", placeholder: "support@example.com", "data-field": "settings.address" }), t("mail_address_help")),
        field(t("mail_from_name"), input("from_name", { value: settings.from_name || "", autocomplete: "off", "data-field": "settings.from_name" }), t("mail_from_name_help")),
      ),
      field(t("mail_receive"), receive, t("mail_receive_help")),
      imapBox,
      mailServerFields("smtp", settings.smtp, "starttls"),
      checkboxGroup("team_ids", t("teams_working_inbox"), teams.map((team) => [team.id, team.name]), inbox ? inbox.team_ids : [], t("no_teams_yet")),
      checkboxGroup("switches", t("inbox_automation"), switches, switches.map(([name]) => name).filter((name) => settings[name] === true)),
    ],
    submitLabel: creating ? t("create_inbox") : t("save"),
    onSubmit: async (form) => {
      const ticked = checkedValues(form, "switches");
      const mode = form.elements.receive.value;
      const body = {
        name: form.elements.name.value,
        team_ids: checkedValues(form, "team_ids").map(Number),
        settings: {
          ...Object.fromEntries(switches.map(([name]) => [name, ticked.includes(name)])),
          address: form.elements.address.value.trim(),
          from_name: form.elements.from_name.value.trim() || null,
          receive: mode,
          imap: mode === "imap" ? readMailServer(form, "imap", settings.imap) : null,
          smtp: readMailServer(form, "smtp", settings.smtp),
        },
      };
      if (creating) {
        await api("POST", accountPath("/inboxes"), { ...body, channel_type: "email" });
        toast(t("email_inbox_created", { name: body.name }));
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

/** What an e-mail inbox's card says about its mail: address, how mail comes in, where replies leave. */
function mailFacts(settings) {
  const server = (box) => (box && box.host ? `${box.host}${box.port ? `:${box.port}` : ""} · ${t(`mail_security_${box.security || "none"}`)}` : t("mail_not_set"));
  return [
    el("dt", {}, t("mail_address")),
    el("dd", {}, settings.address || "—"),
    el("dt", {}, t("mail_receive")),
    el("dd", {}, settings.receive === "smtp" || !settings.imap ? t("mail_receive_smtp") : `${t("mail_receive_imap")} · ${server(settings.imap)}`),
    el("dt", {}, t("mail_smtp_server")),
    el("dd", {}, server(settings.smtp)),
  ];
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
  const [inboxes, teams] = await Promise.all([api("GET", accountPath("/inboxes")), api("GET", accountPath("/teams"))]);
  const teamNames = new Map(teams.map((team) => [team.id, team.name]));
  const reload = () => show().catch(showLoadError);
  onAdd(() => inboxForm(null, teams, reload));
  const addEmail = /** @type {HTMLButtonElement} */ (document.getElementById("add-email-button"));
  addEmail.onclick = () => emailInboxForm(null, teams, reload);
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
          el("div", {}, el("h3", {}, inbox.name), el("p", { class: "muted" }, t(`channel_${inbox.channel_type}`))),
          el(
            "button",
            { type: "button", class: "btn btn-sm", onclick: () => (inbox.channel_type === "email" ? emailInboxForm : inboxForm)(inbox, teams, reload) },
            t("edit"),
          ),
        ),
        el(
          "dl",
          { class: "facts facts-inline" },
          el("dt", {}, t("teams")),
          el("dd", {}, inbox.team_ids.map((id) => teamNames.get(id)).filter(Boolean).join(", ") || t("no_team_warning")),
          greetingText((inbox.settings || {}).greeting) ? [el("dt", {}, t("greeting")), el("dd", {}, greetingText(inbox.settings.greeting))] : null,
          inbox.channel_type === "email" ? mailFacts(inbox.settings || {}) : null,
        ),
        inbox.channel_type === "email" && hasMailServers(inbox.settings || {}) ? mailTestBox(inbox) : null,
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
