"""REST routes for inboxes."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Depends
from pydantic import BaseModel
from sqlalchemy.orm import Session

from dragoman.accounts.auth import Principal, account_principal, admin_principal
from dragoman.core.http import AppContext, app_context, get_db
from dragoman.core.outbound import parse_allow
from dragoman.inboxes import services
from dragoman.inboxes.models import Inbox

router = APIRouter(prefix="/api/v1/accounts/{account_id}/inboxes", tags=["inboxes"])


class InboxOut(BaseModel):
    id: int
    name: str
    channel_type: str
    website_token: str | None
    team_ids: list[int]
    settings: dict[str, Any]


class InboxIn(BaseModel):
    name: str
    channel_type: str = "webchat"
    team_ids: list[int] = []
    settings: dict[str, Any] = {}


class InboxPatchIn(BaseModel):
    name: str | None = None
    team_ids: list[int] | None = None
    settings: dict[str, Any] | None = None


def inbox_out(db: Session, inbox: Inbox) -> InboxOut:
    return InboxOut(
        id=inbox.id,
        name=inbox.name,
        channel_type=inbox.channel_type,
        website_token=inbox.website_token,
        team_ids=services.inbox_team_ids(db, inbox.id),
        settings=services.shown_settings(dict(inbox.settings or {})),
    )


@router.get("", response_model=list[InboxOut])
def list_inboxes(principal: Principal = Depends(account_principal), db: Session = Depends(get_db)) -> list[InboxOut]:
    return [inbox_out(db, i) for i in services.list_inboxes(db, principal.account_id)]


@router.post("", response_model=InboxOut, status_code=201)
def create_inbox(
    body: InboxIn, principal: Principal = Depends(admin_principal), db: Session = Depends(get_db), ctx: AppContext = Depends(app_context)
) -> InboxOut:
    inbox = services.create_inbox(
        db,
        principal.account_id,
        name=body.name,
        channel_type=body.channel_type,
        team_ids=body.team_ids,
        settings=body.settings,
        secret_key=ctx.settings.secret_key,
        outbound_allow=parse_allow(ctx.settings.outbound_allow),
    )
    db.commit()
    return inbox_out(db, inbox)


@router.get("/{inbox_id}", response_model=InboxOut)
def read_inbox(inbox_id: int, principal: Principal = Depends(account_principal), db: Session = Depends(get_db)) -> InboxOut:
    return inbox_out(db, services.get_inbox(db, principal.account_id, inbox_id))


@router.patch("/{inbox_id}", response_model=InboxOut)
def patch_inbox(
    inbox_id: int,
    body: InboxPatchIn,
    principal: Principal = Depends(admin_principal),
    db: Session = Depends(get_db),
    ctx: AppContext = Depends(app_context),
) -> InboxOut:
    inbox = services.get_inbox(db, principal.account_id, inbox_id)
    services.update_inbox(
        db,
        inbox,
        name=body.name,
        team_ids=body.team_ids,
        settings=body.settings,
        secret_key=ctx.settings.secret_key,
        outbound_allow=parse_allow(ctx.settings.outbound_allow),
    )
    db.commit()
    return inbox_out(db, inbox)
