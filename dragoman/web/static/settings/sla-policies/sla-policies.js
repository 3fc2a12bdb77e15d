// SLA policies: the times promised per ticket priority, counted in business hours.

import { accountPath, api, el, errorText, t, toast } from "../../common.js";
import { field, input, select } from "../../kit/field.js";
import { content, onAdd, showLoadError, openDialog, table, PRIORITIES } from "../page.js";
import { confirmed } from "../../kit/dialog.js";
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

/** The hours lines under `root` (the dialog's form, or the lines' own box). */
function readBusinessHours(/** @type {ParentNode} */ root) {
  return [...root.querySelectorAll(".hours-line")].map((row) => {
    const value = (/** @type {string} */ name) => /** @type {HTMLInputElement} */ (row.querySelector(`[name=${name}]`)).value;
    return { weekday: Number(value("hours-weekday")), start: value("hours-start").trim(), end: value("hours-end").trim() };
  });
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
    const last = rows.lastElementChild ? readBusinessHours(rows).at(-1) : null;
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

export async function show() {
  const policies = await api("GET", accountPath("/sla_policies"));
  const reload = () => show().catch(showLoadError);
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
                if (!confirmed(t("confirm_delete_sla_policy", { name: policy.name }))) return;
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
