// The context pane's ticket card: make a ticket, its status and custom
// fields, the next SLA deadline counting down, and transferring, merging or
// linking it. What the list shows of a change is index.js's (onTicketChange).

import { accountPath, api, ApiError, el, errorText, fieldLabel, formatDateTime, languageName, t, toast } from "../common.js";
import { fillOptions } from "../kit/field.js";
import { $, control, nodes, state, TICKET_STATUSES } from "./state.js";

/** What the console does after a change to the ticket (the list shows tickets' state). */
let afterTicketChange = () => {};

export function onTicketChange(/** @type {() => void} */ callback) {
  afterTicketChange = callback;
}

function duration(seconds) {
  const minutes = Math.max(1, Math.floor(Math.abs(seconds) / 60));
  if (minutes < 60) return t("duration_minutes", { minutes });
  const hours = Math.floor(minutes / 60);
  if (hours < 48) return t("duration_hours", { hours, minutes: minutes % 60 });
  return t("duration_days", { days: Math.floor(hours / 24), hours: hours % 24 });
}

export function renderCountdown() {
  const ticket = state.ticket;
  if (!ticket) return;
  const next = ticket.next_deadline;
  let text;
  let kind = "";
  if (next) {
    const left = (new Date(next.due_at).getTime() - Date.now()) / 1000;
    const vars = { metric: t(`sla_${next.metric}`), time: duration(left), at: formatDateTime(next.due_at) };
    if (left < 0 || next.breached) {
      text = t("sla_overdue", vars);
      kind = "breached";
    } else {
      text = t("sla_due_in", vars);
      kind = next.warned || (next.warn_at && new Date(next.warn_at).getTime() <= Date.now()) ? "warning" : "ok";
    }
  } else {
    text = ticket.timers.some((timer) => timer.state === "paused") ? t("sla_paused") : t("sla_none");
  }
  nodes.countdown.textContent = text;
  nodes.countdown.dataset.state = kind;
}

export function renderTicket() {
  const ticket = state.ticket;
  nodes.ticketNone.hidden = Boolean(ticket);
  nodes.ticketSome.hidden = !ticket;
  if (!ticket) return;
  $("ticket-subject").textContent = t("ticket_subject", { id: ticket.id, subject: ticket.subject });
  fillOptions(nodes.ticketStatus, TICKET_STATUSES.map((status) => [status, t(`ticket_status_${status}`)]), ticket.status);
  renderCountdown();
  renderTicketFields(ticket);
  fillOptions(/** @type {HTMLSelectElement} */ ($("transfer-team")), state.teams.map((team) => [team.id, team.name]), ticket.team_id ?? "");
  const relations = [];
  if (ticket.merged_into_id) relations.push(t("ticket_merged_into", { id: ticket.merged_into_id }));
  if (ticket.linked_ticket_ids && ticket.linked_ticket_ids.length) {
    relations.push(t("ticket_linked", { ids: ticket.linked_ticket_ids.map((id) => `#${id}`).join(", ") }));
  }
  $("ticket-relations").textContent = relations.join(" · ");
  const csat = $("ticket-csat");
  csat.hidden = !ticket.csat;
  if (ticket.csat) {
    const stars = "★".repeat(ticket.csat.rating) + "☆".repeat(5 - ticket.csat.rating);
    csat.replaceChildren(
      el("span", { class: "stars", "aria-hidden": "true" }, stars),
      " ",
      ticket.csat.comment
        ? t("ticket_csat_comment", { rating: ticket.csat.rating, comment: ticket.csat.comment })
        : t("ticket_csat", { rating: ticket.csat.rating }),
    );
  }
}

/** Transfer, merge and link: each a small form in the ticket card. */
/** `onError`: a caller's own answer to an error (true: handled, no toast). */
async function ticketAction(path, body, done, onError) {
  if (!state.ticket) return;
  try {
    const ticket = await api("POST", accountPath(`/tickets/${state.ticket.id}${path}`), body);
    if (ticket && ticket.id === state.ticket.id) state.ticket = ticket;
    else await loadTicket(state.open.id);
    renderTicket();
    afterTicketChange();
    toast(done);
    return true;
  } catch (error) {
    if (!(onError && onError(error))) toast(errorText(error), "error");
    return false;
  }
}

/** A transfer's note (or ticket summary) that nobody can translate for the
 * taker: says who cannot read it, in the agent's language, and turns the
 * button into the second, named action. True when it was that refusal. */
export function showUntranslatable(error, warning, button) {
  if (!(error instanceof ApiError) || error.body.error !== "note_untranslatable") return false;
  const readers = (error.body.readers || []).map((reader) => reader.name).join(", ");
  warning.textContent = t("handover_untranslatable", { readers, language: languageName(error.body.language) });
  warning.hidden = false;
  button.textContent = t("transfer_untranslated");
  return true;
}

export function hideUntranslatable(warning, button) {
  warning.hidden = true;
  warning.textContent = "";
  button.textContent = t("transfer");
}

// The summary and team a ticket transfer was warned about: only the same
// again, on the second click, goes as written.
let transferUntranslatedFor = null;

