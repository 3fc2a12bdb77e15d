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
} from "../common.js";
import { RealtimeClient } from "./realtime.js";
import { decorateMessage, ReplyTranslation, transcriptLink } from "./translation.js";
import { dayKey, dayLabel, emailDetails, fileItem, fileSize, lockIcon, messageNode, replyFiles } from "./messages.js";
import { $, control, FILTER_STORAGE_KEY, FILTERS, LIST_RELOAD_DEBOUNCE_MS, nodes, SEARCH_DEBOUNCE_MS, state, TICKET_STATUSES } from "./state.js";
import { activityText, contactName, outgoingPreview, priorityLabel, replyAuthor, statusLabel } from "./words.js";
import { renderCountdown, renderTicket, showUntranslatable, hideUntranslatable, wireTicketActions, loadTicket, makeTicket, changeTicketStatus, onTicketChange } from "./ticket-card.js";
import { fillOptions } from "../kit/field.js";

// The reply box's translation preview and fact check (translation.js).
const replyTranslation = new ReplyTranslation(nodes.composer, nodes.input, () => state.open, () => state.mode);

// -- the list -----------------------------------------------------------------

function renderTabs() {
  for (const tab of /** @type {NodeListOf<HTMLElement>} */ (document.querySelectorAll("[data-filter]"))) {
    const selected = tab.dataset.filter === state.filter;
    tab.setAttribute("aria-selected", selected ? "true" : "false");
    tab.classList.toggle("active", selected);
  }
  for (const badge of /** @type {NodeListOf<HTMLElement>} */ (document.querySelectorAll("[data-count]"))) {
    const value = state.counts[badge.dataset.count];
    badge.textContent = value === undefined ? "·" : String(value);
  }
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

// -- the open conversation (messageNode and the files it shows: messages.js) -----------

function showPlaceholder(text) {
  document.getElementById("main").classList.remove("has-open");
  state.open = null;
  nodes.conversation.hidden = true;
  nodes.context.hidden = true;
  nodes.placeholder.hidden = false;
  nodes.placeholderText.textContent = text;
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
  fillOptions(nodes.assignAgent, agentOptions, assigneeId);
  const teamId = conversation.team ? conversation.team.id : "";
  const teamOptions = [["", t("no_team")], ...state.teams.map((team) => [team.id, team.name])];
  fillOptions(nodes.assignTeam, teamOptions, teamId);
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
  const select = /** @type {HTMLSelectElement} */ ($("handover-target"));
  const [kind, rawId] = select.value.split(":");
  if (!conversation || !rawId) {
    select.focus();
    return;
  }
  const id = Number(rawId);
  const note = control("handover-note").value.trim() || null;
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
    control("handover-note").value = "";
    resetHandoverWarning();
    /** @type {HTMLDetailsElement} */ ($("handover")).open = false;
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

// -- opening a conversation (its ticket card: ticket-card.js) --------------------------

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
    /** @type {HTMLDetailsElement} */ ($("handover")).open = false;
    /** @type {HTMLDetailsElement} */ ($("ticket-card").querySelector(".ticket-actions")).open = false;
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
  for (const tab of /** @type {NodeListOf<HTMLElement>} */ (document.querySelectorAll("[data-filter]"))) {
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
    const select = /** @type {HTMLSelectElement} */ (event.target);
    const id = select.value;
    select.value = "";
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
  // A ticket's status or team shows in the list: it is read again after a change.
  onTicketChange(scheduleListReload);
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
