// Translation in the console: each message in the agent's working language
// with the original one click away and the engine named, and the reply box's
// preview of what the customer will receive, with the fact check.
// The server decides everything (dragoman.language); this only shows it.

import { accountPath, api, ApiError, boot, el, errorText, languageName, t } from "../common.js";

const PREVIEW_DEBOUNCE_MS = 500;

export const baseLanguage = (code) => (code ? String(code).split(/[-_]/)[0].toLowerCase() : null);
export const myLanguage = () => baseLanguage(boot.user.working_language) || "en";

function engineLabel(engine, pivot) {
  const name = engine === "correction" ? t("engine_correction") : engine === "agent" ? t("engine_agent") : engine;
  return pivot ? `${name} · ${t("translated_via", { language: languageName(pivot) })}` : name;
}

/** What to show first, and the other text the toggle reveals; null when the
 * message needs no translation for this reader. */
function readable(message) {
  const attributes = message.attributes || {};
  const mine = myLanguage();
  const original = attributes.original;
  if (message.direction === "outgoing" && original && baseLanguage(original.language) === mine) {
    return {
      first: original.content,
      other: message.content,
      note: t("sent_translated", {
        language: languageName((attributes.language || {}).code),
        engine: engineLabel(original.engine, original.pivot),
      }),
      showOther: t("show_sent"),
      showFirst: t("show_mine"),
      flags: original.missing_facts || [],
    };
  }
  // A colleague's note comes translated when it was written for readers of
  // other languages (a transfer's summary); other notes are shown as written.
  const note = message.direction === "note";
  if (message.direction !== "incoming" && !note) return null;
  const written = baseLanguage((attributes.language || {}).code);
  if (!written || written === mine) return null;
  const translation = (attributes.translations || {})[mine];
  if (!translation) return note ? null : { pending: true };
  if (translation.status !== "translated") {
    const reason = translation.reason && translation.reason.includes("no engine")
      ? t("not_translated_no_engine", { pair: `${translation.from}→${translation.to}` })
      : t("not_translated");
    return { failed: reason, title: translation.reason };
  }
  return {
    first: translation.text,
    other: message.content,
    note: t("translated_from", { language: languageName(written), engine: engineLabel(translation.engine, translation.pivot) }),
    showOther: t("show_original"),
    showFirst: t("show_translation"),
    flags: translation.missing_facts || [],
  };
}

/** Puts the reader's translation into a message node built by the console. */
export function decorateMessage(node, message) {
  const view = readable(message);
  if (!view) return node;
  const text = node.querySelector(".msg-text");
  const bubble = node.querySelector(".bubble");
  if (view.pending) {
    bubble.append(el("span", { class: "msg-translation-note", "data-testid": "translation-pending" }, t("translating")));
    return node;
  }
  if (view.failed) {
    bubble.append(el("span", { class: "msg-translation-note is-missing", title: view.title || "", "data-testid": "translation-missing" }, view.failed));
    return node;
  }
  text.textContent = view.first;
  let showingFirst = true;
  const toggle = el("button", { type: "button", class: "msg-translation-toggle", "data-testid": "translation-toggle" }, view.showOther);
  toggle.addEventListener("click", () => {
    showingFirst = !showingFirst;
    text.textContent = showingFirst ? view.first : view.other;
    toggle.textContent = showingFirst ? view.showOther : view.showFirst;
    node.dataset.showing = showingFirst ? "translation" : "original";
  });
  node.dataset.showing = "translation";
  bubble.append(el("span", { class: "msg-translation-note", "data-testid": "translation-note" }, view.note, " · ", toggle));
  if (view.flags.length) {
    bubble.append(el("span", { class: "msg-translation-flag", "data-testid": "translation-flag" }, t("facts_flag", { facts: view.flags.join(", ") })));
  }
  return node;
}

/** A download of the conversation as written and in the reader's language. */
export function transcriptLink(conversation) {
  const href = accountPath(`/conversations/${conversation.id}/transcript?format=text&language=${encodeURIComponent(myLanguage())}`);
  return el("a", { href, download: "", class: "transcript-link", "data-testid": "transcript-link" }, t("bilingual_transcript"));
}

/** The reply box's translation: a switch, the preview, and the send body. */
export class ReplyTranslation {
  constructor(composer, input, getConversation, getMode) {
    this.input = input;
    this.getConversation = getConversation;
    this.getMode = getMode;
    this.confirmFor = null;
    // The server has no engine for this pair: no preview to ask for.
    this.unsupported = null;
    // The text the agent was told cannot be translated: sending it again
    // (the "Send untranslated" button) sends it as written.
    this.untranslatedFor = null;
    this.shownFor = null;
    this.request = 0;
    this.timer = null;
    this.enabled = el("input", { type: "checkbox", checked: true, "data-testid": "translate-toggle" });
    this.switchLabel = el("span", {});
    this.text = el("p", { class: "reply-preview-text", "data-testid": "reply-preview-text" });
    this.meta = el("span", { class: "reply-preview-meta" });
    this.flag = el("p", { class: "reply-preview-flag", role: "alert", "data-testid": "reply-preview-flag" });
    this.panel = el(
      "div",
      { class: "reply-preview-body", hidden: true },
      el("span", { class: "reply-preview-label" }, t("preview_label")),
      this.meta,
      this.text,
      this.flag,
    );
    this.box = el(
      "div",
      { class: "reply-preview", "data-testid": "reply-preview", hidden: true },
      el("label", { class: "reply-preview-switch" }, this.enabled, this.switchLabel),
      this.panel,
    );
    composer.insertBefore(this.box, composer.querySelector(".composer-foot"));
    input.addEventListener("input", () => this.schedule());
    this.enabled.addEventListener("change", () => this.refresh());
  }

