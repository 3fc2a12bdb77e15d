// The agent console: conversation list, timeline, reply box and context pane,
// kept live by the realtime socket. Every change goes through the REST API,
// which decides what this agent may see and do.

import {
  accountPath,
  api,
  ApiError,
  availabilityLabel,
  avatar,
  boot,
  el,
  errorText,
  fieldLabel,
  formatDate,
  formatDateTime,
  formatTime,
  initShell,
  isTyping,
  languageName,
  macroActionWords,
  openShortcuts,
  relativeTime,
  showOwnAvailability,
  t,
  toast,
} from "./common.js";
import { deliveryMark, deliveryProblem } from "./delivery.js";
import { RealtimeClient } from "./realtime.js";
import { decorateMessage, ReplyTranslation, transcriptLink } from "./translation.js";

/** The padlock that marks private notes (no icon font: nothing external). */
function lockIcon() {
  const ns = "http://www.w3.org/2000/svg";
  const svg = document.createElementNS(ns, "svg");
  svg.setAttribute("class", "icon");
  svg.setAttribute("viewBox", "0 0 16 16");
  svg.setAttribute("aria-hidden", "true");
  const body = document.createElementNS(ns, "rect");
  for (const [name, value] of Object.entries({ x: 3, y: 7, width: 10, height: 7, rx: 1.5 })) body.setAttribute(name, String(value));
  const shackle = document.createElementNS(ns, "path");
  shackle.setAttribute("d", "M5.5 7V5a2.5 2.5 0 0 1 5 0v2");
  svg.append(body, shackle);
  return svg;
}

const FILTERS = ["mine", "unassigned", "my_teams", "all"];
const FILTER_STORAGE_KEY = "dragoman.console.filter";
const LIST_RELOAD_DEBOUNCE_MS = 150;
const SEARCH_DEBOUNCE_MS = 250;

const state = {
  filter: FILTERS.includes(localStorage.getItem(FILTER_STORAGE_KEY)) ? localStorage.getItem(FILTER_STORAGE_KEY) : "all",
  status: "open",
  query: "",
  conversations: [],
  counts: {},
  openId: boot.conversation_id || null,
  open: null,
  messageIds: new Set(),
  lastMessageDay: null,
  mode: "reply",
  agents: [],
  ticketFields: [],
  teams: [],
  queues: [],
  inboxes: new Map(),
  files: [], // uploaded for the reply being written: {sha256, filename, content_type, size}
  // Messages pushed while the open conversation is still loading.
  pendingMessages: [],
  listRequest: 0,
  openRequest: 0,
  sending: false,
  ticket: null,
};

const $ = (id) => document.getElementById(id);
const nodes = {
  list: $("conv-list"),
  listEmpty: $("list-empty"),
  search: $("search"),
  statusFilter: $("status-filter"),
  placeholder: $("no-selection"),
  placeholderText: $("placeholder-text"),
  conversation: $("conversation"),
  timeline: $("timeline"),
  composer: $("composer"),
  input: $("reply-input"),
  send: $("reply-send"),
  attach: $("composer-attach"),
  attachInput: $("attach-input"),
  files: $("composer-files"),
  hint: $("composer-hint"),
  composerError: $("composer-error"),
  modeReply: $("mode-reply"),
  modeNote: $("mode-note"),
  context: $("context"),
  assignAgent: $("assign-agent"),
  assignTeam: $("assign-team"),
  ticketNone: $("ticket-none"),
  ticketSome: $("ticket-some"),
  ticketStatus: $("ticket-status"),
  countdown: $("sla-countdown"),
};

const TICKET_STATUSES = ["new", "open", "pending", "on_hold", "solved", "closed"];

// The reply box's translation preview and fact check (translation.js).
const replyTranslation = new ReplyTranslation(nodes.composer, nodes.input, () => state.open, () => state.mode);

// -- words --------------------------------------------------------------------

const statusLabel = (status) => t(`status_${status}`);
const priorityLabel = (priority) => t(`priority_${priority}`);

function contactName(conversation) {
  const contact = conversation.contact || {};
  return contact.name || contact.email || t("visitor_number", { id: contact.id });
}

/** An activity line worded in the reader's language from its attributes. */
function activityText(message) {
  const a = message.attributes || {};
  const actor = a.actor || t("someone");
  switch (a.activity) {
    case "assigned":
      if (a.assignee && a.assignee === a.actor && !a.team) return t("activity_self_assigned", { actor });
      if (a.assignee && a.team) return t("activity_assigned_agent_team", { actor, assignee: a.assignee, team: a.team });
      if (a.assignee) return t("activity_assigned_agent", { actor, assignee: a.assignee });
      if (a.team) return t("activity_assigned_team", { actor, team: a.team });
      return t("activity_unassigned", { actor });
    case "unassigned":
      return t("activity_unassigned", { actor });
    case "status_open":
      return t("activity_status_open", { actor });
    case "status_pending":
      return t("activity_status_pending", { actor });
    case "status_resolved":
      return t("activity_status_resolved", { actor });
    case "routed": {
      const line = a.step
        ? t("activity_routed_step", { assignee: a.assignee, queue: a.queue, step: a.step, rule: ruleWords(a) })
        : t("activity_routed", { assignee: a.assignee, queue: a.queue });
      return a.machine_translation ? t("activity_routed_translation", { line }) : line;
    }
    case "routing_closed":
      return a.closed_until
        ? t("activity_routing_closed", { time: formatDateTime(a.closed_until) })
        : t("activity_routing_closed_no_opening");
    case "routing_no_answer":
      return t("activity_routing_no_answer", { assignee: a.assignee, seconds: a.seconds });
    case "routing_overflow":
      return t("activity_routing_overflow", { from_queue: a.from_queue, queue: a.queue });
    case "ticket_created":
      return t("activity_ticket_created", { actor, id: a.ticket_id });
    case "sla_warning":
      return t("activity_sla_warning", { metric: t(`sla_${a.metric}`), at: formatDateTime(a.due_at) });
    case "sla_breached":
      return t("activity_sla_breached", { metric: t(`sla_${a.metric}`), at: formatDateTime(a.due_at) });
    case "routing_ticket":
      return t("activity_routing_ticket", { id: a.ticket_id });
    case "sla_reassigned":
      return t("activity_sla_reassigned", { from: a.from });
    case "csat":
      return a.comment
        ? t("activity_csat_comment", { rating: a.rating, comment: a.comment })
        : t("activity_csat", { rating: a.rating });
    case "email_automatic":
      return t("activity_email_automatic", { reason: a.reason || "", subject: a.subject || "" });
    case "bot_handoff":
      // Worded by its reason; a reason this console does not know keeps the stored text.
      return `activity_bot_handoff_${a.reason}` in boot.strings ? t(`activity_bot_handoff_${a.reason}`) : message.content;
    default:
      return message.content;
  }
}

