"""The console's ticket list (`/app/tickets`): every ticket the reader may
see, filtered by status and assignee, with each one's next SLA deadline, so
an agent can pick the one due first and open its conversation; sorted
newest first or by that deadline, and filtered by priority, team and tag too.
Tickets ticked in the list take one change together (status, priority,
agent, a tag), through `POST /tickets/bulk` (tickets.js).

Rendered on the server from the same service as `GET /tickets`; a filter is
a plain GET form, so a view can be bookmarked (e.g. "my unsolved tickets").
Its words are the console's catalogue's; a deadline is worded as on the
console's ticket card (the same strings, the same rule)."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import replace
from datetime import datetime, timezone
from pathlib import Path
from typing import Any
from urllib.parse import urlencode

import jinja2
from fastapi import APIRouter, Depends, Request
from fastapi.responses import Response
from sqlalchemy import select
from sqlalchemy.orm import Session

from dragoman.accounts.auth import Principal
from dragoman.accounts.models import User
from dragoman.accounts.services import list_teams
from dragoman.core.clock import utcnow
from dragoman.core.errors import InvalidInput
from dragoman.core.http import get_db
from dragoman.tickets import services
from dragoman.tickets.schemas import TicketOut
from dragoman.web.feature_pages import feature_asset, render_feature_page
from dragoman.web.js_strings import JS_STRINGS
from dragoman.tickets.fields import label_for
from dragoman.web.rendering import choose_locale, feature_environment, html_lang
from dragoman.core.edge import plain_integer

HERE = Path(__file__).parent
ASSETS = {"tickets.css": "text/css", "tickets.js": "text/javascript"}
PAGE_SIZE = 50
STATUS_CHOICES = ("unsolved", "new", "open", "pending", "on_hold", "solved", "closed", "all")
# What a bulk action may set: a ticket becomes "new" only by arriving.
BULK_STATUS_CHOICES = ("open", "pending", "on_hold", "solved", "closed")
ASSIGNEE_CHOICES = ("all", "mine", "unassigned")
PRIORITY_CHOICES = ("any", *reversed(services.PRIORITY_ORDER))  # most urgent first

router = APIRouter(include_in_schema=False)


def _moment(text: str) -> datetime:
    return datetime.fromisoformat(text).astimezone(timezone.utc).replace(tzinfo=None)


def duration_words(seconds: float, gettext: Callable[[str], str]) -> str:
    """45 min, 3 h 20 min, 2 d 4 h: the console's words for a countdown. Pure."""
    minutes = max(1, int(abs(seconds) // 60))
    if minutes < 60:
        return gettext(JS_STRINGS["duration_minutes"]) % {"minutes": minutes}
    hours = minutes // 60
    if hours < 48:
        return gettext(JS_STRINGS["duration_hours"]) % {"hours": hours, "minutes": minutes % 60}
    return gettext(JS_STRINGS["duration_days"]) % {"days": hours // 24, "hours": hours % 24}


def deadline_words(ticket: TicketOut, now: datetime, gettext: Callable[[str], str]) -> tuple[str, str]:
    """The ticket's next deadline as the list shows it, and its state for the
    colour (breached, warning, ok, paused, none): the same words and the same
    rule as the console's ticket card. Pure."""
    timer = ticket.next_deadline
    if timer is None or timer.due_at is None:
        if any(t.state == "paused" for t in ticket.timers):
            return gettext(JS_STRINGS["sla_paused"]), "paused"
        return gettext(JS_STRINGS["sla_none"]), "none"
    due = _moment(timer.due_at)
    left = (due - now).total_seconds()
    metric = JS_STRINGS.get(f"sla_{timer.metric}")
    values = {"metric": gettext(metric) if metric else timer.metric, "time": duration_words(left, gettext), "at": f"{due:%Y-%m-%d %H:%M} UTC"}
    if left < 0 or timer.breached:
        return gettext(JS_STRINGS["sla_overdue"]) % values, "breached"
    warned = timer.warned or (timer.warn_at is not None and _moment(timer.warn_at) <= now)
    return gettext(JS_STRINGS["sla_due_in"]) % values, "warning" if warned else "ok"


@router.get("/app/tickets")
def tickets_page(
    request: Request,
    status: str = "unsolved",
    assignee: str = "all",
    priority: str = "any",
    team_id: str = "any",
    tag: str = "",
    order: str = "newest",
    before_id: str | None = None,
    offset: str | None = None,
    db: Session = Depends(get_db),
) -> Response:
    problem: InvalidInput | None = None
    skip = plain_integer(offset) or 0
    # What a saved view keeps (services.VIEW_FILTERS), as the address gives it.
    filters = {"status": status, "assignee": assignee, "priority": priority, "team_id": team_id, "tag": tag.strip(), "order": order}

    def page_values(principal: Principal) -> dict[str, Any]:
        nonlocal problem
        language = html_lang(choose_locale(request, principal.user.ui_locale))
        tickets: list[TicketOut] = []
        try:
            if before_id is not None and plain_integer(before_id) is None:
                raise InvalidInput("before_id must be a ticket number", field="before_id")
            if offset is not None and plain_integer(offset) is None:
                raise InvalidInput("offset must be 0 or more", field="offset")
            spec = replace(
                services.view_filter(filters),
                before_id=plain_integer(before_id),
                offset=skip,
                limit=PAGE_SIZE,
            )
            tickets = services.list_tickets(db, principal.viewer, spec)
        except InvalidInput as exc:
            problem = exc
        names = {user_id: name for user_id, name in db.execute(select(User.id, User.name).where(User.account_id == principal.account_id))}
        rows = [{"ticket": ticket, "assignee": names.get(ticket.assignee_id) if ticket.assignee_id else None} for ticket in tickets]
        now = utcnow()
        return {
            "rows": rows,
            # The template passes its gettext: the reader's language.
            "deadline_of": lambda ticket, gettext: deadline_words(ticket, now, gettext),
            "status": status,
            "assignee": assignee,
            "priority": priority,
            "team_id": team_id,
            "tag": tag.strip(),
            "teams": [(str(t.id), t.name) for t in list_teams(db, principal.account_id)],
            "order": order,
            "status_choices": STATUS_CHOICES,
            "bulk_status_choices": BULK_STATUS_CHOICES,
            "assignee_choices": ASSIGNEE_CHOICES,
            "priority_choices": PRIORITY_CHOICES,
            "order_choices": services.TICKET_ORDERS,
            # The next page: newest first pages by ticket number (stable while
            # tickets arrive); by deadline, by position (deadlines move).
            "next_page": _next_page(
                filters,
                tickets,
                skip,
            ),
            "problem": problem,
            # Saved views: each opens its filters; the one shown now is marked.
            "views": [
                (view, "/app/tickets?" + urlencode(view.filters), _same_filters(view.filters, filters))
                for view in services.list_views(db, principal.viewer)
            ],
            "filters": {key: value for key, value in filters.items() if value},
            # Each ticket field's label in the reader's language: a bulk
            # change refused for an empty required field names it so.
            "field_labels": {
                field.key: label_for(dict(field.labels or {}), language, field.key)
                for field in services.list_ticket_fields(db, principal.account_id)
            },
        }

    response = render_feature_page(request, db, _environment(), "tickets.html", lambda principal: True, context=page_values)
    if problem is not None:
        # A filter typed into the address: the page says which one, with 422.
        response.status_code = 422
    return response


def _same_filters(saved: dict[str, str], shown: dict[str, str]) -> bool:
    """Whether a view's filters are the ones shown (a filter left out is the page's default)."""
    defaults = {"status": "unsolved", "assignee": "all", "priority": "any", "team_id": "any", "tag": "", "order": "newest"}
    return {**defaults, **saved} == {**defaults, **{k: v for k, v in shown.items() if v}}


def _next_page(filters: dict[str, str], tickets: list[TicketOut], offset: int) -> str | None:
    if len(tickets) < PAGE_SIZE:
        return None
    where = dict(filters)
    if filters["order"] == "due":
        where["offset"] = str(offset + PAGE_SIZE)
    else:
        where["before_id"] = str(tickets[-1].id)
    return "/app/tickets?" + urlencode(where)


def _environment() -> jinja2.Environment:
    return feature_environment(HERE / "templates", "/app/tickets/assets")


@router.get("/app/tickets/assets/{name}")
def tickets_page_asset(name: str) -> Response:
    return feature_asset(HERE / "static", ASSETS, name)
