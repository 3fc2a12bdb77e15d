"""What a website visitor sees: the widget loader script, the chat UI inside
the widget's frame, and the demo store that embeds it.

The loader (`/widget.js`) only adds a launcher button and an iframe; the whole
chat lives in the frame (`/widget/{website_token}`), so the host page's CSS and
scripts cannot reach it. The frame's script talks to the widget API in
`routes.py` like any other client would.

The widget's texts are a gettext domain of their own ("widget"). The frame
receives every catalogue at once (a few dozen short strings per language), so
the customer can switch language without a round trip.
"""

from __future__ import annotations

import hashlib
import re
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path
from typing import Any

import jinja2
from babel import Locale
from fastapi import APIRouter, Depends, Request
from fastapi.responses import FileResponse, HTMLResponse, Response
from sqlalchemy.orm import Session

from dragoman.conversations.services import MAX_MESSAGE_CHARS
from dragoman.channels.webchat.services import accepts_customer_files
from dragoman.core.errors import NotFound
from dragoman.core.files import MAX_FILE_BYTES
from dragoman.core.http import get_db
from dragoman.core.i18n import SOURCE_LOCALE, Catalogs, N_, negotiate_locale
from dragoman.demo.seed import DEMO_PASSWORD, demo_website_token
from dragoman.inboxes.models import Inbox
from dragoman.inboxes.services import get_inbox_by_website_token

router = APIRouter(include_in_schema=False)

WEBCHAT_DIR = Path(__file__).parent
TEMPLATES_DIR = WEBCHAT_DIR / "templates"
STATIC_DIR = WEBCHAT_DIR / "static"
LOCALES_DIR = WEBCHAT_DIR / "locales"
DOMAIN = "widget"
ASSET_PREFIX = "/widget/assets"
# Files the frame and the demo page load; nothing else under static/ is served.
ASSETS = {"chat.css": "text/css", "chat.js": "text/javascript", "demo.css": "text/css", "page.css": "text/css"}
LOADER_FILE = "loader.js"


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

