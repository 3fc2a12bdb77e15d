// What the server embedded for a page's scripts: its
// <script type="application/json" id="bootstrap"> block (the account, the
// CSRF token, the reader's language, the translated strings, the page's own
// values). Read once.

/**
 * @typedef {{
 *   account_id: number,
 *   csrf_token: string,
 *   lang?: string,
 *   strings?: Record<string, string>,
 *   [name: string]: any,
 * }} Bootstrap
 */

/** @type {Bootstrap | null} */
let bootstrap = null;

/** What the server embedded for the page's scripts (<script type="application/json" id="bootstrap">). */
export function pageBootstrap() {
  if (bootstrap === null) {
    const block = typeof document === "undefined" ? null : document.getElementById("bootstrap");
    bootstrap = block ? JSON.parse(block.textContent || "{}") : { account_id: 0, csrf_token: "", strings: {} };
  }
  return /** @type {Bootstrap} */ (bootstrap);
}
