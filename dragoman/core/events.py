"""The event bus: how features hear of each other's changes.

Every kind of event is a `Payload` subclass that names its kind
(`class MessageCreated(ConversationPayload, kind="message.created")`) and
declares its fields with their types; the feature that owns the change
defines it (conversations/events.py, tickets/events.py, ...). A payload is
checked when it is made, and again by the `Event` the publisher wraps it in
for `record_event` or `emit_in_transaction` (a payload that skipped its
checks): a wrong field fails there, naming the kind and the field, never
later in a listener. Listeners read `event.payload`'s typed
fields; `event.wire()` is the JSON form that webhooks and the console's
socket send (Chatwoot-compatible names, the same bytes as ever).

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
from typing import Any, ClassVar, Protocol

from pydantic import BaseModel, ConfigDict, ValidationError
from sqlalchemy import event as sa_event
from sqlalchemy.orm import Session, SessionTransaction, sessionmaker

log = logging.getLogger(__name__)


# The names of the events the foundation publishes (their payloads are in
# conversations/events.py and accounts/events.py). Dotted internally; webhooks
# use Chatwoot's underscore names (webhooks/services.py).
CONVERSATION_CREATED = "conversation.created"
CONVERSATION_UPDATED = "conversation.updated"
CONVERSATION_STATUS_CHANGED = "conversation.status_changed"
CONVERSATION_ASSIGNED = "conversation.assigned"
MESSAGE_CREATED = "message.created"
MESSAGE_UPDATED = "message.updated"
PRESENCE_CHANGED = "user.presence_changed"
MEMBERSHIP_CHANGED = "account.membership_changed"
# In-transaction only (never on the bus): see conversations.events.ConversationNeedsTicket.
CONVERSATION_NEEDS_TICKET = "conversation.needs_ticket"


class EventPayloadError(TypeError):
    """A publisher handed an event a payload that is not what its kind declares."""


class Payload(BaseModel):
    """What one kind of event carries. Subclasses name their kind
    (`class InboxUpdated(Payload, kind="inbox.updated")`); field types are
    checked strictly (no "5" for 5) and the payload cannot change once made."""

    model_config = ConfigDict(frozen=True, strict=True, extra="forbid")

    kind: ClassVar[str] = ""

    def __init_subclass__(cls, kind: str = "", **kwargs: Any) -> None:
        super().__init_subclass__(**kwargs)
        if kind:
            known = KINDS.get(kind)
            if known is not None and known.__qualname__ != cls.__qualname__:
                raise ValueError(f"event kind {kind!r} is already {known.__module__}.{known.__qualname__}")
            cls.kind = kind
            KINDS[kind] = cls

    def wire(self) -> dict[str, Any]:
        """The JSON form webhooks and the console's socket send."""
        return self.model_dump(mode="json")


# Every kind of event, by name: filled as the modules that define them load.
KINDS: dict[str, type[Payload]] = {}


def _check(payload: object) -> Payload:
    """The payload as its kind declares it, or an `EventPayloadError` naming the
    kind and the field (a payload made with `model_construct` skipped the check)."""
    if not isinstance(payload, Payload) or not type(payload).kind:
        raise EventPayloadError(
            f"an event's payload must be one of the declared kinds (core.events.Payload), not {type(payload).__name__}"
        )
    kind = type(payload)
    try:
        kind.model_validate({name: getattr(payload, name) for name in kind.model_fields})
    except ValidationError as error:
        wrong = "; ".join(f"{'.'.join(str(p) for p in e['loc'])}: {e['msg']}" for e in error.errors())
        raise EventPayloadError(f"{kind.kind} ({kind.__name__}): {wrong}") from None
    return payload


@dataclass(frozen=True)
class Event:
    """One change, for one account. `name` is the payload's kind."""

    account_id: int
    payload: Payload
    name: str = field(init=False)

    def __post_init__(self) -> None:
        object.__setattr__(self, "name", _check(self.payload).kind)

    def wire(self) -> dict[str, Any]:
        """The payload's JSON form, made once (where the event is recorded, so
        its cost stays with the publisher) and shared by every reader."""
        cached: dict[str, Any] | None = self.__dict__.get("_wire")
        if cached is None:
            cached = self.payload.wire()
            object.__setattr__(self, "_wire", cached)
        return cached


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


def react_in_transaction(kind: type[Payload], reaction: Reaction) -> None:
    """Run `reaction` inside the publisher's transaction whenever an event of
    `kind` is emitted with `emit_in_transaction` (registering the same one twice is a no-op)."""
    known = _reactions.setdefault(kind.kind, [])
    if reaction not in known:
        known.append(reaction)


def emit_in_transaction(session: Session, event: Event) -> None:
    """Let the features that react to `event` do their part now, in `session`'s
    transaction; the caller reads what they wrote before it goes on. Unlike
    `record_event`, a failing reaction raises: the change is half made."""
    for reaction in list(_reactions.get(event.name, ())):
        reaction(session, event)


def record_event(session: Session, event: Event) -> None:
    """Publish `event` once `session` commits (its payload was checked when
    the event was made). Its JSON form is made here, by the publisher."""
    if not isinstance(event, Event):
        raise EventPayloadError(f"record_event takes a core.events.Event, not {type(event).__name__}")
    event.wire()
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
