// Building nodes. Text from the server or from users is only ever set as
// text (textContent or a text node), never parsed as HTML.

/**
 * @typedef {Record<string, unknown>} Attributes
 * `class`, `dataset` (an object), `text`, `on<event>` (a listener), a boolean
 * (true: present, false: absent), anything else as a string attribute.
 * @typedef {Node | string | number | null | undefined | false} Child
 */

/**
 * Builds an element: el("div", {class: "x", dataset: {id: 1}}, "text", child).
 * @template {keyof HTMLElementTagNameMap} K
 * @param {K} tag
 * @param {Attributes | null} [attributes]
 * @param {...(Child | Child[])} children
 * @returns {HTMLElementTagNameMap[K]}
 */
export function el(tag, attributes, ...children) {
  const node = document.createElement(tag);
  for (const [name, value] of Object.entries(attributes || {})) {
    if (value === undefined || value === null || value === false) continue;
    if (name === "class") node.className = String(value);
    else if (name === "dataset") Object.assign(node.dataset, value);
    else if (name === "text") node.textContent = String(value);
    else if (name.startsWith("on") && typeof value === "function") node.addEventListener(name.slice(2), /** @type {EventListener} */ (value));
    else if (value === true) node.setAttribute(name, "");
    else node.setAttribute(name, String(value));
  }
  for (const child of children.flat()) {
    if (child === undefined || child === null || child === false) continue;
    node.append(child instanceof Node ? child : document.createTextNode(String(child)));
  }
  return node;
}

/**
 * The element with this id, typed as what the page puts there.
 * @template {HTMLElement} [E=HTMLElement]
 * @param {string} id
 * @returns {E}
 */
export function byId(id) {
  return /** @type {E} */ (document.getElementById(id));
}