  /** Whether replies in this conversation go out translated. */
  active() {
    const conversation = this.getConversation();
    const target = conversation && baseLanguage(conversation.language);
    return Boolean(this.getMode() === "reply" && target && target !== myLanguage());
  }

  on() {
    return this.active() && this.enabled.checked && this.unsupported !== this.getConversation().id;
  }

  /** After the conversation, its language, the mode or the switch changed. */
  refresh() {
    const active = this.active();
    this.box.hidden = !active;
    if (!active) return;
    const conversation = this.getConversation();
    this.switchLabel.textContent = t("translate_reply", { language: languageName(conversation.language) });
    this.box.classList.toggle("is-off", !this.enabled.checked);
    // Conversation updates come with every message: preview again only when
    // something that changes the translation changed.
    const key = `${conversation.id}:${conversation.language}:${this.enabled.checked}:${this.getMode()}`;
    if (key === this.shownFor) return;
    this.shownFor = key;
    this.schedule(0);
  }

  clear() {
    clearTimeout(this.timer);
    this.request += 1; // a preview still on its way must not come back
    this.panel.hidden = true;
    this.confirmFor = null;
    this.text.textContent = "";
    this.meta.textContent = "";
    this.flag.textContent = "";
  }

  schedule(delay = PREVIEW_DEBOUNCE_MS) {
    clearTimeout(this.timer);
    if (this.input.value.trim() !== this.confirmFor) this.confirmFor = null;
    if (this.input.value.trim() !== this.untranslatedFor) this.untranslatedFor = null;
    if (!this.on()) return;
    this.timer = setTimeout(() => this.preview(), delay);
  }

  async preview() {
    const content = this.input.value.trim();
    const conversation = this.getConversation();
    if (!content || !conversation || !this.on()) {
      this.clear();
      return;
    }
    const request = ++this.request;
    this.panel.hidden = false;
    this.meta.textContent = ` · ${t("translating")}`;
    try {
      const shown = await api("POST", accountPath(`/conversations/${conversation.id}/translation_preview`), { content });
      if (request !== this.request) return;
      this.show(shown);
    } catch (error) {
      if (request !== this.request) return;
      this.clear();
      this.panel.hidden = false;
      this.flag.textContent = errorText(error);
      this.noteUnsupported(error);
    }
  }

  noteUnsupported(error) {
    if (error instanceof ApiError && error.body.error === "unsupported_language_pair") {
      this.unsupported = this.getConversation().id;
      this.flag.textContent = t("untranslated_warning", { language: languageName(this.getConversation().language) });
      return true;
    }
    return false;
  }

  show(shown) {
    this.panel.hidden = false;
    this.text.textContent = shown.content || "";
    this.meta.textContent = shown.not_needed ? ` · ${t("already_in_language")}` : ` · ${engineLabel(shown.engine, shown.pivot)}`;
    this.flag.textContent = shown.needs_confirmation ? t("preview_flags", { facts: (shown.missing_facts || []).join(", ") }) : "";
  }

  /** Extra fields for POST .../messages. The server decides per send from
   * the text itself whether it needs translating; only the agent's own
   * choice for this one message (the switch off, or "Send untranslated"
   * after the warning) sends it as written. */
  body(content) {
    if (this.getMode() !== "reply") return {};
    if (this.active() && !this.enabled.checked) return { translate: false };
    if (this.untranslatedFor === content) return { translate: false };
    return { translate: true, confirm: this.confirmFor === content };
  }

  /** After a reply went out: the next one starts translated again. */
  sent() {
    this.enabled.checked = true;
    this.untranslatedFor = null;
    this.clear();
    this.refresh();
  }

  /** A 409 from the fact check: show it and let the next send confirm. True if handled. */
  onError(error, content) {
    if (this.noteUnsupported(error)) {
      this.panel.hidden = false;
      this.box.hidden = false;
      this.untranslatedFor = content;
      return true;
    }
    if (!(error instanceof ApiError) || error.status !== 409 || !error.body.preview) return false;
    this.show(error.body.preview);
    this.confirmFor = content;
    return true;
  }

  sendLabel(content) {
    if (this.untranslatedFor === content) return t("send_untranslated");
    return this.on() && this.confirmFor === content ? t("send_anyway") : null;
  }

  /** Why the last send was held back, in the agent's language. */
  notSentText(content) {
    return this.untranslatedFor === content ? t("not_sent_untranslated") : t("translation_not_sent");
  }
}