// -- the list -----------------------------------------------------------------

function renderTabs() {
  for (const tab of document.querySelectorAll("[data-filter]")) {
    const selected = tab.dataset.filter === state.filter;
    tab.setAttribute("aria-selected", selected ? "true" : "false");
    tab.classList.toggle("active", selected);
  }
  for (const badge of document.querySelectorAll("[data-count]")) {
    const value = state.counts[badge.dataset.count];
    badge.textContent = value === undefined ? "·" : String(value);
  }
}

/** Who wrote a reply: the FAQ bot, an automatic reply (queues closed), an agent. */
function replyAuthor(message) {
  if ((message.attributes || {}).bot) return t("faq_bot");
  if ((message.attributes || {}).auto_reply) return t("automatic_reply");
  if ((message.attributes || {}).csat) return t("satisfaction_survey");
  // Another message the system sent on the team's behalf is the team's.
  if (message.sender_type === "system") return t("automatic_reply");
  return (message.sender && message.sender.name) || t("someone");
}

function outgoingPreview(message) {
  if (!(message.attributes || {}).bot && message.sender && message.sender.id === boot.user.id) {
    return t("you_prefix", { text: message.content });
  }
  return t("named_prefix", { name: replyAuthor(message), text: message.content });
}

function listItem(conversation) {
  const last = conversation.last_message;
  let preview = t("no_messages_yet");
  if (last) preview = last.direction === "outgoing" ? outgoingPreview(last) : last.content;
  const who = [conversation.assignee && conversation.assignee.name, conversation.team && conversation.team.name]
    .filter(Boolean)
    .join(" · ");
  const selected = conversation.id === state.openId;
  const item = el(
    "li",
    {
      class: `conv-item${selected ? " selected" : ""}${conversation.unanswered_count ? " waiting" : ""}`,
      "data-testid": "conv-item",
      "data-conversation-id": conversation.id,
    },
    el(
      "a",
      {
        href: `/app?conversation=${conversation.id}`,
        "aria-current": selected ? "true" : false,
        onclick: (event) => {
          if (event.metaKey || event.ctrlKey || event.shiftKey) return;
          event.preventDefault();
          selectConversation(conversation.id);
        },
      },
      avatar(contactName(conversation), conversation.contact.id),
      el(
        "span",
        { class: "conv-main" },
        el(
          "span",
          { class: "conv-top" },
          el("span", { class: "conv-name" }, contactName(conversation)),
          el("time", { class: "conv-time", datetime: conversation.last_activity_at, title: formatDateTime(conversation.last_activity_at) }, relativeTime(conversation.last_activity_at)),
        ),
        el("span", { class: "conv-preview" }, preview),
        el(
          "span",
          { class: "conv-bottom" },
          el("span", { class: "conv-who" }, who || t("unassigned")),
          conversation.status !== "open" ? el("span", { class: `pill pill-${conversation.status}` }, statusLabel(conversation.status)) : null,
          conversation.unanswered_count
            ? el("span", { class: "badge", title: t("waiting_for_reply") }, String(conversation.unanswered_count))
            : null,
        ),
      ),
    ),
  );
  return item;
}

function renderList() {
  nodes.list.replaceChildren(...state.conversations.map(listItem));
  nodes.listEmpty.hidden = state.conversations.length > 0;
  renderTabs();
}

async function loadList() {
  const request = ++state.listRequest;
  const params = new URLSearchParams({ assignee: state.filter, status: state.status });
  if (state.query) params.set("q", state.query);
  try {
    const page = await api("GET", accountPath(`/conversations?${params}`));
    if (request !== state.listRequest) return; // a newer request is on its way
    state.conversations = page.items;
    state.counts = page.counts;
    renderList();
  } catch (error) {
    if (request === state.listRequest) toast(errorText(error), "error");
  }
}

let listTimer = null;
function scheduleListReload() {
  clearTimeout(listTimer);
  listTimer = setTimeout(loadList, LIST_RELOAD_DEBOUNCE_MS);
}

// -- the open conversation ---------------------------------------------------------

function showPlaceholder(text) {
  document.getElementById("main").classList.remove("has-open");
  state.open = null;
  nodes.conversation.hidden = true;
  nodes.context.hidden = true;
  nodes.placeholder.hidden = false;
  nodes.placeholderText.textContent = text;
}

function dayKey(iso) {
  const date = new Date(iso);
  return `${date.getFullYear()}-${date.getMonth()}-${date.getDate()}`;
}

