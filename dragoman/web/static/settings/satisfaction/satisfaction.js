// Satisfaction: the survey's answers per agent, team, language and channel over a period, and the comments.

import { accountPath, api, ApiError, el, errorText, formatDateTime, languageName, t } from "../../common.js";
import { sortableTable } from "../../kit/table.js";
import { content, table, emptyState } from "../page.js";

const isoDay = (date) => date.toISOString().slice(0, 10);

const score = (/** @type {number | null} */ value, /** @type {(value: number) => string} */ format) => (value === null ? "—" : format(value));

/** A card with the scores per agent (team, language, channel); a click on a header sorts by it. */
function scoreTable(title, column, testid, rows, nameOf) {
  return el(
    "section",
    { class: "card score-card", "data-testid": testid },
    el("h3", { class: "card-title" }, title),
    rows.length
      ? sortableTable({
          columns: [
            { label: column, value: (row) => nameOf(row.key), cell: (row) => nameOf(row.key) },
            { label: t("csat_answers"), numeric: true, value: (row) => row.answered, cell: (row) => String(row.answered) },
            { label: t("csat_average"), numeric: true, value: (row) => row.average, cell: (row) => score(row.average, (v) => v.toFixed(2)) },
            { label: t("csat_satisfied"), numeric: true, value: (row) => row.satisfied_percent, cell: (row) => score(row.satisfied_percent, (v) => `${v}%`) },
          ],
          items: rows,
          // The report's own order (most answers first) until a header is clicked.
          sortBy: -1,
          rowAttributes: (row) => ({ "data-key": String(row.key) }),
        })
      : el("p", { class: "muted" }, t("csat_no_answers")),
  );
}

function stars(rating) {
  return el("span", { class: `csat-rating csat-rating-${rating}`, title: t("csat_rating_of", { rating }) }, "★".repeat(rating), el("span", { class: "csat-rating-rest" }, "★".repeat(5 - rating)));
}

export async function show(period) {
  const until = (period && period.until) || isoDay(new Date());
  const since = (period && period.since) || isoDay(new Date(Date.now() - 29 * 86400000));
  const [report, agents, teams] = await Promise.all([
    api("GET", accountPath(`/csat/report?since=${encodeURIComponent(since)}&until=${encodeURIComponent(until)}`)),
    api("GET", accountPath("/agents")),
    api("GET", accountPath("/teams")),
  ]);
  const agentNames = new Map(agents.map((agent) => [agent.id, agent.name]));
  const teamNames = new Map(teams.map((team) => [team.id, team.name]));
  const agentName = (id) => (id === null ? t("csat_no_agent") : agentNames.get(id) || `#${id}`);
  const teamName = (id) => (id === null ? t("csat_no_team") : teamNames.get(id) || `#${id}`);
  const languageLabel = (code) => (code === null ? t("unknown") : languageName(code));
  const channelLabel = (channel) => t(`channel_${channel}`);

  const sinceInput = el("input", { type: "date", name: "since", value: report.since, max: report.until, "data-testid": "csat-since" });
  const untilInput = el("input", { type: "date", name: "until", value: report.until, "data-testid": "csat-until" });
  const periodError = el("p", { class: "form-error", role: "alert" });
  const periodForm = el(
    "form",
    { class: "period-form", "data-testid": "csat-period" },
    el("label", { class: "field" }, el("span", { class: "field-label" }, t("period_from")), sinceInput),
    el("label", { class: "field" }, el("span", { class: "field-label" }, t("period_to")), untilInput),
    el("button", { type: "submit", class: "btn" }, t("show")),
    periodError,
  );
  periodForm.addEventListener("submit", async (event) => {
    event.preventDefault();
    sinceInput.removeAttribute("aria-invalid");
    try {
      await show({ since: sinceInput.value, until: untilInput.value });
    } catch (error) {
      periodError.textContent = errorText(error);
      if (error instanceof ApiError && error.field) periodForm.querySelector(`[name="${CSS.escape(error.field)}"]`)?.setAttribute("aria-invalid", "true");
    }
  });

  const overall = report.overall;
  const kpi = (label, value, testid) => el("div", { class: "kpi", "data-testid": testid }, el("span", { class: "kpi-value" }, value), el("span", { class: "kpi-label" }, label));
  const comments = report.comments.map((item) =>
    el(
      "li",
      { class: "csat-comment", "data-testid": "csat-comment" },
      el("div", { class: "csat-comment-head" }, stars(item.rating), el("span", { class: "muted" }, [formatDateTime(item.answered_at), agentName(item.assignee_id), languageLabel(item.language), channelLabel(item.channel)].join(" · "))),
      el("p", { class: "csat-comment-text", lang: item.language || undefined }, item.comment),
      el("a", { href: `/app?conversation=${item.conversation_id}`, class: "csat-comment-link" }, item.ticket_id ? t("csat_open_ticket", { id: item.ticket_id }) : t("csat_open_conversation")),
    ),
  );
  content.replaceChildren(
    periodForm,
    el(
      "div",
      { class: "kpis" },
      kpi(t("csat_answers"), String(overall.answered), "csat-answered"),
      kpi(t("csat_average"), overall.average === null ? "—" : `${overall.average.toFixed(2)} / 5`, "csat-average"),
      kpi(t("csat_satisfied"), overall.satisfied_percent === null ? "—" : `${overall.satisfied_percent}%`, "csat-satisfied"),
    ),
    el("p", { class: "field-help" }, t("csat_satisfied_help")),
    el(
      "div",
      { class: "score-grid" },
      scoreTable(t("csat_by_agent"), t("csat_agent"), "csat-by-agent", report.by_agent, agentName),
      scoreTable(t("csat_by_team"), t("team"), "csat-by-team", report.by_team, teamName),
      scoreTable(t("csat_by_language"), t("language"), "csat-by-language", report.by_language, languageLabel),
      scoreTable(t("csat_by_channel"), t("csat_channel"), "csat-by-channel", report.by_channel, channelLabel),
    ),
    el("h3", { class: "card-title csat-comments-title" }, t("csat_comments")),
    comments.length ? el("ul", { class: "csat-comments" }, comments) : emptyState(t("csat_no_comments")),
  );
}
