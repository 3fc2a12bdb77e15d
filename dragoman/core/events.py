"""The event bus: how features hear of each other's changes.

Services record events on their database session with `record_event`; the bus
publishes them only after that session commits, so no listener ever hears of a
change that was rolled back. Listeners that must write in the same transaction
(the webhook outbox) register a `before_commit` hook instead.

A change another feature must follow inside the same transaction, before
the publisher goes on (a conversation that becomes a ticket, whose number the
customer is told next), goes through `emit_in_transaction` to the reactions
registered with `react_in_transaction` at start-up: the publisher and the
reacting feature still never import each other.

The in-process bus is the embedded default. A multi-process deployment puts a
broker (Redis) behind the same `EventBus` protocol without touching features.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any, Protocol

from sqlalchemy import event as sa_event
from sqlalchemy.orm import Session, SessionTransaction, sessionmaker

log = logging.getLogger(__name__)

# Event names. Dotted internally; webhooks use Chatwoot's underscore names.
CONVERSATION_CREATED = "conversation.created"
CONVERSATION_UPDATED = "conversation.updated"
CONVERSATION_STATUS_CHANGED = "conversation.status_changed"
CONVERSATION_ASSIGNED = "conversation.assigned"
MESSAGE_CREATED = "message.created"
# A stored message gained something (a translation): same data as message.created.
MESSAGE_UPDATED = "message.updated"
PRESENCE_CHANGED = "user.presence_changed"
MEMBERSHIP_CHANGED = "account.membership_changed"
# In-transaction only (never on the bus): a conversation must become a ticket
# now. Data: conversation_id, subject, source ("email", "chat"), optional now.
# Made by the e-mail channel (a mail that opens a request) and by routing (a
# chat that found every queue closed, or nobody free); tickets react.
CONVERSATION_NEEDS_TICKET = "conversation.needs_ticket"


@dataclass(frozen=True)
class Event:
    name: str
    account_id: int
    data: dict[str, Any] = field(default_factory=dict)


Listener = Callable[[Event], None]
TransactionHook = Callable[[Session, list[Event]], None]


class EventBus(Protocol):
    def publish(self, event: Event) -> None: ...

    def subscribe(self, listener: Listener) -> None: ...


class InProcessEventBus:
    """Calls every listener in the publishing thread, in order.

    Listeners must be quick and must not raise into the publisher: a failing
    listener is logged and the others still run.
    """

    def __init__(self) -> None:
        self._listeners: list[Listener] = []

    def subscribe(self, listener: Listener) -> None:
        self._listeners.append(listener)

    def publish(self, event: Event) -> None:
        for listener in list(self._listeners):
            try:
                listener(event)
            except Exception:  # noqa: BLE001 - one bad listener must not stop the rest
                log.exception("event listener %r failed on %s", listener, event.name)


_PENDING = "dragoman_pending_events"

Reaction = Callable[[Session, Event], None]
_reactions: dict[str, list[Reaction]] = {}


def react_in_transaction(name: str, reaction: Reaction) -> None:
    """Run `reaction` inside the publisher's transaction whenever `name` is
    emitted with `emit_in_transaction` (registering the same one twice is a no-op)."""
    known = _reactions.setdefault(name, [])
    if reaction not in known:
        known.append(reaction)


def emit_in_transaction(session: Session, event: Event) -> None:
    """Let the features that react to `event` do their part now, in `session`'s
    transaction; the caller reads what they wrote before it goes on. Unlike
    `record_event`, a failing reaction raises: the change is half made."""
    for reaction in list(_reactions.get(event.name, ())):
        reaction(session, event)


def record_event(session: Session, event: Event) -> None:
    session.info.setdefault(_PENDING, []).append(event)


def attach_bus(factory: sessionmaker[Session], bus: EventBus, hooks: list[TransactionHook]) -> None:
    """Make every session from `factory` publish its events after commit."""

    # SQLAlchemy also fires these for a SAVEPOINT (`begin_nested`) released
    # or rolled back; only the real transaction's end may run hooks, publish
    # or discard, or listeners would hear of changes not yet committed.
    @sa_event.listens_for(factory, "before_commit")
    def _run_hooks(session: Session) -> None:
        if session.in_nested_transaction():
            return
        pending = session.info.get(_PENDING)
        if pending:
            for hook in hooks:
                hook(session, list(pending))

    @sa_event.listens_for(factory, "after_commit")
    def _publish(session: Session) -> None:
        if session.in_nested_transaction():
            return
        pending = session.info.pop(_PENDING, None)
        for item in pending or ():
            bus.publish(item)

    @sa_event.listens_for(factory, "after_soft_rollback")
    def _discard(session: Session, previous: SessionTransaction) -> None:
        if previous.nested:
            return
        session.info.pop(_PENDING, None)