export function wireTicketActions() {
  const resetTransferWarning = () => {
    transferUntranslatedFor = null;
    hideUntranslatable($("transfer-warning"), $("transfer-send"));
  };
  $("transfer-summary").addEventListener("input", resetTransferWarning);
  $("transfer-team").addEventListener("change", resetTransferWarning);
  $("transfer-form").addEventListener("submit", async (event) => {
    event.preventDefault();
    const teamId = Number(control("transfer-team").value);
    const summary = control("transfer-summary").value.trim();
    const team = state.teams.find((item) => item.id === teamId);
    const attempt = `${teamId}\n${summary}`;
    const body = { team_id: teamId, summary };
    if (transferUntranslatedFor === attempt) body.summary_untranslated = true;
    const warned = (error) => {
      if (!showUntranslatable(error, $("transfer-warning"), $("transfer-send"))) return false;
      transferUntranslatedFor = attempt;
      return true;
    };
    if (await ticketAction("/transfer", body, t("ticket_transferred", { team: team ? team.name : "" }), warned)) {
      control("transfer-summary").value = "";
      resetTransferWarning();
    }
  });
  $("merge-form").addEventListener("submit", async (event) => {
    event.preventDefault();
    const into = Number(control("merge-into").value);
    if (await ticketAction("/merge", { into_ticket_id: into }, t("ticket_merged", { id: into }))) control("merge-into").value = "";
  });
  $("link-form").addEventListener("submit", async (event) => {
    event.preventDefault();
    const other = Number(control("link-to").value);
    if (await ticketAction("/links", { ticket_id: other }, t("ticket_link_made", { id: other }))) control("link-to").value = "";
  });
}

/** A field's label in the console's language, else English, else any. */
function fieldInput(field, value) {
  const attributes = { "data-field": field.key, "data-testid": `ticket-field-${field.key}` };
  if (field.type === "select") {
    const select = el("select", attributes, el("option", { value: "" }, "—"));
    for (const option of field.options) select.append(el("option", { value: option, selected: option === value }, option));
    return select;
  }
  if (field.type === "checkbox") return el("input", { ...attributes, type: "checkbox", checked: value === true });
  const type = { number: "number", date: "date" }[field.type] || "text";
  return el("input", { ...attributes, type, step: field.type === "number" ? "any" : null, value: value ?? "" });
}

/** The account's custom fields, each saved when the agent changes it. */
function renderTicketFields(ticket) {
  const box = $("ticket-fields");
  const values = ticket.custom_fields || {};
  box.replaceChildren(...state.ticketFields.map((field) => {
    const input = fieldInput(field, values[field.key]);
    input.addEventListener("change", () => saveTicketField(field, input));
    const label = el("span", { class: "field-label" }, fieldLabel(field), field.required_to_solve ? el("span", { class: "required", title: t("field_required_to_solve") }, " *") : null);
    return field.type === "checkbox"
      ? el("label", { class: "field field-check" }, input, label)
      : el("label", { class: "field" }, label, input);
  }));
}

// Field saves go one after another, so the card always ends showing the
// last answer, with every field the agent filled in.
let fieldSaves = Promise.resolve();

function saveTicketField(field, input) {
  let value = input.type === "checkbox" ? input.checked : input.value.trim();
  if (value === "") value = null;
  fieldSaves = fieldSaves.then(async () => {
    if (!state.ticket) return;
    const ticketId = state.ticket.id;
    try {
      const ticket = await api("PATCH", accountPath(`/tickets/${ticketId}`), { custom_fields: { [field.key]: value } });
      if (state.ticket && state.ticket.id === ticketId) state.ticket = ticket;
    } catch (error) {
      toast(errorText(error), "error");
    }
    renderTicket();
  });
  return fieldSaves;
}

export async function loadTicket(conversationId) {
  try {
    // if_any: null for a conversation that is not a ticket, not a 404 per conversation opened.
    const ticket = await api("GET", accountPath(`/conversations/${conversationId}/ticket?if_any=true`));
    if (state.open && state.open.id === conversationId) state.ticket = ticket;
  } catch (error) {
    if (!(error instanceof ApiError && error.status === 404)) throw error;
    if (state.open && state.open.id === conversationId) state.ticket = null;
  }
  if (state.open && state.open.id === conversationId) renderTicket();
}

export async function makeTicket() {
  if (!state.open) return;
  try {
    state.ticket = await api("POST", accountPath(`/conversations/${state.open.id}/ticket`), {});
    renderTicket();
    toast(t("ticket_made", { id: state.ticket.id }));
  } catch (error) {
    toast(errorText(error), "error");
  }
}

export async function changeTicketStatus() {
  if (!state.ticket) return;
  try {
    state.ticket = await api("PATCH", accountPath(`/tickets/${state.ticket.id}`), { status: nodes.ticketStatus.value });
    renderTicket();
    afterTicketChange();
  } catch (error) {
    toast(ticketErrorText(error), "error");
    renderTicket();
  }
}

/** A refused ticket change: a required field still empty is named by its
 * label in the reader's language; anything else as the server says it. */
function ticketErrorText(error) {
  const reason = error instanceof ApiError ? error.body.reason : null;
  const key = error instanceof ApiError ? (error.field || "").replace(/^custom_fields\./, "") : "";
  const field = reason === "required_to_solve" ? state.ticketFields.find((item) => item.key === key) : null;
  return field ? t("ticket_field_required_to_solve", { field: fieldLabel(field) }) : errorText(error);
}
