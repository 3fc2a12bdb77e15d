"""Downloading a mail's attachments (agents who may see its conversation)."""

from __future__ import annotations

from urllib.parse import quote

from fastapi import APIRouter, Depends
from fastapi.responses import FileResponse
from sqlalchemy.orm import Session

from dragoman.accounts.auth import Principal, account_principal
from dragoman.conversations import services as conversations
from dragoman.conversations.models import Message
from dragoman.core.errors import NotFound
from dragoman.core.files import stored_file
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
    principal: Principal = Depends(account_principal),
    db: Session = Depends(get_db),
    ctx: AppContext = Depends(app_context),
) -> FileResponse:
    conversation = conversations.get_conversation(db, principal.viewer, conversation_id)
    message = db.get(Message, message_id)
    if message is None or message.conversation_id != conversation.id:
        raise NotFound(f"message {message_id} not found", field="message_id")
    attachments = ((message.attributes or {}).get("email") or {}).get("attachments") or []
    if not 0 <= index < len(attachments) or "sha256" not in attachments[index]:
        raise NotFound(f"message {message_id} has no attachment {index}", field="index")
    found = attachments[index]
    path = stored_file(ctx.settings.data_dir / "attachments", found["sha256"])
    if path is None:
        raise NotFound("the attachment's file is missing on this server", field="index")
    filename = str(found.get("filename") or "attachment")
    # Always a download, never shown inline: an HTML or SVG file from a
    # stranger must not run in the console's origin.
    return FileResponse(
        path,
        media_type="application/octet-stream",
        headers={
            "Content-Disposition": f"attachment; filename*=UTF-8''{quote(filename)}",
            "X-Content-Type-Options": "nosniff",
        },
    )
