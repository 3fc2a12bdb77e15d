// The supervisors' live wall: fetches /routing/wall every few seconds and
// redraws one card per queue, with a row per waiting language.
import { el } from "/static/kit/dom.js";
import { t } from "/static/kit/i18n.js";
import { pageBootstrap } from "/static/kit/api.js";
import { languageNameIn } from "/static/kit/i18n.js";

const config = pageBootstrap();
const queuesEl = document.getElementById("wall-queues");
const totalsEl = document.getElementById("wall-totals");
const updatedEl = document.getElementById("wall-updated");
const url = `/api/v1/accounts/${config.account_id}/routing/wall`;
let lastGood = null;


function duration(seconds) {
  const s = Math.round(seconds);
  if (s < 60) return `${s} s`;
  const m = Math.floor(s / 60);
  if (m < 60) return `${m} min ${String(s % 60).padStart(2, "0")} s`;
  return `${Math.floor(m / 60)} h ${String(m % 60).padStart(2, "0")} min`;
}

const languageName = (/** @type {string} */ code) => languageNameIn(code, config.lang);

// Longest wait against the queue's target: calm, warning, late.
function waitLevel(seconds, target) {
  if (seconds <= 0) return "calm";
  if (seconds <= target) return "ok";
  if (seconds <= target * 3) return "warn";
  return "late";
}

function stat(label, value, extra) {
  return el("div", { class: `wall-stat ${extra || ""}` }, el("span", { class: "wall-stat-value" }, value), el("span", { class: "wall-stat-label" }, label));
}

function queueCard(queue) {
  const level = waitLevel(queue.longest_wait, queue.service_target_seconds);
  const share = queue.service_level_last_hour;
  const sl = share === null ? "—" : `${Math.round(share * 100)}%`;
  const slClass = share === null ? "" : share >= 0.8 ? "good" : share >= 0.6 ? "warn" : "late";
  const card = el(
    "article",
    { class: `wall-card wait-${level}`, "data-testid": "wall-queue", "data-queue-id": queue.queue_id },
    el(
      "header",
      { class: "wall-card-head" },
      el("h2", {}, queue.name),
      el("span", { class: `wall-badge ${queue.open ? "open" : "closed"}` }, queue.open ? t("wall_open") : t("wall_closed")),
    ),
    el(
      "div",
      { class: "wall-stats" },
      stat(t("wall_waiting"), queue.waiting, "big"),
      stat(t("wall_longest_wait"), duration(queue.longest_wait), `big wait-${level}`),
      stat(t("wall_service_level"), sl, `big sl-${slClass}`),
    ),
    el(
      "div",
      { class: "wall-agents", "aria-label": t("wall_agents") },
      ...["online", "busy", "away", "offline"].map((state) =>
        el("span", { class: `wall-agent-state state-${state}` }, el("span", { class: "dot", "aria-hidden": "true" }), `${t(`wall_${state}`)} ${queue.agents[state]}`),
      ),
    ),
    el("p", { class: "wall-target" }, t("wall_target", { seconds: queue.service_target_seconds }), " · ",
      queue.answered_last_hour ? t("wall_answered", { count: queue.answered_last_hour }) : t("wall_nothing_answered")),
  );
  const languages = Object.entries(queue.languages).sort((a, b) => b[1].waiting - a[1].waiting);
  if (languages.length) {
    const rows = languages.map(([code, figures]) =>
      el(
        "tr",
        { "data-language": code },
        el("th", { scope: "row" }, el("span", { class: "lang-code" }, code), " ", languageName(code)),
        el("td", {}, figures.waiting),
        el("td", { class: `wait-${waitLevel(figures.longest_wait, queue.service_target_seconds)}` }, duration(figures.longest_wait)),
        el("td", { class: figures.speakers_online ? "" : "no-speakers" }, `${figures.speakers_free} / ${figures.speakers_online}`),
      ),
    );
    card.append(
      el(
        "table",
        { class: "wall-languages" },
        el("thead", {}, el("tr", {}, el("th", { scope: "col" }, t("wall_language")), el("th", { scope: "col" }, t("wall_waiting")), el("th", { scope: "col" }, t("wall_longest_wait")), el("th", { scope: "col" }, t("wall_speakers")))),
        el("tbody", {}, ...rows),
      ),
    );
  }
  return card;
}

function draw(wall) {
  queuesEl.replaceChildren();
  if (!wall.queues.length) {
    queuesEl.append(el("p", { class: "wall-empty" }, t("wall_no_queues")));
  }
  for (const queue of wall.queues) queuesEl.append(queueCard(queue));
  const waiting = wall.queues.reduce((sum, q) => sum + q.waiting, 0);
  const longest = wall.queues.reduce((most, q) => Math.max(most, q.longest_wait), 0);
  totalsEl.replaceChildren(
    stat(t("wall_queues"), wall.queues.length),
    stat(t("wall_waiting"), waiting),
    stat(t("wall_longest_wait"), duration(longest)),
  );
}

function clock(iso) {
  return new Date(iso).toLocaleTimeString(config.lang, { hour: "2-digit", minute: "2-digit", second: "2-digit" });
}

async function refresh() {
  try {
    const response = await fetch(url, { credentials: "same-origin", headers: { Accept: "application/json" } });
    if (response.status === 401) {
      window.location.href = `/login?next=${encodeURIComponent(window.location.pathname)}`;
      return;
    }
    if (!response.ok) throw new Error(String(response.status));
    const wall = await response.json();
    draw(wall);
    lastGood = wall.generated_at;
    updatedEl.textContent = t("wall_updated", { time: clock(wall.generated_at) });
    updatedEl.classList.remove("stale");
  } catch (_error) {
    if (lastGood) {
      updatedEl.textContent = t("wall_stale", { time: clock(lastGood) });
      updatedEl.classList.add("stale");
    }
  } finally {
    window.setTimeout(refresh, config.refresh_seconds * 1000);
  }
}

refresh();
