"""Importing mail in bulk (a mailbox moved from another helpdesk, an mbox
export): each new thread becomes a ticket, each reply joins its thread.

The live e-mail path stores one mail at a time through the conversation
services, with events for every listener. An import of 100,000 mails would
take minutes that way, so this path writes a batch of mails with one insert
per table and no events (nobody needs 100,000 notifications for history);
the rules are the same: de-duplicated by Message-ID, threaded by
In-Reply-To / References (and a "[#id]" in the subject), auto-replies and
bounces never become tickets, language detected per message, SLA timers
started for tickets that are still open.
"""

from __future__ import annotations

from collections import deque
from collections.abc import Iterable, Iterator
from concurrent.futures import Future, ProcessPoolExecutor
from dataclasses import dataclass, field
from datetime import datetime
from itertools import islice
from typing import Any

from sqlalchemy import insert, select
from sqlalchemy.orm import Session

from dragoman.core.mime import (
    ParsedEmail,
    check_size,
    parse_email,
    stored_content,
    thread_keys,
    ticket_reference_in_subject,
)
from dragoman.contacts.models import Contact, ContactIdentity
from dragoman.conversations.models import Conversation, ConversationStatus, Direction, Message, Priority, SenderType
from dragoman.core.clock import utcnow
from dragoman.inboxes.models import Inbox
from dragoman.language.detect import Detection, shared_detection
from dragoman.language.services import get_settings
from dragoman.calendars.services import from_epoch, to_epoch
from dragoman.tickets import sla_clock
from dragoman.tickets.models import SlaEvent, SlaPolicy, SlaTimer, Ticket, TicketStatus
from dragoman.tickets.services import MAX_SUBJECT, business_hours



@dataclass
class ImportReport:
    tickets: int = 0
    replies: int = 0
    duplicates: int = 0
    automatic: int = 0
    refused: int = 0
    warnings: list[str] = field(default_factory=list)


def _batches(items: Iterable[Any], size: int) -> Iterator[list[Any]]:
    iterator = iter(items)
    while batch := list(islice(iterator, size)):
        yield batch


# A mail refused for its size (the reason), or parsed, with the language of
# the text that will be stored (when asked for).
Parsed = tuple[str | None, ParsedEmail | None, Detection | None]


def parse_batch(raws: list[bytes], languages: list[str] | None, detect: bool) -> list[Parsed]:
    detector = shared_detection() if detect else None
    out: list[Parsed] = []
    for raw in raws:
        reason = check_size(raw)
        if reason is not None:
            out.append((reason, None, None))
            continue
        mail = parse_email(raw)
        detection = detector.detect(stored_content(mail)[0], languages) if detector is not None and not mail.is_automatic else None
        out.append((None, mail, detection))
    return out


# Batches handed to the parsing processes ahead of the one being written.
IN_FLIGHT = 2


def _parsed_batches(
    raws: Iterable[bytes], size: int, languages: list[str] | None, detect: bool, workers: int
) -> Iterator[list[Parsed]]:
    """Batches of parsed mail, in order. With workers, other processes parse
    (and detect languages in) the next batches while this one writes:
    parsing MIME and detecting languages are most of an import's work, and
    the database writes cannot use a second core."""
    if workers <= 0:
        yield from (parse_batch(batch, languages, detect) for batch in _batches(raws, size))
        return
    with ProcessPoolExecutor(max_workers=workers) as pool:
        pending: deque[Future[list[Parsed]]] = deque()
        for batch in _batches(raws, size):
            pending.append(pool.submit(parse_batch, batch, languages, detect))
            if len(pending) > IN_FLIGHT:
                yield pending.popleft().result()
        while pending:
            yield pending.popleft().result()


def import_emails(
    db: Session,
    inbox: Inbox,
    raws: Iterable[bytes],
    *,
    batch_size: int = 1000,
    detect_languages: bool = True,
    workers: int = 0,
    now: datetime | None = None,
) -> ImportReport:
    """Import `raws` into `inbox`, committing each batch. Returns counts.
    `workers`: processes that parse ahead (0: parse here)."""
    report = ImportReport()
    now = now or utcnow()
    languages = list(get_settings(db, inbox.account_id).languages or ()) or None if detect_languages else None
    # Imported contacts carry no tier: the default policy of each priority.
    policies = {p.priority: p for p in db.scalars(select(SlaPolicy).where(SlaPolicy.account_id == inbox.account_id, SlaPolicy.tier.is_(None)))}
    policy = policies.get(Priority.normal.value)
    for batch in _parsed_batches(raws, batch_size, languages, detect_languages, workers):
        _import_batch(db, inbox, batch, report, policy, now)
        db.commit()
    return report


