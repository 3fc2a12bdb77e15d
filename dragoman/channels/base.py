"""The shapes every channel speaks: a customer's message as it arrived
(`InboundMessage`, stored by `channels.receive.receive`) and a reply as a
channel sends it (`OutboundMessage`). A channel's kind, capabilities and
settings are declared in its folder's kind.py (inboxes.channel_kinds);
outbound delivery runs through `channels.delivery`.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any


@dataclass(frozen=True)
class InboundMessage:
    """A customer's message as a channel delivered it, before it is stored."""

    source_id: str | None  # the channel's own message id, for de-duplication
    sender_id: str  # who sent it, in the channel's terms (visitor id, e-mail, phone)
    content: str
    sender_name: str | None = None
    # An address the sender is known by across channels: a new sender with
    # it is the account's contact of that address.
    sender_email: str | None = None
    attributes: dict[str, Any] = field(default_factory=dict)
    # False when the content is no words of the customer's (a file's name).
    detect_language: bool = True


@dataclass(frozen=True)
class OutboundMessage:
    message_id: int
    conversation_id: int
    recipient_id: str
    content: str
    sender_name: str | None = None
    # What the channel needs beyond the text (e-mail: subject, threading headers).
    attributes: dict[str, Any] = field(default_factory=dict)
