"""Conversations and their messages."""

from __future__ import annotations

import enum
from datetime import datetime
from typing import Any

from sqlalchemy import JSON, Boolean, DateTime, Enum, ForeignKey, Index, Integer, String, Text, UniqueConstraint, false
from sqlalchemy.orm import Mapped, mapped_column

from dragoman.core.clock import utcnow
from dragoman.core.db import Base, CreatedAtMixin, IdMixin


class ConversationStatus(str, enum.Enum):
    open = "open"
    pending = "pending"
    resolved = "resolved"


class Priority(str, enum.Enum):
    low = "low"
    normal = "normal"
    high = "high"
    urgent = "urgent"


class Direction(str, enum.Enum):
    incoming = "incoming"  # from the customer
    outgoing = "outgoing"  # to the customer
    note = "note"  # between agents; the customer never sees it
    activity = "activity"  # what the system did (assigned, resolved, ...)


class DeliveryStatus(str, enum.Enum):
    """Where an outgoing message is on its way to the customer (channels/delivery.py)."""

    queued = "queued"  # stored; the channel has not taken it yet (or is trying again)
    sent = "sent"  # the channel took it (the SMTP server accepted it; the chat pushed it)
    delivered = "delivered"  # the channel reports it reached the customer's device
    read = "read"  # the channel reports the customer read it
    failed = "failed"  # given up on; delivery_error says why


class SenderType(str, enum.Enum):
    contact = "contact"
    user = "user"
    system = "system"


class Conversation(IdMixin, CreatedAtMixin, Base):
    __tablename__ = "conversations"
    __table_args__ = (
        Index("ix_conversations_account_status_activity", "account_id", "status", "last_activity_at"),
    )
    account_id: Mapped[int] = mapped_column(ForeignKey("accounts.id", ondelete="CASCADE"))
    inbox_id: Mapped[int] = mapped_column(ForeignKey("inboxes.id", ondelete="CASCADE"), index=True)
    contact_id: Mapped[int] = mapped_column(ForeignKey("contacts.id", ondelete="CASCADE"), index=True)
    status: Mapped[ConversationStatus] = mapped_column(
        Enum(ConversationStatus, native_enum=False, length=20), default=ConversationStatus.open
    )
    priority: Mapped[Priority] = mapped_column(Enum(Priority, native_enum=False, length=20), default=Priority.normal)
    language: Mapped[str | None] = mapped_column(String(16), nullable=True)
    assignee_id: Mapped[int | None] = mapped_column(
        ForeignKey("users.id", ondelete="SET NULL"), nullable=True, index=True
    )
    team_id: Mapped[int | None] = mapped_column(ForeignKey("teams.id", ondelete="SET NULL"), nullable=True, index=True)
    last_activity_at: Mapped[datetime] = mapped_column(DateTime, default=utcnow)
    # Count of customer messages since an agent last replied; drives the
    # "waiting" badge without a query per row.
    unanswered_count: Mapped[int] = mapped_column(Integer, default=0)
    # The FAQ bot is answering (kb.bot): routing leaves the conversation alone
    # until the bot hands over, which clears this and records
    # conversation.updated. Set at creation when the inbox enables the bot.
    bot_active: Mapped[bool] = mapped_column(Boolean, default=False, server_default=false())


class Message(IdMixin, CreatedAtMixin, Base):
    __tablename__ = "messages"
    __table_args__ = (
        # A channel that redelivers a message (webhook retry, IMAP re-poll)
        # must not store it twice.
        UniqueConstraint("inbox_id", "source_id"),
        Index("ix_messages_conversation_id_id", "conversation_id", "id"),
    )
    account_id: Mapped[int] = mapped_column(ForeignKey("accounts.id", ondelete="CASCADE"), index=True)
    conversation_id: Mapped[int] = mapped_column(ForeignKey("conversations.id", ondelete="CASCADE"))
    inbox_id: Mapped[int] = mapped_column(ForeignKey("inboxes.id", ondelete="CASCADE"))
    direction: Mapped[Direction] = mapped_column(Enum(Direction, native_enum=False, length=20))
    # What the sender wrote, exactly; translations live beside it, never over it.
    content: Mapped[str] = mapped_column(Text)
    sender_type: Mapped[SenderType] = mapped_column(Enum(SenderType, native_enum=False, length=20))
    sender_id: Mapped[int | None] = mapped_column(Integer, nullable=True)
    source_id: Mapped[str | None] = mapped_column(String(255), nullable=True)
    attributes: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    # Outgoing messages only: a DeliveryStatus value, and the channel's reason when it failed
    # (or, while queued, why the last try did not go out).
    delivery_status: Mapped[str | None] = mapped_column(String(20), nullable=True)
    delivery_error: Mapped[str | None] = mapped_column(Text, nullable=True)


class FileUpload(Base):
    """Who put a file on this server: files are kept once per digest
    (core/files.py), but each belongs only to the accounts, and within one to
    the agent or customer, that uploaded those bytes. A digest alone
    proves nothing: another account's file is treated as a missing one."""

    __tablename__ = "file_uploads"
    __table_args__ = (UniqueConstraint("account_id", "sha256", "uploader"),)
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    account_id: Mapped[int] = mapped_column(ForeignKey("accounts.id", ondelete="CASCADE"))
    sha256: Mapped[str] = mapped_column(String(64))
    # "user:<id>" (an agent, or an API token's user) or "contact:<id>" (a
    # visitor's file, a customer's mail attachment).
    uploader: Mapped[str] = mapped_column(String(40))
    # Renewed by each upload of the same bytes, as the file's own time is:
    # the sweep forgets uploads no message names once they are a day old.
    uploaded_at: Mapped[datetime] = mapped_column(DateTime, default=utcnow)
