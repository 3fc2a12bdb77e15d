// Admins' queue editor: lists the account's routing queues and edits one at
// a time through the REST API (POST/PUT .../routing/queues). The API checks
// everything; an error names its field, which this page marks.
import { api as callApi, accountPath, pageBootstrap } from "/static/kit/api.js";
import { confirmed } from "/static/kit/dialog.js";
import { el } from "/static/kit/dom.js";
import { clearFormError, showFormError } from "/static/kit/field.js";
import { t } from "/static/kit/i18n.js";
import { addHoursOnClick, hoursRow as hoursRowFor, readHours, removeRowsOnClick } from "./hours.js";

const config = pageBootstrap();
const form = /** @type {import("/static/kit/dialog.js").NamedForm} */ (document.getElementById("queue-form"));
const state = { queues: [], inboxes: [], teams: [], skills: [], current: null };

const api = (/** @type {string} */ method, /** @type {string} */ path, /** @type {unknown} */ body) => callApi(method, accountPath(path), body);
const hoursRow = (hours, index) => hoursRowFor("hours", hours, index);

// -- rows ---------------------------------------------------------------------------

function skillOptions(selected, emptyLabel) {
  return [el("option", { value: "" }, emptyLabel), ...state.skills.map((s) => el("option", { value: s.name, selected: s.name === selected }, s.name))];
}

function levelSelect(name, value, field) {
  return el("select", { name, "data-field": field, class: "select-sm" }, ...[0, 1, 2, 3, 4, 5].map((n) => el("option", { value: n, selected: n === value }, n === 0 ? "—" : n)));
}

function stepRow(step, index) {
  const field = (name) => `steps[${index}].${name}`;
  return el(
    "tr",
    { "data-testid": "step-row" },
    el("td", {}, el("input", { type: "number", min: 0, name: "after_seconds", value: step.after_seconds, "data-field": field("after_seconds"), class: "input-sm" })),
    el("td", {}, levelSelect("min_language_level", step.min_language_level, field("min_language_level"))),
    el("td", {}, levelSelect("min_skill_level", step.min_skill_level, field("min_skill_level"))),
    el("td", {}, el("input", { type: "text", name: "language", value: step.language || "", placeholder: "—", "data-field": field("language"), class: "input-sm" })),
    el("td", {}, el("select", { name: "skill", "data-field": field("skill"), class: "select-sm" }, ...skillOptions(step.skill, "—"))),
    el("td", { class: "center" }, el("input", { type: "checkbox", name: "machine_translation", checked: step.machine_translation })),
    el("td", { class: "center" }, el("input", { type: "checkbox", name: "skippable", checked: step.skippable !== false })),
    el("td", {}, el("button", { type: "button", class: "btn btn-sm btn-quiet", "data-remove": "row" }, t("queue_remove"))),
  );
}

function readStep(row) {
  const value = (name) => row.querySelector(`[name=${name}]`);
  return {
    after_seconds: Number(value("after_seconds").value || 0),
    min_language_level: Number(value("min_language_level").value),
    min_skill_level: Number(value("min_skill_level").value),
    language: value("language").value.trim() || null,
    skill: value("skill").value || null,
    machine_translation: value("machine_translation").checked,
    skippable: value("skippable").checked,
  };
}

// -- the form -----------------------------------------------------------------------

function checks(container, items, selected, name) {
  container.replaceChildren(
    ...items.map((item) =>
      el("label", { class: "check" }, el("input", { type: "checkbox", name, value: item.id, checked: selected.includes(item.id) }), " ", item.name),
    ),
  );
}

