"""Conversations, their messages and contacts; the translation of incoming
messages as durable jobs written with them; the sweep of files no message holds."""

from __future__ import annotations

from dragoman.conversations import contact_routes, routes, translation_routes
from dragoman.conversations.file_sweeper import register_file_sweep
from dragoman.conversations.translation_worker import register_translation_jobs
from dragoman.core.features import Feature, Health, Plugged, runtime
from dragoman.core.http import AppContext
from dragoman.core.jobs import JobRunner


def plug(ctx: AppContext) -> Plugged:
    # Detection runs at ingest; translation as jobs written with the message
    # (only for a message some reader cannot read as it is).
    translator = register_translation_jobs(ctx.services["jobs"], ctx.session_factory, ctx.services["language"])
    attachments = ctx.settings.data_dir / "attachments"

    def sweep_files(runner: JobRunner) -> None:
        register_file_sweep(runner, attachments)

    return Plugged(
        routers=[contact_routes.router, routes.router, translation_routes.router],
        jobs=[sweep_files],
        runtimes=[runtime("translation", translator)],
        services={"translation_worker": translator},
        health=Health(backlog={"translation": lambda: translator.backlog}),
    )


FEATURE = Feature(
    name="conversations",
    plug=plug,
    models=("dragoman.conversations.models", "dragoman.contacts.models"),
    settings=("data_dir", "max_message_chars"),
)
