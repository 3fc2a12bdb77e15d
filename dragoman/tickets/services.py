"""Tickets and their SLA timers: creating, changing, reading, and the sweep
that fires warnings and breaches.

The clock arithmetic is `sla_clock` (pure); this module stores what it
computes. Every timer change writes an `SlaEvent`, so attainment per policy,
team and language can be computed later from the events alone.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import datetime
from functools import lru_cache
from typing import Any

from sqlalchemy import Select, String, and_, cast, func, select, update
from sqlalchemy.sql.elements import ColumnElement
from sqlalchemy.orm import Session
from sqlalchemy.orm.attributes import set_committed_value

from dragoman.accounts.models import Role, Team, User
from dragoman.accounts.permissions import Viewer, visible_conversations_clause
from dragoman.accounts.services import get_team
from dragoman.core.edge import plain_integer
from dragoman.contacts.models import Contact
from dragoman.contacts.services import clean_tier, create_contact, get_contact
from dragoman.conversations import services as conversations
from dragoman.conversations.events import ConversationNeedsTicket
from dragoman.conversations.models import Conversation, ConversationStatus, Direction, Message, Priority
from dragoman.core import events
from dragoman.core.clock import isoformat, utcnow
from dragoman.core.errors import Conflict, DragomanError, InvalidInput, NotFound
from dragoman.core.like import LIKE_ESCAPE, contains_pattern
from dragoman.core.validation import optional_email, require_language, require_text
from dragoman.inboxes.models import Inbox
from dragoman.language import services as language_services
from dragoman.calendars.hours import BusinessHours, Window
from dragoman.calendars.services import check_hours_input, from_epoch, hours_out, to_epoch
from dragoman.tickets import sla_clock
from dragoman.tickets.events import SlaBreached, SlaWarning, TicketCreated, TicketPayload, TicketUpdated
from dragoman.tickets.fields import FIELD_TYPES, FieldDefinition, check_fields, check_key, missing_to_solve
from dragoman.tickets.models import SlaEvent, SlaPolicy, SlaTimer, Ticket, TicketField, TicketLink, TicketStatus, TicketView
from dragoman.tickets.schemas import (
    NewTicketIn,
    PriorityName,
    SlaPolicyIn,
    SlaPolicyOut,
    SlaTimerOut,
    TicketContact,
    TicketCsat,
    TicketFieldIn,
    TicketFieldOut,
    TicketFromConversationIn,
    TicketOut,
    TicketPatchIn,
    TicketStatusName,
)


SLA_ACTOR = "SLA"
MAX_SUBJECT = 300
MAX_TAGS = 30
PRIORITY_ORDER = ("low", "normal", "high", "urgent")
# Ticket status -> the conversation's: agents' inbox filters keep working.
CONVERSATION_STATUS = {
    TicketStatus.new: ConversationStatus.open,
    TicketStatus.open: ConversationStatus.open,
    TicketStatus.on_hold: ConversationStatus.open,
    TicketStatus.pending: ConversationStatus.pending,
    TicketStatus.solved: ConversationStatus.resolved,
    TicketStatus.closed: ConversationStatus.resolved,
}
METRIC_WORDS = {"first_response": "first response", "next_response": "next response", "resolution": "resolution"}


# -- checking input ---------------------------------------------------------------


def clean_subject(subject: str | None) -> str:
    text = require_text(subject, "subject", max_length=MAX_SUBJECT)
    if "\r" in text or "\n" in text:
        # A subject becomes a mail header: a line break would let it add headers.
        raise InvalidInput("subject must be one line", field="subject")
    return text


def tag_clause(tag: str) -> ColumnElement[bool]:
    """Tickets whose tags hold `tag` (cleaned as tags are stored). Tags are a
    JSON list, written by json.dumps on both databases, so the tag appears
    in the column's text exactly as json.dumps writes it, quotes included:
    a match on that text needs no JSON functions, which SQLite and
    PostgreSQL spell differently."""
    cleaned = require_text(tag, "tag", max_length=50).lower()  # as clean_tags stores it
    return cast(Ticket.tags, String).like(contains_pattern(json.dumps(cleaned)), escape=LIKE_ESCAPE)


def clean_tags(tags: Sequence[str]) -> list[str]:
    if len(tags) > MAX_TAGS:
        raise InvalidInput(f"at most {MAX_TAGS} tags", field="tags")
    out: list[str] = []
    for index, tag in enumerate(tags):
        text = require_text(tag, f"tags[{index}]", max_length=50).lower()
        if text not in out:
            out.append(text)
    return out


def clean_custom_fields(db: Session, account_id: int, fields: dict[str, Any]) -> dict[str, Any]:
    """Checked against the account's field definitions when it has any;
    free-form (short keys, plain values) when it has none."""
    definitions = field_definitions(db, account_id)
    if definitions:
        return {k: v for k, v in check_fields(definitions, fields).items() if v is not None}
    for key, value in fields.items():
        if not key or len(key) > 50:
            raise InvalidInput("a custom field's name is 1-50 characters", field="custom_fields")
        if value is not None and not isinstance(value, (str, int, float, bool)):
            raise InvalidInput("a custom field holds text, a number, true/false or null", field=f"custom_fields.{key}")
        if isinstance(value, str) and len(value) > 1000:
            raise InvalidInput("at most 1000 characters", field=f"custom_fields.{key}")
    return dict(fields)


def field_definitions(db: Session, account_id: int) -> dict[str, FieldDefinition]:
    return {
        f.key: FieldDefinition(f.key, f.type, tuple(f.options or ()), f.required_to_solve)
        for f in db.scalars(select(TicketField).where(TicketField.account_id == account_id))
    }


def save_ticket_field(db: Session, account_id: int, body: TicketFieldIn, existing: TicketField | None = None) -> TicketField:
    key = check_key(body.key)
    if body.type not in FIELD_TYPES:
        raise InvalidInput(f"type must be one of {', '.join(FIELD_TYPES)}", field="type")
    if not body.labels:
        raise InvalidInput('give a label in at least one language: {"en": "Order number"}', field="labels")
    labels = {require_language(code, f"labels.{code}"): require_text(text, f"labels.{code}", max_length=100) for code, text in body.labels.items()}
    options = [require_text(o, f"options[{i}]", max_length=100) for i, o in enumerate(body.options)]
    if body.type == "select" and not options:
        raise InvalidInput("a select field needs its options", field="options")
    if len(set(options)) != len(options):
        raise InvalidInput("each option once", field="options")
    taken = db.scalar(select(TicketField.id).where(TicketField.account_id == account_id, TicketField.key == key))
    if taken is not None and (existing is None or taken != existing.id):
        raise Conflict(f"a ticket field {key!r} already exists", field="key")
    field = existing or TicketField(account_id=account_id)
    field.key, field.type, field.labels, field.options = key, body.type, labels, options
    field.required_to_solve, field.position = body.required_to_solve, body.position
    if existing is None:
        db.add(field)
    db.flush()
    return field


def ticket_field_out(field: TicketField) -> TicketFieldOut:
    return TicketFieldOut(
        id=field.id, key=field.key, type=field.type, labels=dict(field.labels or {}), options=list(field.options or ()),
        required_to_solve=field.required_to_solve, position=field.position,
    )


def list_ticket_fields(db: Session, account_id: int) -> list[TicketField]:
    return list(db.scalars(select(TicketField).where(TicketField.account_id == account_id).order_by(TicketField.position, TicketField.id)))


def get_ticket_field(db: Session, account_id: int, field_id: int) -> TicketField:
    field = db.get(TicketField, field_id)
    if field is None or field.account_id != account_id:
        raise NotFound(f"ticket field {field_id} not found", field="field_id")
    return field


def clean_type(kind: str | None) -> str | None:
    if kind is None or not kind.strip():
        return None
    return require_text(kind, "type", max_length=40).lower()


# -- SLA policies -------------------------------------------------------------------


def _check_seconds(value: int | None, field: str) -> int | None:
    if value is not None and not 0 < value <= 366 * 86400:
        raise InvalidInput("must be between 1 second and a year", field=field)
    return value


def save_policy(db: Session, account_id: int, body: SlaPolicyIn, policy: SlaPolicy | None = None) -> SlaPolicy:
    name = require_text(body.name, "name", max_length=200)
    for field in ("first_response_seconds", "next_response_seconds", "resolution_seconds"):
        _check_seconds(getattr(body, field), field)
    if not 0 < body.warn_ratio < 1:
        raise InvalidInput("must be above 0 and below 1 (e.g. 0.75)", field="warn_ratio")
    windows, country, subdivision = check_hours_input(
        body.hours, body.timezone, body.holiday_country, body.holiday_subdivision
    )
    tier = clean_tier(body.tier)
    clash = db.scalar(
        select(SlaPolicy).where(
            SlaPolicy.account_id == account_id,
            SlaPolicy.priority == body.priority,
            SlaPolicy.tier.is_(None) if tier is None else SlaPolicy.tier == tier,
        )
    )
    if clash is not None and clash is not policy:
        whom = f" for tier {tier}" if tier else ""
        raise Conflict(f"policy {clash.name!r} already covers priority {body.priority}{whom}", field="priority")
    if policy is None:
        policy = SlaPolicy(account_id=account_id)
        db.add(policy)
    policy.name = name
    policy.priority = body.priority
    policy.tier = tier
    policy.first_response_seconds = body.first_response_seconds
    policy.next_response_seconds = body.next_response_seconds
    policy.resolution_seconds = body.resolution_seconds
    policy.warn_ratio = body.warn_ratio
    policy.breach_action = body.breach_action
    policy.timezone = body.timezone
    policy.windows = [{"weekday": w.weekday, "start": w.start, "end": w.end} for w in windows]
    policy.holiday_country = country
    policy.holiday_subdivision = subdivision
    db.flush()
    return policy


def policy_out(policy: SlaPolicy) -> SlaPolicyOut:
    return SlaPolicyOut(
        id=policy.id,
        name=policy.name,
        priority=policy.priority,  # type: ignore[arg-type]
        first_response_seconds=policy.first_response_seconds,
        next_response_seconds=policy.next_response_seconds,
        resolution_seconds=policy.resolution_seconds,
        warn_ratio=policy.warn_ratio,
        breach_action=policy.breach_action,  # type: ignore[arg-type]
        tier=policy.tier,
        timezone=policy.timezone,
        hours=hours_out(_windows(policy)),
        holiday_country=policy.holiday_country,
        holiday_subdivision=policy.holiday_subdivision,
    )


def get_policy(db: Session, account_id: int, policy_id: int) -> SlaPolicy:
    policy = db.get(SlaPolicy, policy_id)
    if policy is None or policy.account_id != account_id:
        raise NotFound(f"SLA policy {policy_id} not found", field="policy_id")
    return policy


def list_policies(db: Session, account_id: int) -> list[SlaPolicy]:
    return list(db.scalars(select(SlaPolicy).where(SlaPolicy.account_id == account_id).order_by(SlaPolicy.id)))


def _windows(policy: SlaPolicy) -> list[Window]:
    return [Window(w["weekday"], w["start"], w["end"]) for w in policy.windows or ()]


@lru_cache(maxsize=256)
def _calendar(timezone: str, windows: tuple[Window, ...], country: str | None, subdivision: str | None) -> BusinessHours | None:
    # Building a holiday calendar costs far more than using one: one per
    # distinct definition, shared by every ticket of the policy.
    if not windows and not country:
        return None
    return BusinessHours(timezone=timezone, windows=windows, holiday_country=country, holiday_subdivision=subdivision)


def business_hours(policy: SlaPolicy | None) -> BusinessHours | None:
    if policy is None:
        return None
    return _calendar(policy.timezone, tuple(_windows(policy)), policy.holiday_country, policy.holiday_subdivision)


def _policy_for(db: Session, conversation: Conversation, priority: str | None = None) -> SlaPolicy | None:
    """The policy for the conversation's priority and its customer's tier;
    the priority's default policy when the tier has none of its own."""
    contact = db.get(Contact, conversation.contact_id)
    tier = contact.tier if contact is not None else None
    policies = {
        p.tier: p
        for p in db.scalars(
            select(SlaPolicy).where(
                SlaPolicy.account_id == conversation.account_id, SlaPolicy.priority == (priority or conversation.priority.value)
            )
        )
    }
    return policies.get(tier) if tier in policies else policies.get(None)


