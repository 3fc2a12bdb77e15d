"""The demo's mail, for admins: what the e-mail inbox receives and what
customers would have received.

`POST .../demo/sample-mail` drops a realistic customer mail (a random one of
`demo/mail.py`, in its language) into the account's e-mail inbox through
the server's SMTP listener, the path any mail sent to 127.0.0.1 takes; the
page `/app/demo/mail` has the button, says how to send mail of one's own,
and lists the replies the mail catcher kept (DRAGOMAN_MAIL_CATCHER) instead
of sending them. Both exist only on an install that catches mail: elsewhere
the API answers 409 and the page says the catcher is off.
"""

from __future__ import annotations

import smtplib
from pathlib import Path
from typing import Any

import jinja2
from fastapi import APIRouter, Depends, Request
from fastapi.responses import Response
from pydantic import BaseModel
from sqlalchemy import select
from sqlalchemy.orm import Session

from dragoman.accounts.auth import Principal, admin_principal
from dragoman.channels.email.config import read_email_settings
from dragoman.core.mime import parse_email
from dragoman.channels.email.runtime import EmailRuntime
from dragoman.conversations import services as conversations
from dragoman.core.clock import isoformat, utcnow
from dragoman.core.errors import Conflict, InvalidInput, NotFound
from dragoman.core.http import AppContext, app_context, get_db
from dragoman.demo.mail import deliver_by_smtp, mail_bytes, pick_sample
from dragoman.inboxes.models import Inbox
from dragoman.tickets import services as tickets
from dragoman.web.feature_pages import feature_asset, render_feature_page
from dragoman.web.rendering import feature_environment

HERE = Path(__file__).parent
ASSETS = {"demo_mail.js": "text/javascript", "demo_mail.css": "text/css"}

router = APIRouter()


class SampleMailOut(BaseModel):
    conversation_id: int
    ticket_id: int | None
    language: str
    sender: str
    subject: str


class CaughtMailOut(BaseModel):
    caught_at: str
    sender: str
    to: str
    subject: str
    text: str
    automatic: bool


def _runtime(ctx: AppContext) -> EmailRuntime:
    return ctx.services["email"]  # type: ignore[no-any-return]


def smtp_inbox(db: Session, account_id: int) -> tuple[Inbox, str] | None:
    """The account's first e-mail inbox that receives by SMTP, and its address."""
    for inbox in db.scalars(select(Inbox).where(Inbox.account_id == account_id, Inbox.channel_type == "email").order_by(Inbox.id)):
        try:
            settings = read_email_settings(inbox.settings)
        except InvalidInput:
            continue
        if settings.receive == "smtp":
            return inbox, settings.address
    return None


def _catching(ctx: AppContext) -> str:
    """The listener's "host:port" on an install that catches mail; 409 otherwise."""
    listen = _runtime(ctx).smtp_listen
    if not ctx.settings.mail_catcher or not listen:
        raise Conflict(
            "sample mail is for an install that catches mail: start the server with DRAGOMAN_MAIL_CATCHER=true "
            "and DRAGOMAN_SMTP_LISTEN=127.0.0.1:2525 (make run does)",
        )
    return listen


@router.post(
    "/api/v1/accounts/{account_id}/demo/sample-mail",
    response_model=SampleMailOut,
    status_code=201,
    tags=["demo"],
    summary="Drop a sample customer mail into the account's e-mail inbox, through the SMTP listener (demo installs)",
)
def drop_sample_mail(request: Request, principal: Principal = Depends(admin_principal), db: Session = Depends(get_db)) -> SampleMailOut:
    ctx = app_context(request)
    listen = _catching(ctx)
    found = smtp_inbox(db, principal.account_id)
    if found is None:
        raise Conflict("this account has no e-mail inbox that receives by SMTP (settings.receive: smtp)", field="inbox")
    inbox, address = found
    # The listener stores the mail in its own transaction; this one must not
    # read from a snapshot taken before it.
    db.commit()
    sample = pick_sample()
    raw = mail_bytes(sample.name, sample.sender, address, sample.subject, sample.body, utcnow())
    try:
        deliver_by_smtp(listen, sample.sender, address, raw)
    except (smtplib.SMTPException, OSError) as error:
        raise Conflict(f"the SMTP listener at {listen} did not take the mail: {error}") from None
    message_id = parse_email(raw).message_id or ""
    stored = conversations.messages_by_source(db, inbox.id, [message_id[:255]]).get(message_id[:255])
    if stored is None:
        raise Conflict("the SMTP listener took the mail but did not store it (see the server's log)")
    ticket = tickets.ticket_for_conversation(db, stored.conversation_id)
    return SampleMailOut(
        conversation_id=stored.conversation_id,
        ticket_id=ticket.id if ticket is not None else None,
        language=sample.language,
        sender=sample.sender,
        subject=sample.subject,
    )


@router.get(
    "/api/v1/accounts/{account_id}/demo/caught-mail",
    response_model=list[CaughtMailOut],
    tags=["demo"],
    summary="The replies the mail catcher kept instead of sending them, newest first (demo installs)",
)
def caught_mail(request: Request, principal: Principal = Depends(admin_principal)) -> list[CaughtMailOut]:
    catcher = _runtime(app_context(request)).catcher
    if catcher is None:
        # Nothing to read here: as for any other thing this install does not have.
        raise NotFound("this install sends mail; it catches none (DRAGOMAN_MAIL_CATCHER is off)")
    return [
        CaughtMailOut(caught_at=isoformat(m.caught_at) or "", sender=m.sender, to=m.to, subject=m.subject, text=m.text, automatic=m.automatic)
        for m in catcher.recent(principal.account_id)
    ]


def _environment() -> jinja2.Environment:
    return feature_environment(HERE / "templates", "/app/demo/assets")


@router.get("/app/demo/mail", include_in_schema=False)
def demo_mail_page(request: Request, db: Session = Depends(get_db)) -> Response:
    ctx = app_context(request)

    def page_values(principal: Principal) -> dict[str, Any]:
        runtime = _runtime(ctx)
        found = smtp_inbox(db, principal.account_id)
        return {
            "catching": bool(ctx.settings.mail_catcher and runtime.smtp_listen),
            "listen": runtime.smtp_listen,
            "inbox": found[0] if found else None,
            "address": found[1] if found else None,
            "caught": runtime.catcher.recent(principal.account_id) if runtime.catcher is not None else [],
        }

    return render_feature_page(
        request, db, _environment(), "demo_mail.html", lambda principal: principal.viewer.is_admin, context=page_values
    )


@router.get("/app/demo/assets/{name}", include_in_schema=False)
def demo_asset(name: str) -> Response:
    return feature_asset(HERE / "static", ASSETS, name)
