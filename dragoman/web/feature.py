"""The console's own pages (sign-in, the conversation console, settings) and
its static files."""

from __future__ import annotations

from dragoman.core.features import Feature, Plugged
from dragoman.core.http import AppContext
from dragoman.web import routes


def plug(_ctx: AppContext) -> Plugged:
    return Plugged(routers=[routes.router], mounts=[routes.mount_static])


FEATURE = Feature(name="web", plug=plug, settings=("secret_key", "secure_cookies", "session_hours", "mail_catcher"))
