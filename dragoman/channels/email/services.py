"""The live e-mail path: one mail in (from IMAP or the SMTP listener) becomes a
ticket or joins its thread; an agent's reply goes out with the headers that
thread it in the customer's mail client.

Every mail that reaches `receive_email` ends somewhere a person can find it:
stored as a message, or (refused for its size, or unreadable) saved as raw
bytes under the data directory with a log line saying why. Auto-replies and
bounces never open a ticket and are never answered, so two auto-responders
cannot loop through Dragoman.
"""

from __future__ import annotations

import hashlib
import logging
from dataclasses import dataclass
from datetime import datetime
from email.utils import make_msgid
from pathlib import Path
from typing import Any

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from dragoman.channels.base import InboundMessage, OutboundMessage
from dragoman.channels.receive import already_received, receive, sender_contact
from dragoman.channels.email.kind import EMAIL
from dragoman.channels.email.adapter import DeliveryError
from dragoman.channels.email.config import EmailSettings, read_email_settings
from dragoman.core.mime import (
    ParsedEmail,
    check_size,
    parse_email,
    sanitize_html,
    stored_content,
    thread_keys,
    ticket_reference_in_subject,
)
from dragoman.contacts.models import Contact
from dragoman.conversations import services as conversations
from dragoman.conversations.events import ConversationNeedsTicket
from dragoman.conversations.models import Conversation, Direction, Message, SenderType
from dragoman.core import events
from dragoman.core.clock import utcnow
from dragoman.core.files import stored_file
from dragoman.inboxes.models import Inbox
from dragoman.tickets import services as tickets
from dragoman.tickets.acknowledgement import acknowledge_request
from dragoman.tickets.models import Ticket, TicketStatus

log = logging.getLogger(__name__)

# Sanitised HTML kept beside the text, for the agent who wants the layout.
MAX_STORED_HTML = 200_000


@dataclass(frozen=True)
class Receipt:
    """What became of one mail."""

    outcome: str  # "ticket" | "reply" | "duplicate" | "automatic" | "loop" | "refused"
    reason: str | None = None
    conversation_id: int | None = None
    ticket_id: int | None = None
    message_id: int | None = None


def email_inboxes(db: Session) -> list[Inbox]:
    return list(db.scalars(select(Inbox).where(Inbox.channel_type == EMAIL).order_by(Inbox.id)))


def inbox_addresses(db: Session) -> dict[str, int]:
    """Each e-mail inbox's own address (lower case) -> its id; a mail from one
    of these is our own mail coming back, never a customer."""
    found: dict[str, int] = {}
    for inbox in email_inboxes(db):
        address = (inbox.settings or {}).get("address")
        if isinstance(address, str) and address:
            found.setdefault(address.strip().lower(), inbox.id)
    return found


def save_raw(spool_dir: Path, raw: bytes, reason: str) -> Path:
    """Keep a mail that could not be stored as a message, so it is never lost."""
    spool_dir.mkdir(parents=True, exist_ok=True)
    digest = hashlib.sha256(raw).hexdigest()
    path = spool_dir / f"{utcnow():%Y%m%dT%H%M%S}-{digest[:16]}.eml"
    path.write_bytes(raw)
    log.warning("mail kept as raw bytes in %s: %s", path, reason)
    return path


def store_attachments(db: Session, attachment_dir: Path, mail: ParsedEmail, account_id: int, contact_id: int) -> list[dict[str, Any]]:
    """Attachments on disk by their SHA-256 (the same file sent twice is kept
    once), as files of the inbox's account sent by the customer; the message
    keeps their names, types, sizes and digests."""
    stored: list[dict[str, Any]] = []
    for attachment in mail.attachments:
        digest = conversations.keep_file(
            db, attachment_dir, attachment.data, account_id=account_id, uploader=conversations.contact_uploader(contact_id)
        )
        stored.append(
            {
                "filename": attachment.filename,
                "content_type": attachment.content_type,
                "size": len(attachment.data),
                "sha256": digest,
                "inline": attachment.inline,
            }
        )
    return stored


def _source_id(mail: ParsedEmail, raw: bytes) -> str:
    # Without a Message-ID, the bytes' digest: a mail fetched twice is still one mail.
    if mail.message_id:
        return mail.message_id[:255]
    return f"sha256-{hashlib.sha256(raw).hexdigest()[:40]}@dragoman.invalid"


