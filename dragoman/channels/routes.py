"""The channel framework's API: the channel kinds an inbox can be (with the
settings form the console draws from each kind's schema), and an agent's
"send again" for a reply whose delivery failed."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Depends
from sqlalchemy.orm import Session

from dragoman.accounts.auth import Principal, account_principal, current_principal
from dragoman.channels.delivery import retry_delivery
from dragoman.conversations import services as conversations
from dragoman.conversations.schemas import MessageOut
from dragoman.core.http import get_db
from dragoman.inboxes import channel_kinds

router = APIRouter(tags=["channels"])


@router.get("/api/v1/channel_kinds", summary="The channel kinds an inbox can be: capabilities and settings form")
def list_channel_kinds(_principal: Principal = Depends(current_principal)) -> list[dict[str, Any]]:
    """Each kind's capabilities (text, files, templates, read receipts, reply
    window, longest text, threads, calls) and its settings as form fields:
    name, path in the inbox's settings, type (text, number, checkbox, select,
    textarea, group), labels and help in English and Chinese, required,
    default, options, secret (never shown back: a mask stands for it)."""
    return [channel_kinds.describe_kind(kind) for kind in channel_kinds.all_kinds()]


@router.post(
    "/api/v1/accounts/{account_id}/conversations/{conversation_id}/messages/{message_id}/retry_delivery",
    response_model=MessageOut,
    summary="Send a reply whose delivery failed again",
)
def send_again(
    conversation_id: int, message_id: int, principal: Principal = Depends(account_principal), db: Session = Depends(get_db)
) -> MessageOut:
    conversation = conversations.get_conversation(db, principal.viewer, conversation_id)
    message = retry_delivery(db, conversation, message_id)
    db.commit()
    return conversations.message_out(db, message)
