"""The public support form: a customer with no chat open writes a request
that becomes a ticket in an e-mail inbox, answered by mail like any other.

An admin turns it on with `"web_form": true` in an e-mail inbox's settings;
the inbox then gets a public `form_token` (it says which inbox, nothing
more) and the form lives at /support/{form_token}. Texts are the widget's
catalogue, in the customer's language. Bots are kept out by a field people
never see and by a limit per address. Where the inbox acknowledges new
requests, the customer gets the same "request received" mail as by mail,
at most ACKNOWLEDGEMENTS_PER_DAY a day to one address.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from fastapi import APIRouter, Depends, Form, Query, Request
from fastapi.responses import HTMLResponse
from sqlalchemy import select
from sqlalchemy.orm import Session

from dragoman.conversations.models import Conversation
from dragoman.core.errors import InvalidInput
from dragoman.core.http import get_db
from dragoman.core.ratelimit import SlidingWindowLimiter
from dragoman.core.validation import require_email
from dragoman.customer_pages.rendering import render_customer_page
from dragoman.customer_pages.texts import WidgetLanguage, language_for, widget_languages, widget_texts
from dragoman.tickets.acknowledgement import acknowledge_request
from dragoman.inboxes.models import Inbox
from dragoman.tickets.schemas import NewTicketIn
from dragoman.tickets.services import open_ticket

router = APIRouter(include_in_schema=False)
TEMPLATES_DIR = Path(__file__).parent / "templates"
# Requests one address may send per hour through the form.
REQUESTS_PER_HOUR = 10
_limiter = SlidingWindowLimiter(REQUESTS_PER_HOUR, 3600)
# Where the inbox acknowledges new requests (settings.acknowledge), the mail
# goes to whatever address the form was given: without a limit per
# recipient, anyone could make the shop mail someone else again and again.
ACKNOWLEDGEMENTS_PER_DAY = 3
_acknowledged = SlidingWindowLimiter(ACKNOWLEDGEMENTS_PER_DAY, 24 * 3600)

def _language(request: Request, wanted: str | None) -> WidgetLanguage:
    return language_for(wanted, request.headers.get("accept-language"))


def form_inbox(db: Session, form_token: str) -> Inbox | None:
    if not 10 <= len(form_token) <= 64:
        return None
    for inbox in db.scalars(select(Inbox).where(Inbox.channel_type == "email")):
        settings = inbox.settings or {}
        if settings.get("web_form") and settings.get("form_token") == form_token:
            return inbox
    return None


def _page(language: WidgetLanguage, status_code: int = 200, **context: Any) -> HTMLResponse:
    values: dict[str, Any] = {
        "language": language,
        "languages": widget_languages(),
        "inbox": None,
        "errors": {},
        "values": {},
        "sent": None,
        "blocked": False,
        **context,
    }
    # Frameable: a company may put its support form inside its own site.
    return render_customer_page(TEMPLATES_DIR, "web_form.html", values, status_code=status_code, frameable=True)


@router.get("/support/{form_token}", response_class=HTMLResponse)
def support_form(form_token: str, request: Request, lang: str | None = Query(None), db: Session = Depends(get_db)) -> HTMLResponse:
    language = _language(request, lang)
    inbox = form_inbox(db, form_token)
    if inbox is None:
        return _page(language, 404)
    return _page(language, inbox=inbox, values={"language": language.tag})


@router.post("/support/{form_token}", response_class=HTMLResponse)
def send_request(
    form_token: str,
    request: Request,
    name: str = Form(""),
    email: str = Form(""),
    language: str = Form(""),
    subject: str = Form(""),
    description: str = Form(""),
    website: str = Form(""),  # the field people never see: only bots fill it in
    db: Session = Depends(get_db),
) -> HTMLResponse:
    page_language = _language(request, language or None)
    inbox = form_inbox(db, form_token)
    if inbox is None:
        return _page(page_language, 404)
    texts = widget_texts(page_language.locale)
    values = {"name": name, "email": email, "language": page_language.tag, "subject": subject, "description": description}
    client = request.client.host if request.client else "unknown"
    if _limiter.retry_after(client) or website:
        return _page(page_language, 429, inbox=inbox, values=values, blocked=True)
    errors: dict[str, str] = {}
    for key in ("email", "subject", "description"):
        if not values[key].strip():
            errors[key] = texts["form_required"]
    if "email" not in errors:
        try:
            require_email(email)
        except InvalidInput:
            errors["email"] = texts["form_email_invalid"]
    if not errors:
        try:
            ticket = open_ticket(
                db,
                inbox,
                NewTicketIn(
                    inbox_id=inbox.id, email=email, name=name or None, subject=subject, description=description,
                    language=page_language.tag,
                ),
                source="web_form",
            )
        except InvalidInput as error:
            db.rollback()
            key = (error.field or "description").split(".")[0]
            errors[key if key in values else "description"] = str(error)
        else:
            address = email.strip().lower()
            acknowledge = (inbox.settings or {}).get("acknowledge") is True and not _acknowledged.retry_after(address)
            if acknowledge:
                conversation = db.get(Conversation, ticket.conversation_id)
                if conversation is not None:
                    acknowledge_request(db, conversation, ticket.id)
            db.commit()
            _limiter.hit(client)
            if acknowledge:
                _acknowledged.hit(address)
            return _page(page_language, inbox=inbox, sent=texts["form_sent"].replace("{id}", str(ticket.id)).replace("{email}", email.strip()))
    return _page(page_language, 422, inbox=inbox, values=values, errors=errors)
