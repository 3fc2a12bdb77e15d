"""The API channel: only its kind (another system reads the replies, so
nothing is sent and nothing runs)."""

from __future__ import annotations

from dragoman.channels.api.kind import KIND
from dragoman.core.features import Feature
from dragoman.inboxes import channel_kinds


def _register_kind() -> None:
    channel_kinds.register(KIND)


FEATURE = Feature(name="api_channel", registrations=(_register_kind,))
