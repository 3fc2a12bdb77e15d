// Shared by every signed-in page: the bootstrap the server embedded, the
// translated strings, the REST helper and the header (status, language, menu).
// Text from the server or from users is only ever set with textContent.

import { accountPath, api, ApiError, errorText, goToLogin, pageBootstrap } from "./kit/api.js";
import { el } from "./kit/dom.js";
import { openDialog } from "./kit/dialog.js";
import { t } from "./kit/i18n.js";
import { toast } from "./kit/toast.js";

export { accountPath, api, ApiError, el, errorText, goToLogin, t, toast };

export const boot = pageBootstrap();

/** What sending a saved reply also does (a macro), in words: "ticket Solved, tags refund". */
export function macroActionWords(reply, teams) {
  const actions = (reply && reply.actions) || {};
  const words = [];
  if (actions.ticket_status) words.push(t("macro_status", { status: t(`ticket_status_${actions.ticket_status}`) }));
  if (actions.priority) words.push(t("macro_priority", { priority: t(`priority_${actions.priority}`) }));
  if (actions.add_tags && actions.add_tags.length) words.push(t("macro_tags", { tags: actions.add_tags.join(", ") }));
  if (actions.team_id) {
    const team = (teams || []).find((item) => item.id === actions.team_id);
    words.push(t("macro_team", { team: team ? team.name : `#${actions.team_id}` }));
  }
  return words.join(", ");
}

/** A ticket field's label for this reader: their language, else English, else any. */
export function fieldLabel(field) {
  const language = (document.documentElement.lang || "en").toLowerCase();
  const labels = field.labels || {};
  const key = Object.keys(labels).find((code) => code.toLowerCase() === language)
    || Object.keys(labels).find((code) => code.toLowerCase().split("-")[0] === language.split("-")[0]);
  return labels[key] || labels.en || Object.values(labels)[0] || field.key;
}

export function initials(name) {
  const text = (name || "").trim();
  if (!text) return "?";
  const parts = text.split(/\s+/);
  const first = Array.from(parts[0])[0] || "?";
  const second = parts.length > 1 ? Array.from(parts[parts.length - 1])[0] : "";
  return (first + second).toUpperCase();
}

/** A stable soft colour per person, so avatars are told apart at a glance. */
export function avatarHue(seed) {
  let hash = 0;
  for (const ch of String(seed)) hash = (hash * 31 + ch.codePointAt(0)) % 100003;
  // The golden angle spreads neighbouring ids (contact 1, 2, 3...) around the wheel.
  return Math.round((hash * 137.508) % 360);
}

export function avatar(name, seed, size = "") {
  const node = el("span", { class: `avatar ${size}`.trim(), "aria-hidden": "true" }, initials(name));
  node.style.setProperty("--avatar-hue", String(avatarHue(seed ?? name)));
  return node;
}

const timeFormat = new Intl.DateTimeFormat(boot.lang || "en", { hour: "2-digit", minute: "2-digit" });
const dateFormat = new Intl.DateTimeFormat(boot.lang || "en", { year: "numeric", month: "short", day: "numeric" });
const dateTimeFormat = new Intl.DateTimeFormat(boot.lang || "en", {
  year: "numeric",
  month: "short",
  day: "numeric",
  hour: "2-digit",
  minute: "2-digit",
});
const relativeFormat = new Intl.RelativeTimeFormat(boot.lang || "en", { numeric: "auto", style: "short" });

export const formatTime = (iso) => (iso ? timeFormat.format(new Date(iso)) : "");
export const formatDate = (iso) => (iso ? dateFormat.format(new Date(iso)) : "");
export const formatDateTime = (iso) => (iso ? dateTimeFormat.format(new Date(iso)) : "");

