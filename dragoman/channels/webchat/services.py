"""What a web visitor can do: start a chat, load it, write, change language."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from sqlalchemy.orm import Session

from dragoman.channels.webchat.adapter import VisitorClaims, VisitorTokens
from dragoman.contacts import services as contacts
from dragoman.contacts.models import Contact
from dragoman.conversations import services as conversations
from dragoman.conversations.models import Conversation, ConversationStatus, Message
from dragoman.core.errors import NotAuthenticated
from dragoman.inboxes.models import Inbox
from dragoman.inboxes.services import get_inbox_by_website_token
from dragoman.realtime.hub import visitor_message_view


@dataclass(frozen=True)
class Visitor:
    inbox: Inbox
    contact: Contact


def register_visitor(
    db: Session,
    tokens: VisitorTokens,
    website_token: str,
    *,
    name: str | None,
    email: str | None,
    language: str | None,
) -> tuple[str, Visitor]:
    inbox = get_inbox_by_website_token(db, website_token)
    token, claims = tokens.issue(inbox.id)
    contact = contacts.create_contact(db, inbox.account_id, name=name, email=email, language=language)
    contacts.add_identity(db, contact, inbox.id, claims.visitor_id)
    return token, Visitor(inbox=inbox, contact=contact)


def resolve_visitor(db: Session, tokens: VisitorTokens, token: str | None) -> Visitor:
    claims: VisitorClaims = tokens.verify(token)
    contact = contacts.find_contact_by_identity(db, claims.inbox_id, claims.visitor_id)
    inbox = db.get(Inbox, claims.inbox_id)
    if contact is None or inbox is None:
        raise NotAuthenticated("this chat no longer exists; start a new one")
    return Visitor(inbox=inbox, contact=contact)


def current_conversation(db: Session, visitor: Visitor) -> Conversation | None:
    return conversations.latest_conversation(db, visitor.contact.id, visitor.inbox.id)


def visitor_history(db: Session, visitor: Visitor) -> tuple[Conversation | None, list[dict[str, Any]]]:
    conversation = current_conversation(db, visitor)
    if conversation is None:
        return None, []
    rows = conversations.list_messages(db, conversation, include_private=False)
    return conversation, [visitor_message_view(conversations.message_out(db, m).model_dump(mode="json")) for m in rows]


def receive_visitor_message(db: Session, visitor: Visitor, content: str | None, client_id: str | None) -> Message:
    """Store a visitor's message in their open conversation, or a new one.

    `client_id` is the widget's id for the message: a resend after a dropped
    connection is stored once."""
    return receive_message_from(db, visitor.contact.id, visitor.inbox.id, content, client_id)


def receive_message_from(
    db: Session, contact_id: int, inbox_id: int, content: str | None, client_id: str | None
) -> Message:
    """The same, by ids: an open socket checked the visitor once, when it connected."""
    return store_message_from(db, contact_id, inbox_id, content, client_id)[0]


def store_message_from(
    db: Session, contact_id: int, inbox_id: int, content: str | None, client_id: str | None
) -> tuple[Message, bool]:
    """Returns (message, created); created is False for a resend already stored."""
    conversations.check_message_content(content)  # reject before creating a conversation
    # `contact` is held while the message is stored: its events reuse it.
    conversation, contact = conversations.latest_conversation_and_contact(db, contact_id, inbox_id)
    if conversation is None or conversation.status is ConversationStatus.resolved:
        inbox, contact = db.get(Inbox, inbox_id), db.get(Contact, contact_id)
        if inbox is None or contact is None:
            raise NotAuthenticated("this chat no longer exists; start a new one")
        conversation = conversations.start_conversation(db, inbox, contact)
    source_id = f"web:{client_id}" if client_id else None
    return conversations.receive_incoming_message(db, conversation, content, source_id=source_id)


def change_visitor_details(
    db: Session, visitor: Visitor, *, language: str | None = None, name: str | None = None, email: str | None = None
) -> Contact:
    changes: dict[str, Any] = {}
    if language is not None:
        changes["language"] = language
    if name is not None:
        changes["name"] = name
    if email is not None:
        changes["email"] = email
    contacts.update_contact(db, visitor.contact, **changes)
    conversation = current_conversation(db, visitor)
    if language is not None and conversation is not None and conversation.status is not ConversationStatus.resolved:
        conversations.update_conversation(db, conversation, language=visitor.contact.language or "")
    return visitor.contact
