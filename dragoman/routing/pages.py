"""Routing's pages: the supervisors' live wall (every queue and language:
waiting, longest wait, agents online / busy / away, share answered within the
target; refreshed from `GET .../routing/wall` every few seconds), and the
admins' editors of queues and of agents' skills, capacities and working
hours (over the same REST API).

They live here rather than in `web/` so routing owns them; they reuse the
console's stylesheet, base template, catalogue and sign-in.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from urllib.parse import quote

import jinja2
from fastapi import APIRouter, Depends, Request
from fastapi.responses import FileResponse, HTMLResponse, RedirectResponse, Response
from sqlalchemy.orm import Session

from dragoman.accounts.auth import Principal, authenticate_request
from dragoman.core.errors import NotAuthenticated
from dragoman.core.http import get_db
from dragoman.web.rendering import SECURITY_HEADERS, choose_locale, feature_environment, html_lang, translations_for

HERE = Path(__file__).parent
ASSETS = {
    "wall.js": "text/javascript",
    "queues.js": "text/javascript",
    "agents.js": "text/javascript",
    "forms.js": "text/javascript",
    "routing.css": "text/css",
}
# How often the page asks for fresh figures; the wall is read from across a room.
REFRESH_SECONDS = 3

router = APIRouter(include_in_schema=False)


def _environment() -> jinja2.Environment:
    return feature_environment(HERE / "templates", "/app/routing/assets")


def _page(request: Request, db: Session, template: str, may_see: Callable[[Principal], bool]) -> Response:
    try:
        principal = authenticate_request(request, db)
    except NotAuthenticated:
        return RedirectResponse(f"/login?next={quote(request.url.path, safe='')}", status_code=303)
    locale = choose_locale(request, principal.user.ui_locale)
    translations = translations_for(locale)
    allowed = may_see(principal)
    html = _environment().get_template(template).render(
        locale=locale,
        html_lang=html_lang(locale),
        gettext=translations.gettext,
        ngettext=translations.ngettext,
        allowed=allowed,
        user=principal.user,
        config={
            "account_id": principal.account_id,
            "refresh_seconds": REFRESH_SECONDS,
            "lang": html_lang(locale),
            # Changes made with the session cookie carry this header.
            "csrf_token": principal.csrf_token,
        },
    )
    return HTMLResponse(html, status_code=200 if allowed else 403, headers=SECURITY_HEADERS)


@router.get("/app/routing/wall")
def wall_page(request: Request, db: Session = Depends(get_db)) -> Response:
    return _page(request, db, "wall.html", lambda principal: principal.viewer.sees_whole_account)


@router.get("/app/routing/queues")
def queues_page(request: Request, db: Session = Depends(get_db)) -> Response:
    """Admins set queues: inboxes, teams, languages, steps, strategy, hours,
    holidays, overflow. Everything goes through the same REST API."""
    return _page(request, db, "queues.html", lambda principal: principal.viewer.is_admin)


@router.get("/app/routing/agents")
def agents_page(request: Request, db: Session = Depends(get_db)) -> Response:
    """Admins set what routing knows of each agent: skills and levels,
    capacity per channel, working hours and public holidays."""
    return _page(request, db, "agents.html", lambda principal: principal.viewer.is_admin)


@router.get("/app/routing/assets/{name}")
def wall_asset(name: str) -> Response:
    if name not in ASSETS:
        return Response(status_code=404)
    return FileResponse(HERE / "static" / name, media_type=ASSETS[name], headers={"Cache-Control": "no-cache"})
