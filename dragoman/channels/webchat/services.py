"""What a web visitor can do: start a chat, load it, write, send a file, change language."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

from sqlalchemy.orm import Session

from dragoman.channels.base import InboundMessage
from dragoman.channels.receive import receive
from dragoman.channels.webchat.adapter import VisitorClaims, VisitorTokens
from dragoman.contacts import services as contacts
from dragoman.contacts.models import Contact
from dragoman.conversations import services as conversations
from dragoman.conversations.models import Conversation, ConversationStatus, Direction, Message
from dragoman.core.errors import Forbidden, NotAuthenticated, NotFound, RateLimited
from dragoman.core.ratelimit import SlidingWindowLimiter
from dragoman.core.writer import BATCH_HINTS
from dragoman.inboxes.models import Inbox
from dragoman.inboxes.services import get_inbox_by_website_token
from dragoman.language import services as language_services
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
    return conversation, [visitor_message_view(m.model_dump(mode="json")) for m in conversations.messages_out(db, rows)]


def visitor_message(db: Session, visitor: Visitor, message_id: int) -> Message:
    """A message of the visitor's chat: in one of their conversations in this
    inbox, and one a customer sees (their own, or a reply; not a note). Else
    NotFound."""
    message = db.get(Message, message_id)
    conversation = db.get(Conversation, message.conversation_id) if message is not None else None
    if (
        message is None
        or conversation is None
        or conversation.contact_id != visitor.contact.id
        or conversation.inbox_id != visitor.inbox.id
        or message.direction not in (Direction.incoming, Direction.outgoing)
    ):
        raise NotFound(f"message {message_id} not found", field="message_id")
    return message


# Files a visitor sends: the inbox must accept them (settings.customer_files,
# off unless an admin turns it on: they come from anyone on the website), and
# one visitor sends at most this many an hour.
CUSTOMER_FILES_PER_HOUR = 20


def visitor_file_limiter() -> SlidingWindowLimiter:
    """The app's count of files per visitor (in this process, as the login
    limiter is)."""
    return SlidingWindowLimiter(CUSTOMER_FILES_PER_HOUR, 3600)


def accepts_customer_files(inbox: Inbox) -> bool:
    return (inbox.settings or {}).get("customer_files") is True


def receive_visitor_file(
    db: Session,
    visitor: Visitor,
    directory: Path,
    limiter: SlidingWindowLimiter,
    *,
    filename: str | None,
    content_type: str | None,
    data: bytes,
    client_id: str | None,
) -> Message:
    """A file the visitor sent, as a message of its own: its name is the
    text (what lists and notifications show), the file is in
    attributes["attachments"] as agents' files are. Refused by field: an
    inbox that does not accept files, a bad name, too many files."""
    if not accepts_customer_files(visitor.inbox):
        raise Forbidden("this chat does not accept files", field="file")
    name = conversations.check_filename(filename, "file")
    key = f"{visitor.inbox.id}:{visitor.contact.id}"
    wait = limiter.retry_after(key)
    if wait:
        raise RateLimited(f"at most {CUSTOMER_FILES_PER_HOUR} files an hour; try again in {wait} s", retry_after=wait)
    file = {"filename": name, "content_type": conversations.file_content_type(content_type), "size": len(data), "sha256": conversations.keep_file(db, directory, data, account_id=visitor.inbox.account_id, uploader=conversations.contact_uploader(visitor.contact.id))}
    message, created = store_message_from(
        db,
        visitor.contact.id,
        visitor.inbox.id,
        name,
        client_id,
        # No words of the customer's: no language to detect, nothing to translate.
        attributes={"attachments": [file], "text_is_file_name": True},
        detect_language=False,
    )
    if created:
        limiter.hit(key)
    return message


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


@dataclass(frozen=True)
class SocketWrite:
    """What a socket message is about to read: the writer's batch hint."""

    contact_id: int
    inbox_id: int
    client_id: str | None


def socket_source_id(contact_id: int, client_id: str | None) -> str | None:
    """The stored channel id of a visitor's message: the widget's own id,
    scoped to the visitor. Scoped to the inbox alone, one visitor who sent
    another's id got that visitor's message back, and theirs was dropped as
    a resend. realtime.hub.visitor_message_view reads the widget's id back."""
    return f"web:{contact_id}:{client_id}" if client_id else None


