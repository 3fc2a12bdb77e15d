"""Typed events: a publisher cannot hand a listener a payload its kind does
not declare, and every kind's JSON (what webhooks and the console's sockets
send) is what it has always been."""

from __future__ import annotations

import json
from typing import Any

import pytest
from pydantic import ValidationError
from sqlalchemy import select
from sqlalchemy.orm import Session

from conftest import DemoWorld
from dragoman.accounts import services as accounts
from dragoman.accounts.events import MembershipChanged, PresenceChanged
from dragoman.accounts.models import User
from dragoman.accounts.permissions import Viewer
from dragoman.channels import delivery
from dragoman.channels.events import DeliveryRetried
from dragoman.contacts import services as contacts
from dragoman.conversations import services as conversations
from dragoman.conversations.events import (
    ConversationAssigned,
    ConversationCreated,
    ConversationNeedsTicket,
    ConversationPayload,
    ConversationStatusChanged,
    ConversationUpdated,
    MessageCreated,
    MessagePayload,
    MessageUpdated,
)
from dragoman.conversations.models import DeliveryStatus
from dragoman.core import events, outbound
from dragoman.core.events import KINDS, Event, EventPayloadError, record_event
from dragoman.core.http import AppContext
from dragoman.inboxes import services as inboxes
from dragoman.inboxes.events import InboxUpdated
from dragoman.inboxes.models import Inbox
from dragoman.tickets import services as tickets
from dragoman.tickets.events import SlaBreached, SlaWarning, TicketCreated, TicketUpdated
from dragoman.tickets.schemas import TicketPatchIn
from dragoman.webhooks import services as webhooks
from dragoman.webhooks.models import WebhookDelivery

ON_PREMISES = outbound.OutboundAllow.parse("127.0.0.0/8")


def _viewer(session: Session, demo: DemoWorld, who: str) -> Viewer:
    user = session.get(User, demo.user(who).id)
    assert user is not None
    return accounts.load_viewer(session, user)


def _old_json(payload: events.Payload) -> dict[str, Any]:
    """Each kind's data exactly as the publishers built it by hand before
    events were typed (`model_dump(mode="json")` of each part, in this order)."""
    if isinstance(payload, ConversationPayload):
        data: dict[str, Any] = {"conversation": payload.conversation.model_dump(mode="json")}
        if isinstance(payload, MessagePayload):
            data["message"] = payload.message.model_dump(mode="json")
        if isinstance(payload, ConversationStatusChanged):
            data["previous_status"] = payload.previous_status
        if isinstance(payload, ConversationAssigned):
            data["previous"] = {"assignee_id": payload.previous.assignee_id, "team_id": payload.previous.team_id}
        return data
    if isinstance(payload, (TicketCreated, TicketUpdated)):
        return {"ticket": payload.ticket.model_dump(mode="json")}
    if isinstance(payload, (SlaWarning, SlaBreached)):
        return {"ticket_id": payload.ticket_id, "metric": payload.metric, "conversation_id": payload.conversation_id}
    if isinstance(payload, PresenceChanged):
        return {"user_id": payload.user_id, "availability": payload.availability}
    if isinstance(payload, MembershipChanged):
        return {"user_ids": payload.user_ids} if payload.user_ids is not None else {"inbox_id": payload.inbox_id}
    if isinstance(payload, InboxUpdated):
        return {"inbox_id": payload.inbox_id}
    if isinstance(payload, DeliveryRetried):
        return {"message_id": payload.message_id, "series": payload.series}
    raise AssertionError(f"no old form for {payload.kind}")


def _product_kinds() -> set[str]:
    return {name for name, kind in KINDS.items() if kind.__module__.startswith("dragoman.")}


def test_a_payload_that_does_not_match_its_kind_is_refused_where_it_is_published(
    ctx: AppContext, demo: DemoWorld
) -> None:
    # A field of the wrong type fails when the payload is made, naming the field.
    with pytest.raises(ValidationError) as wrong_type:
        PresenceChanged(user_id="5", availability="online")  # type: ignore[arg-type]
    assert wrong_type.value.errors()[0]["loc"] == ("user_id",)
    with pytest.raises(ValidationError) as unknown_value:
        PresenceChanged(user_id=5, availability="sleeping")  # type: ignore[arg-type]
    assert unknown_value.value.errors()[0]["loc"] == ("availability",)
    with pytest.raises(ValidationError) as extra:
        InboxUpdated(inbox_id=1, channel="email")  # type: ignore[call-arg]
    assert extra.value.errors()[0]["loc"] == ("channel",)
    with pytest.raises(ValidationError, match="either user_ids or inbox_id"):
        MembershipChanged()
    # A dict is no payload, nor is a payload that skipped its checks.
    with pytest.raises(EventPayloadError, match="one of the declared kinds"):
        Event(demo.account_id, {"user_id": 5, "availability": "online"})  # type: ignore[arg-type]
    unchecked = PresenceChanged.model_construct(user_id="5", availability="online")
    with pytest.raises(EventPayloadError, match=r"user\.presence_changed \(PresenceChanged\): user_id"):
        Event(demo.account_id, unchecked)
    with ctx.session_factory() as session:
        # A message event whose message is not a message.
        contact = contacts.create_contact(session, demo.account_id, name="Ana", email=None, language="es")
        inbox = session.get(Inbox, demo.inbox_id)
        assert inbox is not None
        conversation = conversations.start_conversation(session, inbox, contact)
        shown = conversations.conversation_out(session, conversation)
        with pytest.raises(ValidationError) as not_a_message:
            MessageCreated(conversation=shown, message="hello")  # type: ignore[arg-type]
        assert not_a_message.value.errors()[0]["loc"][0] == "message"
        with pytest.raises(EventPayloadError, match="takes a core.events.Event"):
            record_event(session, {"name": "message.created"})  # type: ignore[arg-type]
        session.rollback()


