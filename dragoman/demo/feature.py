"""The demo: its mail page, and the sign-in page's demo users and demo store
page (demo/showroom.py), which production modules find in `ctx.services`
instead of importing demo data."""

from __future__ import annotations

from dragoman.core.features import Feature, Plugged
from dragoman.core.http import AppContext
from dragoman.demo import pages
from dragoman.demo.showroom import SHOWROOM


def plug(_ctx: AppContext) -> Plugged:
    return Plugged(routers=[pages.router], services={"showroom": SHOWROOM})


FEATURE = Feature(name="demo", plug=plug, settings=("mail_catcher",))
