// The chat inside the widget's frame. It works only through the public widget
// API (/widget/api/...): the REST calls to start and load a chat and to change
// language, and one WebSocket that carries messages both ways.
(() => {
  "use strict";

  const config = JSON.parse(document.getElementById("widget-config").textContent);
  const API = config.apiBase;
  const STORAGE_KEY = `dragoman.visitor.${config.websiteToken}`;
  const EMBEDDED = window.parent !== window;
  // A frame sent over a socket that looks open but has silently died gets no
  // echo; after this long the message goes over HTTP instead (the server keeps
  // one copy per client_id, so sending twice is safe).
  const ECHO_TIMEOUT_MS = 8000;
  const PING_INTERVAL_MS = 25000;
  const MAX_RECONNECT_DELAY_MS = 30000;

  const $ = (id) => document.getElementById(id);
  const ui = {
    widget: $("widget"),
    banner: $("connection-banner"),
    languageButton: $("language-button"),
    languageCode: $("language-code"),
    languageMenu: $("language-menu"),
    closeButton: $("close-button"),
    prechat: $("prechat"),
    prechatForm: $("prechat-form"),
    prechatName: $("prechat-name"),
    prechatEmail: $("prechat-email"),
    prechatEmailError: $("prechat-email-error"),
    prechatLanguage: $("prechat-language"),
    prechatNotice: $("prechat-notice"),
    prechatError: $("prechat-error"),
    prechatSubmit: $("prechat-submit"),
    prechatGreeting: $("prechat-greeting"),
    chat: $("chat"),
    messages: $("messages"),
    greetingText: $("greeting-text"),
    emptyHint: $("empty-hint"),
    composer: $("composer"),
    composerInput: $("composer-input"),
    composerError: $("composer-error"),
    attach: $("composer-attach"),
    fileInput: $("composer-file"),
  };

  const state = {
    language: config.initialLanguage,
    token: null,
    open: !EMBEDDED,
    unread: 0,
    records: [], // messages in display order
    conversationId: null,
    resolved: false,
    socket: null,
    socketOpen: false,
    reconnectDelay: 1000,
    reconnectTimer: null,
    pingTimer: null,
    noticeKey: null, // a text shown above the pre-chat form, by key
    sessionLoaded: false,
  };

  // -- storage (may be blocked: private modes, partitioned third-party frames) --

  const memoryStore = {};
  const store = {
    get() {
      try { return window.localStorage.getItem(STORAGE_KEY); } catch (_) { return memoryStore[STORAGE_KEY] || null; }
    },
    set(value) {
      try { window.localStorage.setItem(STORAGE_KEY, value); } catch (_) { memoryStore[STORAGE_KEY] = value; }
    },
    clear() {
      try { window.localStorage.removeItem(STORAGE_KEY); } catch (_) { delete memoryStore[STORAGE_KEY]; }
    },
  };

  // -- texts -----------------------------------------------------------------------

  function t(key, params) {
    const texts = config.texts[state.language] || config.texts.en;
    let text = texts[key] || config.texts.en[key] || key;
    for (const [name, value] of Object.entries(params || {})) text = text.split(`{${name}}`).join(String(value));
    return text;
  }

  function languageInfo(tag) {
    return config.languages.find((language) => language.tag === tag) || config.languages[0];
  }

  // The contact's language may have been set elsewhere (an agent, the API):
  // "pt-BR" is served by "pt", "zh" by "zh-Hans".
  function matchLanguage(tag) {
    if (!tag) return null;
    const wanted = tag.toLowerCase();
    const exact = config.languages.find((language) => language.tag.toLowerCase() === wanted);
    if (exact) return exact.tag;
    const primary = wanted.split("-")[0];
    const sameLanguage = config.languages.find((language) => language.tag.toLowerCase().split("-")[0] === primary);
    return sameLanguage ? sameLanguage.tag : null;
  }

  function applyTexts() {
    const language = languageInfo(state.language);
    document.documentElement.lang = language.tag;
    document.documentElement.dir = language.dir;
    for (const element of document.querySelectorAll("[data-i18n]")) element.textContent = t(element.dataset.i18n);
    for (const element of document.querySelectorAll("[data-i18n-placeholder]")) {
      element.placeholder = t(element.dataset.i18nPlaceholder);
    }
    for (const element of document.querySelectorAll("[data-i18n-aria-label]")) {
      element.setAttribute("aria-label", t(element.dataset.i18nAriaLabel));
    }
    for (const element of document.querySelectorAll("[data-i18n-title]")) element.title = t(element.dataset.i18nTitle);
    const greeting = config.greetings[state.language] || t("default_greeting");
    ui.greetingText.textContent = greeting;
    ui.prechatGreeting.textContent = greeting;
    ui.languageCode.textContent = language.tag.split("-")[0].toUpperCase();
    ui.languageButton.setAttribute("aria-label", t("language_current", { language: language.name }));
    for (const option of ui.languageMenu.querySelectorAll("[data-language]")) {
      option.setAttribute("aria-checked", String(option.dataset.language === state.language));
    }
    ui.prechatLanguage.value = state.language;
    if (state.noticeKey) ui.prechatNotice.textContent = t(state.noticeKey);
    for (const record of state.records) renderRecord(record);
    renderResolved();
    tellParent({ type: "labels", labels: { title: t("title"), open: t("open"), close: t("close"), unread: t("unread") } });
  }

  // -- talking to the page that embeds us ------------------------------------------

  // Only UI state crosses the frame boundary (labels, an unread count, "close"),
  // nothing private, so the target origin can be "*": the frame cannot know
  // which website embeds it.
  function tellParent(message) {
    if (EMBEDDED) window.parent.postMessage({ source: "dragoman-widget", ...message }, "*");
  }

  window.addEventListener("message", (event) => {
    if (event.source !== window.parent || !event.data || event.data.source !== "dragoman-loader") return;
    if (event.data.type === "visibility") {
      state.open = Boolean(event.data.open);
      if (state.open) {
        setUnread(0);
        focusFirstField();
      }
    }
  });

  function setUnread(count) {
    state.unread = count;
    tellParent({ type: "unread", count });
  }

  function focusFirstField() {
    if (!ui.prechat.hidden) ui.prechatName.focus();
    else if (!ui.chat.hidden) ui.composerInput.focus();
  }

  // -- HTTP --------------------------------------------------------------------------

  async function api(method, path, body) {
    const headers = { Accept: "application/json" };
    if (body !== undefined) headers["Content-Type"] = "application/json";
    if (state.token) headers["X-Visitor-Token"] = state.token;
    const response = await fetch(API + path, {
      method,
      headers,
      body: body === undefined ? undefined : JSON.stringify(body),
      credentials: "omit",
      cache: "no-store",
    });
    let data = null;
    try { data = await response.json(); } catch (_) { data = null; }
    return { ok: response.ok, status: response.status, data: data || {} };
  }

  function errorText(status, data, content) {
    if (status === 429) return t("rate_limited");
    if (data.field === "content") {
      if (content !== undefined && content.trim() === "") return t("empty_message");
      if (content !== undefined && content.length > config.maxChars) {
        return t("too_long", { count: content.length.toLocaleString(state.language), limit: config.maxChars.toLocaleString(state.language) });
      }
    }
    if (data.field === "email") return t("invalid_email");
    return t("error_generic");
  }

  // -- screens -----------------------------------------------------------------------

  function showPrechat(noticeKey) {
    state.noticeKey = noticeKey || null;
    ui.prechatNotice.hidden = !noticeKey;
    if (noticeKey) ui.prechatNotice.textContent = t(noticeKey);
    ui.prechatSubmit.disabled = false;
    ui.prechatSubmit.textContent = t("start");
    ui.chat.hidden = true;
    ui.prechat.hidden = false;
    ui.widget.dataset.state = "prechat";
  }

  function showChat() {
    state.noticeKey = null;
    ui.prechat.hidden = true;
    ui.chat.hidden = false;
    ui.widget.dataset.state = "chat";
    scrollToEnd(true);
  }

  function setBanner(key) {
    ui.banner.hidden = !key;
    ui.banner.textContent = key ? t(key) : "";
  }

  // -- messages ----------------------------------------------------------------------

  function newClientId() {
    if (window.crypto && typeof window.crypto.randomUUID === "function") return window.crypto.randomUUID();
    const bytes = new Uint8Array(16);
    window.crypto.getRandomValues(bytes);
    return Array.from(bytes, (b) => b.toString(16).padStart(2, "0")).join("");
  }

  function formatTime(iso) {
    const date = iso ? new Date(iso) : null;
    if (!date || Number.isNaN(date.getTime())) return "";
    try {
      return new Intl.DateTimeFormat(state.language, { hour: "numeric", minute: "2-digit" }).format(date);
    } catch (_) {
      return date.toLocaleTimeString();
    }
  }

  function findRecord(message) {
    return state.records.find(
      (record) => (message.id && record.id === message.id) || (message.client_id && record.clientId === message.client_id),
    );
  }

  // One place that turns a server message into a row, live or from history.
  function upsertMessage(message) {
    let record = findRecord(message);
    const isNew = !record;
    if (isNew) {
      record = { element: null };
      state.records.push(record);
    }
    Object.assign(record, {
      id: message.id,
      clientId: message.client_id || record.clientId || null,
      conversationId: message.conversation_id,
      direction: message.direction,
      content: message.content,
      senderName: message.sender_name,
      createdAt: message.created_at,
      files: message.files || [],
      file: null, // the server has it: nothing to upload again
      status: "sent",
      error: null,
    });
    clearTimeout(record.echoTimer);
    if (state.conversationId !== message.conversation_id && (state.conversationId === null || message.conversation_id > state.conversationId)) {
      state.conversationId = message.conversation_id;
      state.resolved = false;
    }
    renderRecord(record);
    return isNew;
  }

  // Web addresses and help-center paths in the team's and the bot's messages
  // become links. Built as nodes (never HTML from the text); only http(s)
  // addresses and this server's /hc/ pages, opened in a new tab.
  const LINK = /(https?:\/\/[^\s<>"']+|\/(?:hc|csat)\/[^\s<>"']+)/g;
  const TRAILING = /[.,;:!?)\]}»”'"]+$/;

  // The bot lists articles as "• Title – address" (other channels show the
  // line as it is); here the title itself is the link.
  const LISTED = /^• (.+) – (\/hc\/[^\s<>"']+|https?:\/\/[^\s<>"']+)$/;

  function linkTo(address, label) {
    const link = document.createElement("a");
    link.href = address;
    link.textContent = label;
    link.target = "_blank";
    link.rel = "noopener noreferrer";
    return link;
  }

  function appendWithLinks(element, text) {
    let last = 0;
    for (const match of text.matchAll(LINK)) {
      const address = match[0].replace(TRAILING, "");
      if (!address) continue;
      element.append(text.slice(last, match.index), linkTo(address, address));
      last = match.index + address.length;
    }
    element.append(text.slice(last));
  }

  function fillWithLinks(element, text) {
    element.replaceChildren();
    text.split("\n").forEach((line, index) => {
      if (index > 0) element.append("\n");
      const listed = line.match(LISTED);
      if (listed) element.append("• ", linkTo(listed[2], listed[1]));
      else appendWithLinks(element, line);
    });
  }

  function fileSize(bytes) {
    return bytes < 1024 * 1024 ? `${Math.max(1, Math.round(bytes / 1024))} KB` : `${(bytes / (1024 * 1024)).toFixed(1)} MB`;
  }

  // A file of the chat (the team's, or one the visitor sent): fetched with
  // the visitor's token (a plain link could not carry it), then saved under
  // its own name. Not before the server has it.
  function fileButton(record, file, index) {
    const item = document.createElement("li");
    const button = document.createElement("button");
    button.type = "button";
    button.className = "file-button";
    button.dataset.testid = "message-file";
    button.textContent = `${file.filename} · ${fileSize(file.size)}`;
    button.disabled = !record.id;
    button.addEventListener("click", async () => {
      try {
        const response = await fetch(`${API}/messages/${record.id}/files/${index}`, {
          headers: { "X-Visitor-Token": state.token },
          credentials: "omit",
          cache: "no-store",
        });
        if (!response.ok) throw new Error(String(response.status));
        const url = URL.createObjectURL(await response.blob());
        const link = document.createElement("a");
        link.href = url;
        link.download = file.filename;
        document.body.append(link);
        link.click();
        link.remove();
        setTimeout(() => URL.revokeObjectURL(url), 10000);
      } catch (_) {
        button.title = t("error_generic");
        button.classList.add("file-failed");
      }
    });
    if (file.picture && record.id) item.append(pictureOf(record, file, index));
    item.append(button);
    return item;
  }

  // A picture of the chat, shown above its button: fetched once with the
  // visitor's token (an <img> cannot send it) and kept as an object URL.
  // The server serves it only when its bytes are a picture; otherwise the
  // button alone stays.
  const pictures = new Map(); // "message/index" -> Promise of an object URL or null

  function pictureOf(record, file, index) {
    const image = document.createElement("img");
    image.className = "file-picture";
    image.alt = file.filename;
    image.dataset.testid = "message-picture";
    image.hidden = true;
    const key = `${record.id}/${index}`;
    if (!pictures.has(key)) {
      pictures.set(key, fetch(`${API}/messages/${record.id}/files/${index}?preview=true`, {
        headers: { "X-Visitor-Token": state.token },
        credentials: "omit",
      })
        .then((response) => (response.ok ? response.blob() : null))
        .then((blob) => (blob ? URL.createObjectURL(blob) : null))
        .catch(() => null));
    }
    pictures.get(key).then((url) => {
      if (!url) return;
      image.src = url;
      image.hidden = false;
    });
    return image;
  }

  function renderRecord(record) {
    let element = record.element;
    if (!element) {
      element = document.createElement("li");
      element.dataset.testid = "message";
      const sender = document.createElement("p");
      sender.className = "sender";
      const bubble = document.createElement("div");
      bubble.className = "bubble";
      // The text's own direction: a Spanish reply reads left to right in an Arabic widget.
      bubble.dir = "auto";
      const files = document.createElement("ul");
      files.className = "files";
      files.dataset.testid = "message-files";
      const meta = document.createElement("div");
      meta.className = "meta";
      element.append(sender, bubble, files, meta);
      record.element = element;
      ui.messages.append(element);
      ui.emptyHint.hidden = true;
    }
    const fromCustomer = record.direction === "incoming";
    element.className = `message ${fromCustomer ? "message-outgoing-customer" : "message-incoming"}`;
    element.dataset.direction = record.direction;
    element.dataset.state = record.status;
    if (record.clientId) element.dataset.clientId = record.clientId;
    const [sender, bubble, files, meta] = element.children;
    sender.hidden = fromCustomer;
    sender.textContent = fromCustomer ? "" : record.senderName || t("support_team");
    if (fromCustomer) bubble.textContent = record.content;
    else fillWithLinks(bubble, record.content);
    // A file the visitor sent has its name as its text: shown once, as the file.
    const sent = record.files || [];
    bubble.hidden = fromCustomer && sent.length === 1 && record.content === sent[0].filename;
    files.replaceChildren(...(record.files || []).map((file, index) => fileButton(record, file, index)));
    files.hidden = !files.children.length;
    meta.replaceChildren();
    if (record.status === "pending") {
      meta.textContent = t("sending");
    } else if (record.status === "failed") {
      const reason = document.createElement("span");
      reason.textContent = `${t("not_sent")} · ${record.error || t("error_generic")}`;
      const retry = document.createElement("button");
      retry.type = "button";
      retry.className = "retry-button";
      retry.dataset.testid = "retry";
      retry.textContent = t("retry");
      retry.addEventListener("click", () => resend(record));
      meta.append(reason, retry);
    } else {
      const time = formatTime(record.createdAt);
      meta.textContent = fromCustomer ? [time, t("sent")].filter(Boolean).join(" · ") : time;
    }
  }

  function renderResolved() {
    let line = document.getElementById("resolved-line");
    if (!state.resolved) {
      if (line) line.remove();
      return;
    }
    if (!line) {
      line = document.createElement("li");
      line.id = "resolved-line";
      line.className = "resolved-line";
      line.dataset.testid = "resolved";
      line.setAttribute("role", "status");
    }
    line.textContent = t("resolved");
    ui.messages.append(line); // always the last line
  }

  function nearEnd() {
    const list = ui.messages;
    return list.scrollHeight - list.scrollTop - list.clientHeight < 80;
  }

  function scrollToEnd(force) {
    if (force || nearEnd()) ui.messages.scrollTop = ui.messages.scrollHeight;
  }

  function showComposerError(text) {
    ui.composerError.hidden = !text;
    ui.composerError.textContent = text || "";
    ui.composerInput.setAttribute("aria-invalid", text ? "true" : "false");
  }

  function sendMessage(content) {
    if (content.trim() === "") {
      showComposerError(t("empty_message"));
      return false;
    }
    if (content.length > config.maxChars) {
      showComposerError(errorText(422, { field: "content" }, content));
      return false;
    }
    showComposerError(null);
    const record = {
      element: null, id: null, clientId: newClientId(), conversationId: state.conversationId, direction: "incoming",
      content, senderName: null, createdAt: null, status: "pending", error: null,
    };
    addPending(record);
    transmit(record);
    return true;
  }

  // A file goes over HTTP (the socket carries text frames only), as a message
  // of its own; the server's copy replaces this one by its client id.
  function sendFile(file) {
    const limitMb = Math.round(config.maxFileBytes / (1024 * 1024));
    if (file.size > config.maxFileBytes) {
      showComposerError(t("file_too_large", { name: file.name, limit: limitMb }));
      return;
    }
    if (file.size === 0) {
      showComposerError(t("file_empty", { name: file.name }));
      return;
    }
    showComposerError(null);
    const record = {
      element: null, id: null, clientId: newClientId(), conversationId: state.conversationId, direction: "incoming",
      content: file.name, files: [{ filename: file.name, size: file.size }], file,
      senderName: null, createdAt: null, status: "pending", error: null,
    };
    addPending(record);
    uploadFile(record);
  }

  async function uploadFile(record) {
    const form = new FormData();
    form.append("file", record.file, record.file.name);
    form.append("client_id", record.clientId);
    let response;
    let data = {};
    try {
      response = await fetch(`${API}/files`, {
        method: "POST",
        headers: { Accept: "application/json", "X-Visitor-Token": state.token },
        body: form,
        credentials: "omit",
        cache: "no-store",
      });
      try { data = await response.json(); } catch (_) { data = {}; }
    } catch (_) {
      markFailed(record, t("error_generic"));
      return;
    }
    if (response.ok) {
      const following = nearEnd();
      upsertMessage(data);
      scrollToEnd(following);
    } else if (response.status === 401) {
      forgetVisitor();
    } else {
      markFailed(record, errorText(response.status, data));
    }
  }

  // A message the visitor just wrote or sent, shown at once as "sending".
  function addPending(record) {
    if (state.resolved) {
      // The server starts a new conversation for this message.
      state.resolved = false;
      renderResolved();
      const divider = document.createElement("li");
      divider.className = "system-line";
      const label = document.createElement("span");
      label.textContent = t("new_conversation");
      divider.append(label);
      ui.messages.append(divider);
    }
    state.records.push(record);
    renderRecord(record);
    scrollToEnd(true);
  }

  function transmit(record) {
    clearTimeout(record.echoTimer);
    if (state.socketOpen) {
      state.socket.send(JSON.stringify({ type: "message", content: record.content, client_id: record.clientId }));
      record.echoTimer = setTimeout(() => { if (record.status === "pending") postOverHttp(record); }, ECHO_TIMEOUT_MS);
    } else {
      postOverHttp(record);
    }
  }

  async function postOverHttp(record) {
    let result;
    try {
      result = await api("POST", "/messages", { content: record.content, client_id: record.clientId });
    } catch (_) {
      return; // still pending: the socket resends it when it is back
    }
    if (result.ok) {
      const following = nearEnd();
      upsertMessage(result.data);
      scrollToEnd(following);
    } else if (result.status === 401) {
      forgetVisitor();
    } else {
      markFailed(record, errorText(result.status, result.data, record.content));
    }
  }

  function markFailed(record, text) {
    clearTimeout(record.echoTimer);
    record.status = "failed";
    record.error = text;
    renderRecord(record);
  }

  function resend(record) {
    record.status = "pending";
    record.error = null;
    renderRecord(record);
    if (record.file) uploadFile(record);
    else transmit(record);
  }

  function resendPending() {
    // A file's upload is under way or has failed with its own retry button.
    for (const record of state.records) if (record.status === "pending" && !record.file) transmit(record);
  }

  // -- the socket --------------------------------------------------------------------

  function handleFrame(frame) {
    if (frame.event === "message" && frame.message) {
      const message = frame.message;
      // Whether the visitor was reading the end is measured before the
      // message is added: a long answer (the FAQ bot's) would otherwise
      // push the end out of reach and the chat would stay where it was.
      const following = nearEnd();
      const isNew = upsertMessage(message);
      if (isNew && message.direction === "outgoing" && !state.open) setUnread(state.unread + 1);
      scrollToEnd(following || message.direction === "incoming");
    } else if (frame.event === "status") {
      if (state.conversationId === null || frame.conversation_id >= state.conversationId) {
        state.conversationId = frame.conversation_id;
        state.resolved = frame.status === "resolved";
        const following = nearEnd();
        renderResolved();
        scrollToEnd(following);
      }
    } else if (frame.event === "error") {
      const record = frame.client_id && state.records.find((r) => r.clientId === frame.client_id);
      if (record) markFailed(record, errorText(422, frame, record.content));
    }
  }

  function connect() {
    if (!state.token) return;
    clearTimeout(state.reconnectTimer);
    const scheme = window.location.protocol === "https:" ? "wss:" : "ws:";
    const socket = new WebSocket(`${scheme}//${window.location.host}${API}/ws?token=${encodeURIComponent(state.token)}`);
    state.socket = socket;
    socket.addEventListener("open", () => {
      if (state.socket !== socket) return;
      state.socketOpen = true;
      state.reconnectDelay = 1000;
      setBanner(null);
      resendPending();
      clearInterval(state.pingTimer);
      state.pingTimer = setInterval(() => socket.send('{"type":"ping"}'), PING_INTERVAL_MS);
    });
    socket.addEventListener("message", (event) => {
      try { handleFrame(JSON.parse(event.data)); } catch (error) { console.warn("dragoman widget: bad frame", error); }
    });
    socket.addEventListener("close", () => {
      if (state.socket !== socket) return;
      state.socketOpen = false;
      state.socket = null;
      clearInterval(state.pingTimer);
      if (state.token) scheduleReconnect();
    });
  }

  // A refused handshake (an invalid token) and a dropped network look the same
  // to a browser, so each reconnect first reloads the session over HTTP: that
  // tells the two apart and fetches whatever arrived while the socket was down.
  function scheduleReconnect() {
    setBanner("reconnecting");
    const delay = state.reconnectDelay * (0.8 + Math.random() * 0.4);
    state.reconnectDelay = Math.min(state.reconnectDelay * 2, MAX_RECONNECT_DELAY_MS);
    clearTimeout(state.reconnectTimer);
    state.reconnectTimer = setTimeout(async () => {
      const loaded = await loadSession();
      if (loaded) connect();
      else if (state.token) scheduleReconnect();
    }, delay);
  }

  // -- the visitor's session ---------------------------------------------------------

  function applySession(session) {
    const language = matchLanguage(session.language);
    if (language && language !== state.language) {
      state.language = language;
      applyTexts();
    }
    for (const message of session.messages) {
      // Replies that came while the socket was down count as unread too; the
      // first load is history, not news.
      const isNew = upsertMessage(message);
      if (isNew && state.sessionLoaded && message.direction === "outgoing" && !state.open) setUnread(state.unread + 1);
    }
    state.sessionLoaded = true;
    if (session.conversation_id !== null) {
      state.conversationId = session.conversation_id;
      state.resolved = session.conversation_status === "resolved";
    }
    renderResolved();
  }

  // true: loaded; false: could not reach the server (retry later).
  async function loadSession() {
    let result;
    try {
      result = await api("GET", "/session");
    } catch (_) {
      return false;
    }
    if (result.status === 401) {
      forgetVisitor();
      return false;
    }
    if (!result.ok) return false;
    applySession(result.data);
    return true;
  }

  function forgetVisitor() {
    store.clear();
    state.token = null;
    if (state.socket) state.socket.close();
    state.socket = null;
    state.socketOpen = false;
    clearTimeout(state.reconnectTimer);
    for (const record of state.records) if (record.element) record.element.remove();
    for (const divider of ui.messages.querySelectorAll(".system-line")) divider.remove();
    state.records = [];
    state.conversationId = null;
    state.resolved = false;
    state.sessionLoaded = false;
    renderResolved();
    ui.emptyHint.hidden = false;
    setBanner(null);
    showPrechat("session_expired");
  }

  async function startChat(event) {
    event.preventDefault();
    ui.prechatError.hidden = true;
    ui.prechatEmailError.hidden = true;
    ui.prechatEmail.removeAttribute("aria-invalid");
    const email = ui.prechatEmail.value.trim();
    if (email && !ui.prechatEmail.checkValidity()) {
      showEmailError();
      return;
    }
    ui.prechatSubmit.disabled = true;
    ui.prechatSubmit.textContent = t("starting");
    let result;
    try {
      result = await api("POST", `/${encodeURIComponent(config.websiteToken)}/visitors`, {
        name: ui.prechatName.value.trim() || null,
        email: email || null,
        language: state.language,
      });
    } catch (_) {
      result = { ok: false, status: 0, data: {} };
    }
    ui.prechatSubmit.disabled = false;
    ui.prechatSubmit.textContent = t("start");
    if (!result.ok) {
      if (result.data.field === "email") showEmailError();
      else {
        ui.prechatError.textContent = errorText(result.status, result.data);
        ui.prechatError.hidden = false;
      }
      return;
    }
    state.token = result.data.visitor_token;
    state.sessionLoaded = true;
    store.set(state.token);
    showChat();
    connect();
    ui.composerInput.focus();
  }

  function showEmailError() {
    ui.prechatEmailError.textContent = t("invalid_email");
    ui.prechatEmailError.hidden = false;
    ui.prechatEmail.setAttribute("aria-invalid", "true");
    ui.prechatEmail.focus();
  }

  // -- language ----------------------------------------------------------------------

  async function changeLanguage(tag) {
    if (!config.texts[tag] || tag === state.language) return;
    state.language = tag;
    applyTexts();
    if (!state.token) return;
    try {
      const result = await api("PATCH", "/visitor", { language: tag });
      if (result.status === 401) forgetVisitor();
      else if (!result.ok) showComposerError(t("error_generic"));
    } catch (_) {
      showComposerError(t("error_generic"));
    }
  }

  function openLanguageMenu() {
    ui.languageMenu.hidden = false;
    ui.languageButton.setAttribute("aria-expanded", "true");
    const current = ui.languageMenu.querySelector('[aria-checked="true"]') || ui.languageMenu.querySelector("button");
    current.focus();
  }

  function closeLanguageMenu(returnFocus) {
    if (ui.languageMenu.hidden) return;
    ui.languageMenu.hidden = true;
    ui.languageButton.setAttribute("aria-expanded", "false");
    if (returnFocus) ui.languageButton.focus();
  }

  ui.languageButton.addEventListener("click", () => {
    if (ui.languageMenu.hidden) openLanguageMenu();
    else closeLanguageMenu(true);
  });

  ui.languageMenu.addEventListener("click", (event) => {
    const option = event.target.closest("[data-language]");
    if (!option) return;
    closeLanguageMenu(true);
    changeLanguage(option.dataset.language);
  });

  ui.languageMenu.addEventListener("keydown", (event) => {
    const options = Array.from(ui.languageMenu.querySelectorAll("[data-language]"));
    const index = options.indexOf(document.activeElement);
    const moves = { ArrowDown: 1, ArrowUp: -1, Home: -index, End: options.length - 1 - index };
    if (event.key in moves) {
      event.preventDefault();
      options[(index + moves[event.key] + options.length) % options.length].focus();
    } else if (event.key === "Tab") {
      closeLanguageMenu(false);
    }
  });

  document.addEventListener("click", (event) => {
    if (!ui.languageMenu.hidden && !event.target.closest(".language-picker")) closeLanguageMenu(false);
  });

  document.addEventListener("keydown", (event) => {
    if (event.key !== "Escape") return;
    if (!ui.languageMenu.hidden) closeLanguageMenu(true);
    else if (EMBEDDED) tellParent({ type: "close" });
  });

  // -- wiring ------------------------------------------------------------------------

  ui.prechatForm.addEventListener("submit", startChat);
  ui.prechatLanguage.addEventListener("change", () => changeLanguage(ui.prechatLanguage.value));

  if (config.acceptsFiles) {
    ui.attach.addEventListener("click", () => ui.fileInput.click());
    ui.fileInput.addEventListener("change", () => {
      const [file] = ui.fileInput.files;
      ui.fileInput.value = "";
      if (file) sendFile(file);
      ui.composerInput.focus();
    });
    // A screenshot pasted into the message box, or files dropped on the
    // chat, are sent as the paperclip sends them (each a message of its own).
    ui.composerInput.addEventListener("paste", (event) => {
      const files = [...((event.clipboardData && event.clipboardData.files) || [])];
      if (!files.length) return; // text is pasted as text
      event.preventDefault();
      files.forEach(sendFile);
    });
    const carriesFiles = (event) => event.dataTransfer && [...event.dataTransfer.types].includes("Files");
    ui.chat.addEventListener("dragover", (event) => {
      if (!carriesFiles(event)) return;
      event.preventDefault();
      ui.chat.classList.add("dropping");
    });
    ui.chat.addEventListener("dragleave", (event) => {
      if (!ui.chat.contains(event.relatedTarget)) ui.chat.classList.remove("dropping");
    });
    ui.chat.addEventListener("drop", (event) => {
      ui.chat.classList.remove("dropping");
      if (!carriesFiles(event)) return;
      event.preventDefault();
      [...event.dataTransfer.files].forEach(sendFile);
    });
  }

  ui.composer.addEventListener("submit", (event) => {
    event.preventDefault();
    if (sendMessage(ui.composerInput.value)) {
      ui.composerInput.value = "";
      autoGrow();
    }
    ui.composerInput.focus();
  });

  // Enter sends, Shift+Enter is a new line; not while an input method is
  // composing (Chinese, Japanese and Korean typing confirm with Enter).
  ui.composerInput.addEventListener("keydown", (event) => {
    if (event.key === "Enter" && !event.shiftKey && !event.isComposing) {
      event.preventDefault();
      ui.composer.requestSubmit();
    }
  });

  function autoGrow() {
    ui.composerInput.style.height = "auto";
    ui.composerInput.style.height = `${Math.min(ui.composerInput.scrollHeight + 2, 140)}px`;
  }
  ui.composerInput.addEventListener("input", () => {
    autoGrow();
    if (!ui.composerError.hidden && ui.composerInput.value.length <= config.maxChars) showComposerError(null);
  });

  if (EMBEDDED) {
    ui.closeButton.hidden = false;
    ui.closeButton.addEventListener("click", () => tellParent({ type: "close" }));
  }

  async function start() {
    applyTexts();
    state.token = store.get();
    if (!state.token) {
      showPrechat(null);
      return;
    }
    showChat();
    setBanner("connecting");
    if (await loadSession()) {
      setBanner(null);
      scrollToEnd(true);
      connect();
    } else if (state.token) {
      scheduleReconnect();
    }
  }

  start();
})();