# -- SLA timers ---------------------------------------------------------------------


def _clock(timer: SlaTimer) -> sla_clock.SlaClock:
    return sla_clock.SlaClock(
        sla_clock.SlaMetric(timer.metric),
        float(timer.target_seconds),
        timer.warn_ratio,
        timer.used_seconds,
        to_epoch(timer.running_since) if timer.running_since is not None else None,
    )


def _schedule(timer: SlaTimer, hours: BusinessHours | None) -> None:
    """Store when the timer warns and falls due, and when the sweep must next look."""
    clock = _clock(timer)
    if clock.paused or timer.state != "running":
        timer.warn_at = timer.due_at = timer.next_check_at = None
        return
    try:
        warn = sla_clock.warn_at(clock, hours)
        due = sla_clock.deadline(clock, hours)
    except sla_clock.NeverOpen:
        # A calendar too sparse for the target: no deadline rather than an error.
        warn = due = None
    timer.warn_at = from_epoch(warn) if warn is not None else None
    timer.due_at = from_epoch(due) if due is not None else None
    if timer.warned_at is None and timer.warn_at is not None and timer.breached_at is None:
        timer.next_check_at = timer.warn_at
    elif timer.breached_at is None:
        timer.next_check_at = timer.due_at
    else:
        timer.next_check_at = None