def _import_batch(
    db: Session,
    inbox: Inbox,
    batch: list[Parsed],
    report: ImportReport,
    policy: SlaPolicy | None,
    now: datetime,
) -> None:
    account_id = inbox.account_id
    parsed: list[ParsedEmail] = []
    detections: dict[int, Detection] = {}
    for reason, mail, detection in batch:
        if mail is None:
            report.refused += 1
            report.warnings.append(reason or "unreadable")
            continue
        if mail.is_automatic:
            report.automatic += 1  # never a ticket, never answered: no loops
            continue
        if not mail.sender_address:
            report.refused += 1
            report.warnings.append(f"no sender in mail {mail.message_id or '(no Message-ID)'}")
            continue
        parsed.append(mail)
        if detection is not None:
            detections[id(mail)] = detection
    # Already stored (an import run twice, a mail in two folders).
    ids = [m.message_id for m in parsed if m.message_id]
    stored: dict[str, int] = {}
    keys = {key for m in parsed for key in thread_keys(m)} | set(ids)
    for chunk in _batches(sorted(keys), 900):
        for source_id, conversation_id in db.execute(
            select(Message.source_id, Message.conversation_id).where(Message.inbox_id == inbox.id, Message.source_id.in_(chunk))
        ):
            stored[source_id] = conversation_id
    referenced = {ref for m in parsed if (ref := ticket_reference_in_subject(m.subject)) is not None}
    by_ticket: dict[int, int] = {}
    if referenced:
        for ticket_id, conversation_id in db.execute(
            select(Ticket.id, Ticket.conversation_id)
            .join(Conversation, Conversation.id == Ticket.conversation_id)
            .where(Ticket.id.in_(referenced), Conversation.inbox_id == inbox.id)
        ):
            by_ticket[ticket_id] = conversation_id
    # Contacts by address: found, or created in one insert.
    addresses = sorted({m.sender_address for m in parsed})
    contacts: dict[str, int] = {}
    for chunk in _batches(addresses, 900):
        for contact_id, address in db.execute(
            select(Contact.id, Contact.email).where(Contact.account_id == account_id, Contact.email.in_(chunk))
        ):
            contacts.setdefault(address, contact_id)
    names = {m.sender_address: m.sender_name for m in parsed}
    missing = [a for a in addresses if a not in contacts]
    if missing:
        rows = db.execute(
            insert(Contact).returning(Contact.id, Contact.email),
            [{"account_id": account_id, "name": (names[a] or None) and names[a][:200], "email": a, "created_at": now} for a in missing],
        ).all()
        for contact_id, address in rows:
            contacts[address] = contact_id
        db.execute(
            insert(ContactIdentity), [{"contact_id": contacts[a], "inbox_id": inbox.id, "source_id": a} for a in missing]
        )
    # Which mails start a ticket and which join one (possibly one started in this batch).
    new_threads: list[ParsedEmail] = []
    replies: list[tuple[ParsedEmail, int | str]] = []  # conversation id, or the Message-ID of a new thread's first mail
    in_batch: dict[str, str] = {}  # Message-ID -> Message-ID of its thread's first mail in this batch
    seen: set[str] = set()
    for mail in parsed:
        if mail.message_id and (mail.message_id in stored or mail.message_id in seen):
            report.duplicates += 1
            continue
        if mail.message_id:
            seen.add(mail.message_id)
        target: int | str | None = None
        for key in thread_keys(mail):
            if key in stored:
                target = stored[key]
                break
            if key in in_batch:
                target = in_batch[key]
                break
        if target is None:
            reference = ticket_reference_in_subject(mail.subject)
            if reference is not None and reference in by_ticket:
                target = by_ticket[reference]
        if target is None:
            new_threads.append(mail)
            if mail.message_id:
                in_batch[mail.message_id] = mail.message_id
        else:
            replies.append((mail, target))
            if mail.message_id and isinstance(target, str):
                in_batch[mail.message_id] = target
    # One conversation and one ticket per new thread.
    conversation_rows = []
    for mail in new_threads:
        language = None
        detection = detections.get(id(mail))
        if detection is not None and detection.confidence >= 0.5:
            language = detection.language
        received = mail.date or now
        conversation_rows.append(
            {
                "account_id": account_id,
                "inbox_id": inbox.id,
                "contact_id": contacts[mail.sender_address],
                "status": ConversationStatus.open,
                "priority": Priority.normal,
                "language": language,
                "last_activity_at": received,
                "unanswered_count": 1,
                "bot_active": False,
                "created_at": received,
            }
        )
    thread_conversation: dict[str, int] = {}
    new_conversations: list[int] = []
    if conversation_rows:
        new_conversations = list(db.scalars(insert(Conversation).returning(Conversation.id, sort_by_parameter_order=True), conversation_rows))
        for mail, conversation_id in zip(new_threads, new_conversations):
            if mail.message_id:
                thread_conversation[mail.message_id] = conversation_id
    message_rows = []

    def message_row(mail: ParsedEmail, conversation_id: int) -> dict[str, Any]:
        text, attributes = stored_content(mail)
        detection = detections.get(id(mail))
        if detection is not None:
            attributes["language"] = detection.as_dict()
        return {
            "account_id": account_id,
            "conversation_id": conversation_id,
            "inbox_id": inbox.id,
            "direction": Direction.incoming,
            "content": text,
            "sender_type": SenderType.contact,
            "sender_id": contacts[mail.sender_address],
            "source_id": mail.message_id[:255] if mail.message_id else None,
            "attributes": attributes,
            "created_at": mail.date or now,
        }

    for mail, conversation_id in zip(new_threads, new_conversations):
        message_rows.append(message_row(mail, conversation_id))
    for mail, target in replies:
        conversation_id = target if isinstance(target, int) else thread_conversation.get(target)
        if conversation_id is None:
            continue
        message_rows.append(message_row(mail, conversation_id))
        report.replies += 1
    if message_rows:
        db.execute(insert(Message), message_rows)
    if new_threads:
        ticket_rows = [
            {
                "account_id": account_id,
                "conversation_id": conversation_id,
                "subject": (mail.subject or "(no subject)")[:MAX_SUBJECT].replace("\r", " ").replace("\n", " "),
                "status": TicketStatus.new,
                "type": None,
                "tags": [],
                "custom_fields": {},
                "source": "email",
                "created_at": mail.date or now,
                "updated_at": now,
            }
            for mail, conversation_id in zip(new_threads, new_conversations)
        ]
        ticket_ids = list(db.scalars(insert(Ticket).returning(Ticket.id, sort_by_parameter_order=True), ticket_rows))
        report.tickets += len(ticket_ids)
        if policy is not None:
            timers = _timer_rows(policy, ticket_ids, [m.date or now for m in new_threads], account_id)
            db.execute(insert(SlaTimer), timers)
            languages_of = dict(zip(ticket_ids, (row["language"] for row in conversation_rows)))
            db.execute(
                insert(SlaEvent),
                [
                    {
                        "account_id": account_id,
                        "ticket_id": row["ticket_id"],
                        "policy_id": policy.id,
                        "metric": row["metric"],
                        "kind": "started",
                        "at": row["started_at"],
                        "priority": Priority.normal.value,
                        "language": languages_of[row["ticket_id"]],
                    }
                    for row in timers
                ],
            )


