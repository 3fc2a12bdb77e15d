"""REST routes for saved replies: agents read and insert them; supervisors
and admins write them."""

from __future__ import annotations

from fastapi import APIRouter, Depends, Query
from sqlalchemy.orm import Session

from dragoman.accounts.auth import Principal, account_principal, supervisor_principal
from dragoman.canned import services
from dragoman.canned.schemas import CannedReplyIn, CannedReplyOut, FilledReplyOut, MacroDoneOut
from dragoman.conversations import services as conversations
from dragoman.core.http import get_db

router = APIRouter(prefix="/api/v1/accounts/{account_id}", tags=["saved replies"])


@router.get("/canned_replies", response_model=list[CannedReplyOut], summary="Saved replies, with every language version")
def list_canned_replies(
    q: str | None = Query(None, description="Only those whose shortcut, title or text contains this"),
    principal: Principal = Depends(account_principal),
    db: Session = Depends(get_db),
) -> list[CannedReplyOut]:
    return services.list_canned_replies(db, principal.account_id, q)


@router.post("/canned_replies", response_model=CannedReplyOut, status_code=201)
def create_canned_reply(
    body: CannedReplyIn, principal: Principal = Depends(supervisor_principal), db: Session = Depends(get_db)
) -> CannedReplyOut:
    reply = services.save_canned_reply(db, principal.account_id, body)
    db.commit()
    return services.read_canned_reply(db, reply)


@router.get("/canned_replies/{canned_reply_id}", response_model=CannedReplyOut)
def read_canned_reply(canned_reply_id: int, principal: Principal = Depends(account_principal), db: Session = Depends(get_db)) -> CannedReplyOut:
    return services.read_canned_reply(db, services.get_canned_reply(db, principal.account_id, canned_reply_id))


@router.put("/canned_replies/{canned_reply_id}", response_model=CannedReplyOut, summary="Replace a saved reply and all its versions")
def replace_canned_reply(
    canned_reply_id: int, body: CannedReplyIn, principal: Principal = Depends(supervisor_principal), db: Session = Depends(get_db)
) -> CannedReplyOut:
    reply = services.save_canned_reply(db, principal.account_id, body, services.get_canned_reply(db, principal.account_id, canned_reply_id))
    db.commit()
    return services.read_canned_reply(db, reply)


@router.delete("/canned_replies/{canned_reply_id}", status_code=204)
def delete_canned_reply(canned_reply_id: int, principal: Principal = Depends(supervisor_principal), db: Session = Depends(get_db)) -> None:
    db.delete(services.get_canned_reply(db, principal.account_id, canned_reply_id))
    db.commit()


@router.get(
    "/conversations/{conversation_id}/canned_replies/{canned_reply_id}",
    response_model=FilledReplyOut,
    summary="A saved reply filled in for this conversation, in its customer's language when there is a version",
)
def fill_canned_reply(
    conversation_id: int, canned_reply_id: int, principal: Principal = Depends(account_principal), db: Session = Depends(get_db)
) -> FilledReplyOut:
    conversation = conversations.get_conversation(db, principal.viewer, conversation_id)
    reply = services.get_canned_reply(db, principal.account_id, canned_reply_id)
    return services.fill_for_conversation(db, principal.viewer, reply, conversation)


@router.post(
    "/conversations/{conversation_id}/canned_replies/{canned_reply_id}/actions",
    response_model=MacroDoneOut,
    summary="Carry out a macro's actions (after its reply was sent): ticket status, priority, tags, team",
)
def apply_macro(
    conversation_id: int, canned_reply_id: int, principal: Principal = Depends(account_principal), db: Session = Depends(get_db)
) -> MacroDoneOut:
    conversation = conversations.get_conversation(db, principal.viewer, conversation_id)
    reply = services.get_canned_reply(db, principal.account_id, canned_reply_id)
    done = services.apply_macro(db, principal.viewer, reply, conversation)
    db.commit()
    return MacroDoneOut(done=done)