function show(queue) {
  state.current = queue;
  clearErrors();
  document.getElementById("saved").textContent = "";
  document.getElementById("editor-title").textContent = queue.id ? t("queue_edit_queue", { name: queue.name }) : t("queue_new_queue");
  form.elements.name.value = queue.name;
  form.elements.strategy.value = queue.strategy;
  form.elements.languages.value = queue.languages.join(", ");
  document.getElementById("default-skill").replaceChildren(...skillOptions(queue.default_skill, t("queue_no_skill")));
  form.elements.timezone.value = queue.timezone;
  form.elements.holiday_country.value = queue.holiday_country || "";
  form.elements.service_target_seconds.value = queue.service_target_seconds;
  form.elements.sticky_seconds.value = queue.sticky_seconds;
  form.elements.answer_timeout_seconds.value = queue.answer_timeout_seconds;
  form.elements.position.value = queue.position;
  form.elements.overflow_after_seconds.value = queue.overflow_after_seconds;
  form.elements.when_closed.value = queue.when_closed || "reply";
  form.elements.ticket_after_seconds.value = queue.ticket_after_seconds || 0;
  const others = state.queues.filter((q) => q.id !== queue.id);
  document.getElementById("overflow-queue").replaceChildren(
    el("option", { value: "" }, t("queue_no_overflow")),
    ...others.map((q) => el("option", { value: q.id, selected: q.id === queue.overflow_queue_id }, q.name)),
  );
  checks(document.getElementById("inbox-checks"), state.inboxes, queue.inbox_ids, "inbox_ids");
  checks(document.getElementById("team-checks"), state.teams, queue.team_ids, "team_ids");
  /** @type {HTMLTableSectionElement} */ (document.getElementById("steps")).replaceChildren(...queue.steps.map(stepRow));
  /** @type {HTMLTableSectionElement} */ (document.getElementById("hours")).replaceChildren(...queue.hours.map(hoursRow));
  document.getElementById("delete-queue").hidden = !queue.id;
  for (const item of document.querySelectorAll("#queue-list [aria-current]")) item.removeAttribute("aria-current");
  const selected = document.querySelector(`#queue-list [data-queue-id="${queue.id}"]`);
  if (selected) selected.setAttribute("aria-current", "true");
}

function blank() {
  return {
    id: null, name: "", strategy: "longest_idle", languages: [], default_skill: null, timezone: "UTC",
    holiday_country: null, service_target_seconds: 20, sticky_seconds: 0, answer_timeout_seconds: 0, position: state.queues.length,
    overflow_queue_id: null, overflow_after_seconds: 0, when_closed: "reply", ticket_after_seconds: 0, inbox_ids: state.inboxes.map((i) => i.id), team_ids: [], hours: [],
    // The bullseye most centers start from: fluent first, then good enough, then anyone with translation.
    steps: [
      { after_seconds: 0, min_language_level: 4, min_skill_level: 0, language: null, skill: null, machine_translation: false, skippable: true },
      { after_seconds: 30, min_language_level: 2, min_skill_level: 0, language: null, skill: null, machine_translation: false, skippable: true },
      { after_seconds: 90, min_language_level: 0, min_skill_level: 0, language: null, skill: null, machine_translation: true, skippable: true },
    ],
  };
}

function collect() {
  const ticked = (name) => [...form.querySelectorAll(`input[name=${name}]:checked`)].map((box) => Number(/** @type {HTMLInputElement} */ (box).value));
  const overflow = form.elements.overflow_queue_id.value;
  // What the form does not show (the channel, extra closed days, the
  // holiday region, whether it is enabled) keeps its stored value: a PUT
  // replaces the whole queue, and saving must not wipe what was not seen.
  const { id, open_now, opens_at, steps, ...kept } = state.current || {};
  return {
    ...kept,
    name: form.elements.name.value.trim(),
    strategy: form.elements.strategy.value,
    position: Number(form.elements.position.value || 0),
    inbox_ids: ticked("inbox_ids"),
    team_ids: ticked("team_ids"),
    languages: form.elements.languages.value.split(",").map((code) => code.trim()).filter(Boolean),
    default_skill: form.elements.default_skill.value || null,
    sticky_seconds: Number(form.elements.sticky_seconds.value || 0),
    service_target_seconds: Number(form.elements.service_target_seconds.value || 20),
    answer_timeout_seconds: Number(form.elements.answer_timeout_seconds.value || 0),
    overflow_queue_id: overflow ? Number(overflow) : null,
    overflow_after_seconds: Number(form.elements.overflow_after_seconds.value || 0),
    when_closed: form.elements.when_closed.value,
    ticket_after_seconds: Number(form.elements.ticket_after_seconds.value || 0),
    steps: [.../** @type {HTMLTableSectionElement} */ (document.getElementById("steps")).rows].map(readStep),
    timezone: form.elements.timezone.value.trim() || "UTC",
    hours: [.../** @type {HTMLTableSectionElement} */ (document.getElementById("hours")).rows].map(readHours),
    holiday_country: form.elements.holiday_country.value.trim() || null,
  };
}

