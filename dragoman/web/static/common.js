// Shared by every signed-in page: the bootstrap the server embedded, the
// translated strings, the REST helper and the header (status, language, menu).
// Text from the server or from users is only ever set with textContent.

const bootstrapElement = document.getElementById("bootstrap");
export const boot = bootstrapElement ? JSON.parse(bootstrapElement.textContent) : { strings: {} };

/** A translated string; `%(name)s` placeholders are filled from `vars`. */
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

export function t(key, vars) {
  let text = boot.strings[key];
  if (text === undefined) {
    console.warn("missing console string", key);
    text = key;
  }
  if (vars) {
    text = text.replace(/%\((\w+)\)[sd]/g, (whole, name) => (name in vars ? String(vars[name]) : whole));
  }
  return text;
}

export class ApiError extends Error {
  constructor(status, body) {
    super((body && body.message) || `HTTP ${status}`);
    this.status = status;
    this.body = body || {};
    this.field = this.body.field || null;
  }
}

export function goToLogin() {
  const here = window.location.pathname + window.location.search;
  window.location.assign(`/login?next=${encodeURIComponent(here)}`);
}

/** Calls the REST API with the session cookie and the CSRF header. */
export async function api(method, path, body) {
  const headers = { Accept: "application/json" };
  // A file upload goes as the browser encodes a form (multipart); the rest as JSON.
  const isForm = typeof FormData !== "undefined" && body instanceof FormData;
  if (body !== undefined && !isForm) headers["Content-Type"] = "application/json";
  if (method !== "GET") headers["X-CSRF-Token"] = boot.csrf_token;
  let response;
  try {
    response = await fetch(path, {
      method,
      headers,
      credentials: "same-origin",
      body: body === undefined || isForm ? body : JSON.stringify(body),
    });
  } catch (error) {
    throw new ApiError(0, { message: t("network_error") });
  }
  if (response.status === 401) {
    // The session expired or was ended elsewhere.
    goToLogin();
    throw new ApiError(401, { message: t("session_expired") });
  }
  if (response.status === 204) return null;
  const data = await response.json().catch(() => null);
  if (!response.ok) throw new ApiError(response.status, data);
  return data;
}

export const accountPath = (path) => `/api/v1/accounts/${boot.account_id}${path}`;

/** Builds an element: el("div", {class: "x", dataset: {id: 1}}, "text", child). */
export function el(tag, attributes, ...children) {
  const node = document.createElement(tag);
  for (const [name, value] of Object.entries(attributes || {})) {
    if (value === undefined || value === null || value === false) continue;
    if (name === "class") node.className = value;
    else if (name === "dataset") Object.assign(node.dataset, value);
    else if (name === "text") node.textContent = value;
    else if (name.startsWith("on") && typeof value === "function") node.addEventListener(name.slice(2), value);
    else if (value === true) node.setAttribute(name, "");
    else node.setAttribute(name, String(value));
  }
  for (const child of children.flat()) {
    if (child === undefined || child === null || child === false) continue;
    node.append(child instanceof Node ? child : document.createTextNode(String(child)));
  }
  return node;
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

export function toast(message, kind = "info") {
  const box = document.getElementById("toasts");
  if (!box) return;
  const item = el("div", { class: `toast toast-${kind}` }, message);
  box.append(item);
  setTimeout(() => item.remove(), kind === "error" ? 7000 : 3500);
}

export function errorText(error) {
  if (error instanceof ApiError) {
    if (error.status === 403) return t("not_allowed");
    if (error.status === 404) return t("not_found");
    return error.message;
  }
  return String(error);
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
  const select = document.getElementById("availability");
  if (select) select.value = value;
  setPresenceDot(value);
  boot.user.availability = value;
}

function initAvailability() {
  const select = document.getElementById("availability");
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
  for (const button of document.querySelectorAll("[data-ui-locale]")) {
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
  const menu = document.getElementById("user-menu");
  if (menu) {
    document.addEventListener("click", (event) => {
      if (menu.open && !menu.contains(event.target)) menu.open = false;
    });
    document.addEventListener("keydown", (event) => {
      if (event.key === "Escape" && menu.open) {
        menu.open = false;
        menu.querySelector("summary").focus();
      }
    });
  }
  const shortcuts = document.getElementById("shortcuts-dialog");
  const opener = document.getElementById("show-shortcuts");
  if (shortcuts && opener) {
    opener.addEventListener("click", () => {
      if (menu) menu.open = false;
      shortcuts.showModal();
    });
  }
}

export function openShortcuts() {
  const shortcuts = document.getElementById("shortcuts-dialog");
  if (shortcuts && !shortcuts.open) shortcuts.showModal();
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
