"""Downloading a mail's attachments (agents who may see its conversation), pictures also as previews."""

from __future__ import annotations

from fastapi import APIRouter, Depends, Query
from pydantic import BaseModel
from fastapi.responses import FileResponse
from sqlalchemy.orm import Session

from dragoman.accounts.auth import Principal, account_principal, admin_principal
from dragoman.channels.email.kind import EMAIL
from dragoman.channels.email.check import check_servers
from dragoman.channels.email.config import read_email_settings, with_clear_passwords
from dragoman.conversations import services as conversations
from dragoman.core.files import PREVIEW_DESCRIPTION, download_of
from dragoman.core.errors import InvalidInput
from dragoman.core.http import AppContext, app_context, get_db
from dragoman.core.outbound import parse_allow
from dragoman.core.secrets import SecretUnreadable
from dragoman.inboxes import services as inboxes

router = APIRouter(prefix="/api/v1/accounts/{account_id}", tags=["email"])


@router.get(
    "/conversations/{conversation_id}/messages/{message_id}/attachments/{index}",
    summary="One attachment of a received mail, as a download",
    response_class=FileResponse,
)
def download_attachment(
    conversation_id: int,
    message_id: int,
    index: int,
    preview: bool = Query(False, description=PREVIEW_DESCRIPTION),
    principal: Principal = Depends(account_principal),
    db: Session = Depends(get_db),
    ctx: AppContext = Depends(app_context),
) -> FileResponse:
    message = conversations.get_message(db, conversations.get_conversation(db, principal.viewer, conversation_id), message_id)
    attachments = ((message.attributes or {}).get("email") or {}).get("attachments") or []
    conversations.require_account_file(db, principal.account_id, attachments, index)
    return download_of(ctx.settings.data_dir / "attachments", attachments, index, f"message {message_id}", preview=preview)


class ServerCheckOut(BaseModel):
    server: str
    ok: bool
    detail: str


class ConnectionCheckOut(BaseModel):
    checks: list[ServerCheckOut]


@router.post(
    "/inboxes/{inbox_id}/test_connection",
    response_model=ConnectionCheckOut,
    tags=["inboxes"],
    summary="E-mail inboxes: try the saved IMAP mailbox and SMTP server now (nothing is read, changed or sent)",
)
def test_connection(
    inbox_id: int,
    principal: Principal = Depends(admin_principal),
    db: Session = Depends(get_db),
    ctx: AppContext = Depends(app_context),
) -> ConnectionCheckOut:
    inbox = inboxes.get_inbox(db, principal.account_id, inbox_id)
    if inbox.channel_type != EMAIL:
        raise InvalidInput("only an e-mail inbox has mail servers to try", field="inbox_id")
    try:
        settings = with_clear_passwords(read_email_settings(inbox.settings), ctx.settings.secret_key)
    except SecretUnreadable:
        raise InvalidInput("the saved passwords cannot be read (the secret key changed): enter them again", field="settings.smtp.password") from None
    # Nothing is written: the session is done before the servers are tried.
    db.rollback()
    checks = check_servers(settings, parse_allow(ctx.settings.outbound_allow))
    return ConnectionCheckOut(checks=[ServerCheckOut(server=c.server, ok=c.ok, detail=c.detail) for c in checks])
