"""Saved replies ("canned responses"): one per shortcut, with a version per
language, the scripts a multilingual team is trained on."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import JSON, DateTime, ForeignKey, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from dragoman.core.clock import utcnow
from dragoman.core.db import Base, CreatedAtMixin, IdMixin


class CannedReply(IdMixin, CreatedAtMixin, Base):
    __tablename__ = "canned_replies"
    __table_args__ = (UniqueConstraint("account_id", "shortcut"),)
    account_id: Mapped[int] = mapped_column(ForeignKey("accounts.id", ondelete="CASCADE"), index=True)
    # What an agent types after "/" in the reply box: "greeting", "delay".
    shortcut: Mapped[str] = mapped_column(String(60))
    title: Mapped[str] = mapped_column(String(200))
    kind: Mapped[str] = mapped_column(String(20), default="other")  # greeting, reassurance, closing, other
    # A macro's actions, applied when the reply is sent: {"ticket_status":
    # "pending", "priority": "high", "add_tags": ["refund"], "team_id": 3}.
    actions: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    updated_at: Mapped[datetime] = mapped_column(DateTime, default=utcnow, onupdate=utcnow)


class CannedReplyVersion(IdMixin, Base):
    __tablename__ = "canned_reply_versions"
    __table_args__ = (UniqueConstraint("canned_reply_id", "language"),)
    canned_reply_id: Mapped[int] = mapped_column(ForeignKey("canned_replies.id", ondelete="CASCADE"), index=True)
    language: Mapped[str] = mapped_column(String(16))
    body: Mapped[str] = mapped_column(Text)
