"""Events of the channel framework (the conversations' own events carry
each reply's delivery status: message.created, message.updated)."""

from __future__ import annotations

from dragoman.core.events import Payload


class DeliveryRetried(Payload, kind="message.delivery_retried"):
    """An agent sent a failed reply again (the console's button). The
    delivery pipeline writes the new first try with it; `series` keys that
    try apart from earlier series of the same message."""

    message_id: int
    series: str
