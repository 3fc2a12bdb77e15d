"""Events about inboxes: the channels that hold an inbox's connections (the
e-mail channel's IMAP readers) reload it."""

from __future__ import annotations

from dragoman.core.events import Payload


class InboxUpdated(Payload, kind="inbox.updated"):
    """An inbox was made or its settings changed."""

    inbox_id: int