def _timer_rows(policy: SlaPolicy, ticket_ids: list[int], received: list[datetime], account_id: int) -> list[dict[str, Any]]:
    """Timers from each mail's arrival: an imported mail that waited a day
    has used a day of its promise."""
    hours = business_hours(policy)
    rows: list[dict[str, Any]] = []
    for metric in ("first_response", "resolution"):
        target = getattr(policy, f"{metric}_seconds")
        if target is None:
            continue
        for ticket_id, at in zip(ticket_ids, received):
            clock = sla_clock.start_clock(sla_clock.SlaMetric(metric), target, to_epoch(at), policy.warn_ratio)
            try:
                warn, due = sla_clock.warn_at(clock, hours), sla_clock.deadline(clock, hours)
            except sla_clock.NeverOpen:
                warn = due = None
            rows.append(
                {
                    "account_id": account_id,
                    "ticket_id": ticket_id,
                    "policy_id": policy.id,
                    "metric": metric,
                    "state": "running",
                    "target_seconds": target,
                    "warn_ratio": policy.warn_ratio,
                    "started_at": at,
                    "used_seconds": 0.0,
                    "running_since": at,
                    "warn_at": from_epoch(warn) if warn is not None else None,
                    "due_at": from_epoch(due) if due is not None else None,
                    "next_check_at": from_epoch(warn) if warn is not None else None,
                }
            )
    return rows
