// Agents: who answers customers, their role, teams and the languages they read, write and speak.

import { accountPath, api, availabilityLabel, avatar, boot, el, errorText, languageName, t, toast } from "../../common.js";
import { field, input, select, checkboxGroup, checkedValues } from "../../kit/field.js";
import { content, onAdd, showLoadError, openDialog, table, COMMON_LANGUAGES } from "../page.js";
import { confirmed } from "../../kit/dialog.js";

const ROLES = ["agent", "supervisor", "admin"];
const LEVELS = [0, 1, 2, 3, 4, 5];
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
    field(t("agent_name"), input("name", { value: agent ? agent.name : "", required: true, autocomplete: "off" })),
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

export async function show() {
  const [agents, teams] = await Promise.all([api("GET", accountPath("/agents")), api("GET", accountPath("/teams"))]);
  const teamNames = new Map(teams.map((team) => [team.id, team.name]));
  const reload = () => show().catch(showLoadError);
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
                  if (agent.active && !confirmed(t("confirm_deactivate", { name: agent.name }))) return;
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
  content.replaceChildren(table([t("agent_name"), t("role"), t("teams"), t("languages_column"), t("status"), ""], rows, t("no_agents")));
}
