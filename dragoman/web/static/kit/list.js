// Lists of records, and what shows when there is nothing to list.
import { el } from "./dom.js";

/** The line a list or table shows when it has nothing in it. */
export function emptyState(/** @type {string} */ text) {
  return el("div", { class: "empty-state" }, el("p", {}, text));
}

/**
 * A <ul> of `items`, each drawn by `render` (an <li>), or the empty state.
 * @template T
 * @param {readonly T[]} items
 * @param {(item: T) => HTMLLIElement} render
 * @param {string} emptyText
 * @param {import("./dom.js").Attributes} [attributes]
 */
export function list(items, render, emptyText, attributes = {}) {
  if (!items.length) return emptyState(emptyText);
  return el("ul", attributes, items.map(render));
}