def _event(db: Session, ticket: Ticket, conversation: Conversation, timer: SlaTimer, kind: str, at: datetime) -> None:
    db.add(
        SlaEvent(
            account_id=ticket.account_id,
            ticket_id=ticket.id,
            policy_id=timer.policy_id,
            metric=timer.metric,
            kind=kind,
            at=at,
            priority=conversation.priority.value,
            team_id=conversation.team_id,
            assignee_id=conversation.assignee_id,
            language=conversation.language,
            used_seconds=timer.used_seconds if kind in ("met", "paused", "cancelled") else None,
        )
    )


def _timers(db: Session, ticket_id: int) -> dict[str, SlaTimer]:
    return {t.metric: t for t in db.scalars(select(SlaTimer).where(SlaTimer.ticket_id == ticket_id))}


def _target(policy: SlaPolicy, metric: str) -> int | None:
    return getattr(policy, f"{metric}_seconds")


def start_timer(
    db: Session, ticket: Ticket, conversation: Conversation, metric: str, now: datetime, policy: SlaPolicy | None = None
) -> SlaTimer | None:
    """(Re)start `metric` from zero under the ticket's policy; None when the
    policy sets no such target."""
    policy = policy if policy is not None else _policy_for(db, conversation)
    target = _target(policy, metric) if policy is not None else None
    if policy is None or target is None:
        return None
    timer = _timers(db, ticket.id).get(metric)
    if timer is None:
        timer = SlaTimer(account_id=ticket.account_id, ticket_id=ticket.id, metric=metric)
        db.add(timer)
    timer.policy_id = policy.id
    timer.state = "running"
    timer.target_seconds = target
    timer.warn_ratio = policy.warn_ratio
    timer.started_at = now
    timer.used_seconds = 0.0
    timer.running_since = now
    timer.warned_at = timer.breached_at = timer.stopped_at = None
    _schedule(timer, business_hours(policy))
    db.flush()
    _event(db, ticket, conversation, timer, "started", now)
    return timer


def _stop(db: Session, ticket: Ticket, conversation: Conversation, timer: SlaTimer, now: datetime, kind: str) -> None:
    if timer.state not in ("running", "paused"):
        return
    if timer.running_since is not None:
        timer.used_seconds = sla_clock.used_seconds(_clock(timer), _hours_of(db, timer), to_epoch(now))
    timer.state = "met" if kind == "met" else "cancelled"
    timer.running_since = None
    timer.stopped_at = now
    timer.warn_at = timer.due_at = timer.next_check_at = None
    _event(db, ticket, conversation, timer, kind, now)


def _hours_of(db: Session, timer: SlaTimer) -> BusinessHours | None:
    return business_hours(db.get(SlaPolicy, timer.policy_id) if timer.policy_id is not None else None)


def pause_timers(db: Session, ticket: Ticket, conversation: Conversation, now: datetime) -> None:
    """Waiting for the customer: no clock runs."""
    for timer in _timers(db, ticket.id).values():
        if timer.state == "running" and timer.running_since is not None:
            timer.used_seconds = sla_clock.used_seconds(_clock(timer), _hours_of(db, timer), to_epoch(now))
            timer.running_since = None
            timer.state = "paused"
            _schedule(timer, None)
            _event(db, ticket, conversation, timer, "paused", now)


def resume_timers(db: Session, ticket: Ticket, conversation: Conversation, now: datetime) -> None:
    for timer in _timers(db, ticket.id).values():
        if timer.state == "paused":
            timer.state = "running"
            timer.running_since = now
            _schedule(timer, _hours_of(db, timer))
            _event(db, ticket, conversation, timer, "resumed", now)


def retarget_timers(db: Session, ticket: Ticket, conversation: Conversation, now: datetime) -> None:
    """The priority changed: live timers take the new policy's targets and
    calendar, keeping the business time already used."""
    policy = _policy_for(db, conversation)
    for timer in _timers(db, ticket.id).values():
        if timer.state not in ("running", "paused") or timer.breached_at is not None:
            # A breached promise keeps its record (target, deadline): a new
            # policy's longer target or other calendar must not turn "overdue"
            # back into "due in" while the breach stays on record.
            continue
        target = _target(policy, timer.metric) if policy is not None else None
        if policy is None or target is None:
            _stop(db, ticket, conversation, timer, now, "cancelled")
            continue
        if timer.running_since is not None:
            # Bank the time used under the old calendar before switching.
            timer.used_seconds = sla_clock.used_seconds(_clock(timer), _hours_of(db, timer), to_epoch(now))
            timer.running_since = now
        timer.policy_id = policy.id
        timer.target_seconds = target
        timer.warn_ratio = policy.warn_ratio
        _schedule(timer, business_hours(policy))
    if policy is not None and ticket.status not in (TicketStatus.solved, TicketStatus.closed):
        live = _timers(db, ticket.id)
        if ticket.first_response_at is None and "first_response" not in live:
            start_timer(db, ticket, conversation, "first_response", now, policy)
        if "resolution" not in live:
            start_timer(db, ticket, conversation, "resolution", now, policy)


# -- tickets ------------------------------------------------------------------------


def _record(db: Session, kind: type[TicketPayload], ticket: Ticket, conversation: Conversation) -> None:
    events.record_event(db, events.Event(ticket.account_id, kind(ticket=ticket_out(db, ticket, conversation))))


def ticket_for_conversation(db: Session, conversation_id: int) -> Ticket | None:
    return db.scalar(select(Ticket).where(Ticket.conversation_id == conversation_id))


def create_ticket(
    db: Session,
    conversation: Conversation,
    *,
    subject: str,
    source: str,
    type: str | None = None,
    tags: Sequence[str] = (),
    custom_fields: dict[str, Any] | None = None,
    now: datetime | None = None,
) -> Ticket:
    if ticket_for_conversation(db, conversation.id) is not None:
        raise Conflict(f"conversation {conversation.id} is already a ticket", field="conversation_id")
    now = now or utcnow()
    answered = db.scalar(
        select(Message.created_at)
        .where(Message.conversation_id == conversation.id, Message.direction == Direction.outgoing)
        .order_by(Message.id)
        .limit(1)
    )
    ticket = Ticket(
        account_id=conversation.account_id,
        conversation_id=conversation.id,
        subject=clean_subject(subject),
        status=TicketStatus.open if answered is not None else TicketStatus.new,
        type=clean_type(type),
        tags=clean_tags(tags),
        custom_fields=clean_custom_fields(db, conversation.account_id, custom_fields or {}),
        source=source,
        created_at=now,
        updated_at=now,
        first_response_at=answered,
    )
    db.add(ticket)
    db.flush()
    policy = _policy_for(db, conversation)
    if policy is not None:
        if answered is None:
            start_timer(db, ticket, conversation, "first_response", now, policy)
        start_timer(db, ticket, conversation, "resolution", now, policy)
    _record(db, TicketCreated, ticket, conversation)
    return ticket