function dayLabel(iso) {
  const today = new Date();
  const date = new Date(iso);
  if (dayKey(iso) === dayKey(today.toISOString())) return t("today");
  const yesterday = new Date(today.getTime() - 86400000);
  if (dayKey(iso) === dayKey(yesterday.toISOString())) return t("yesterday");
  return formatDate(iso);
}

function messageNode(message) {
  const time = el("time", { datetime: message.created_at, title: formatDateTime(message.created_at) }, formatTime(message.created_at));
  const base = { "data-testid": "msg", "data-direction": message.direction, "data-message-id": message.id };
  if (message.direction === "activity") {
    // The stored line (English, with routing's full reason) on hover.
    return el("li", { ...base, class: "msg msg-activity" }, el("span", { title: message.content }, activityText(message)), " · ", time);
  }
  const isNote = message.direction === "note";
  const author =
    message.direction === "incoming"
      ? (message.sender && message.sender.name) || (state.open ? contactName(state.open) : "")
      : replyAuthor(message);
  // Incoming messages in the reader's language, the original one click away.
  return decorateMessage(el(
    "li",
    { ...base, class: `msg msg-${message.direction}` },
    el(
      "div",
      { class: "bubble" },
      isNote ? el("span", { class: "note-label" }, lockIcon(), t("private_note")) : null,
      // A file the customer sent in the chat has its name as its text: shown once, as the file.
      (message.attributes || {}).text_is_file_name ? null : el("p", { class: "msg-text" }, message.content),
      emailDetails(message),
      replyFiles(message),
      deliveryProblem(message),
    ),
    el("div", { class: "msg-meta" }, el("span", { class: "msg-author" }, author), " · ", time, deliveryMark(message)),
  ), message);
}

function fileSize(bytes) {
  return bytes < 1024 * 1024
    ? t("size_kb", { size: Math.max(1, Math.round(bytes / 1024)) })
    : t("size_mb", { size: (bytes / (1024 * 1024)).toFixed(1) });
}

/** Files sent with a message (an agent's reply, or a file a customer sent in the
 * chat): downloads, never shown inline. */
function replyFiles(message) {
  const files = (message.attributes || {}).attachments || [];
  if (!files.length) return null;
  return el(
    "ul",
    { class: "attachments", "data-testid": "reply-files", "aria-label": t("attachments") },
    files.map((file, index) => fileItem(accountPath(`/conversations/${message.conversation_id}/messages/${message.id}/files/${index}`), file)),
  );
}

// Pictures are shown small above their link (the server serves a preview
// only when the file's bytes are PNG, JPEG, GIF or WebP); anything else is
// a download only.
const PICTURE_TYPES = ["image/png", "image/jpeg", "image/gif", "image/webp"];

/** One file of a message: a download link with its size, and a preview for a picture. */
function fileItem(href, file) {
  const picture = PICTURE_TYPES.includes(file.content_type)
    ? el("img", {
      class: "file-preview",
      src: `${href}?preview=true`,
      alt: file.filename,
      loading: "lazy",
      "data-testid": "file-preview",
      // Not a picture after all (its type was only claimed): the link stays.
      onerror: (event) => event.target.remove(),
    })
    : null;
  return el(
    "li",
    {},
    // The same download as the name's link, left out of the tab order and
    // of what a screen reader lists, so that each file is one link there.
    picture ? el("a", { href, download: file.filename, class: "file-preview-link", tabindex: "-1", "aria-hidden": "true" }, picture) : null,
    el("a", { href, download: file.filename }, file.filename),
    " ",
    el("span", { class: "muted" }, fileSize(file.size)),
  );
}

// -- files sent with a reply (e-mail and web chat conversations) ---------------------

/** The attach button is there where the channel delivers files (boot.file_channels), in reply mode. */
function refreshAttach() {
  const inbox = state.open ? state.inboxes.get(state.open.inbox_id) : null;
  const allowed = Boolean(inbox && boot.file_channels.includes(inbox.channel_type) && state.mode === "reply");
  nodes.attach.hidden = !allowed;
  if (!allowed) state.files = [];
  renderFiles();
}

function renderFiles() {
  nodes.files.replaceChildren(...state.files.map((file, index) => el(
    "li",
    { class: "chip", "data-testid": "composer-file" },
    `${file.filename} · ${fileSize(file.size)}`,
    el("button", {
      type: "button",
      class: "chip-remove",
      "aria-label": t("remove_file", { name: file.filename }),
      onclick: () => {
        state.files.splice(index, 1);
        renderFiles();
      },
    }, "×"),
  )));
}

async function uploadFiles() {
  const chosen = [...nodes.attachInput.files];
  nodes.attachInput.value = "";
  if (!state.open) return;
  const conversationId = state.open.id;
  for (const file of chosen) {
    const form = new FormData();
    form.append("file", file, file.name);
    try {
      const stored = await api("POST", accountPath(`/conversations/${conversationId}/attachments`), form);
      // The agent may have moved on to another conversation meanwhile.
      if (state.open && state.open.id === conversationId) state.files.push(stored);
    } catch (error) {
      nodes.composerError.textContent = `${file.name}: ${errorText(error)}`;
    }
  }
  renderFiles();
}

