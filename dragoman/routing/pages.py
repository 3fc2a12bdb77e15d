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

import jinja2
from fastapi import APIRouter, Depends, Request
from fastapi.responses import Response
from sqlalchemy.orm import Session

from dragoman.accounts.auth import Principal
from dragoman.core.http import get_db
from dragoman.web.feature_pages import feature_asset, render_feature_page
from dragoman.web.rendering import feature_environment

HERE = Path(__file__).parent
ASSETS = {
    "wall.js": "text/javascript",
    "queues.js": "text/javascript",
    "agents.js": "text/javascript",
    "hours.js": "text/javascript",
    "routing.css": "text/css",
}
# How often the page asks for fresh figures; the wall is read from across a room.
REFRESH_SECONDS = 3

router = APIRouter(include_in_schema=False)


def _environment() -> jinja2.Environment:
    return feature_environment(HERE / "templates", "/app/routing/assets")


def _page(request: Request, db: Session, template: str, may_see: Callable[[Principal], bool]) -> Response:
    return render_feature_page(request, db, _environment(), template, may_see, {"refresh_seconds": REFRESH_SECONDS})


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
    return feature_asset(HERE / "static", ASSETS, name)