/** "5 min ago", "yesterday"; the browser words it in the UI language. */
export function relativeTime(iso) {
  if (!iso) return "";
  const seconds = (new Date(iso).getTime() - Date.now()) / 1000;
  if (Math.abs(seconds) < 45) return t("just_now");
  // [below this many seconds, count in units of this size, named]
  /** @type {Array<[number, number, Intl.RelativeTimeFormatUnit]>} */
  const units = [
    [3600, 60, "minute"],
    [86400, 3600, "hour"],
    [604800, 86400, "day"],
  ];
  for (const [limit, size, unit] of units) {
    if (Math.abs(seconds) < limit) return relativeFormat.format(Math.round(seconds / size), unit);
  }
  return formatDate(iso);
}

let languageNames = null;
try {
  languageNames = new Intl.DisplayNames([boot.lang || "en"], { type: "language" });
} catch (error) {
  languageNames = null;
}

/** "Spanish (es)" in the UI language; the code alone when the browser does not know it. */
export function languageName(code) {
  if (!code) return t("unknown");
  let name = null;
  try {
    name = languageNames ? languageNames.of(code) : null;
  } catch (error) {
    name = null;
  }
  return name && name !== code ? `${name} (${code})` : code;
}

export function availabilityLabel(value) {
  return t(`availability_${value}`);
}

function setPresenceDot(value) {
  const dot = document.getElementById("presence-dot");
  if (dot) dot.dataset.availability = value;
}

/** Reflects a presence change made in another tab or by an admin. */
export function showOwnAvailability(value) {
  const select = /** @type {HTMLSelectElement | null} */ (document.getElementById("availability"));
  if (select) select.value = value;
  setPresenceDot(value);
  boot.user.availability = value;
}

function initAvailability() {
  const select = /** @type {HTMLSelectElement | null} */ (document.getElementById("availability"));
  if (!select) return;
  select.addEventListener("change", async () => {
    const wanted = select.value;
    const previous = boot.user.availability;
    setPresenceDot(wanted);
    try {
      const profile = await api("PATCH", "/api/v1/profile", { availability: wanted });
      showOwnAvailability(profile.availability);
      toast(t("availability_saved", { status: availabilityLabel(profile.availability) }));
    } catch (error) {
      showOwnAvailability(previous);
      toast(errorText(error), "error");
    }
  });
}

function initLanguageSwitch() {
  for (const button of /** @type {NodeListOf<HTMLButtonElement>} */ (document.querySelectorAll("[data-ui-locale]"))) {
    button.addEventListener("click", async () => {
      try {
        await api("PATCH", "/api/v1/profile", { ui_locale: button.dataset.uiLocale });
        window.location.reload();
      } catch (error) {
        toast(errorText(error), "error");
      }
    });
  }
}

function initMenus() {
  const menu = /** @type {HTMLDetailsElement | null} */ (document.getElementById("user-menu"));
  if (menu) {
    document.addEventListener("click", (event) => {
      if (menu.open && !menu.contains(/** @type {Node} */ (event.target))) menu.open = false;
    });
    document.addEventListener("keydown", (event) => {
      if (event.key === "Escape" && menu.open) {
        menu.open = false;
        menu.querySelector("summary")?.focus();
      }
    });
  }
  const shortcuts = /** @type {HTMLDialogElement | null} */ (document.getElementById("shortcuts-dialog"));
  const opener = document.getElementById("show-shortcuts");
  if (shortcuts && opener) {
    opener.addEventListener("click", () => {
      if (menu) menu.open = false;
      shortcuts.showModal();
    });
  }
}

export function openShortcuts() {
  openDialog(/** @type {HTMLDialogElement | null} */ (document.getElementById("shortcuts-dialog")));
}

/** True while the user is typing, so single-key shortcuts stay out of the way. */
export function isTyping(event) {
  const target = event.target;
  return (
    target instanceof HTMLInputElement ||
    target instanceof HTMLTextAreaElement ||
    target instanceof HTMLSelectElement ||
    (target instanceof HTMLElement && target.isContentEditable)
  );
}

export function initShell() {
  initAvailability();
  initLanguageSwitch();
  initMenus();
}
