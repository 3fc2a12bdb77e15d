"""The channel framework: the delivery pipeline that sends replies to
channels that deliver later (durable jobs, each reply's delivery status), and
its API (the channel kinds and their settings forms, "send again").

A channel whose replies leave through it hands the pipeline its outbound
adapter from its own feature.py: `ctx.services["delivery"].use(kind, adapter)`
(dragoman/features.py lists this feature before the channels)."""

from __future__ import annotations

from dragoman.channels import routes
from dragoman.channels.delivery import DeliveryPipeline
from dragoman.core.features import Feature, Plugged
from dragoman.core.http import AppContext


def plug(_ctx: AppContext) -> Plugged:
    delivery = DeliveryPipeline()
    return Plugged(routers=[routes.router], jobs=[delivery.register], services={"delivery": delivery})


FEATURE = Feature(name="channels", plug=plug)
