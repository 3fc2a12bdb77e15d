"""The web chat channel: its kind, the widget's API and sockets, and its pages.
Its replies need no sender: the realtime hub pushes them as they are stored."""

from __future__ import annotations

from dragoman.channels.webchat import pages, routes
from dragoman.channels.webchat.adapter import VisitorTokens
from dragoman.channels.webchat.kind import KIND
from dragoman.channels.webchat.services import visitor_file_limiter
from dragoman.core.features import Feature, Plugged
from dragoman.core.http import AppContext
from dragoman.inboxes import channel_kinds


def plug(ctx: AppContext) -> Plugged:
    return Plugged(
        routers=[routes.router, pages.router],
        services={"visitor_tokens": VisitorTokens(ctx.settings.secret_key), "visitor_file_limiter": visitor_file_limiter()},
    )


def _register_kind() -> None:
    channel_kinds.register(KIND)


FEATURE = Feature(name="webchat", plug=plug, registrations=(_register_kind,), settings=("secret_key", "data_dir"))