def _thread_of(db: Session, inbox: Inbox, mail: ParsedEmail, sender: str) -> Conversation | None:
    keys = [key[:255] for key in thread_keys(mail)]
    if keys:
        found = conversations.messages_by_source(db, inbox.id, keys)
        for key in keys:
            if key in found:
                return db.get(Conversation, found[key].conversation_id)
    # The fallback, "[#123]" in the subject, only for the ticket's own customer:
    # anybody can type a number into a subject.
    reference = ticket_reference_in_subject(mail.subject)
    if reference is None:
        return None
    row = db.execute(
        select(Conversation)
        .join(Ticket, Ticket.conversation_id == Conversation.id)
        .join(Contact, Contact.id == Conversation.contact_id)
        .where(Ticket.id == reference, Conversation.inbox_id == inbox.id, Contact.email == sender)
    ).scalar_one_or_none()
    return row


def receive_email(
    db: Session,
    inbox: Inbox,
    raw: bytes,
    *,
    attachment_dir: Path,
    spool_dir: Path,
    now: datetime | None = None,
) -> Receipt:
    """Store one mail delivered to `inbox`. The caller commits."""
    settings = read_email_settings(inbox.settings)
    reason = check_size(raw, settings.max_bytes)
    if reason is not None:
        save_raw(spool_dir, raw, reason)
        return Receipt("refused", reason)
    mail = parse_email(raw)
    sender = (mail.sender_address or "").lower()
    if not sender:
        reason = f"no sender address in mail {mail.message_id or '(no Message-ID)'}"
        save_raw(spool_dir, raw, reason)
        return Receipt("refused", reason)
    if sender in inbox_addresses(db):
        log.warning("mail from our own address %s to inbox %d ignored (a loop)", sender, inbox.id)
        return Receipt("loop", f"sent from {sender}, an address of this install")
    source_id = _source_id(mail, raw)
    # Asked before anything is stored (attachments); `receive` below relies on it.
    existing = already_received(db, inbox.id, source_id)
    if existing is not None:
        return Receipt("duplicate", None, existing.conversation_id, None, existing.id)
    conversation = _thread_of(db, inbox, mail, sender)
    if mail.is_automatic:
        # Never a ticket, never answered. On a thread it still tells the agent
        # something (an out-of-office, a bounce of our reply), as a timeline line.
        log.info("automatic mail to inbox %d not answered: %s", inbox.id, mail.automatic_reason)
        if conversation is not None:
            conversations.add_activity(
                db,
                conversation,
                f"Automatic mail received ({mail.automatic_reason}): {mail.subject}"[:500],
                {"activity": "email_automatic", "reason": mail.automatic_reason, "subject": mail.subject[:300]},
            )
        return Receipt("automatic", mail.automatic_reason, conversation.id if conversation else None)
    text, attributes = stored_content(mail)
    attributes["email"]["message_id"] = source_id
    if mail.html:
        attributes["email"]["html"] = sanitize_html(mail.html)[:MAX_STORED_HTML]
    if mail.to:
        attributes["email"]["to"] = list(mail.to)[:20]
    if mail.warnings:
        log.warning("mail %s to inbox %d read with warnings: %s", source_id, inbox.id, "; ".join(mail.warnings))
    ticket = tickets.ticket_for_conversation(db, conversation.id) if conversation is not None else None
    if ticket is not None and ticket.merged_into_id is not None:
        # Merged: the thread now continues on the ticket it was merged into.
        ticket = tickets.live_ticket(db, ticket)
        conversation = db.get(Conversation, ticket.conversation_id)
    if conversation is not None and ticket is not None and ticket.status is TicketStatus.closed:
        # A closed ticket stays closed (its reports are final); the customer's
        # new mail is a follow-up ticket that says which one it follows.
        attributes["email"]["follow_up_of"] = ticket.id
        conversation = None
    inbound = InboundMessage(
        source_id=source_id, sender_id=sender, content=text, sender_name=mail.sender_name or None, sender_email=sender, attributes=attributes
    )
    if conversation is not None:
        if mail.attachments:
            attributes["email"]["attachments"] = store_attachments(db, attachment_dir, mail, inbox.account_id, conversation.contact_id)
        message = receive(db, inbox, inbound, conversation=conversation, looked_up=True).message
        # A pending or solved ticket opens again through the SLA thread, which
        # hears this message like any customer message on a ticket.
        return Receipt("reply", None, conversation.id, ticket.id if ticket else None, message.id)
    contact = sender_contact(db, inbox, inbound)
    if mail.attachments:
        attributes["email"]["attachments"] = store_attachments(db, attachment_dir, mail, inbox.account_id, contact.id)
    received = receive(db, inbox, inbound, contact=contact, start_new=True, looked_up=True)
    message, conversation = received.message, received.conversation
    assert conversation is not None
    # A new request: tickets make it one (the e-mail channel makes no tickets itself).
    events.emit_in_transaction(
        db,
        events.Event(
            conversation.account_id,
            ConversationNeedsTicket(conversation_id=conversation.id, subject=mail.subject or "(no subject)", source="email", now=now),
        ),
    )
    ticket = tickets.ticket_for_conversation(db, conversation.id)
    if settings.acknowledge and ticket is not None:
        acknowledge_request(db, conversation, ticket.id)
    return Receipt("ticket", None, conversation.id, ticket.id if ticket is not None else None, message.id)