/** A mail's attachments (downloads, never shown inline) and its formatting. */
function emailDetails(message) {
  const mail = (message.attributes || {}).email;
  if (!mail) return null;
  const files = (mail.attachments || []).filter((file) => file.sha256);
  const parts = [];
  if (files.length) {
    parts.push(el(
      "ul",
      { class: "attachments", "data-testid": "attachments", "aria-label": t("attachments") },
      files.map((file, index) => fileItem(accountPath(`/conversations/${message.conversation_id}/messages/${message.id}/attachments/${index}`), file)),
    ));
  }
  if (mail.html) {
    // The mail as its sender laid it out, on request: sanitised when stored
    // (no scripts, no remote images), shown in a sandboxed frame that can
    // run nothing and reach nothing of the console.
    const frame = el("iframe", { class: "mail-html", sandbox: "", title: t("mail_formatted"), "data-testid": "mail-html", hidden: true });
    const toggle = el("button", { type: "button", class: "msg-translation-toggle", "data-testid": "mail-html-toggle" }, t("mail_show_formatted"));
    toggle.addEventListener("click", () => {
      if (!frame.srcdoc) frame.srcdoc = `<!doctype html><meta charset="utf-8"><base target="_blank"><body style="font-family:sans-serif">${mail.html}`;
      frame.hidden = !frame.hidden;
      toggle.textContent = frame.hidden ? t("mail_show_formatted") : t("mail_hide_formatted");
    });
    parts.push(el("div", { class: "mail-html-box" }, toggle, frame));
  }
  return parts;
}

/** A message changed (its translation arrived): redraw it where it is. */
function replaceMessage(message) {
  const old = nodes.timeline.querySelector(`[data-message-id="${message.id}"]`);
  if (old) old.replaceWith(messageNode(message));
}

function appendMessage(message, { scroll = true } = {}) {
  if (state.messageIds.has(message.id)) return;
  state.messageIds.add(message.id);
  const timeline = nodes.timeline;
  const nearBottom = timeline.scrollHeight - timeline.scrollTop - timeline.clientHeight < 120;
  const day = dayKey(message.created_at);
  if (day !== state.lastMessageDay) {
    state.lastMessageDay = day;
    timeline.append(el("li", { class: "day-divider" }, el("span", {}, dayLabel(message.created_at))));
  }
  timeline.append(messageNode(message));
  if (scroll && (nearBottom || message.sender_type === "user")) timeline.scrollTop = timeline.scrollHeight;
}

function renderHeader() {
  const conversation = state.open;
  $("conv-name").textContent = contactName(conversation);
  const sub = [`#${conversation.id}`, statusLabel(conversation.status)];
  const inbox = state.inboxes.get(conversation.inbox_id);
  if (inbox) sub.push(inbox.name);
  $("conv-sub").textContent = sub.join(" · ");
  $("resolve").hidden = conversation.status === "resolved";
  $("reopen").hidden = conversation.status !== "resolved";
  $("mark-pending").hidden = conversation.status !== "open";
  $("assign-me").hidden = Boolean(conversation.assignee && conversation.assignee.id === boot.user.id);
}

function fillSelect(select, options, selectedValue) {
  select.replaceChildren(
    ...options.map(([value, label]) => el("option", { value, selected: String(value) === String(selectedValue) }, label)),
  );
}

function renderAssignSelects() {
  const conversation = state.open;
  if (!conversation) return;
  const assigneeId = conversation.assignee ? conversation.assignee.id : "";
  const agents = state.agents.filter((agent) => agent.active || agent.id === assigneeId);
  const agentOptions = [["", t("nobody")]];
  for (const agent of agents) {
    const me = agent.id === boot.user.id ? ` (${t("me")})` : "";
    agentOptions.push([agent.id, `${agent.name}${me} · ${availabilityLabel(agent.availability)}`]);
  }
  if (assigneeId && !agents.some((agent) => agent.id === assigneeId)) {
    agentOptions.push([assigneeId, conversation.assignee.name || `#${assigneeId}`]);
  }
  fillSelect(nodes.assignAgent, agentOptions, assigneeId);
  const teamId = conversation.team ? conversation.team.id : "";
  const teamOptions = [["", t("no_team")], ...state.teams.map((team) => [team.id, team.name])];
  fillSelect(nodes.assignTeam, teamOptions, teamId);
  renderHandoverTargets(agents);
}

/** Where a transfer may go: the queues that route this conversation's
 * inbox (their agents can see it), the teams, the active agents. */
function renderHandoverTargets(agents) {
  const conversation = state.open;
  const group = (label, items) => (items.length ? [el("optgroup", { label }, ...items)] : []);
  const option = (value, label) => el("option", { value }, label);
  const queues = state.queues.filter((queue) => queue.inbox_ids.includes(conversation.inbox_id));
  $("handover-target").replaceChildren(
    el("option", { value: "" }, t("transfer_pick")),
    ...group(t("transfer_queues"), queues.map((queue) => option(`queue:${queue.id}`, queue.languages.length ? `${queue.name} (${queue.languages.join(", ")})` : queue.name))),
    ...group(t("transfer_teams"), state.teams.map((team) => option(`team:${team.id}`, team.name))),
    ...group(t("transfer_agents"), agents.filter((agent) => agent.active && agent.id !== boot.user.id).map((agent) => option(`agent:${agent.id}`, `${agent.name} · ${availabilityLabel(agent.availability)}`))),
  );
}

// A note nobody can translate for the taker goes only on a second, named
// click: the note and target it was shown for (anything changed asks again).
let handoverUntranslatedFor = null;

function resetHandoverWarning() {
  handoverUntranslatedFor = null;
  hideUntranslatable($("handover-warning"), $("handover-send"));
}

