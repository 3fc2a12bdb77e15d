// What the console knows and where it draws it: the state every part reads
// and changes, and the page's elements by role.

import { boot } from "../common.js";

export const FILTERS = ["mine", "unassigned", "my_teams", "all"];

export const FILTER_STORAGE_KEY = "dragoman.console.filter";

export const LIST_RELOAD_DEBOUNCE_MS = 150;

export const SEARCH_DEBOUNCE_MS = 250;

export const state = {
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

/** The page's element with this id (the console page always has it). */
export const $ = (/** @type {string} */ id) => /** @type {HTMLElement} */ (document.getElementById(id));

/** A form control of the page by id, whose value is read and set. */
export const control = (/** @type {string} */ id) => /** @type {HTMLInputElement} */ ($(id));

export const nodes = {
  list: /** @type {HTMLUListElement} */ ($("conv-list")),
  listEmpty: $("list-empty"),
  search: /** @type {HTMLInputElement} */ ($("search")),
  statusFilter: /** @type {HTMLSelectElement} */ ($("status-filter")),
  placeholder: $("no-selection"),
  placeholderText: $("placeholder-text"),
  conversation: $("conversation"),
  timeline: /** @type {HTMLOListElement} */ ($("timeline")),
  composer: /** @type {HTMLFormElement} */ ($("composer")),
  input: /** @type {HTMLTextAreaElement} */ ($("reply-input")),
  send: /** @type {HTMLButtonElement} */ ($("reply-send")),
  attach: $("composer-attach"),
  attachInput: /** @type {HTMLInputElement} */ ($("attach-input")),
  files: /** @type {HTMLUListElement} */ ($("composer-files")),
  hint: $("composer-hint"),
  composerError: $("composer-error"),
  modeReply: /** @type {HTMLButtonElement} */ ($("mode-reply")),
  modeNote: /** @type {HTMLButtonElement} */ ($("mode-note")),
  context: $("context"),
  assignAgent: /** @type {HTMLSelectElement} */ ($("assign-agent")),
  assignTeam: /** @type {HTMLSelectElement} */ ($("assign-team")),
  ticketNone: $("ticket-none"),
  ticketSome: $("ticket-some"),
  ticketStatus: /** @type {HTMLSelectElement} */ ($("ticket-status")),
  countdown: $("sla-countdown"),
};

export const TICKET_STATUSES = ["new", "open", "pending", "on_hold", "solved", "closed"];