const formError = document.getElementById("form-error");

function clearErrors() {
  clearFormError(form, formError);
}

function markError(error) {
  showFormError(form, formError, t("queue_error", { message: error.message }), error.field);
}

function renderList() {
  document.getElementById("queue-list").replaceChildren(
    ...state.queues.map((queue) =>
      el(
        "li",
        {},
        el(
          "button",
          { type: "button", class: "queue-item", "data-queue-id": queue.id, "data-testid": "queue-item" },
          el("strong", {}, queue.name),
          el("span", { class: `wall-badge ${queue.open_now ? "open" : "closed"}` }, queue.open_now ? t("queue_open") : t("queue_closed")),
          el("span", { class: "field-help" }, `${queue.strategy.replace("_", " ")} · ${t("queue_steps", { count: queue.steps.length })}`),
        ),
      ),
    ),
  );
  const names = state.skills.map((s) => s.name).join(", ");
  document.getElementById("skill-names").textContent = names || t("queue_no_skills");
}

async function load(selectId) {
  const [queues, inboxes, teams, skills] = await Promise.all([
    api("GET", "/routing/queues"), api("GET", "/inboxes"), api("GET", "/teams"), api("GET", "/routing/skills"),
  ]);
  Object.assign(state, { queues, inboxes, teams, skills });
  renderList();
  const chosen = queues.find((q) => q.id === selectId) || queues[0];
  show(chosen || blank());
}

// -- events ---------------------------------------------------------------------------

document.getElementById("queue-list").addEventListener("click", (event) => {
  const button = /** @type {HTMLElement | null} */ (/** @type {Element} */ (event.target).closest("[data-queue-id]"));
  if (button) show(state.queues.find((q) => String(q.id) === button.dataset.queueId));
});
document.getElementById("new-queue").addEventListener("click", () => show(blank()));
document.getElementById("add-step").addEventListener("click", () => {
  const tbody = /** @type {HTMLTableSectionElement} */ (document.getElementById("steps"));
  const last = tbody.rows.length ? readStep(tbody.rows[tbody.rows.length - 1]) : null;
  tbody.append(stepRow({ after_seconds: last ? last.after_seconds + 30 : 0, min_language_level: 0, min_skill_level: 0, skippable: true }, tbody.rows.length));
});
addHoursOnClick(document.getElementById("add-hours"), hoursRow);
removeRowsOnClick(form, { steps: { builder: stepRow, read: readStep }, hours: { builder: hoursRow, read: readHours } });
form.addEventListener("submit", async (event) => {
  event.preventDefault();
  clearErrors();
  const current = state.current;
  try {
    const saved = current && current.id ? await api("PUT", `/routing/queues/${current.id}`, collect()) : await api("POST", "/routing/queues", collect());
    await load(saved.id);
    document.getElementById("saved").textContent = t("queue_saved");
  } catch (error) {
    markError(error);
  }
});
document.getElementById("delete-queue").addEventListener("click", async () => {
  const current = state.current;
  if (!current || !current.id || !confirmed(t("queue_confirm_delete"))) return;
  await api("DELETE", `/routing/queues/${current.id}`);
  await load(null);
  document.getElementById("saved").textContent = t("queue_deleted");
});
document.getElementById("skill-form").addEventListener("submit", async (event) => {
  event.preventDefault();
  const input = /** @type {HTMLInputElement} */ (document.getElementById("skill-name"));
  const error = document.getElementById("skill-error");
  error.textContent = "";
  input.removeAttribute("aria-invalid");
  try {
    await api("POST", "/routing/skills", { name: input.value });
    input.value = "";
    const keep = state.current;
    state.skills = await api("GET", "/routing/skills");
    renderList();
    if (keep) show({ ...keep, ...collectKeepingId(keep) });
  } catch (failure) {
    error.textContent = failure.message;
    input.setAttribute("aria-invalid", "true");
  }
});

// Redraw the open form with the new skill in its menus, keeping what was typed.
function collectKeepingId(queue) {
  return { ...collect(), id: queue.id, open_now: queue.open_now };
}

load(null).catch((error) => markError(error));
