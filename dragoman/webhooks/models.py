"""Outbound webhooks and their delivery log."""

from __future__ import annotations

import enum
from datetime import datetime

from sqlalchemy import JSON, Boolean, DateTime, Enum, ForeignKey, Index, Integer, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from dragoman.core.db import Base, CreatedAtMixin, IdMixin


class DeliveryStatus(str, enum.Enum):
    pending = "pending"
    succeeded = "succeeded"
    failed = "failed"  # gave up after the last attempt


class Webhook(IdMixin, CreatedAtMixin, Base):
    __tablename__ = "webhooks"
    account_id: Mapped[int] = mapped_column(ForeignKey("accounts.id", ondelete="CASCADE"), index=True)
    url: Mapped[str] = mapped_column(String(2000))
    secret: Mapped[str] = mapped_column(String(100))
    events: Mapped[list[str]] = mapped_column(JSON)
    active: Mapped[bool] = mapped_column(Boolean, default=True)


class WebhookDelivery(IdMixin, CreatedAtMixin, Base):
    """One event for one webhook; written in the same transaction as the change (an outbox).

    `payload` holds the JSON text of the event's `data` only. The body that is
    sent wraps it in an envelope built from this row's columns, because the
    envelope names the delivery's id, which exists only once the row is
    inserted (see `services.delivery_body`).
    """

    __tablename__ = "webhook_deliveries"
    __table_args__ = (Index("ix_webhook_deliveries_due", "status", "next_attempt_at"),)
    account_id: Mapped[int] = mapped_column(ForeignKey("accounts.id", ondelete="CASCADE"), index=True)
    webhook_id: Mapped[int] = mapped_column(ForeignKey("webhooks.id", ondelete="CASCADE"), index=True)
    event: Mapped[str] = mapped_column(String(60))
    payload: Mapped[str] = mapped_column(Text)
    status: Mapped[DeliveryStatus] = mapped_column(
        Enum(DeliveryStatus, native_enum=False, length=20), default=DeliveryStatus.pending
    )
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    next_attempt_at: Mapped[datetime] = mapped_column(DateTime)
    last_status_code: Mapped[int | None] = mapped_column(Integer, nullable=True)
    last_error: Mapped[str | None] = mapped_column(Text, nullable=True)
    delivered_at: Mapped[datetime | None] = mapped_column(DateTime, nullable=True)
    attempt_log: Mapped[list[dict[str, object]]] = mapped_column(JSON, default=list)
    # Set while a worker is sending this delivery (and until when its claim
    # holds): a manual retry must not start a second send of the same row, and
    # a worker that died mid-send lets the row become due again afterwards.
    claimed_until: Mapped[datetime | None] = mapped_column(DateTime, nullable=True)
