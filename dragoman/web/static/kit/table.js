// Tables of records: a plain one (settings lists), and one whose column
// headers sort it (a click sorts by that column, a second click reverses).
import { el } from "./dom.js";
import { emptyState } from "./list.js";

/**
 * A table of `rows` (<tr>s) under `headers`; `emptyText` when there are none.
 * @param {string[]} headers
 * @param {Node[]} rows
 * @param {string} emptyText
 */
export function dataTable(headers, rows, emptyText) {
  if (!rows.length) return emptyState(emptyText);
  return el(
    "table",
    { class: "data-table" },
    el("thead", {}, el("tr", {}, headers.map((header) => el("th", { scope: "col" }, header)))),
    el("tbody", {}, rows),
  );
}

/**
 * Orders two cell values: missing ones last, numbers by size, text as the
 * reader's language orders it (with numbers inside text by value: "Agent 2" before "Agent 10").
 * @param {unknown} a
 * @param {unknown} b
 */
export function compareValues(a, b) {
  const missingA = a === null || a === undefined || a === "";
  const missingB = b === null || b === undefined || b === "";
  if (missingA || missingB) return missingA === missingB ? 0 : missingA ? 1 : -1;
  if (typeof a === "number" && typeof b === "number") return a - b;
  return String(a).localeCompare(String(b), undefined, { numeric: true, sensitivity: "base" });
}

/**
 * `items` sorted by `value(item)`, a new array; equal ones keep their order.
 * Missing values go last in either direction.
 * @template T
 * @param {readonly T[]} items
 * @param {(item: T) => unknown} value
 * @param {boolean} [descending]
 * @returns {T[]}
 */
export function sortItems(items, value, descending = false) {
  const keyed = items.map((item, index) => ({ item, index, key: value(item) }));
  keyed.sort((x, y) => {
    const missingX = x.key === null || x.key === undefined || x.key === "";
    const missingY = y.key === null || y.key === undefined || y.key === "";
    if (missingX !== missingY) return missingX ? 1 : -1;
    const order = compareValues(x.key, y.key);
    return (descending ? -order : order) || x.index - y.index;
  });
  return keyed.map((entry) => entry.item);
}

/**
 * @template T
 * @typedef {{
 *   label: string,
 *   value?: (item: T) => unknown,
 *   cell: (item: T) => Node | string | number,
 *   numeric?: boolean,
 * }} Column
 * A column: its header, what its cells show, and (when it sorts) the value it sorts by.
 */

/**
 * A table whose headers sort it; starts sorted by column `sortBy`.
 * @template T
 * @param {{
 *   columns: Column<T>[],
 *   items: readonly T[],
 *   sortBy?: number,
 *   descending?: boolean,
 *   rowAttributes?: (item: T) => import("./dom.js").Attributes,
 *   attributes?: import("./dom.js").Attributes,
 * }} spec
 */
export function sortableTable({ columns, items, sortBy = 0, descending = false, rowAttributes, attributes = {} }) {
  const state = { sortBy, descending };
  const body = el("tbody");
  const headerCells = columns.map((column, index) => {
    if (!column.value) return el("th", { scope: "col", class: column.numeric ? "num" : undefined }, column.label);
    const button = el("button", { type: "button", class: "sort-button" }, column.label);
    button.addEventListener("click", () => {
      state.descending = state.sortBy === index ? !state.descending : Boolean(column.numeric);
      state.sortBy = index;
      render();
    });
    return el("th", { scope: "col", class: column.numeric ? "num" : undefined }, button);
  });
  function render() {
    const column = columns[state.sortBy];
    const sorted = column && column.value ? sortItems(items, column.value, state.descending) : [...items];
    headerCells.forEach((cell, index) => {
      if (!columns[index].value) return;
      cell.setAttribute("aria-sort", index === state.sortBy ? (state.descending ? "descending" : "ascending") : "none");
    });
    body.replaceChildren(
      ...sorted.map((item) =>
        el(
          "tr",
          rowAttributes ? rowAttributes(item) : {},
          columns.map((col) => el("td", { class: col.numeric ? "num" : undefined }, col.cell(item))),
        ),
      ),
    );
  }
  render();
  return el("table", { class: "data-table", ...attributes }, el("thead", {}, el("tr", {}, headerCells)), body);
}
