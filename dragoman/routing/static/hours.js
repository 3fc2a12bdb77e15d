// Rows of opening (or working) hours, as the queue and agent editors show
// them: a day, a start and an end, and a Remove button.
import { el } from "/static/kit/dom.js";
import { t } from "/static/kit/i18n.js";

const WEEKDAYS = [0, 1, 2, 3, 4, 5, 6];

/**
 * @typedef {{ weekday: number, start: string, end: string }} Hours
 */

/**
 * One row of hours; `field` is the API's name for the list ("hours",
 * "working_hours"), so an error on "hours[1].end" finds its cell.
 * @param {string} field
 * @param {Hours} hours
 * @param {number} index
 */
export function hoursRow(field, hours, index) {
  const name = (/** @type {string} */ part) => `${field}[${index}].${part}`;
  return el(
    "tr",
    { "data-testid": "hours-row", "data-field": `${field}[${index}]` },
    el("td", {}, el("select", { name: "weekday", class: "select-sm", "aria-label": t("routing_hours_day"), "data-field": name("weekday") }, ...WEEKDAYS.map((day) => el("option", { value: day, selected: day === hours.weekday }, t(`routing_hours_day_${day}`))))),
    el("td", {}, el("input", { type: "text", name: "start", value: hours.start, placeholder: "09:00", "aria-label": t("routing_hours_from"), "data-field": name("start"), class: "input-sm" })),
    el("td", {}, el("input", { type: "text", name: "end", value: hours.end, placeholder: "18:00", "aria-label": t("routing_hours_to"), "data-field": name("end"), class: "input-sm" })),
    el("td", {}, el("button", { type: "button", class: "btn btn-sm btn-quiet", "data-remove": "row" }, t("routing_hours_remove"))),
  );
}

/** @returns {Hours} */
export function readHours(/** @type {HTMLTableRowElement} */ row) {
  const value = (/** @type {string} */ name) => /** @type {HTMLInputElement} */ (row.querySelector(`[name=${name}]`)).value;
  return { weekday: Number(value("weekday")), start: value("start").trim(), end: value("end").trim() };
}

/**
 * The next row an "add hours" button offers: the day after the last row's, same times.
 * @returns {Hours}
 */
export function nextHours(/** @type {HTMLTableSectionElement} */ tbody) {
  const last = tbody.rows.length ? readHours(tbody.rows[tbody.rows.length - 1]) : null;
  return last ? { weekday: (last.weekday + 1) % 7, start: last.start, end: last.end } : { weekday: 0, start: "09:00", end: "18:00" };
}

/**
 * Rebuilds a table's rows after one was removed, so each row's field names count from 0 again.
 * @template T
 * @param {HTMLTableSectionElement} tbody
 * @param {(item: T, index: number) => HTMLTableRowElement} builder
 * @param {(row: HTMLTableRowElement) => T} read
 */
export function renumber(tbody, builder, read) {
  const items = [...tbody.rows].map(read);
  tbody.replaceChildren(...items.map(builder));
}

/**
 * @template T
 * @typedef {{ builder: (item: T, index: number) => HTMLTableRowElement, read: (row: HTMLTableRowElement) => T }} RowKind
 */

/**
 * The editors' row tables (hours, skills, steps): a row's Remove button
 * removes it and renumbers the rows left in its table, found by the table
 * body's id.
 * @param {HTMLElement} form
 * @param {Record<string, RowKind<any>>} kinds
 */
export function removeRowsOnClick(form, kinds) {
  form.addEventListener("click", (event) => {
    const remove = /** @type {Element} */ (event.target).closest("[data-remove]");
    if (!remove) return;
    const tbody = /** @type {HTMLTableSectionElement} */ (remove.closest("tbody"));
    remove.closest("tr").remove();
    const kind = kinds[tbody.id];
    renumber(tbody, kind.builder, kind.read);
  });
}

/**
 * An "add hours" button: appends the row `nextHours` offers.
 * @param {HTMLElement} button
 * @param {(hours: Hours, index: number) => HTMLTableRowElement} builder
 */
export function addHoursOnClick(button, builder) {
  button.addEventListener("click", () => {
    const tbody = /** @type {HTMLTableSectionElement} */ (document.getElementById("hours"));
    tbody.append(builder(nextHours(tbody), tbody.rows.length));
  });
}
