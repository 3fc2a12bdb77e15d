"""Outbound webhooks (placeholder: being written)."""

from __future__ import annotations

from sqlalchemy.orm import Session

from dragoman.core.events import Event


def enqueue_deliveries(session: Session, events: list[Event]) -> None:
    return None


class WebhookWorker:
    def __init__(self, ctx: object) -> None:
        self.ctx = ctx

    def on_event(self, event: Event) -> None:
        return None

    def start(self) -> None:
        return None

    def stop(self) -> None:
        return None