def test_every_event_kind_round_trips_to_the_webhook_payload_unchanged(ctx: AppContext, demo: DemoWorld) -> None:
    """Drives the product's own publishers to every kind; each event's JSON is
    the data the publishers built by hand before, a payload read back from it
    is the same payload, and webhooks store exactly that JSON."""
    heard: list[Event] = []
    ctx.bus.subscribe(heard.append)
    with ctx.session_factory() as session:
        hook = webhooks.create_webhook(
            session, demo.account_id, url="http://127.0.0.1:9/x", event_names=list(webhooks.EVENT_NAMES), allow=ON_PREMISES
        )
        session.commit()
    with ctx.session_factory() as session:
        admin = _viewer(session, demo, "admin")
        agent = session.get(User, demo.user("maria").id)
        assert agent is not None
        inbox = session.get(Inbox, demo.inbox_id)
        assert inbox is not None
        contact = contacts.create_contact(session, demo.account_id, name="Léa", email=None, language="fr")
        conversation = conversations.start_conversation(session, inbox, contact)
        message, _created = conversations.receive_incoming_message(session, conversation, "Bonjour, où est ma commande ?")
        conversations.record_message_updated(session, conversation, message)
        # A reply the channel gave up on, sent again by an agent.
        reply = conversations.send_bot_reply(session, conversation, "Elle arrive demain.", {})
        delivery.set_delivery_status(session, reply, DeliveryStatus.failed, "the gateway said 503")
        delivery.retry_delivery(session, conversation, reply.id)
        conversations.update_conversation(session, conversation, priority="high")
        conversations.assign_conversation(session, admin, conversation, assignee_id=agent.id)
        conversations.change_status(session, admin, conversation, "resolved")
        # In-transaction only: tickets react by making the ticket now.
        need = Event(demo.account_id, ConversationNeedsTicket(conversation_id=conversation.id, subject="Commande", source="chat"))
        events.emit_in_transaction(session, need)
        ticket = tickets.ticket_for_conversation(session, conversation.id)
        assert ticket is not None  # tickets reacted (connect_features)
        tickets.update_ticket(session, admin, ticket, conversation, TicketPatchIn(subject="Commande 42"))
        record_event(session, Event(demo.account_id, SlaWarning(ticket_id=ticket.id, metric="first_response", conversation_id=conversation.id)))
        record_event(session, Event(demo.account_id, SlaBreached(ticket_id=ticket.id, metric="resolution", conversation_id=conversation.id)))
        accounts.set_availability(session, agent, "away")
        accounts.set_user_teams(session, agent, [])
        inboxes.set_inbox_teams(session, inbox, [])
        inboxes.create_inbox(session, demo.account_id, name="Boutique", channel_type="api")
        session.commit()

    assert {e.name for e in heard} | {need.name} == _product_kinds()
    for event in heard:
        text = json.dumps(event.wire(), ensure_ascii=False, separators=(",", ":"))
        assert text == json.dumps(_old_json(event.payload), ensure_ascii=False, separators=(",", ":")), event.name
        again = type(event.payload).model_validate_json(text)
        assert again == event.payload
        assert json.dumps(again.wire(), ensure_ascii=False, separators=(",", ":")) == text
    assert ConversationNeedsTicket.model_validate_json(json.dumps(need.wire())) == need.payload

    with ctx.session_factory() as session:
        stored = list(
            session.scalars(select(WebhookDelivery).where(WebhookDelivery.webhook_id == hook.id).order_by(WebhookDelivery.id))
        )
    sent = [e for e in heard if e.name in webhooks.WEBHOOK_EVENTS]
    assert [d.event for d in stored] == [webhooks.WEBHOOK_EVENTS[e.name] for e in sent]
    assert [d.payload for d in stored] == [json.dumps(_old_json(e.payload), ensure_ascii=False, separators=(",", ":")) for e in sent]
    assert {type(e.payload) for e in sent} == {ConversationCreated, MessageCreated, ConversationAssigned, ConversationStatusChanged}
    assert any(isinstance(e.payload, (ConversationUpdated, MessageUpdated)) for e in heard)