def on_conversation_needs_ticket(db: Session, event: events.Event) -> None:
    """`conversation.needs_ticket` (a mail that opens a request, a chat nobody
    could take): the conversation's ticket, made now unless it is one already."""
    need = event.payload
    assert isinstance(need, ConversationNeedsTicket)
    conversation = db.get(Conversation, need.conversation_id)
    if conversation is None or ticket_for_conversation(db, conversation.id) is not None:
        return
    create_ticket(db, conversation, subject=need.subject, source=need.source, now=need.now)


def open_ticket(db: Session, inbox: Inbox, body: NewTicketIn, *, source: str = "api") -> Ticket:
    """A ticket from the API or a web form: the contact (found by e-mail or
    created), a conversation in `inbox`, the request as its first message."""
    subject = clean_subject(body.subject)
    if body.contact_id is not None:
        contact = get_contact(db, inbox.account_id, body.contact_id)
    else:
        email = optional_email(body.email)
        if email is None:
            raise InvalidInput("give contact_id or email", field="email")
        contact = db.scalar(select(Contact).where(Contact.account_id == inbox.account_id, Contact.email == email))
        if contact is None:
            contact = create_contact(db, inbox.account_id, name=body.name, email=email, language=body.language)
    try:
        priority = Priority(body.priority)
    except ValueError:
        raise InvalidInput("priority must be low, normal, high or urgent", field="priority") from None
    conversation = conversations.start_conversation(db, inbox, contact, language=body.language, priority=priority)
    conversations.receive_incoming_message(db, conversation, body.description, attributes={"subject": subject})
    return create_ticket(
        db, conversation, subject=subject, source=source, type=body.type, tags=body.tags, custom_fields=body.custom_fields
    )


def ticket_from_conversation(db: Session, viewer: Viewer, conversation: Conversation, body: TicketFromConversationIn) -> Ticket:
    """An agent turns a chat into a ticket: its history, translations and
    assignment stay where they are, on the conversation."""
    subject = body.subject
    if subject is None or not subject.strip():
        first = db.scalar(
            select(Message.content)
            .where(Message.conversation_id == conversation.id, Message.direction == Direction.incoming)
            .order_by(Message.id)
            .limit(1)
        )
        subject = " ".join((first or f"Conversation {conversation.id}").split())[:80]
    if body.priority is not None:
        conversations.update_conversation(db, conversation, priority=body.priority)
    ticket = create_ticket(
        db, conversation, subject=subject, source="chat", type=body.type, tags=body.tags, custom_fields=body.custom_fields
    )
    conversations.add_activity(
        db,
        conversation,
        f"{viewer.name} turned the conversation into ticket #{ticket.id}",
        {"activity": "ticket_created", "actor": viewer.name, "ticket_id": ticket.id},
    )
    return ticket


def get_ticket(db: Session, viewer: Viewer, ticket_id: int) -> tuple[Ticket, Conversation]:
    ticket = db.get(Ticket, ticket_id)
    if ticket is None or ticket.account_id != viewer.account_id:
        raise NotFound(f"ticket {ticket_id} not found", field="ticket_id")
    try:
        conversation = conversations.get_conversation(db, viewer, ticket.conversation_id)
    except NotFound:
        raise NotFound(f"ticket {ticket_id} not found", field="ticket_id") from None
    return ticket, conversation


def set_ticket_status(db: Session, viewer: Viewer, ticket: Ticket, conversation: Conversation, status: TicketStatus, now: datetime) -> None:
    previous = ticket.status
    if previous is status:
        return
    if status in (TicketStatus.solved, TicketStatus.closed) and previous not in (TicketStatus.solved, TicketStatus.closed):
        missing = missing_to_solve(field_definitions(db, ticket.account_id), dict(ticket.custom_fields or {}))
        if missing:
            raise InvalidInput(
                f"custom_fields.{missing[0]} must be filled in before the ticket is solved",
                field=f"custom_fields.{missing[0]}",
                reason=REQUIRED_TO_SOLVE,
            )
    ticket.status = status
    if status is TicketStatus.pending:
        pause_timers(db, ticket, conversation, now)
    elif previous is TicketStatus.pending and status not in (TicketStatus.solved, TicketStatus.closed):
        resume_timers(db, ticket, conversation, now)
    if status in (TicketStatus.solved, TicketStatus.closed):
        if previous not in (TicketStatus.solved, TicketStatus.closed):
            ticket.solved_at = now
            for timer in _timers(db, ticket.id).values():
                _stop(db, ticket, conversation, timer, now, "met" if timer.metric == "resolution" else "cancelled")
    elif previous in (TicketStatus.solved, TicketStatus.closed):
        # Reopened: the resolution promise starts again.
        ticket.solved_at = None
        start_timer(db, ticket, conversation, "resolution", now)
    wanted = CONVERSATION_STATUS[status]
    if conversation.status is not wanted:
        conversations.change_status(db, viewer, conversation, wanted.value)


def lock_ticket(db: Session, ticket: Ticket) -> None:
    """Take the ticket's row lock (PostgreSQL) or the write lock (SQLite) and
    read it again: two changes at once (two fields saved a moment apart)
    each start from the other's result instead of overwriting it."""
    # A write that changes nothing: it takes the lock. Not the primary key
    # (SQLite moves a row whose rowid is written, indexes and all), and the
    # session's copy is read again just below rather than synchronised.
    db.execute(
        update(Ticket)
        .where(Ticket.id == ticket.id)
        .values(updated_at=Ticket.updated_at)
        .execution_options(synchronize_session=False)
    )
    db.refresh(ticket)


