"""Tickets, SLA policies and their clocks, the support form. Tickets make a
conversation a ticket when another feature says it needs one (the e-mail
channel, routing), inside that feature's transaction."""

from __future__ import annotations

from dragoman.conversations.events import ConversationNeedsTicket
from dragoman.core.features import Feature, Plugged, runtime
from dragoman.core.http import AppContext
from dragoman.tickets import pages, routes, web_form
from dragoman.tickets.runtime import register_sla_jobs
from dragoman.tickets.services import on_conversation_needs_ticket


def plug(ctx: AppContext) -> Plugged:
    # SLA clocks: deadlines stored, fired by jobs when due (and a sweep every minute).
    sla = register_sla_jobs(ctx.services["jobs"], ctx.session_factory)
    return Plugged(
        routers=[routes.router, pages.router, web_form.router],
        runtimes=[runtime("sla", sla)],
        services={"sla": sla},
    )


FEATURE = Feature(
    name="tickets",
    plug=plug,
    # A mail that opens a request, a chat nobody could take: the ticket is
    # made inside the same transaction (the customer is told its number next).
    reactions=((ConversationNeedsTicket, on_conversation_needs_ticket),),
    models=("dragoman.tickets.models",),
)
