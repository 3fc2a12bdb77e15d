// A short message in the corner (role="status", so screen readers read it):
// "Saved.", or an error, which stays longer.
import { el } from "./dom.js";

/** How long a toast stays, in milliseconds: errors are read, not glanced at. */
export const toastMilliseconds = (/** @type {string} */ kind) => (kind === "error" ? 7000 : 3500);

/** The page's toast box; a feature page without one gets one. */
function toastBox() {
  let box = document.getElementById("toasts");
  if (!box) {
    box = el("div", { class: "toasts", id: "toasts", role: "status", "aria-live": "polite" });
    document.body.append(box);
  }
  return box;
}

/**
 * @param {string} message
 * @param {"info" | "error"} [kind]
 */
export function toast(message, kind = "info") {
  const item = el("div", { class: `toast toast-${kind}` }, message);
  toastBox().append(item);
  setTimeout(() => item.remove(), toastMilliseconds(kind));
}