def update_ticket(db: Session, viewer: Viewer, ticket: Ticket, conversation: Conversation, body: TicketPatchIn) -> Ticket:
    lock_ticket(db, ticket)
    now = utcnow()
    if body.subject is not None:
        ticket.subject = clean_subject(body.subject)
    if body.type is not None:
        ticket.type = clean_type(body.type)
    if body.tags is not None:
        ticket.tags = clean_tags(body.tags)
    if body.custom_fields is not None:
        ticket.custom_fields = clean_custom_fields(db, ticket.account_id, {**(ticket.custom_fields or {}), **body.custom_fields})
    if body.priority is not None and body.priority != conversation.priority.value:
        conversations.update_conversation(db, conversation, priority=body.priority)
        retarget_timers(db, ticket, conversation, now)
    if body.status is not None:
        set_ticket_status(db, viewer, ticket, conversation, TicketStatus(body.status), now)
    ticket.updated_at = now
    db.flush()
    _record(db, TicketUpdated, ticket, conversation)
    return ticket


MAX_BULK_TICKETS = 100
# The reason (DragomanError.reason) a ticket cannot be solved yet: a field
# required to solve it is empty. The console names the field by its label.
REQUIRED_TO_SOLVE = "required_to_solve"


@dataclass(frozen=True)
class BulkFailure:
    ticket_id: int
    message: str
    field: str | None  # the field at fault
    reason: str | None


@dataclass(frozen=True)
class BulkOutcome:
    updated: list[int]
    failed: list[BulkFailure]


def update_tickets(
    db: Session,
    viewer: Viewer,
    ticket_ids: Sequence[int],
    *,
    status: TicketStatusName | None = None,
    priority: PriorityName | None = None,
    add_tags: Sequence[str] = (),
    assign: bool = False,
    assignee_id: int | None = None,
) -> BulkOutcome:
    """One change to many tickets (the ticket list's bulk actions): status,
    priority, tags added to each one's own, and the agent (None: nobody) when
    `assign`. Each ticket changes in a transaction of its own, committed
    here: one the change cannot apply to (solving it needs a field still
    empty, one the viewer may not see) is rolled back, its events with it,
    and reported with the reason; the others still change. (Not a SAVEPOINT
    per ticket: on SQLite a savepoint opened before the first write reads
    from a snapshot that another thread's commit makes stale, and the write
    then fails with "database is locked".)"""
    ids = list(dict.fromkeys(ticket_ids))
    if not ids:
        raise InvalidInput("ticket_ids must name at least one ticket", field="ticket_ids")
    if len(ids) > MAX_BULK_TICKETS:
        raise InvalidInput(f"at most {MAX_BULK_TICKETS} tickets at once", field="ticket_ids")
    tags = clean_tags(add_tags)
    if status is None and priority is None and not tags and not assign:
        raise InvalidInput("nothing to change: give status, priority, add_tags or assignee_id", field="status")
    updated: list[int] = []
    failed: list[BulkFailure] = []
    db.commit()  # whatever the caller did before stands on its own
    for ticket_id in ids:
        try:
            ticket, conversation = get_ticket(db, viewer, ticket_id)
            if assign:
                conversations.assign_conversation(db, viewer, conversation, assignee_id=assignee_id)
            patch = TicketPatchIn(status=status, priority=priority, tags=clean_tags([*(ticket.tags or []), *tags]) if tags else None)
            update_ticket(db, viewer, ticket, conversation, patch)
        except DragomanError as error:
            db.rollback()
            failed.append(BulkFailure(ticket_id, error.message, error.field, error.reason))
        else:
            db.commit()
            updated.append(ticket_id)
    return BulkOutcome(updated, failed)


def live_ticket(db: Session, ticket: Ticket) -> Ticket:
    """Where a customer's new message about `ticket` belongs: itself, or the
    ticket it was merged into (merges can chain)."""
    seen = {ticket.id}
    while ticket.merged_into_id is not None:
        target = db.get(Ticket, ticket.merged_into_id)
        if target is None or target.id in seen:
            break
        seen.add(target.id)
        ticket = target
    return ticket


MAX_MERGED_MESSAGES = 20


def merge_tickets(db: Session, viewer: Viewer, source: Ticket, source_conversation: Conversation, target: Ticket, note: str | None = None) -> Ticket:
    """Merge `source` into `target`: the source is closed (its promises
    cancelled, not met), the target gets a private note with what the
    customer wrote on the source, and the customer's later mail to the
    source lands on the target."""
    if source.id == target.id:
        raise InvalidInput("a ticket cannot be merged into itself", field="into_ticket_id")
    if source.merged_into_id is not None:
        raise Conflict(f"ticket {source.id} is already merged into ticket {source.merged_into_id}", field="ticket_id")
    if live_ticket(db, target).id == source.id or target.merged_into_id is not None:
        raise Conflict(f"ticket {target.id} was merged into another ticket; merge into that one", field="into_ticket_id")
    target_conversation = conversations.get_conversation(db, viewer, target.conversation_id)
    now = utcnow()
    for timer in _timers(db, source.id).values():
        _stop(db, source, source_conversation, timer, now, "cancelled")
    source.merged_into_id = target.id
    source.status = TicketStatus.closed
    source.solved_at = source.solved_at or now
    source.updated_at = now
    if source_conversation.status is not ConversationStatus.resolved:
        conversations.change_status(db, viewer, source_conversation, ConversationStatus.resolved.value)
    written = list(
        db.scalars(
            select(Message.content)
            .where(Message.conversation_id == source_conversation.id, Message.direction == Direction.incoming)
            .order_by(Message.id.desc())
            .limit(MAX_MERGED_MESSAGES)
        )
    )[::-1]
    lines = [f"Merged from ticket #{source.id}: {source.subject}"]
    if note and note.strip():
        lines.append(require_text(note, "note", max_length=2000))
    lines += [f"> {text}" for text in written]
    conversations.add_note(db, viewer, target_conversation, "\n\n".join(lines)[:10_000])
    conversations.add_activity(
        db, source_conversation, f"Merged into ticket #{target.id}", {"activity": "ticket_merged_into", "ticket_id": target.id}
    )
    conversations.add_activity(
        db, target_conversation, f"Ticket #{source.id} merged into this one", {"activity": "ticket_merged_from", "ticket_id": source.id}
    )
    target.tags = clean_tags([*(target.tags or ()), *(t for t in source.tags or () if t not in (target.tags or ()))])
    target.updated_at = now
    db.flush()
    _record(db, TicketUpdated, source, source_conversation)
    _record(db, TicketUpdated, target, target_conversation)
    return target


