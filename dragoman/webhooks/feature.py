"""Outbound webhooks: deliveries written in the transaction of the change
(an outbox), sent by their own worker."""

from __future__ import annotations

from dragoman.core.features import Feature, Plugged, Subscription, runtime
from dragoman.core.http import AppContext
from dragoman.webhooks import routes
from dragoman.webhooks.services import WebhookWorker, enqueue_deliveries


def plug(ctx: AppContext) -> Plugged:
    worker = WebhookWorker(ctx)
    settings = ctx.settings
    return Plugged(
        routers=[routes.router],
        transaction_hooks=[enqueue_deliveries],
        # The worker only wakes on an event; every event may have written deliveries.
        listeners=[Subscription(worker.on_event)],
        runtimes=[runtime("webhooks", worker, when=lambda: settings.run_background_workers)],
        services={"webhook_worker": worker},
    )


FEATURE = Feature(
    name="webhooks",
    plug=plug,
    models=("dragoman.webhooks.models",),
    settings=("outbound_allow", "webhook_timeout_seconds", "webhook_max_attempts", "webhook_backoff_seconds", "run_background_workers"),
)
