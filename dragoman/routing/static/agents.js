// Admins' editor of what routing knows of each agent: skills and levels,
// capacity per channel, working hours and public holidays (in the agent's
// own time zone). Everything goes through PUT .../routing/agents/{id}; the
// API checks it and an error names its field, which this page marks.
import { api as callApi, accountPath, pageBootstrap } from "/static/kit/api.js";
import { el } from "/static/kit/dom.js";
import { clearFormError, showFormError } from "/static/kit/field.js";
import { hasString, t } from "/static/kit/i18n.js";
import { addHoursOnClick, hoursRow as hoursRowFor, readHours, removeRowsOnClick } from "./hours.js";

const config = pageBootstrap();
const form = /** @type {import("/static/kit/dialog.js").NamedForm} */ (document.getElementById("agent-form"));
const formError = document.getElementById("form-error");
// A channel or a presence this page has no words for shows as the API names it.
const channelWords = (/** @type {string} */ channel) => (hasString(`agent_channel_${channel}`) ? t(`agent_channel_${channel}`) : channel);
const availabilityWords = (/** @type {string} */ value) => (hasString(`agent_availability_${value}`) ? t(`agent_availability_${value}`) : value);

const api = (/** @type {string} */ method, /** @type {string} */ path, /** @type {unknown} */ body) => callApi(method, accountPath(path), body);
const state = { agents: [], people: new Map(), skills: [], current: null };
const CHANNELS = ["chat", "email", "voice"];

const hoursRow = (hours, index) => hoursRowFor("working_hours", hours, index);

function skillRow(item, index) {
  const field = (name) => `skills[${index}].${name}`;
  const names = state.skills.map((s) => s.name);
  // A skill the agent holds stays listed even if its name is no longer offered.
  if (item.skill && !names.includes(item.skill)) names.push(item.skill);
  return el(
    "tr",
    { "data-testid": "skill-row" },
    el("td", {}, el("select", { name: "skill", class: "select-sm", "aria-label": t("agent_skill"), "data-field": field("skill") }, ...names.map((name) => el("option", { value: name, selected: name === item.skill }, name)))),
    el("td", {}, el("select", { name: "level", class: "select-sm", "aria-label": t("agent_level"), "data-field": field("level") }, ...[1, 2, 3, 4, 5].map((n) => el("option", { value: n, selected: n === item.level }, n)))),
    el("td", {}, el("button", { type: "button", class: "btn btn-sm btn-quiet", "data-remove": "row" }, t("agent_remove"))),
  );
}

function readSkill(row) {
  return { skill: row.querySelector("[name=skill]").value, level: Number(row.querySelector("[name=level]").value) };
}

function loadLine(agent) {
  return CHANNELS.filter((channel) => (agent.capacities[channel] || 0) > 0)
    .map((channel) => t("agent_load", { channel: channelWords(channel), load: agent.load[channel] || 0, capacity: agent.capacities[channel] }))
    .join(" · ");
}

function shiftLabel(agent) {
  if (!agent.working_hours.length && !agent.holiday_country) return t("agent_always");
  return agent.working_now ? t("agent_working_now") : t("agent_off_shift");
}

function renderList() {
  document.getElementById("agent-list").replaceChildren(
    ...state.agents.map((agent) =>
      el(
        "li",
        {},
        el(
          "button",
          { type: "button", class: "queue-item", "data-agent-id": agent.agent_id, "data-testid": "agent-item" },
          el("strong", {}, agent.name),
          el("span", { class: `wall-badge ${agent.availability === "online" ? "open" : "closed"}` }, availabilityWords(agent.availability)),
          el("span", { class: "agent-meta" }, el("span", {}, shiftLabel(agent)), el("span", {}, loadLine(agent))),
        ),
      ),
    ),
  );
}