def transfer_ticket(
    db: Session, viewer: Viewer, runtime: Any, ticket: Ticket, conversation: Conversation, team_id: int, summary: str | None,
    *, untranslated: bool = False,
) -> Message:  # fmt: skip
    """Hand the ticket to an expert team: nobody on it holds it yet, and the
    sender's summary waits as a private note, translated into the working
    language of each of the team's agents (the console shows each reader
    their own). A summary one of them could neither read nor have translated
    is refused unless `untranslated` (the sender's explicit choice). Returns the note."""
    team = get_team(db, ticket.account_id, team_id)
    text = require_text(summary, "summary", max_length=2000)
    conversations.assign_conversation(db, viewer, conversation, assignee_id=None, team_id=team.id)
    if not untranslated:
        language_services.check_note_reach(
            db, runtime, viewer.user_id, conversation, text, field="summary", untranslated_flag="summary_untranslated"
        )
    note = conversations.add_translated_note(
        db, viewer, runtime, conversation, text, {"transfer": {"team_id": team.id, "team": team.name, "ticket_id": ticket.id}}
    )
    ticket.updated_at = utcnow()
    db.flush()
    _record(db, TicketUpdated, ticket, conversation)
    return note


def link_tickets(db: Session, viewer: Viewer, ticket: Ticket, other: Ticket) -> None:
    if ticket.id == other.id:
        raise InvalidInput("a ticket cannot be linked to itself", field="ticket_id")
    low, high = sorted((ticket.id, other.id))
    if db.get(TicketLink, (low, high)) is None:
        db.add(TicketLink(ticket_id=low, linked_ticket_id=high))
        db.flush()


def unlink_tickets(db: Session, ticket: Ticket, other_id: int) -> None:
    low, high = sorted((ticket.id, other_id))
    link = db.get(TicketLink, (low, high))
    if link is None:
        raise NotFound(f"ticket {ticket.id} is not linked to ticket {other_id}", field="ticket_id")
    db.delete(link)
    db.flush()


def linked_ticket_ids(db: Session, ticket_id: int) -> list[int]:
    rows = db.execute(
        select(TicketLink.ticket_id, TicketLink.linked_ticket_id).where(
            (TicketLink.ticket_id == ticket_id) | (TicketLink.linked_ticket_id == ticket_id)
        )
    )
    return sorted(b if a == ticket_id else a for a, b in rows)


def note_agent_reply(db: Session, ticket: Ticket, conversation: Conversation, at: datetime) -> None:
    """A public reply from the team: first and next response promises are met."""
    timers = _timers(db, ticket.id)
    for metric in ("first_response", "next_response"):
        timer = timers.get(metric)
        if timer is not None:
            _stop(db, ticket, conversation, timer, at, "met")
    if ticket.first_response_at is None:
        ticket.first_response_at = at
    # New becomes open, in one conditional statement: this runs in the SLA
    # thread after the reply was stored, and an agent may have set another
    # status meanwhile (a macro sent with the reply sets "pending"). Setting
    # the attribute from what this session read would overwrite theirs.
    opened = db.execute(
        update(Ticket)
        .where(Ticket.id == ticket.id, Ticket.status == TicketStatus.new)
        .values(status=TicketStatus.open)
        .execution_options(synchronize_session=False)
    )
    if opened.rowcount:
        set_committed_value(ticket, "status", TicketStatus.open)
    ticket.updated_at = at


def note_customer_message(db: Session, ticket: Ticket, conversation: Conversation, at: datetime) -> None:
    """The customer wrote: a pending or solved ticket is open again, its
    clocks run, and once the first reply is behind, a next reply is owed."""
    # This runs in the SLA thread after the message was stored; an agent may
    # have changed the ticket meanwhile. Work from the ticket as it is now,
    # and leave one solved after this message was written as it is: the
    # agent solved it having read it.
    lock_ticket(db, ticket)
    if ticket.status in (TicketStatus.solved, TicketStatus.closed) and ticket.solved_at is not None and ticket.solved_at > at:
        return
    if ticket.status in (TicketStatus.pending, TicketStatus.solved, TicketStatus.closed):
        previous = ticket.status
        ticket.status = TicketStatus.open
        if previous is TicketStatus.pending:
            resume_timers(db, ticket, conversation, at)
        else:
            ticket.solved_at = None
            start_timer(db, ticket, conversation, "resolution", at)
    if ticket.first_response_at is not None:
        timer = _timers(db, ticket.id).get("next_response")
        if timer is None or timer.state not in ("running", "paused"):
            start_timer(db, ticket, conversation, "next_response", at)
    ticket.updated_at = at


# -- reading ------------------------------------------------------------------------


def timer_out(timer: SlaTimer, hours: BusinessHours | None, now: datetime) -> SlaTimerOut:
    clock = _clock(timer)
    used = sla_clock.used_seconds(clock, hours, to_epoch(now)) if timer.state == "running" else timer.used_seconds
    return SlaTimerOut(
        metric=timer.metric,
        state=timer.state,
        target_seconds=timer.target_seconds,
        used_seconds=round(used, 1),
        remaining_seconds=round(timer.target_seconds - used, 1),
        warn_at=isoformat(timer.warn_at),
        due_at=isoformat(timer.due_at),
        warned=timer.warned_at is not None,
        breached=timer.breached_at is not None or (timer.state == "met" and used > timer.target_seconds),
        started_at=isoformat(timer.started_at) or "",
        stopped_at=isoformat(timer.stopped_at),
    )


def ticket_out(db: Session, ticket: Ticket, conversation: Conversation | None = None, now: datetime | None = None) -> TicketOut:
    conversation = conversation or db.get(Conversation, ticket.conversation_id)
    assert conversation is not None
    contact = db.get(Contact, conversation.contact_id)
    now = now or utcnow()
    rows = sorted(_timers(db, ticket.id).values(), key=lambda t: ("first_response", "next_response", "resolution").index(t.metric))
    timers = [timer_out(t, _hours_of(db, t), now) for t in rows]
    running = [t for t in timers if t.state == "running" and t.due_at is not None]
    return TicketOut(
        id=ticket.id,
        conversation_id=conversation.id,
        inbox_id=conversation.inbox_id,
        subject=ticket.subject,
        status=ticket.status.value,  # type: ignore[arg-type]
        priority=conversation.priority.value,  # type: ignore[arg-type]
        type=ticket.type,
        tags=list(ticket.tags or ()),
        custom_fields=dict(ticket.custom_fields or {}),
        source=ticket.source,
        language=conversation.language,
        assignee_id=conversation.assignee_id,
        team_id=conversation.team_id,
        contact=TicketContact(
            id=contact.id if contact else 0, name=contact.name if contact else None, email=contact.email if contact else None
        ),
        created_at=isoformat(ticket.created_at) or "",
        updated_at=isoformat(ticket.updated_at) or "",
        solved_at=isoformat(ticket.solved_at),
        first_response_at=isoformat(ticket.first_response_at),
        timers=timers,
        next_deadline=min(running, key=lambda t: t.due_at) if running else None,  # type: ignore[arg-type, return-value]
        csat=_csat(db, ticket.id),
        merged_into_id=ticket.merged_into_id,
        linked_ticket_ids=linked_ticket_ids(db, ticket.id),
    )


