"""The texts customers read, in their language: the chat widget, the
satisfaction survey and the support form share one gettext domain ("widget"),
so a customer sees one voice whichever page they are on. The languages are
those with a catalogue under `locales/`."""

from __future__ import annotations

from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

from babel import Locale

from dragoman.core.i18n import SOURCE_LOCALE, Catalogs, N_, negotiate_locale

LOCALES_DIR = Path(__file__).parent / "locales"
DOMAIN = "widget"


# Every text the frame shows, by the key its script uses. Placeholders in
# braces are filled in by the script.
WIDGET_TEXTS: dict[str, str] = {
    "title": N_("Chat with us"),
    "subtitle": N_("We usually reply within a few minutes"),
    "default_greeting": N_("Hi! How can we help you today?"),
    "language": N_("Language"),
    "language_current": N_("Language: {language}"),
    "close": N_("Close chat"),
    "open": N_("Open chat"),
    "unread": N_("New messages: {count}"),
    "prechat_intro": N_("Tell us a little about yourself and we will connect you with our team."),
    "name_label": N_("Your name"),
    "email_label": N_("E-mail"),
    "optional": N_("optional"),
    "email_hint": N_("So that we can follow up if you leave the page."),
    "language_label": N_("Your language"),
    "start": N_("Start chat"),
    "starting": N_("Starting…"),
    "session_expired": N_("Your previous chat could not be found. Please start a new one."),
    "messages_label": N_("Messages"),
    "empty_chat": N_("Write your question below and our team will answer here."),
    "composer_placeholder": N_("Write a message…"),
    "composer_label": N_("Your message"),
    "send": N_("Send"),
    "sending": N_("Sending…"),
    "sent": N_("Sent"),
    "not_sent": N_("Not sent"),
    "retry": N_("Try again"),
    "support_team": N_("Support team"),
    "too_long": N_("Your message is {count} characters long; the limit is {limit}. Please shorten it."),
    "empty_message": N_("Write a message first."),
    "invalid_email": N_("Please enter a valid e-mail address, or leave the field empty."),
    "rate_limited": N_("You are sending messages very quickly. Please wait a moment."),
    "attach_file": N_("Send a file"),
    "file_too_large": N_("{name} is larger than {limit} MB, the most we accept."),
    "file_empty": N_("{name} is empty."),
    "error_generic": N_("Something went wrong. Please try again."),
    "connecting": N_("Connecting…"),
    "reconnecting": N_("Connection lost. Reconnecting…"),
    "resolved": N_("This conversation has been marked as resolved. Write again any time to start a new one."),
    "new_conversation": N_("New conversation"),
    "powered_by": N_("Powered by Dragoman"),
    "unavailable": N_("This chat is not available."),
    # The satisfaction survey after a resolved conversation (dragoman.csat):
    # the invitation in the chat or the mail, and the survey page.
    "csat_invite": N_("How did we do? Please rate our help: {url}"),
    "csat_title": N_("How did we do?"),
    "csat_question": N_("How satisfied are you with the help you received?"),
    "csat_1": N_("Very unsatisfied"),
    "csat_2": N_("Unsatisfied"),
    "csat_3": N_("Neutral"),
    "csat_4": N_("Satisfied"),
    "csat_5": N_("Very satisfied"),
    "csat_comment": N_("Anything you would like to tell us? (optional)"),
    "csat_send": N_("Send my rating"),
    "csat_thanks": N_("Thank you! Your rating helps us improve."),
    "csat_pick": N_("Please choose a rating from 1 to 5."),
    "csat_missing": N_("This survey link is not valid."),
    # The support form (dragoman.tickets.web_form): a request by e-mail, as a ticket.
    "form_title": N_("Contact support"),
    "form_intro": N_("Tell us what you need and we will answer by e-mail."),
    "form_subject": N_("Subject"),
    "form_description": N_("How can we help?"),
    "form_send": N_("Send request"),
    "form_sent": N_("Thank you! We received your request #{id} and will answer at {email}."),
    "form_required": N_("Please fill in this field."),
    "form_email_invalid": N_("Please enter a valid e-mail address."),
    "form_too_many": N_("Too many requests from your address. Please try again in a few minutes."),
    "form_missing": N_("This support form is not available."),
}


@dataclass(frozen=True)
class WidgetLanguage:
    tag: str  # BCP 47, what the API stores: "zh-Hans"
    locale: str  # the catalogue's name: "zh_Hans"
    name: str  # in its own language: "中文 (简体)"
    direction: str  # "ltr" or "rtl"


@lru_cache(maxsize=1)
def widget_catalogs() -> Catalogs:
    return Catalogs(LOCALES_DIR, DOMAIN)


def bcp47(locale: str) -> str:
    return locale.replace("_", "-")


@lru_cache(maxsize=1)
def widget_languages() -> tuple[WidgetLanguage, ...]:
    """The languages the widget has catalogues for, named and directed by
    Babel's CLDR data rather than by a hand-kept list."""
    languages = []
    for locale in widget_catalogs().locales:
        cldr = Locale.parse(locale)
        name = cldr.get_display_name(cldr) or locale
        direction = "rtl" if cldr.character_order == "right-to-left" else "ltr"
        languages.append(WidgetLanguage(bcp47(locale), locale, name[:1].upper() + name[1:], direction))
    return tuple(sorted(languages, key=lambda language: (language.locale != SOURCE_LOCALE, language.tag)))


def widget_texts(locale: str) -> dict[str, str]:
    translations = widget_catalogs().get(locale)
    return {key: translations.gettext(message) for key, message in WIDGET_TEXTS.items()}


def language_for(wanted: str | None, accept_language: str | None = None) -> WidgetLanguage:
    """The widget language closest to `wanted` (a BCP 47 tag: the exact tag,
    its base, Chinese as Simplified), else the browser's choice, else English."""
    languages = widget_languages()
    by_tag = {lang.tag.lower(): lang for lang in languages}
    tag = (wanted or "").strip().lower()
    base = tag.split("-")[0]
    for candidate in (tag, base, "zh-hans" if base == "zh" else ""):
        if candidate in by_tag:
            return by_tag[candidate]
    locale = negotiate_locale(accept_language, [lang.locale for lang in languages])
    return next(lang for lang in languages if lang.locale == locale)
