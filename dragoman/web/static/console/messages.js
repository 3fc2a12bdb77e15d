// How the console draws a message in the timeline: the bubble, its author and
// time, a private note's padlock, the files sent with it, a mail's
// attachments and formatted view, and a reply's delivery status (delivery.js);
// and the day separators between messages.

import { accountPath, el, formatDate, formatDateTime, formatTime, t } from "../common.js";
import { deliveryMark, deliveryProblem } from "./delivery.js";
import { state } from "./state.js";
import { decorateMessage } from "./translation.js";
import { activityText, contactName, replyAuthor } from "./words.js";

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

export { lockIcon, dayKey, dayLabel, messageNode, fileSize, replyFiles, PICTURE_TYPES, fileItem, emailDetails };