def receive_email_safely(
    db: Session, inbox: Inbox, raw: bytes, *, attachment_dir: Path, spool_dir: Path
) -> Receipt:
    """`receive_email` and commit; a mail the database refuses (a duplicate
    stored at the same instant by another receiver) or a bug is kept raw and
    logged instead of raising into the receiver."""
    try:
        receipt = receive_email(db, inbox, raw, attachment_dir=attachment_dir, spool_dir=spool_dir)
        db.commit()
        return receipt
    except IntegrityError:
        db.rollback()
        return Receipt("duplicate", "stored by another receiver at the same time")
    except Exception as error:  # noqa: BLE001 - a receiver must outlive one bad mail
        db.rollback()
        log.exception("mail to inbox %d could not be stored", inbox.id)
        save_raw(spool_dir, raw, f"could not be stored: {error!r}")
        return Receipt("refused", f"could not be stored: {type(error).__name__}")


# -- replies ---------------------------------------------------------------------------


def is_sendable(message: Message) -> bool:
    """Replies a customer receives by mail: a person's or the bot's, not notes
    or timeline lines, and not one that already went out."""
    return message.direction is Direction.outgoing and message.source_id is None


def outbound_for(db: Session, message: Message, settings: EmailSettings, attachment_dir: Path) -> OutboundMessage | None:
    """The reply as the e-mail adapter sends it: to the customer, under the
    thread's subject, answering their latest mail, with one Message-ID kept
    across retries (stored in the message's attributes), and the files the
    agent attached (their paths; raises DeliveryError when one is gone)."""
    files = []
    for file in (message.attributes or {}).get("attachments") or []:
        path = stored_file(attachment_dir, str(file.get("sha256", "")))
        if path is None:
            raise DeliveryError(f"the attached file {file.get('filename')!r} is missing on this server", permanent=True)
        files.append({"filename": file["filename"], "content_type": file.get("content_type") or "application/octet-stream", "path": str(path)})
    conversation = db.get(Conversation, message.conversation_id)
    contact = db.get(Contact, conversation.contact_id) if conversation is not None else None
    if conversation is None or contact is None or not contact.email:
        return None
    thread = list(
        db.execute(
            select(Message.source_id, Message.direction, Message.attributes)
            .where(Message.conversation_id == conversation.id, Message.source_id.is_not(None), Message.id < message.id)
            .order_by(Message.id)
        )
    )
    references = [source for source, _direction, _attributes in thread if source and "@" in source][-20:]
    incoming = [(source, attributes) for source, direction, attributes in thread if direction is Direction.incoming]
    in_reply_to = incoming[-1][0] if incoming else (references[-1] if references else None)
    ticket = tickets.ticket_for_conversation(db, conversation.id)
    subject = ticket.subject if ticket is not None else next(
        (((a or {}).get("email") or {}).get("subject") for _s, a in incoming if ((a or {}).get("email") or {}).get("subject")),
        "",
    )
    details = dict((message.attributes or {}).get("email") or {})
    if not details.get("message_id"):
        domain = settings.address.split("@", 1)[1]
        details["message_id"] = make_msgid(idstring=f"m{message.id}", domain=domain).strip("<>")
        message.attributes = {**(message.attributes or {}), "email": details}
    return OutboundMessage(
        message_id=message.id,
        conversation_id=conversation.id,
        recipient_id=contact.email,
        content=message.content,
        sender_name=settings.from_name,
        attributes={
            "subject": subject,
            "in_reply_to": in_reply_to,
            "references": references,
            "message_id": details["message_id"],
            "ticket_id": ticket.id if ticket is not None else None,
            # No person wrote it (an acknowledgement, a closed notice, the
            # bot's answer): marked so that auto-responders leave it be.
            "automatic": message.sender_type is SenderType.system,
            "files": files,
        },
    )


def mark_sent(db: Session, message: Message, at: datetime) -> None:
    """The Message-ID becomes the reply's source id, so the customer's answer
    (In-Reply-To it) finds this thread. (Its delivery status is the
    pipeline's: channels/delivery.py.)"""
    details = dict((message.attributes or {}).get("email") or {})
    details.update(sent_at=at.isoformat() + "Z")
    message.source_id = details["message_id"][:255]
    message.attributes = {**(message.attributes or {}), "email": details}
