"""The web chat channel: the widget's API and sockets, and its pages."""

from __future__ import annotations

from dragoman.channels.webchat import pages, routes
from dragoman.channels.webchat.adapter import VisitorTokens
from dragoman.channels.webchat.services import visitor_file_limiter
from dragoman.core.features import Feature, Plugged
from dragoman.core.http import AppContext


def plug(ctx: AppContext) -> Plugged:
    return Plugged(
        routers=[routes.router, pages.router],
        services={"visitor_tokens": VisitorTokens(ctx.settings.secret_key), "visitor_file_limiter": visitor_file_limiter()},
    )


FEATURE = Feature(name="webchat", plug=plug, settings=("secret_key", "data_dir"))
