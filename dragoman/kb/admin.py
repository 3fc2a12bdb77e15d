"""The knowledge base's console pages.

The admins' view of the FAQ bot (`/app/kb/bot`): per language what it
answered, what it handed over and its containment rate; the questions it
could not answer, each with a form that turns it into a new article (through
`POST .../kb/bot/exchanges/{id}/resolve`).

The article editor (`/app/kb/articles`): every article and its language
versions, edited over the REST API by its script (kb_articles.js), in the
console's catalogue.

Rendered on the server from the same services as the API; the page's script
only sends the forms. It reuses the console's base template and stylesheet.
Its words are English for now (not yet in the console's catalogue).
"""

from __future__ import annotations

from pathlib import Path
from urllib.parse import quote

import jinja2
from fastapi import APIRouter, Depends, Request
from fastapi.responses import FileResponse, HTMLResponse, RedirectResponse, Response
from sqlalchemy.orm import Session

from dragoman.accounts.auth import authenticate_request
from dragoman.core.errors import NotAuthenticated
from dragoman.core.http import get_db
from dragoman.kb import services
from dragoman.kb.models import BotOutcome
from dragoman.web.feature_pages import render_feature_page
from dragoman.web.rendering import SECURITY_HEADERS, choose_locale, feature_environment, html_lang

HERE = Path(__file__).parent
ASSETS = {"kb_admin.js": "text/javascript", "kb_articles.js": "text/javascript", "kb_admin.css": "text/css"}
ROWS = 50

router = APIRouter(include_in_schema=False)


def _environment() -> jinja2.Environment:
    return feature_environment(HERE / "templates", "/app/kb/assets")


def _percent(value: float | None) -> str:
    return "–" if value is None else f"{100 * value:.0f}%"


@router.get("/app/kb/bot")
def bot_page(request: Request, db: Session = Depends(get_db)) -> Response:
    try:
        principal = authenticate_request(request, db)
    except NotAuthenticated:
        return RedirectResponse(f"/login?next={quote(request.url.path, safe='')}", status_code=303)
    allowed = principal.viewer.sees_whole_account
    context = {
        "html_lang": html_lang(choose_locale(request, principal.user.ui_locale)),
        "allowed": allowed,
        "is_admin": principal.viewer.is_admin,
        "percent": _percent,
        "stats": {"languages": {}, "total": {}},
        "unanswered": [],
        "answered": [],
        "slugs": {},
        "config": {"account_id": principal.account_id, "csrf_token": principal.csrf_token or ""},
    }
    if allowed:
        account_id = principal.account_id
        context["stats"] = services.bot_stats(db, account_id)
        context["unanswered"] = [
            e for e in services.list_exchanges(db, account_id, outcome="handoff", unresolved=True, limit=ROWS)
            if e.reason in services.UNANSWERED_REASONS
        ]
        context["answered"] = services.list_exchanges(db, account_id, outcome=BotOutcome.answered.value, limit=ROWS)
        context["slugs"] = {a.id: a.slug for a in services.list_articles(db, account_id)}
    html = _environment().get_template("kb_bot.html").render(context)
    return HTMLResponse(html, status_code=200 if allowed else 403, headers=SECURITY_HEADERS)


@router.get("/app/kb/articles")
def articles_page(request: Request, db: Session = Depends(get_db)) -> Response:
    return render_feature_page(request, db, _environment(), "kb_articles.html", lambda principal: principal.viewer.is_admin)


@router.get("/app/kb/assets/{name}")
def bot_page_asset(name: str) -> Response:
    if name not in ASSETS:
        return Response(status_code=404)
    return FileResponse(HERE / "static" / name, media_type=ASSETS[name], headers={"Cache-Control": "no-cache"})
