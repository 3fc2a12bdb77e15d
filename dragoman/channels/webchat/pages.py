"""What a website visitor sees: the widget loader script, the chat UI inside
the widget's frame, and the demo store that embeds it.

The loader (`/widget.js`) only adds a launcher button and an iframe; the whole
chat lives in the frame (`/widget/{website_token}`), so the host page's CSS and
scripts cannot reach it. The frame's script talks to the widget API in
`routes.py` like any other client would.

The widget's texts are the customer pages' gettext domain ("widget", in
`dragoman.customer_pages`). The frame receives every catalogue at once (a few
dozen short strings per language), so the customer can switch language
without a round trip.
"""

from __future__ import annotations

import hashlib
import re
from functools import lru_cache
from pathlib import Path
from typing import Any

import jinja2
from fastapi import APIRouter, Depends, Request
from fastapi.responses import FileResponse, HTMLResponse, Response
from sqlalchemy.orm import Session

from dragoman.conversations.services import MAX_MESSAGE_CHARS
from dragoman.channels.webchat.services import accepts_customer_files
from dragoman.core.errors import NotFound
from dragoman.core.files import MAX_FILE_BYTES
from dragoman.core.http import AppContext, app_context, get_db
from dragoman.core.i18n import SOURCE_LOCALE, negotiate_locale
from dragoman.customer_pages.texts import WidgetLanguage, widget_catalogs, widget_languages, widget_texts
from dragoman.inboxes.models import Inbox
from dragoman.inboxes.services import get_inbox_by_website_token

router = APIRouter(include_in_schema=False)

WEBCHAT_DIR = Path(__file__).parent
TEMPLATES_DIR = WEBCHAT_DIR / "templates"
STATIC_DIR = WEBCHAT_DIR / "static"
ASSET_PREFIX = "/widget/assets"
# Files the frame and the demo page load; nothing else under static/ is served.
ASSETS = {"chat.css": "text/css", "chat.js": "text/javascript", "demo.css": "text/css"}
LOADER_FILE = "loader.js"


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
def demo_store(db: Session = Depends(get_db), ctx: AppContext = Depends(app_context)) -> Response:
    # The demo's data comes from demo/feature.py (demo/showroom.py): this page imports none.
    showroom = ctx.services["showroom"]
    context = {"website_token": showroom.website_token(db), "demo_password": showroom.password}
    return _render("demo.html", context, DEMO_SECURITY_HEADERS)
