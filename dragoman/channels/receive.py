"""The one way a customer's message comes in, whatever the channel.

`receive(db, inbox, InboundMessage)` recognises a message the channel
delivered before (by the channel's own message id: a webhook retry, an IMAP
mailbox read again, a widget resending after a dropped connection), finds or
makes the sender's contact and conversation, stores the message and records
the usual events (message.created, and conversation.created / status_changed
where it opens one). The unique constraint on (inbox, source id) keeps a
duplicate out even when two deliveries race past the lookup; the caller
then sees an IntegrityError and answers as its channel expects (a 409, an
SMTP 451, "duplicate").

Channels keep what is theirs: e-mail threads a mail by its headers and
passes the conversation it belongs to; the web chat reads a writer batch's
conversations at once and passes what it found. The caller commits.
"""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import select
from sqlalchemy.orm import Session

from dragoman.channels.base import InboundMessage
from dragoman.contacts import services as contacts
from dragoman.contacts.models import Contact
from dragoman.conversations import services as conversations
from dragoman.conversations.models import Conversation, ConversationStatus, Message
from dragoman.core.errors import NotAuthenticated
from dragoman.inboxes.models import Inbox


@dataclass(frozen=True)
class Received:
    message: Message
    # None only for a duplicate whose conversation was deleted since.
    conversation: Conversation | None
    created: bool  # False: the channel delivered this message before; nothing changed


def already_received(db: Session, inbox_id: int, source_id: str | None) -> Message | None:
    """The message this inbox stored under the channel's id, if any. For a
    channel that must know before costly work (storing a mail's attachments);
    `receive` asks it too."""
    if source_id is None:
        return None
    return conversations.messages_by_source(db, inbox_id, [source_id[:255]]).get(source_id[:255])


def sender_contact(db: Session, inbox: Inbox, inbound: InboundMessage) -> Contact:
    """The sender's contact: known by this inbox's id for them, else (a new
    sender with an e-mail address) the account's contact of that address,
    else a new one. Either way the inbox's id for them is kept."""
    contact = contacts.find_contact_by_identity(db, inbox.id, inbound.sender_id)
    if contact is not None:
        return contact
    if inbound.sender_email:
        contact = db.scalar(
            select(Contact)
            .where(Contact.account_id == inbox.account_id, Contact.email == inbound.sender_email)
            .order_by(Contact.id)
            .limit(1)
        )
    if contact is None:
        name = inbound.sender_name[:200] if inbound.sender_name else None
        contact = contacts.create_contact(db, inbox.account_id, name=name, email=inbound.sender_email)
    contacts.add_identity(db, contact, inbox.id, inbound.sender_id)
    return contact


def receive(
    db: Session,
    inbox: Inbox | int,
    inbound: InboundMessage,
    *,
    contact: Contact | None = None,
    conversation: Conversation | None = None,
    start_new: bool = False,
    looked_up: bool = False,
) -> Received:
    """Store one inbound message.

    `inbox`: the inbox, or its id when the caller does not hold it (the web
    chat's socket path: the row is loaded only when a conversation starts).
    `contact`: the sender, when the channel knows them already (a signed
    visitor token); otherwise found from `inbound.sender_id`.
    `conversation`: the conversation it belongs to (e-mail threading);
    `start_new`: a new conversation whatever there is; neither: the contact's
    latest one in the inbox, or a new one when that is resolved.
    `looked_up`: the caller already asked `already_received` (for a batch)
    and found nothing; the unique constraint still refuses a duplicate."""
    conversations.check_message_content(inbound.content)  # refused before a contact or conversation is made
    inbox_id = inbox if isinstance(inbox, int) else inbox.id
    if not looked_up:
        existing = already_received(db, inbox_id, inbound.source_id)
        if existing is not None:
            return Received(existing, db.get(Conversation, existing.conversation_id), False)
    if conversation is None:
        inbox_row = inbox if isinstance(inbox, Inbox) else None
        if contact is None:
            inbox_row = inbox_row or _inbox(db, inbox_id)
            contact = sender_contact(db, inbox_row, inbound)
        if not start_new:
            conversation = conversations.latest_conversation(db, contact.id, inbox_id)
        if conversation is None or conversation.status is ConversationStatus.resolved:
            conversation = conversations.start_conversation(db, inbox_row or _inbox(db, inbox_id), contact)
    message, created = conversations.receive_incoming_message(
        db,
        conversation,
        inbound.content,
        source_id=inbound.source_id[:255] if inbound.source_id else None,
        attributes=inbound.attributes,
        source_id_looked_up=True,
        detect_language=inbound.detect_language,
    )
    return Received(message, conversation, created)


def _inbox(db: Session, inbox_id: int) -> Inbox:
    inbox = db.get(Inbox, inbox_id)
    if inbox is None:
        raise NotAuthenticated("this inbox no longer exists")
    return inbox
