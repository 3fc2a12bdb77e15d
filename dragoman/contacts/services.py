"""Contacts: find, create, update, and match a channel identity to a person."""

from __future__ import annotations

from sqlalchemy import ColumnElement, func, or_, select
from sqlalchemy.orm import Session, selectinload

from dragoman.contacts.models import Contact, ContactIdentity
from dragoman.core.errors import InvalidInput, NotFound
from dragoman.core.like import LIKE_ESCAPE, contains_pattern
from dragoman.core.validation import optional_email, optional_language, require_text

_UNSET: object = object()


def _clean_name(name: str | None) -> str | None:
    if name is None or not name.strip():
        return None
    return require_text(name, "name", max_length=200)


def create_contact(
    db: Session,
    account_id: int,
    *,
    name: str | None = None,
    email: str | None = None,
    phone: str | None = None,
    language: str | None = None,
    country: str | None = None,
    tier: str | None = None,
) -> Contact:
    contact = Contact(
        account_id=account_id,
        name=_clean_name(name),
        email=optional_email(email),
        phone=(phone or "").strip() or None,
        language=optional_language(language),
        country=_clean_country(country),
        tier=clean_tier(tier),
    )
    db.add(contact)
    db.flush()
    return contact


def clean_tier(tier: str | None, field: str = "tier") -> str | None:
    """A tier name as policies and contacts both store it: lower case, one word."""
    if tier is None or not str(tier).strip():
        return None
    value = str(tier).strip().lower()
    if len(value) > 40 or not value.replace("-", "").replace("_", "").isalnum():
        raise InvalidInput("a tier is one word of letters, digits, - or _ (at most 40), e.g. gold", field=field)
    return value


def _clean_country(country: str | None) -> str | None:
    if country is None or not country.strip():
        return None
    code = country.strip().upper()
    if len(code) != 2 or not code.isalpha():
        raise InvalidInput("country must be a two-letter ISO 3166 code", field="country")
    return code


def update_contact(
    db: Session,
    contact: Contact,
    *,
    name: object = _UNSET,
    email: object = _UNSET,
    phone: object = _UNSET,
    language: object = _UNSET,
    country: object = _UNSET,
    tier: object = _UNSET,
) -> Contact:
    if tier is not _UNSET:
        contact.tier = clean_tier(tier)  # type: ignore[arg-type]
    if name is not _UNSET:
        contact.name = _clean_name(name)  # type: ignore[arg-type]
    if email is not _UNSET:
        contact.email = optional_email(email)  # type: ignore[arg-type]
    if phone is not _UNSET:
        contact.phone = (str(phone or "")).strip() or None
    if language is not _UNSET:
        contact.language = optional_language(language)  # type: ignore[arg-type]
    if country is not _UNSET:
        contact.country = _clean_country(country)  # type: ignore[arg-type]
    db.flush()
    return contact


def get_contact(db: Session, account_id: int, contact_id: int) -> Contact:
    contact = db.get(Contact, contact_id)
    if contact is None or contact.account_id != account_id:
        raise NotFound(f"contact {contact_id} not found", field="contact_id")
    return contact


def search_contacts(
    db: Session, account_id: int, query: str | None = None, limit: int = 50, visible: ColumnElement[bool] | None = None
) -> list[Contact]:
    """The account's contacts matching `query`, newest first; `visible`
    narrows them to those the caller may see."""
    statement = select(Contact).where(Contact.account_id == account_id)
    if visible is not None:
        statement = statement.where(visible)
    if query and query.strip():
        pattern = contains_pattern(query.strip().lower())
        statement = statement.where(
            or_(
                func.lower(Contact.name).like(pattern, escape=LIKE_ESCAPE),
                func.lower(Contact.email).like(pattern, escape=LIKE_ESCAPE),
                Contact.phone.like(pattern, escape=LIKE_ESCAPE),
            )
        )
    # The API lists each contact's identities: load them for the page at once.
    statement = statement.options(selectinload(Contact.identities))
    return list(db.scalars(statement.order_by(Contact.id.desc()).limit(limit)))


def find_contact_by_identity(db: Session, inbox_id: int, source_id: str) -> Contact | None:
    return db.scalar(
        select(Contact)
        .join(ContactIdentity, ContactIdentity.contact_id == Contact.id)
        .where(ContactIdentity.inbox_id == inbox_id, ContactIdentity.source_id == source_id)
    )


def add_identity(db: Session, contact: Contact, inbox_id: int, source_id: str) -> ContactIdentity:
    identity = ContactIdentity(contact_id=contact.id, inbox_id=inbox_id, source_id=source_id)
    db.add(identity)
    db.flush()
    return identity
