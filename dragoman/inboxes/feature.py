"""Inboxes: where conversations arrive, and which teams work them."""

from __future__ import annotations

from dragoman.core.features import Feature, Plugged
from dragoman.core.http import AppContext
from dragoman.inboxes import routes


def plug(_ctx: AppContext) -> Plugged:
    return Plugged(routers=[routes.router])


FEATURE = Feature(
    name="inboxes",
    plug=plug,
    models=("dragoman.inboxes.models",),
    settings=("secret_key", "outbound_allow"),
)