# The customer's latest satisfaction rating of a ticket. Surveys belong to the
# CSAT feature, which builds on tickets; it plugs its reader in at start-up
# (csat/feature.py) so that tickets show the rating without importing it.
SatisfactionReader = Callable[[Session, int], TicketCsat | None]
_satisfaction_readers: list[SatisfactionReader] = []


def read_satisfaction_with(reader: SatisfactionReader) -> None:
    """Show the rating `reader` finds on every ticket's detail (once per reader)."""
    if reader not in _satisfaction_readers:
        _satisfaction_readers.append(reader)


def _csat(db: Session, ticket_id: int) -> TicketCsat | None:
    for reader in _satisfaction_readers:
        rating = reader(db, ticket_id)
        if rating is not None:
            return rating
    return None


@dataclass(frozen=True)
class TicketFilter:
    status: str | None = None  # a TicketStatus value, "unsolved", or None for all
    assignee: str = "all"  # mine | unassigned | all
    priority: str | None = None  # one of PRIORITY_ORDER, or None for any
    team_id: int | None = None  # the conversation's team, or None for any
    tag: str | None = None  # tickets carrying this tag, or None for any
    order: str = "newest"  # newest | due (the next SLA deadline first; none last)
    before_id: int | None = None
    offset: int = 0
    limit: int = 50


TICKET_ORDERS = ("newest", "due")


def list_tickets(db: Session, viewer: Viewer, spec: TicketFilter) -> list[TicketOut]:
    now = utcnow()
    rows = db.execute(ticket_query(db, viewer, spec).offset(spec.offset).limit(max(1, min(spec.limit, 200)))).all()
    return [ticket_out(db, ticket, conversation, now) for ticket, conversation in rows]


def ticket_query(db: Session, viewer: Viewer, spec: TicketFilter) -> Select[tuple[Ticket, Conversation]]:
    """The tickets `spec` asks for, in its order; a filter that is not one
    raises InvalidInput naming it (a saved view is checked this way too)."""
    query = (
        select(Ticket, Conversation)
        .join(Conversation, Conversation.id == Ticket.conversation_id)
        .where(Ticket.account_id == viewer.account_id, visible_conversations_clause(viewer, Conversation))
    )
    if spec.status == "unsolved":
        query = query.where(Ticket.status.in_([TicketStatus.new, TicketStatus.open, TicketStatus.pending, TicketStatus.on_hold]))
    elif spec.status:
        try:
            query = query.where(Ticket.status == TicketStatus(spec.status))
        except ValueError:
            raise InvalidInput("status must be new, open, pending, on_hold, solved, closed or unsolved", field="status") from None
    if spec.assignee == "mine":
        query = query.where(Conversation.assignee_id == viewer.user_id)
    elif spec.assignee == "unassigned":
        query = query.where(Conversation.assignee_id.is_(None))
    elif spec.assignee != "all":
        raise InvalidInput("assignee must be mine, unassigned or all", field="assignee")
    if spec.priority is not None:
        if spec.priority not in PRIORITY_ORDER:
            raise InvalidInput("priority must be urgent, high, normal or low", field="priority")
        query = query.where(Conversation.priority == Priority(spec.priority))
    if spec.team_id is not None:
        # Another account's or a deleted team: named, not an empty list.
        if db.scalar(select(Team.id).where(Team.id == spec.team_id, Team.account_id == viewer.account_id)) is None:
            raise InvalidInput(f"team_id {spec.team_id} is not a team of this account", field="team_id")
        query = query.where(Conversation.team_id == spec.team_id)
    if spec.tag is not None:
        query = query.where(tag_clause(spec.tag))
    if spec.before_id is not None:
        query = query.where(Ticket.id < spec.before_id)
    if spec.offset < 0:
        raise InvalidInput("offset must be 0 or more", field="offset")
    if spec.order == "due":
        # The running timer due first, as the ticket card counts it down
        # (`next_deadline`); tickets with none (paused, met, no policy) last.
        due = (
            select(SlaTimer.ticket_id, func.min(SlaTimer.due_at).label("due_at"))
            .where(SlaTimer.account_id == viewer.account_id, SlaTimer.state == "running", SlaTimer.due_at.is_not(None))
            .group_by(SlaTimer.ticket_id)
            .subquery()
        )
        query = query.outerjoin(due, due.c.ticket_id == Ticket.id).order_by(due.c.due_at.is_(None), due.c.due_at, Ticket.id)
    elif spec.order == "newest":
        query = query.order_by(Ticket.id.desc())
    else:
        raise InvalidInput("order must be newest or due", field="order")
    return query


# -- saved views ----------------------------------------------------------------------

# The list's filters a view keeps (its paging is not kept).
VIEW_FILTERS = ("status", "assignee", "priority", "team_id", "tag", "order")
MAX_VIEWS = 30


def view_filter(filters: dict[str, str]) -> TicketFilter:
    """The list's filters as the page's address gives them (team_id "any",
    priority "any", status "all" mean no filter)."""
    team = filters.get("team_id", "any")
    if team != "any" and plain_integer(team) is None:
        raise InvalidInput("team_id must be a team's number or any", field="team_id")
    status = filters.get("status", "unsolved")
    priority = filters.get("priority", "any")
    return TicketFilter(
        status=None if status == "all" else status,
        assignee=filters.get("assignee", "all"),
        priority=None if priority == "any" else priority,
        team_id=None if team == "any" else plain_integer(team),
        tag=filters.get("tag") or None,
        order=filters.get("order", "newest"),
    )


def list_views(db: Session, viewer: Viewer) -> list[TicketView]:
    return list(db.scalars(select(TicketView).where(TicketView.user_id == viewer.user_id).order_by(TicketView.name, TicketView.id)))


def save_view(db: Session, viewer: Viewer, name: str, filters: dict[str, Any]) -> TicketView:
    """A saved list for the viewer: checked like the list checks its
    filters, so a view always opens."""
    clean_name = require_text(name, "name", max_length=80)
    if not isinstance(filters, dict) or any(key not in VIEW_FILTERS for key in filters):
        raise InvalidInput(f"filters may hold {', '.join(VIEW_FILTERS)}", field="filters")
    kept: dict[str, str] = {}
    for key, value in filters.items():
        if not isinstance(value, str):
            raise InvalidInput(f"filters.{key} must be text, as in the list's address", field=f"filters.{key}")
        if value.strip():
            kept[key] = value.strip()
    try:
        ticket_query(db, viewer, view_filter(kept))
    except InvalidInput as error:
        field = error.field if (error.field or "").startswith("filters.") else f"filters.{error.field}"
        raise InvalidInput(error.message, field=field) from None
    existing = list_views(db, viewer)
    if any(view.name == clean_name for view in existing):
        raise Conflict(f"a view named {clean_name!r} exists; delete it first or choose another name", field="name")
    if len(existing) >= MAX_VIEWS:
        raise InvalidInput(f"at most {MAX_VIEWS} views per person", field="name")
    view = TicketView(account_id=viewer.account_id, user_id=viewer.user_id, name=clean_name, filters=kept)
    db.add(view)
    db.flush()
    return view


