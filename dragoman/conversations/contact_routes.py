"""REST routes for contacts. They live with conversations: an agent sees a
contact through the conversations they may see."""

from __future__ import annotations

from fastapi import APIRouter, Depends, Query
from pydantic import BaseModel, Field
from sqlalchemy.orm import Session

from dragoman.accounts.auth import Principal, account_principal
from dragoman.contacts import services
from dragoman.contacts.models import Contact
from dragoman.conversations import services as conversations
from dragoman.core.clock import isoformat
from dragoman.core.http import get_db

router = APIRouter(prefix="/api/v1/accounts/{account_id}/contacts", tags=["contacts"])


class IdentityOut(BaseModel):
    inbox_id: int
    source_id: str


class ContactOut(BaseModel):
    id: int
    name: str | None
    email: str | None
    phone: str | None
    language: str | None
    country: str | None
    tier: str | None = None
    created_at: str
    identities: list[IdentityOut]


class ContactIn(BaseModel):
    name: str | None = None
    email: str | None = None
    phone: str | None = None
    language: str | None = None
    country: str | None = None
    tier: str | None = Field(None, description="The customer's service tier (gold, enterprise...), for SLA policies")


def contact_out(contact: Contact) -> ContactOut:
    return ContactOut(
        id=contact.id,
        name=contact.name,
        email=contact.email,
        phone=contact.phone,
        language=contact.language,
        country=contact.country,
        tier=contact.tier,
        created_at=isoformat(contact.created_at) or "",
        # A web visitor's id is its credential's subject; integrators see
        # which inboxes know the contact, not the raw visitor id.
        identities=[IdentityOut(inbox_id=i.inbox_id, source_id=i.source_id) for i in contact.identities],
    )


@router.get("", response_model=list[ContactOut])
def list_contacts(
    q: str | None = Query(None, description="Part of a name, e-mail or phone"),
    principal: Principal = Depends(account_principal),
    db: Session = Depends(get_db),
) -> list[ContactOut]:
    visible = conversations.visible_contacts_clause(principal.viewer)
    return [contact_out(c) for c in services.search_contacts(db, principal.account_id, q, visible=visible)]


@router.post("", response_model=ContactOut, status_code=201)
def create_contact(body: ContactIn, principal: Principal = Depends(account_principal), db: Session = Depends(get_db)) -> ContactOut:
    contact = services.create_contact(db, principal.account_id, **body.model_dump())
    db.commit()
    return contact_out(contact)


@router.get("/{contact_id}", response_model=ContactOut)
def read_contact(contact_id: int, principal: Principal = Depends(account_principal), db: Session = Depends(get_db)) -> ContactOut:
    return contact_out(conversations.get_visible_contact(db, principal.viewer, contact_id))


@router.patch("/{contact_id}", response_model=ContactOut)
def patch_contact(
    contact_id: int, body: ContactIn, principal: Principal = Depends(account_principal), db: Session = Depends(get_db)
) -> ContactOut:
    contact = conversations.get_visible_contact(db, principal.viewer, contact_id)
    services.update_contact(db, contact, **body.model_dump(exclude_unset=True))
    db.commit()
    return contact_out(contact)
