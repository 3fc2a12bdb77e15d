"""Customers and the identities they have on each channel."""

from __future__ import annotations

from sqlalchemy import ForeignKey, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from dragoman.core.db import Base, CreatedAtMixin, IdMixin


class Contact(IdMixin, CreatedAtMixin, Base):
    __tablename__ = "contacts"
    account_id: Mapped[int] = mapped_column(ForeignKey("accounts.id", ondelete="CASCADE"), index=True)
    name: Mapped[str | None] = mapped_column(String(200), nullable=True)
    email: Mapped[str | None] = mapped_column(String(320), nullable=True, index=True)
    phone: Mapped[str | None] = mapped_column(String(40), nullable=True)
    # The language the customer chose or was detected in; BCP 47 code.
    language: Mapped[str | None] = mapped_column(String(16), nullable=True)
    country: Mapped[str | None] = mapped_column(String(2), nullable=True)
    timezone: Mapped[str | None] = mapped_column(String(64), nullable=True)
    # The customer's service tier ("gold", "enterprise"): SLA policies may
    # promise a tier shorter times than the default for a priority.
    tier: Mapped[str | None] = mapped_column(String(40), nullable=True)

    # Loaded only when asked for: the message path never needs them.
    identities: Mapped[list["ContactIdentity"]] = relationship(back_populates="contact", cascade="all, delete-orphan")


class ContactIdentity(IdMixin, CreatedAtMixin, Base):
    """Who the contact is on one inbox: a web visitor id, an e-mail address, a phone number."""

    __tablename__ = "contact_identities"
    __table_args__ = (UniqueConstraint("inbox_id", "source_id"),)
    contact_id: Mapped[int] = mapped_column(ForeignKey("contacts.id", ondelete="CASCADE"), index=True)
    inbox_id: Mapped[int] = mapped_column(ForeignKey("inboxes.id", ondelete="CASCADE"))
    source_id: Mapped[str] = mapped_column(String(255))

    contact: Mapped[Contact] = relationship(back_populates="identities")