# The frame may be embedded by any customer's website, so it allows every
# frame ancestor; the rest is as strict as the console: no inline script, and
# nothing loaded from elsewhere.
FRAME_SECURITY_HEADERS = {
    "Content-Security-Policy": (
        # blob: for pictures of the chat, fetched with the visitor's token
        # (only ones whose bytes the server found to be PNG, JPEG, GIF, WebP).
        "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data: blob:; "
        "connect-src 'self'; base-uri 'none'; form-action 'none'; frame-ancestors *"
    ),
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "no-referrer",
    "Cache-Control": "no-store",
}
DEMO_SECURITY_HEADERS = {
    "Content-Security-Policy": (
        "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; "
        "frame-src 'self'; base-uri 'self'; form-action 'self'; frame-ancestors 'none'"
    ),
    "X-Content-Type-Options": "nosniff",
    "Cache-Control": "no-store",
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


def greeting_for(inbox: Inbox, language: WidgetLanguage) -> str:
    """The inbox's greeting in one language.

    `settings["greeting"]` is either one text, translated through the widget
    catalogue when it is a text the catalogue knows (the default greeting is),
    or a mapping of language tags to texts, for admins who write their own."""
    greeting = (inbox.settings or {}).get("greeting")
    if isinstance(greeting, dict):
        texts = {str(tag).lower().replace("_", "-"): str(text) for tag, text in greeting.items() if text}
        tag = language.tag.lower()
        for candidate in (tag, tag.split("-")[0], SOURCE_LOCALE):
            if candidate in texts:
                return texts[candidate]
        return next(iter(texts.values()), "")
    if isinstance(greeting, str):
        return widget_catalogs().get(language.locale).gettext(greeting) if greeting.strip() else ""
    return ""


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


def customer_page_headers(*, frameable: bool) -> dict[str, str]:
    """A script-free page for customers (the survey, the support form); a
    frameable one may sit in a company's own site."""
    ancestors = "*" if frameable else "'none'"
    return {
        "Content-Security-Policy": (
            "default-src 'self'; script-src 'none'; style-src 'self'; img-src 'self' data:; "
            f"base-uri 'none'; form-action 'self'; frame-ancestors {ancestors}"
        ),
        "X-Content-Type-Options": "nosniff",
        "Referrer-Policy": "no-referrer",
        "Cache-Control": "no-store",
    }


@lru_cache(maxsize=None)
def _page_environment(template_dir: Path) -> jinja2.Environment:
    return jinja2.Environment(loader=jinja2.FileSystemLoader(template_dir), autoescape=True, undefined=jinja2.StrictUndefined)


def render_customer_page(
    template_dir: Path, template: str, context: dict[str, Any], *, status_code: int = 200, frameable: bool = False
) -> HTMLResponse:
    """A customer page of another feature, in the widget's language and style:
    `language` and `texts` (the widget catalogue) and `css` are added to `context`."""
    language: WidgetLanguage = context["language"]
    values = {"texts": widget_texts(language.locale), "css": asset_url("page.css"), **context}
    html = _page_environment(template_dir).get_template(template).render(values)
    return HTMLResponse(html, status_code=status_code, headers=customer_page_headers(frameable=frameable))


@lru_cache(maxsize=None)
def _asset_version(name: str) -> str:
    # A digest of the file, so a long cache never serves yesterday's script
    # with today's page; computed once per process.
    return hashlib.sha256((STATIC_DIR / name).read_bytes()).hexdigest()[:12]


def asset_url(name: str) -> str:
    return f"{ASSET_PREFIX}/{name}?v={_asset_version(name)}"


@lru_cache(maxsize=1)
def _environment() -> jinja2.Environment:
    environment = jinja2.Environment(
        loader=jinja2.FileSystemLoader(TEMPLATES_DIR),
        autoescape=True,
        undefined=jinja2.StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
    )
    environment.globals["asset_url"] = asset_url
    return environment


def _render(template: str, context: dict[str, Any], headers: dict[str, str], status_code: int = 200) -> HTMLResponse:
    html = _environment().get_template(template).render(context)
    return HTMLResponse(html, status_code=status_code, headers=headers)


def frame_config(inbox: Inbox, website_token: str, initial: WidgetLanguage) -> dict[str, Any]:
    """What the frame's script needs, embedded in the page as JSON data."""
    languages = widget_languages()
    return {
        "websiteToken": website_token,
        "apiBase": "/widget/api",
        "inboxName": inbox.name,
        "maxChars": MAX_MESSAGE_CHARS,
        # Files from visitors: only where the inbox accepts them (settings.customer_files).
        "acceptsFiles": accepts_customer_files(inbox),
        "maxFileBytes": MAX_FILE_BYTES,
        "initialLanguage": initial.tag,
        "languages": [{"tag": lang.tag, "name": lang.name, "dir": lang.direction} for lang in languages],
        "texts": {lang.tag: widget_texts(lang.locale) for lang in languages},
        "greetings": {lang.tag: greeting_for(inbox, lang) for lang in languages},
    }


def initial_language(request: Request) -> WidgetLanguage:
    """The browser's language until the visitor picks one (the frame then
    follows the stored choice)."""
    languages = widget_languages()
    locale = negotiate_locale(request.headers.get("accept-language"), [lang.locale for lang in languages])
    return next(lang for lang in languages if lang.locale == locale)


# -- routes ---------------------------------------------------------------------

_WEBSITE_TOKEN = re.compile(r"^[A-Za-z0-9_-]{1,64}$")


@router.get("/widget.js")
def widget_loader() -> FileResponse:
    # Short cache: websites embed this URL for years and must pick up fixes.
    return FileResponse(
        STATIC_DIR / LOADER_FILE,
        media_type="text/javascript; charset=utf-8",
        headers={"Cache-Control": "public, max-age=300", "X-Content-Type-Options": "nosniff"},
    )


@router.get(ASSET_PREFIX + "/{name}")
def widget_asset(name: str) -> FileResponse:
    media_type = ASSETS.get(name)
    if media_type is None:
        raise NotFound("no such widget asset", field="name")
    return FileResponse(
        STATIC_DIR / name,
        media_type=f"{media_type}; charset=utf-8",
        headers={"Cache-Control": "public, max-age=86400", "X-Content-Type-Options": "nosniff"},
    )


@router.get("/widget/{website_token}", response_class=HTMLResponse)
def widget_frame(website_token: str, request: Request, db: Session = Depends(get_db)) -> HTMLResponse:
    language = initial_language(request)
    try:
        if not _WEBSITE_TOKEN.match(website_token):
            raise NotFound("no chat inbox has this website token", field="website_token")
        inbox = get_inbox_by_website_token(db, website_token)
    except NotFound:
        # Shown inside a customer's page: a readable line, not a JSON error.
        context = {"language": language, "texts": widget_texts(language.locale)}
        return _render("widget_missing.html", context, FRAME_SECURITY_HEADERS, status_code=404)
    config = frame_config(inbox, website_token, language)
    context = {
        "language": language,
        "languages": widget_languages(),
        "texts": config["texts"][language.tag],
        "greeting": config["greetings"][language.tag],
        "accepts_files": config["acceptsFiles"],
        "config": config,
    }
    return _render("widget.html", context, FRAME_SECURITY_HEADERS)


@router.get("/demo", response_class=HTMLResponse)
def demo_store(db: Session = Depends(get_db)) -> Response:
    context = {"website_token": demo_website_token(db), "demo_password": DEMO_PASSWORD}
    return _render("demo.html", context, DEMO_SECURITY_HEADERS)
