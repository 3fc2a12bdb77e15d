"""The one small interface every channel adapter implements.

Adapters turn a channel's wire format into Dragoman's inbound shape and send
outbound messages; they know nothing of HTTP routes or the database. The
conversation services do the storing; routes and listeners do the wiring.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Protocol


@dataclass(frozen=True)
class InboundMessage:
    """A customer's message as a channel delivered it, before it is stored."""

    source_id: str | None  # the channel's own message id, for de-duplication
    sender_id: str  # who sent it, in the channel's terms (visitor id, e-mail, phone)
    content: str
    sender_name: str | None = None
    attributes: dict[str, Any] = field(default_factory=dict)


@dataclass(frozen=True)
class OutboundMessage:
    message_id: int
    conversation_id: int
    recipient_id: str
    content: str
    sender_name: str | None = None
    # What the channel needs beyond the text (e-mail: subject, threading headers).
    attributes: dict[str, Any] = field(default_factory=dict)


class ChannelAdapter(Protocol):
    channel_type: str

    def normalize_identity(self, raw: str) -> str:
        """The canonical form of a sender id, so one person is one contact."""
        ...

    def send(self, message: OutboundMessage) -> None:
        """Hand a reply to the channel. Raises on a failure the caller should retry."""
        ...
