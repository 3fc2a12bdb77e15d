"""Downloading a mail's attachments (agents who may see its conversation), pictures also as previews."""

from __future__ import annotations

from fastapi import APIRouter, Depends, Query
from fastapi.responses import FileResponse
from sqlalchemy.orm import Session

from dragoman.accounts.auth import Principal, account_principal
from dragoman.conversations import services as conversations
from dragoman.core.files import PREVIEW_DESCRIPTION, download_of
from dragoman.core.http import AppContext, app_context, get_db

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
