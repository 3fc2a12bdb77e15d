"""What customer-facing pages share: their style sheet."""

from __future__ import annotations

from dragoman.core.features import Feature, Plugged
from dragoman.core.http import AppContext
from dragoman.customer_pages import rendering


def plug(_ctx: AppContext) -> Plugged:
    return Plugged(routers=[rendering.router])


FEATURE = Feature(name="customer_pages", plug=plug)