function show(agent) {
  state.current = agent;
  clearFormError(form, formError);
  document.getElementById("saved").textContent = "";
  form.hidden = false;
  document.getElementById("editor-title").textContent = t("agent_edit_agent", { name: agent.name });
  document.getElementById("agent-summary").textContent = `${shiftLabel(agent)} · ${loadLine(agent)}`;
  const person = state.people.get(agent.agent_id);
  const languages = person ? person.languages : [];
  document.getElementById("agent-languages").replaceChildren(
    ...(languages.length
      ? languages.map((item) => el("span", { class: "language-chip", title: t("agent_levels", item) }, `${item.language} · ${Math.max(item.reading, item.writing, item.speaking)}`))
      : [t("agent_no_languages")]),
  );
  /** @type {HTMLTableSectionElement} */ (document.getElementById("skills")).replaceChildren(...agent.skills.map(skillRow));
  /** @type {HTMLButtonElement} */ (document.getElementById("add-skill")).disabled = state.skills.length === 0;
  document.getElementById("no-skills").hidden = state.skills.length > 0;
  for (const channel of CHANNELS) form.elements[channel].value = agent.capacities[channel] || 0;
  document.getElementById("agent-timezone").textContent = agent.timezone;
  form.elements.holiday_country.value = agent.holiday_country || "";
  /** @type {HTMLTableSectionElement} */ (document.getElementById("hours")).replaceChildren(...agent.working_hours.map(hoursRow));
  for (const item of document.querySelectorAll("#agent-list [aria-current]")) item.removeAttribute("aria-current");
  const selected = document.querySelector(`#agent-list [data-agent-id="${agent.agent_id}"]`);
  if (selected) selected.setAttribute("aria-current", "true");
}

function collect() {
  const capacities = {};
  for (const channel of CHANNELS) capacities[channel] = Number(form.elements[channel].value || 0);
  return {
    skills: [.../** @type {HTMLTableSectionElement} */ (document.getElementById("skills")).rows].map(readSkill),
    capacities,
    working_hours: [.../** @type {HTMLTableSectionElement} */ (document.getElementById("hours")).rows].map(readHours),
    holiday_country: form.elements.holiday_country.value.trim() || null,
  };
}

async function load(selectId) {
  const [agents, people, skills] = await Promise.all([api("GET", "/routing/agents"), api("GET", "/agents"), api("GET", "/routing/skills")]);
  state.agents = agents;
  state.people = new Map(people.map((person) => [person.id, person]));
  state.skills = skills;
  renderList();
  const chosen = agents.find((a) => a.agent_id === selectId) || agents[0];
  if (chosen) show(chosen);
}

// -- events ---------------------------------------------------------------------------

document.getElementById("agent-list").addEventListener("click", (event) => {
  const button = /** @type {HTMLElement | null} */ (/** @type {Element} */ (event.target).closest("[data-agent-id]"));
  if (button) show(state.agents.find((a) => String(a.agent_id) === button.dataset.agentId));
});
document.getElementById("add-skill").addEventListener("click", () => {
  const tbody = /** @type {HTMLTableSectionElement} */ (document.getElementById("skills"));
  const held = new Set([...tbody.rows].map((row) => readSkill(row).skill));
  const next = state.skills.find((s) => !held.has(s.name)) || state.skills[0];
  tbody.append(skillRow({ skill: next.name, level: 3 }, tbody.rows.length));
});
addHoursOnClick(document.getElementById("add-hours"), hoursRow);
removeRowsOnClick(form, { skills: { builder: skillRow, read: readSkill }, hours: { builder: hoursRow, read: readHours } });
form.addEventListener("submit", async (event) => {
  event.preventDefault();
  clearFormError(form, formError);
  const current = state.current;
  if (!current) return;
  try {
    await api("PUT", `/routing/agents/${current.agent_id}`, collect());
    await load(current.agent_id);
    document.getElementById("saved").textContent = t("agent_saved");
  } catch (error) {
    showFormError(form, formError, t("agent_error", { message: error.message }), error.field);
  }
});

load(null).catch((error) => showFormError(form, formError, t("agent_error", { message: error.message }), error.field));
