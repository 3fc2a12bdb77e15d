// The one way interface text reaches a script: the server translates the
// strings a page's scripts use from its gettext catalogue (dragoman/web/locales)
// into the reader's language and embeds them in the page's
// <script type="application/json" id="bootstrap"> block; `t(key)` looks them up.
// Scripts never carry text of their own.

import { pageBootstrap } from "./page.js";

/** @typedef {Record<string, string | number>} Vars */

/** @type {Record<string, string> | null} */
let strings = null;

/** The page's translated strings (none outside a page: the unit tests). */
function pageStrings() {
  if (strings === null) strings = pageBootstrap().strings || {};
  return /** @type {Record<string, string>} */ (strings);
}

/** Uses `catalogue` instead of the page's strings (unit tests). */
export function useStrings(/** @type {Record<string, string>} */ catalogue) {
  strings = catalogue;
}

/**
 * Fills gettext's `%(name)s` / `%(name)d` placeholders; a name `vars` lacks stays as written.
 * @param {string} text
 * @param {Vars} [vars]
 */
export function fill(text, vars) {
  if (!vars) return text;
  return text.replace(/%\((\w+)\)[sd]/g, (whole, name) => (name in vars ? String(vars[name]) : whole));
}

/** Whether the page has a string for `key` (a reason the console may not know yet). */
export function hasString(/** @type {string} */ key) {
  return Object.prototype.hasOwnProperty.call(pageStrings(), key);
}

/**
 * A translated string; `%(name)s` placeholders are filled from `vars`. A key the
 * page lacks shows as itself (and a warning), never as nothing.
 * @param {string} key
 * @param {Vars} [vars]
 */
export function t(key, vars) {
  let text = pageStrings()[key];
  if (text === undefined) {
    console.warn("missing console string", key);
    text = key;
  }
  return fill(text, vars);
}

/**
 * A language's name in the reader's language ("es" → "Spanish"), else its code.
 * @param {string} code
 * @param {string} [readerLanguage] BCP 47
 */
export function languageNameIn(code, readerLanguage) {
  try {
    return new Intl.DisplayNames([readerLanguage || "en"], { type: "language" }).of(code) || code;
  } catch (error) {
    return code;
  }
}
