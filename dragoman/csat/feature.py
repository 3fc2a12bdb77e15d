"""Satisfaction surveys, offered as durable jobs when a conversation is
resolved; a ticket's detail shows its latest rating."""

from __future__ import annotations

from dragoman.core.features import Feature, Plugged
from dragoman.core.http import AppContext
from dragoman.core.jobs import JobRunner
from dragoman.csat import routes
from dragoman.csat.runtime import register_survey_jobs
from dragoman.csat.services import ticket_satisfaction
from dragoman.tickets.services import read_satisfaction_with


def plug(ctx: AppContext) -> Plugged:
    public_url = ctx.settings.public_url

    def survey_jobs(runner: JobRunner) -> None:
        register_survey_jobs(runner, public_url)

    return Plugged(routers=[routes.router], jobs=[survey_jobs])


def _show_ratings_on_tickets() -> None:
    # Surveys build on tickets, not the reverse: tickets read ratings through this.
    read_satisfaction_with(ticket_satisfaction)


FEATURE = Feature(
    name="csat",
    plug=plug,
    registrations=(_show_ratings_on_tickets,),
    models=("dragoman.csat.models",),
    settings=("public_url",),
)
