"""Outbound webhooks: deliveries written in the transaction of the change
(an outbox), each attempt sent by a job."""

from __future__ import annotations

from dragoman.core.features import Feature, Plugged, runtime
from dragoman.core.http import AppContext
from dragoman.webhooks import routes
from dragoman.webhooks.services import enqueue_deliveries, register_webhook_jobs


def plug(ctx: AppContext) -> Plugged:
    worker = register_webhook_jobs(ctx.services["jobs"], ctx)
    settings = ctx.settings
    return Plugged(
        routers=[routes.router],
        transaction_hooks=[enqueue_deliveries],
        runtimes=[runtime("webhooks", worker, when=lambda: settings.run_background_workers)],
        services={"webhook_worker": worker},
    )


FEATURE = Feature(
    name="webhooks",
    plug=plug,
    models=("dragoman.webhooks.models",),
    settings=("outbound_allow", "webhook_timeout_seconds", "webhook_max_attempts", "webhook_backoff_seconds", "run_background_workers"),
)