async function sendHandover(event) {
  event.preventDefault();
  const conversation = state.open;
  const select = $("handover-target");
  const [kind, rawId] = select.value.split(":");
  if (!conversation || !rawId) {
    select.focus();
    return;
  }
  const id = Number(rawId);
  const note = $("handover-note").value.trim() || null;
  const label = select.selectedOptions[0].textContent;
  const attempt = `${select.value}\n${note}`;
  const untranslated = handoverUntranslatedFor === attempt;
  try {
    if (kind === "queue") {
      // Routing finds the queue's best agent; the note waits for them.
      await api("PATCH", accountPath(`/routing/conversations/${conversation.id}`), { queue_id: id, note });
      updateOpen(await api("GET", accountPath(`/conversations/${conversation.id}`)));
    } else {
      const body = kind === "team" ? { team_id: id, assignee_id: null, note } : { assignee_id: id, note };
      if (untranslated) body.note_untranslated = true;
      updateOpen(await api("POST", accountPath(`/conversations/${conversation.id}/assignments`), body));
    }
    $("handover-note").value = "";
    resetHandoverWarning();
    $("handover").open = false;
    toast(t("transferred_to", { target: label }));
    scheduleListReload();
  } catch (error) {
    // Nothing was transferred: say why, in the agent's language, and offer the second action.
    if (showUntranslatable(error, $("handover-warning"), $("handover-send"))) {
      handoverUntranslatedFor = attempt;
      return;
    }
    toast(errorText(error), "error");
  }
}

function renderContext() {
  const conversation = state.open;
  const contact = conversation.contact;
  nodes.context.hidden = false;
  const avatarNode = $("ctx-avatar");
  avatarNode.replaceWith(Object.assign(avatar(contactName(conversation), contact.id, "avatar-lg"), { id: "ctx-avatar" }));
  $("ctx-name").textContent = contactName(conversation);
  $("ctx-email").textContent = contact.email || "";
  $("ctx-email-fact").textContent = contact.email || t("unknown");
  // A customer who never chose a language still writes in one: the
  // conversation's detected language stands in until they choose.
  $("ctx-language").textContent = languageName(contact.language || conversation.language);
  $("ctx-status").replaceChildren(el("span", { class: `pill pill-${conversation.status}` }, statusLabel(conversation.status)));
  $("ctx-priority").textContent = priorityLabel(conversation.priority);
  $("ctx-conv-language").textContent = languageName(conversation.language);
  const inbox = state.inboxes.get(conversation.inbox_id);
  $("ctx-inbox").textContent = inbox ? inbox.name : `#${conversation.inbox_id}`;
  $("ctx-created").textContent = formatDateTime(conversation.created_at);
  const transcript = transcriptLink(conversation);
  const previous = nodes.context.querySelector("[data-testid=transcript-link]");
  if (previous) previous.replaceWith(transcript);
  else $("ctx-created").closest(".card").append(transcript);
  renderAssignSelects();
}

// -- the ticket card: status and the next SLA deadline, counting down -------------

function duration(seconds) {
  const minutes = Math.max(1, Math.floor(Math.abs(seconds) / 60));
  if (minutes < 60) return t("duration_minutes", { minutes });
  const hours = Math.floor(minutes / 60);
  if (hours < 48) return t("duration_hours", { hours, minutes: minutes % 60 });
  return t("duration_days", { days: Math.floor(hours / 24), hours: hours % 24 });
}

