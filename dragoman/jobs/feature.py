"""Durable jobs (core.jobs): the admins' list of them, and the pruning of
finished ones. The runner itself is the app's: every feature registers its
job kinds with it."""

from __future__ import annotations

from dragoman.core.features import Feature, Plugged
from dragoman.core.http import AppContext
from dragoman.core.jobs import register_job_pruning
from dragoman.jobs import routes


def plug(_ctx: AppContext) -> Plugged:
    return Plugged(routers=[routes.router], jobs=[register_job_pruning])


FEATURE = Feature(name="jobs", plug=plug, models=("dragoman.core.jobs",))
