"""Canned replies."""

from __future__ import annotations

from dragoman.canned import routes
from dragoman.core.features import Feature, Plugged
from dragoman.core.http import AppContext


def plug(_ctx: AppContext) -> Plugged:
    return Plugged(routers=[routes.router])


FEATURE = Feature(name="canned", plug=plug, models=("dragoman.canned.models",))
