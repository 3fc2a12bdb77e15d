"""Events about conversations and their messages. The conversations'
services publish them; routing, the FAQ bot, tickets, surveys, translation,
channels, the live sockets and webhooks follow them. Each carries the
conversation as the API shows it (`ConversationOut`), so a webhook receives
Chatwoot's shape and a listener reads typed fields."""

from __future__ import annotations

from datetime import datetime
from typing import Literal

from dragoman.conversations.schemas import ConversationOut, MessageOut
from dragoman.core import events
from dragoman.core.events import Payload

StatusName = Literal["open", "pending", "resolved"]


class ConversationPayload(Payload):
    """Every conversation event carries the conversation as it now is."""

    conversation: ConversationOut


class ConversationCreated(ConversationPayload, kind=events.CONVERSATION_CREATED):
    pass


class ConversationUpdated(ConversationPayload, kind=events.CONVERSATION_UPDATED):
    """Its priority, language, contact or FAQ bot state changed."""


class ConversationStatusChanged(ConversationPayload, kind=events.CONVERSATION_STATUS_CHANGED):
    previous_status: StatusName


class PreviousAssignment(Payload):
    """Who had the conversation before an assignment (the live sockets tell a
    console that lost sight of it, and only that)."""

    assignee_id: int | None
    team_id: int | None


class ConversationAssigned(ConversationPayload, kind=events.CONVERSATION_ASSIGNED):
    previous: PreviousAssignment


class MessagePayload(ConversationPayload):
    message: MessageOut


class MessageCreated(MessagePayload, kind=events.MESSAGE_CREATED):
    pass


class MessageUpdated(MessagePayload, kind=events.MESSAGE_UPDATED):
    """A stored message gained something (a translation)."""


class ConversationNeedsTicket(Payload, kind=events.CONVERSATION_NEEDS_TICKET):
    """In-transaction only (`core.events.emit_in_transaction`, never on the
    bus): the conversation must become a ticket now. Made by the e-mail
    channel (a mail that opens a request) and by routing (a chat that found
    every queue closed, or nobody free); tickets react."""

    conversation_id: int
    subject: str
    source: Literal["email", "chat"]
    now: datetime | None = None