def delete_view(db: Session, viewer: Viewer, view_id: int) -> None:
    view = db.get(TicketView, view_id)
    if view is None or view.user_id != viewer.user_id:
        raise NotFound(f"view {view_id} not found", field="view_id")
    db.delete(view)
    db.flush()


def list_sla_events(db: Session, viewer: Viewer, ticket: Ticket) -> list[SlaEvent]:
    return list(db.scalars(select(SlaEvent).where(SlaEvent.ticket_id == ticket.id).order_by(SlaEvent.id)))


# -- the sweep ----------------------------------------------------------------------


def _due_words(timer: SlaTimer) -> str:
    return METRIC_WORDS.get(timer.metric, timer.metric)


def _fire(db: Session, ticket: Ticket, conversation: Conversation, timer: SlaTimer, kind: str, now: datetime, words: str) -> None:
    """An SLA event for reports and a line in the timeline for the agents
    (worded in their language by the console from its attributes)."""
    _event(db, ticket, conversation, timer, kind, now)
    due = f"{timer.due_at:%Y-%m-%d %H:%M} UTC" if timer.due_at is not None else "(no deadline)"
    conversations.add_activity(
        db,
        conversation,
        f"{words} {due}",
        {"activity": f"sla_{kind}", "metric": timer.metric, "ticket_id": ticket.id, "due_at": isoformat(timer.due_at)},
    )


def sweep_sla(db: Session, now: datetime, limit: int = 500) -> list[tuple[int, str, str]]:
    """Fire every warning and breach that has come: an SLA event, a line in
    the ticket's timeline, and the policy's breach action. Returns
    (ticket id, metric, "warning" | "breached") for each. Reads only due
    timers (index on next_check_at), so its cost does not grow with the
    number of open tickets."""
    fired: list[tuple[int, str, str]] = []
    due = list(
        db.scalars(
            select(SlaTimer)
            .where(and_(SlaTimer.next_check_at.is_not(None), SlaTimer.next_check_at <= now))
            .order_by(SlaTimer.next_check_at)
            .limit(limit)
        )
    )
    for timer in due:
        fired.extend(fire_due_timer(db, timer, now))
    return fired


def fire_due_timer(db: Session, timer: SlaTimer, now: datetime) -> list[tuple[int, str, str]]:
    """One due timer of the sweep: its warning and breach, if they have come
    for the ticket as it is now, and the breach action."""
    ticket = db.get(Ticket, timer.ticket_id)
    if ticket is None:
        timer.next_check_at = None
        return []
    # An agent may have solved the ticket or changed its priority since the
    # sweep read its timers: take the ticket's lock (as the API's changes do)
    # and read the ticket, its conversation and the timer as they are now, so
    # a solved ticket is neither breached, raised nor taken from its agent.
    lock_ticket(db, ticket)
    db.refresh(timer)
    conversation = db.get(Conversation, ticket.conversation_id, populate_existing=True)
    if conversation is None or timer.state != "running":
        timer.next_check_at = None
        return []
    fired: list[tuple[int, str, str]] = []
    policy = db.get(SlaPolicy, timer.policy_id) if timer.policy_id is not None else None
    if timer.warned_at is None and timer.warn_at is not None and timer.warn_at <= now and (timer.due_at is None or timer.due_at > now):
        timer.warned_at = now
        _fire(db, ticket, conversation, timer, "warning", now, f"SLA warning: {_due_words(timer)} due at")
        fired.append((ticket.id, timer.metric, "warning"))
    if timer.due_at is not None and timer.due_at <= now and timer.breached_at is None:
        timer.warned_at = timer.warned_at or now
        timer.breached_at = now
        _fire(db, ticket, conversation, timer, "breached", now, f"SLA breached: {_due_words(timer)} was due at")
        fired.append((ticket.id, timer.metric, "breached"))
        if policy is not None and policy.breach_action == "raise_priority":
            _raise_priority(db, ticket, conversation, now)
        elif policy is not None and policy.breach_action == "reassign":
            _take_back(db, ticket, conversation, timer)
    _schedule(timer, _hours_of(db, timer))
    db.flush()
    if fired:
        events.record_event(
            db,
            events.Event(
                ticket.account_id,
                (SlaBreached if timer.breached_at == now else SlaWarning)(
                    ticket_id=ticket.id, metric=timer.metric, conversation_id=conversation.id  # type: ignore[arg-type]
                ),
            ),
        )
    return fired


def _raise_priority(db: Session, ticket: Ticket, conversation: Conversation, now: datetime) -> None:
    index = PRIORITY_ORDER.index(conversation.priority.value)
    if index + 1 >= len(PRIORITY_ORDER):
        return
    # The breached timer keeps its record; the others follow the new policy.
    conversations.update_conversation(db, conversation, priority=PRIORITY_ORDER[index + 1])
    retarget_timers(db, ticket, conversation, now)


SLA_ACTOR = "SLA"


def _take_back(db: Session, ticket: Ticket, conversation: Conversation, timer: SlaTimer) -> None:
    """The breach's reassignment: the agent who held the ticket loses it, and
    it is back in line for routing (which gives it to the next free agent).
    Its team stays: the team still owns the work, another of its agents takes it."""
    if conversation.assignee_id is None:
        return
    holder = db.get(User, conversation.assignee_id)
    name = holder.name if holder is not None else "the agent"
    viewer = Viewer(user_id=0, account_id=conversation.account_id, role=Role.admin, name=SLA_ACTOR)
    conversations.assign_conversation(
        db,
        viewer,
        conversation,
        assignee_id=None,
        team_id=conversation.team_id,
        activity=(
            f"SLA breached: taken from {name}, back in the queue",
            {"activity": "sla_reassigned", "actor": SLA_ACTOR, "from": name, "metric": timer.metric, "ticket_id": ticket.id},
        ),
    )


def next_check(db: Session) -> datetime | None:
    """When the sweep must next run (the earliest stored check)."""
    return db.scalar(select(SlaTimer.next_check_at).where(SlaTimer.next_check_at.is_not(None)).order_by(SlaTimer.next_check_at).limit(1))