function renderCountdown() {
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

function renderTicket() {
  const ticket = state.ticket;
  nodes.ticketNone.hidden = Boolean(ticket);
  nodes.ticketSome.hidden = !ticket;
  if (!ticket) return;
  $("ticket-subject").textContent = t("ticket_subject", { id: ticket.id, subject: ticket.subject });
  fillSelect(nodes.ticketStatus, TICKET_STATUSES.map((status) => [status, t(`ticket_status_${status}`)]), ticket.status);
  renderCountdown();
  renderTicketFields(ticket);
  fillSelect($("transfer-team"), state.teams.map((team) => [team.id, team.name]), ticket.team_id ?? "");
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
    scheduleListReload();
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
function showUntranslatable(error, warning, button) {
  if (!(error instanceof ApiError) || error.body.error !== "note_untranslatable") return false;
  const readers = (error.body.readers || []).map((reader) => reader.name).join(", ");
  warning.textContent = t("handover_untranslatable", { readers, language: languageName(error.body.language) });
  warning.hidden = false;
  button.textContent = t("transfer_untranslated");
  return true;
}

function hideUntranslatable(warning, button) {
  warning.hidden = true;
  warning.textContent = "";
  button.textContent = t("transfer");
}

// The summary and team a ticket transfer was warned about: only the same
// again, on the second click, goes as written.
let transferUntranslatedFor = null;

function wireTicketActions() {
  const resetTransferWarning = () => {
    transferUntranslatedFor = null;
    hideUntranslatable($("transfer-warning"), $("transfer-send"));
  };
  $("transfer-summary").addEventListener("input", resetTransferWarning);
  $("transfer-team").addEventListener("change", resetTransferWarning);
  $("transfer-form").addEventListener("submit", async (event) => {
    event.preventDefault();
    const teamId = Number($("transfer-team").value);
    const summary = $("transfer-summary").value.trim();
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
      $("transfer-summary").value = "";
      resetTransferWarning();
    }
  });
  $("merge-form").addEventListener("submit", async (event) => {
    event.preventDefault();
    const into = Number($("merge-into").value);
    if (await ticketAction("/merge", { into_ticket_id: into }, t("ticket_merged", { id: into }))) $("merge-into").value = "";
  });
  $("link-form").addEventListener("submit", async (event) => {
    event.preventDefault();
    const other = Number($("link-to").value);
    if (await ticketAction("/links", { ticket_id: other }, t("ticket_link_made", { id: other }))) $("link-to").value = "";
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

/** A routing step's rule in the reader's language, from its parts (older
 * lines carry only routing's English `rule`). */
function ruleWords(activity) {
  const parts = activity.rule_parts;
  if (!parts) return activity.rule || "";
  const needs = [];
  if (parts.language && parts.min_language_level) {
    needs.push(t("rule_language", { language: languageName(parts.language), level: parts.min_language_level }));
  }
  if (parts.skill && parts.min_skill_level) needs.push(t("rule_skill", { skill: parts.skill, skill_level: parts.min_skill_level }));
  const who = needs.length ? needs.join(t("rule_and")) : t("rule_any_agent");
  return parts.machine_translation ? t("rule_with_translation", { rule: who }) : who;
}

async function loadTicket(conversationId) {
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

async function makeTicket() {
  if (!state.open) return;
  try {
    state.ticket = await api("POST", accountPath(`/conversations/${state.open.id}/ticket`), {});
    renderTicket();
    toast(t("ticket_made", { id: state.ticket.id }));
  } catch (error) {
    toast(errorText(error), "error");
  }
}

async function changeTicketStatus() {
  if (!state.ticket) return;
  try {
    state.ticket = await api("PATCH", accountPath(`/tickets/${state.ticket.id}`), { status: nodes.ticketStatus.value });
    renderTicket();
    scheduleListReload();
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

function renderConversation() {
  renderHeader();
  renderContext();
  replyTranslation.refresh();
  refreshAttach();
}

function updateOpen(conversation) {
  if (!state.open || conversation.id !== state.open.id) return;
  state.open = conversation;
  renderConversation();
}

async function openConversation(id) {
  const request = ++state.openRequest;
  if (state.openId !== id) {
    // Another conversation: its transfer and ticket actions start folded
    // away. Done now, not when its data arrives, so that a section the
    // agent opens meanwhile stays open.
    $("handover").open = false;
    $("ticket-card").querySelector(".ticket-actions").open = false;
  }
  state.openId = id;
  // On a phone one pane shows at a time: the open conversation replaces the list.
  document.getElementById("main").classList.add("has-open");
  state.open = null;
  state.files = [];
  renderFiles();
  state.pendingMessages = [];
  state.messageIds = new Set();
  state.lastMessageDay = null;
  nodes.timeline.replaceChildren();
  nodes.composerError.textContent = "";
  try {
    const [conversation, messages] = await Promise.all([
      api("GET", accountPath(`/conversations/${id}`)),
      api("GET", accountPath(`/conversations/${id}/messages`)),
    ]);
    if (request !== state.openRequest) return;
    state.open = conversation;
    state.ticket = null;
    nodes.placeholder.hidden = true;
    nodes.conversation.hidden = false;
    renderConversation();
    renderTicket();
    loadTicket(id);
    for (const message of messages) appendMessage(message, { scroll: false });
    for (const message of state.pendingMessages) appendMessage(message, { scroll: false });
    state.pendingMessages = [];
    nodes.timeline.scrollTop = nodes.timeline.scrollHeight;
  } catch (error) {
    if (request !== state.openRequest) return;
    if (error instanceof ApiError && error.status === 404) {
      showPlaceholder(t("conversation_not_found"));
    } else {
      showPlaceholder(errorText(error));
    }
  }
  renderList();
}

function selectConversation(id, { push = true } = {}) {
  if (push) history.pushState({ conversation: id }, "", `/app?conversation=${id}`);
  openConversation(id);
}

async function refreshOpenMessages() {
  // After a reconnect: fetch what arrived while the socket was down.
  if (!state.open) return;
  const id = state.open.id;
  const known = [...state.messageIds];
  const after = known.length ? Math.max(...known) : undefined;
  try {
    const [conversation, messages] = await Promise.all([
      api("GET", accountPath(`/conversations/${id}`)),
      api("GET", accountPath(`/conversations/${id}/messages${after ? `?after_id=${after}` : ""}`)),
    ]);
    updateOpen(conversation);
    for (const message of messages) appendMessage(message);
  } catch (error) {
    if (error instanceof ApiError && error.status === 404) showPlaceholder(t("conversation_not_found"));
  }
}

// -- acting ---------------------------------------------------------------------

async function act(path, body, successText) {
  if (!state.open) return;
  try {
    const conversation = await api("POST", accountPath(`/conversations/${state.open.id}${path}`), body);
    updateOpen(conversation);
    if (successText) toast(successText);
    scheduleListReload();
  } catch (error) {
    toast(errorText(error), "error");
    if (state.open) renderAssignSelects();
  }
}

function setMode(mode) {
  state.mode = mode;
  nodes.composer.dataset.mode = mode;
  nodes.modeReply.setAttribute("aria-pressed", mode === "reply" ? "true" : "false");
  nodes.modeNote.setAttribute("aria-pressed", mode === "note" ? "true" : "false");
  nodes.input.placeholder = mode === "note" ? t("note_placeholder") : t("reply_placeholder");
  nodes.hint.textContent = mode === "note" ? t("note_hint") : t("send_hint");
  nodes.send.textContent = mode === "note" ? t("add_note") : t("send");
  replyTranslation.refresh();
  refreshAttach();
}

async function send() {
  const content = nodes.input.value.trim();
  if (!content || !state.open || state.sending) return;
  state.sending = true;
  nodes.send.disabled = true;
  nodes.composerError.textContent = "";
  try {
    const files = state.mode === "reply" ? state.files : [];
    const message = await api("POST", accountPath(`/conversations/${state.open.id}/messages`), {
      content,
      message_type: state.mode === "note" ? "note" : "outgoing",
      ...replyTranslation.body(content),
      ...(files.length ? { attachments: files } : {}),
    });
    nodes.input.value = "";
    state.files = [];
    renderFiles();
    nodes.hint.textContent = state.mode === "note" ? t("note_hint") : t("send_hint");
    const macro = state.macro;
    state.macro = null;
    if (macro && state.mode === "reply" && macro.conversationId === message.conversation_id) applyMacro(macro);
    replyTranslation.sent();
    appendMessage(message);
    scheduleListReload();
  } catch (error) {
    // The text stays in the box so nothing the agent wrote is lost.
    // A fact-check stop shows what went missing; sending again confirms.
    nodes.composerError.textContent = replyTranslation.onError(error, content) ? replyTranslation.notSentText(content) : errorText(error);
  } finally {
    state.sending = false;
    nodes.send.disabled = false;
    nodes.send.textContent = replyTranslation.sendLabel(content) || (state.mode === "note" ? t("add_note") : t("send"));
    nodes.input.focus();
  }
}

// -- live updates ------------------------------------------------------------------

function onEvent(name, data) {
  const conversation = data.conversation;
  switch (name) {
    case "message.created":
      if (conversation && state.open && conversation.id === state.open.id) {
        appendMessage(data.message);
        updateOpen(conversation);
        // A reply, a customer's message or an SLA line moves the ticket's clocks:
        // read them again (the SLA thread records its change just after).
        if (state.ticket || (data.message.attributes || {}).activity === "ticket_created") {
          setTimeout(() => loadTicket(conversation.id), 500);
        }
      } else if (conversation && conversation.id === state.openId) {
        state.pendingMessages.push(data.message);
      }
      scheduleListReload();
      break;
    case "message.updated":
      if (conversation && state.open && conversation.id === state.open.id) replaceMessage(data.message);
      break;
    case "conversation.created":
    case "conversation.assigned":
    case "conversation.status_changed":
    case "conversation.updated":
      if (conversation) updateOpen(conversation);
      scheduleListReload();
      break;
    case "conversation.hidden":
      // Reassigned out of this agent's sight: drop it, show nothing of its new state.
      if (data.conversation_id === state.openId) {
        state.openId = null;
        showPlaceholder(t("conversation_hidden"));
      }
      scheduleListReload();
      break;
    case "user.presence_changed": {
      if (data.user_id === boot.user.id) showOwnAvailability(data.availability);
      const agent = state.agents.find((item) => item.id === data.user_id);
      if (agent) {
        agent.availability = data.availability;
        renderAssignSelects();
      }
      break;
    }
    default:
      break;
  }
}

let everOffline = false;

function onConnectionState(connection, reconnected) {
  document.body.dataset.realtime = connection;
  // The first connect takes a moment on every page load; only a lost
  // connection is worth a banner.
  if (connection === "offline") everOffline = true;
  const banner = $("connection-banner");
  banner.hidden = connection === "live" || !everOffline;
  banner.textContent = connection === "offline" ? t("reconnecting") : t("connecting");
  // Every time the socket becomes live, catch up on what it could not push:
  // after a reconnect, and also at start, when the first list may have been
  // read just before the socket was listening.
  if (connection === "live") {
    loadList();
    if (reconnected) refreshOpenMessages();
  }
}

// -- wiring ---------------------------------------------------------------------

function wire() {
  $("make-ticket").addEventListener("click", makeTicket);
  nodes.ticketStatus.addEventListener("change", changeTicketStatus);
  setInterval(renderCountdown, 30_000);
  for (const tab of document.querySelectorAll("[data-filter]")) {
    tab.addEventListener("click", () => {
      state.filter = tab.dataset.filter;
      localStorage.setItem(FILTER_STORAGE_KEY, state.filter);
      renderTabs();
      loadList();
    });
  }
  nodes.statusFilter.addEventListener("change", () => {
    state.status = nodes.statusFilter.value;
    loadList();
  });
  let searchTimer = null;
  nodes.search.addEventListener("input", () => {
    clearTimeout(searchTimer);
    searchTimer = setTimeout(() => {
      state.query = nodes.search.value.trim();
      loadList();
    }, SEARCH_DEBOUNCE_MS);
  });
  nodes.composer.addEventListener("submit", (event) => {
    event.preventDefault();
    send();
  });
  nodes.input.addEventListener("keydown", (event) => {
    if (event.key === "Enter" && (event.ctrlKey || event.metaKey)) {
      event.preventDefault();
      send();
    } else if (event.key === "Escape") {
      nodes.input.blur();
    }
  });
  wireTicketActions();
  $("canned-select").addEventListener("change", (event) => {
    const id = event.target.value;
    event.target.value = "";
    insertCannedReply(id);
  });
  nodes.modeReply.addEventListener("click", () => setMode("reply"));
  nodes.modeNote.addEventListener("click", () => setMode(state.mode === "note" ? "reply" : "note"));
  nodes.attachInput.addEventListener("change", () => uploadFiles());
  $("assign-me").addEventListener("click", () => act("/assignments", { assignee_id: boot.user.id }, t("assigned_to_you")));
  $("resolve").addEventListener("click", () => act("/toggle_status", { status: "resolved" }, t("conversation_resolved")));
  $("reopen").addEventListener("click", () => act("/toggle_status", { status: "open" }, t("conversation_reopened")));
  $("mark-pending").addEventListener("click", () => act("/toggle_status", { status: "pending" }, t("conversation_pending")));
  nodes.assignAgent.addEventListener("change", () => {
    const value = nodes.assignAgent.value;
    act("/assignments", { assignee_id: value ? Number(value) : null });
  });
  $("handover-form").addEventListener("submit", sendHandover);
  // A changed note or target is asked about afresh.
  $("handover-note").addEventListener("input", resetHandoverWarning);
  $("handover-target").addEventListener("change", resetHandoverWarning);
  nodes.assignTeam.addEventListener("change", () => {
    const value = nodes.assignTeam.value;
    act("/assignments", { team_id: value ? Number(value) : null });
  });
  $("back-to-list").addEventListener("click", () => {
    history.pushState({}, "", "/app");
    state.openId = null;
    showPlaceholder(t("pick_conversation"));
    renderList();
  });
  window.addEventListener("popstate", () => {
    const id = Number(new URLSearchParams(window.location.search).get("conversation")) || null;
    if (id) openConversation(id);
    else {
      state.openId = null;
      showPlaceholder(t("pick_conversation"));
      renderList();
    }
  });
  document.addEventListener("keydown", onShortcut);
}

function moveSelection(step) {
  if (!state.conversations.length) return;
  const index = state.conversations.findIndex((item) => item.id === state.openId);
  const next = index === -1 ? 0 : Math.min(Math.max(index + step, 0), state.conversations.length - 1);
  selectConversation(state.conversations[next].id);
}

function onShortcut(event) {
  if (isTyping(event) || event.ctrlKey || event.metaKey || event.altKey || document.querySelector("dialog[open]")) return;
  const actions = {
    "/": () => nodes.search.focus(),
    j: () => moveSelection(1),
    k: () => moveSelection(-1),
    r: () => state.open && (setMode("reply"), nodes.input.focus()),
    n: () => state.open && (setMode("note"), nodes.input.focus()),
    "?": openShortcuts,
  };
  const action = actions[event.key];
  if (action) {
    event.preventDefault();
    action();
  }
}

async function loadDirectory() {
  // Agents and teams fill the assignment selects; inboxes name the channel.
  const [agents, teams, inboxes, ticketFields, queues] = await Promise.all([
    api("GET", accountPath("/agents")),
    api("GET", accountPath("/teams")),
    api("GET", accountPath("/inboxes")),
    api("GET", accountPath("/ticket_fields")),
    api("GET", accountPath("/routing/queues")),
  ]);
  state.ticketFields = ticketFields;
  state.queues = queues;
  state.agents = agents;
  state.teams = teams;
  state.inboxes = new Map(inboxes.map((inbox) => [inbox.id, inbox]));
  if (state.open) renderConversation();
}

// -- saved replies -------------------------------------------------------------------

async function loadCannedReplies() {
  const select = $("canned-select");
  const replies = await api("GET", accountPath("/canned_replies"));
  state.cannedReplies = new Map(replies.map((reply) => [String(reply.id), reply]));
  select.replaceChildren(
    el("option", { value: "" }, t("canned_pick")),
    ...replies.map((reply) => el("option", { value: reply.id }, `/${reply.shortcut} · ${reply.title}`)),
  );
  select.hidden = replies.length === 0;
}

/** A saved reply, filled in for the open conversation, goes into the reply
 * box where the cursor is. In the customer's language it goes out as
 * written; in the agent's (no version in the customer's) it is translated. */
async function insertCannedReply(id) {
  if (!state.open || !id) return;
  const conversationId = state.open.id;
  try {
    const filled = await api("GET", accountPath(`/conversations/${conversationId}/canned_replies/${id}`));
    if (!state.open) return;
    // Another conversation opened meanwhile: fill the reply in for that one.
    if (state.open.id !== conversationId) return insertCannedReply(id);
    const input = nodes.input;
    const start = input.selectionStart ?? input.value.length;
    const end = input.selectionEnd ?? input.value.length;
    input.value = input.value.slice(0, start) + filled.text + input.value.slice(end);
    input.selectionStart = input.selectionEnd = start + filled.text.length;
    // Whether it is translated is decided when it is sent, from the text
    // then in the box: the agent may still write around it in their own words.
    const customer = filled.customer_language;
    // Only worth saying when the customer reads another language than the agent.
    const languageHint = !customer || !replyTranslation.active()
      ? ""
      : filled.exact
        ? t("canned_inserted_exact", { language: languageName(filled.language) })
        : t("canned_inserted_translate", { language: languageName(customer), source: languageName(filled.language) });
    // A macro: what sending also does, said before the agent sends.
    const reply = (state.cannedReplies || new Map()).get(String(id));
    const actions = macroActionWords(reply, state.teams);
    state.macro = actions ? { id, conversationId } : null;
    nodes.hint.textContent = [languageHint, actions ? t("macro_on_send", { actions }) : ""].filter(Boolean).join(" ");
    input.dispatchEvent(new Event("input"));
    input.focus();
  } catch (error) {
    toast(errorText(error), "error");
  }
}

async function applyMacro(macro) {
  try {
    await api("POST", accountPath(`/conversations/${macro.conversationId}/canned_replies/${macro.id}/actions`), {});
    toast(t("macro_applied"));
    if (state.open && state.open.id === macro.conversationId) loadTicket(macro.conversationId);
    scheduleListReload();
  } catch (error) {
    toast(errorText(error), "error");
  }
}

async function start() {
  initShell();
  const banner = el("div", { class: "connection-banner", id: "connection-banner", role: "status", hidden: true });
  document.querySelector(".list-pane").prepend(banner);
  nodes.statusFilter.value = state.status;
  setMode("reply");
  wire();
  renderTabs();
  new RealtimeClient(onEvent, onConnectionState).start();
  const directory = loadDirectory().catch((error) => toast(errorText(error), "error"));
  loadCannedReplies().catch((error) => toast(errorText(error), "error"));
  await loadList();
  if (state.openId) {
    history.replaceState({ conversation: state.openId }, "", `/app?conversation=${state.openId}`);
    await directory;
    await openConversation(state.openId);
  }
  // Relative times ("5 min ago") age; refresh them without a reload.
  setInterval(renderList, 60000);
}

start();
