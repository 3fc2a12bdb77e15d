"""Inboxes: one per channel instance (a website's chat, a mailbox, a number)."""

from __future__ import annotations

from typing import Any

from sqlalchemy import JSON, ForeignKey, String
from sqlalchemy.orm import Mapped, mapped_column

from dragoman.core.db import Base, CreatedAtMixin, IdMixin


class Inbox(IdMixin, CreatedAtMixin, Base):
    __tablename__ = "inboxes"
    account_id: Mapped[int] = mapped_column(ForeignKey("accounts.id", ondelete="CASCADE"), index=True)
    name: Mapped[str] = mapped_column(String(200))
    channel_type: Mapped[str] = mapped_column(String(40))
    # Public identifier embedded in a website's widget snippet. Not a secret:
    # it says which inbox, never who the visitor is.
    website_token: Mapped[str | None] = mapped_column(String(64), unique=True, nullable=True)
    settings: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
