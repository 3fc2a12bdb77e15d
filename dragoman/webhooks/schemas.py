"""API shapes for webhooks and their delivery log (the admin page reads these)."""

from __future__ import annotations

from typing import Any, Literal

from pydantic import BaseModel, Field

from dragoman.core.clock import isoformat
from dragoman.webhooks.models import DeliveryStatus, Webhook, WebhookDelivery
from dragoman.webhooks.services import EVENT_NAMES, delivery_envelope

EVENTS_HELP = "Any of: " + ", ".join(EVENT_NAMES)


class WebhookIn(BaseModel):
    url: str = Field(
        description="http:// or https:// address that receives the POSTs: a public address, or one the server's "
        "DRAGOMAN_OUTBOUND_ALLOW names (private, loopback, link-local and metadata addresses are refused)"
    )
    events: list[str] = Field(description=EVENTS_HELP)


class WebhookPatchIn(BaseModel):
    url: str | None = None
    events: list[str] | None = Field(None, description=EVENTS_HELP)
    active: bool | None = Field(None, description="An inactive webhook gets no new deliveries; pending ones wait")


class WebhookOut(BaseModel):
    id: int
    url: str
    events: list[str]
    active: bool
    secret: str = Field(description="Key of the HMAC-SHA256 signature in X-Dragoman-Signature")
    created_at: str


class DeliveryOut(BaseModel):
    id: int
    event: str
    status: Literal["pending", "succeeded", "failed"]
    attempts: int
    last_status_code: int | None
    last_error: str | None
    next_attempt_at: str | None = Field(description="When the next attempt is due; null once succeeded or failed")
    delivered_at: str | None
    created_at: str
    payload: dict[str, Any] = Field(description="The JSON body sent to the receiver")
    attempt_log: list[dict[str, Any]] = Field(description="Each attempt: at, status_code, error, duration_ms")


def webhook_out(webhook: Webhook) -> WebhookOut:
    return WebhookOut(
        id=webhook.id,
        url=webhook.url,
        events=list(webhook.events or []),
        active=webhook.active,
        secret=webhook.secret,
        created_at=isoformat(webhook.created_at) or "",
    )


def delivery_out(delivery: WebhookDelivery) -> DeliveryOut:
    pending = delivery.status is DeliveryStatus.pending
    return DeliveryOut(
        id=delivery.id,
        event=delivery.event,
        status=delivery.status.value,
        attempts=delivery.attempts,
        last_status_code=delivery.last_status_code,
        last_error=delivery.last_error,
        next_attempt_at=isoformat(delivery.next_attempt_at) if pending else None,
        delivered_at=isoformat(delivery.delivered_at),
        created_at=isoformat(delivery.created_at) or "",
        payload=delivery_envelope(delivery),
        attempt_log=list(delivery.attempt_log or []),
    )
