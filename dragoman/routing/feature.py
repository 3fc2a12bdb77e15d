"""Routing: queues, skills, business hours and the live wall. The engine
keeps its state in its own thread; listeners only queue work."""

from __future__ import annotations

from sqlalchemy.orm import Session

from dragoman.accounts.events import MembershipChanged, PresenceChanged
from dragoman.conversations.events import (
    ConversationAssigned,
    ConversationCreated,
    ConversationStatusChanged,
    ConversationUpdated,
    MessageCreated,
)
from dragoman.core.features import Feature, Plugged, Subscription, runtime
from dragoman.core.http import AppContext
from dragoman.language import services as language_services
from dragoman.routing import pages, routes
from dragoman.routing.runtime import RoutingRuntime


def plug(ctx: AppContext) -> Plugged:
    language = ctx.services["language"]

    def translation_reach(db: Session, account_id: int) -> dict[str, frozenset[str]]:
        return language_services.translation_reach(db, language, account_id)

    routing = RoutingRuntime(ctx.session_factory, translation_reach=translation_reach)
    kinds = (
        ConversationCreated,
        ConversationUpdated,
        ConversationAssigned,
        ConversationStatusChanged,
        MessageCreated,
        PresenceChanged,
        MembershipChanged,
    )
    return Plugged(
        routers=[routes.router, pages.router],
        listeners=[Subscription(routing.on_event, kinds)],
        runtimes=[runtime("routing", routing)],
        services={"routing": routing},
    )


FEATURE = Feature(name="routing", plug=plug, models=("dragoman.routing.models",))