@dataclass
class _BatchReads:
    """What one writer batch's socket messages read, read once for all."""

    conversations: dict[tuple[int, int], tuple[Conversation, Contact]]
    stored: dict[tuple[int, str], Message]
    looked_up: set[tuple[int, str]]
    # Held so that the session keeps them (its identity map is weak).
    language_evidence: list[Any]


_BATCH_READS = "dragoman_webchat_batch_reads"


def _batch_reads(db: Session) -> _BatchReads | None:
    """Reads, in one query each, the newest conversation of every contact and
    the already stored ids of every message in the writer's batch (one query
    per message was a third of the writer's time). None outside a batch."""
    reads = db.info.get(_BATCH_READS)
    if reads is not None:
        return reads  # type: ignore[no-any-return]
    hints = [hint for hint in db.info.get(BATCH_HINTS, ()) if isinstance(hint, SocketWrite)]
    if len(hints) < 2:
        return None
    reads = _BatchReads({}, {}, set(), [])
    for inbox_id in {hint.inbox_id for hint in hints}:
        in_inbox = [hint for hint in hints if hint.inbox_id == inbox_id]
        found = conversations.latest_conversations_and_contacts(db, inbox_id, [hint.contact_id for hint in in_inbox])
        reads.conversations.update({(contact_id, inbox_id): pair for contact_id, pair in found.items()})
        source_ids = [sid for sid in (socket_source_id(hint.contact_id, hint.client_id) for hint in in_inbox) if sid is not None]
        reads.stored.update({(inbox_id, sid): m for sid, m in conversations.messages_by_source(db, inbox_id, source_ids).items()})
        reads.looked_up.update((inbox_id, sid) for sid in source_ids)
        reads.language_evidence += language_services.load_language_evidence(
            db, [conversation.id for conversation, _ in found.values()]
        )
    db.info[_BATCH_READS] = reads
    return reads


def store_message_from(
    db: Session,
    contact_id: int,
    inbox_id: int,
    content: str | None,
    client_id: str | None,
    *,
    attributes: dict[str, Any] | None = None,
    detect_language: bool = True,
) -> tuple[Message, bool]:
    """Returns (message, created); created is False for a resend already stored.
    `attributes` and `detect_language` as conversations.receive_incoming_message takes them."""
    conversations.check_message_content(content)  # reject before creating a conversation
    source_id = socket_source_id(contact_id, client_id)
    reads = _batch_reads(db)
    looked_up = False
    if reads is not None and source_id is not None and (inbox_id, source_id) in reads.looked_up:
        stored = reads.stored.get((inbox_id, source_id))
        if stored is not None:
            return stored, False
        looked_up = True
    # `contact` is held while the message is stored: its events reuse it.
    if reads is not None and (contact_id, inbox_id) in reads.conversations:
        conversation, contact = reads.conversations[(contact_id, inbox_id)]
    else:
        conversation, contact = conversations.latest_conversation_and_contact(db, contact_id, inbox_id)
    start_new = conversation is None or conversation.status is ConversationStatus.resolved
    if start_new:
        conversation, contact = None, db.get(Contact, contact_id)
        if contact is None:
            raise NotAuthenticated("this chat no longer exists; start a new one")
    assert contact is not None
    # The one inbound path (channels/receive.py): de-duplicated by the widget's id, stored, announced.
    received = receive(
        db,
        inbox_id,
        InboundMessage(
            source_id=source_id,
            sender_id="",  # the visitor is known by their token: `contact` below
            content=content or "",
            attributes=dict(attributes or {}),
            detect_language=detect_language,
        ),
        contact=contact,
        conversation=conversation,
        start_new=start_new,
        looked_up=looked_up,
    )
    message, created = received.message, received.created
    if reads is not None and received.conversation is not None:
        # The batch's next message from this contact goes to the same conversation.
        reads.conversations[(contact_id, inbox_id)] = (received.conversation, contact)
    if reads is not None and source_id is not None:
        # A resend in the same batch finds it here, not in the database.
        reads.stored[(inbox_id, source_id)] = message
    return message, created


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
