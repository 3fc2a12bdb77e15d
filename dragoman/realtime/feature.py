"""Live sockets: the consoles' and widgets' WebSockets (the hub forwards
every committed event to whoever may see it), and agents' presence while
their console is open."""

from __future__ import annotations

from dragoman.accounts.models import User
from dragoman.accounts.permissions import Viewer
from dragoman.accounts.services import load_viewer
from dragoman.core.features import Feature, Plugged, Runtime, Subscription
from dragoman.core.http import AppContext
from dragoman.realtime import routes
from dragoman.realtime.hub import RealtimeHub
from dragoman.realtime.presence import ConsolePresence


def plug(ctx: AppContext) -> Plugged:
    factory = ctx.session_factory
    settings = ctx.settings

    def reload_viewer(user_id: int) -> Viewer | None:
        with factory() as db:
            user = db.get(User, user_id)
            return load_viewer(db, user) if user is not None and user.active else None

    def grace_seconds() -> float:
        return settings.console_grace_seconds

    hub = RealtimeHub(reload_viewer)
    presence = ConsolePresence(factory, grace_seconds)
    return Plugged(
        routers=[routes.router],
        listeners=[Subscription(hub.on_event)],
        runtimes=[
            # The hub hands events to the server's loop once it knows it.
            Runtime("realtime", hub.bind_loop, lambda: None),
            # From the first request consoles can reconnect; the grace period counts from then.
            Runtime("presence", presence.start, presence.stop, phase="serving"),
        ],
        services={"realtime": hub, "presence": presence},
    )


FEATURE = Feature(name="realtime", plug=plug, settings=("console_grace_seconds",))
