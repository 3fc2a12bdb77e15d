"""Tickets, SLA policies, the SLA timers that run against them, and every SLA
event (for the reporting issue's attainment figures).

A ticket is a conversation that a team works against promised times: one row
per ticket, linked one-to-one to its conversation, which keeps the timeline,
translations, assignment, routing, realtime pushes and webhooks. The ticket
adds what a conversation lacks: subject, type, tags, custom fields, a richer
status, and SLA deadlines.

Deadlines are stored (`sla_timers.due_at`, `warn_at`), never held only in
memory: a restart loses nothing, and the sweep reads only the timers whose
`next_check_at` has come, through its index, however many tickets are open.
"""

from __future__ import annotations

import enum
from datetime import datetime
from typing import Any

from sqlalchemy import JSON, Boolean, DateTime, Enum, Float, ForeignKey, Index, Integer, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from dragoman.core.clock import utcnow
from dragoman.core.db import Base, CreatedAtMixin, IdMixin


class TicketStatus(str, enum.Enum):
    new = "new"  # nobody has answered yet
    open = "open"  # the team is working on it
    pending = "pending"  # waiting for the customer: SLA clocks pause
    on_hold = "on_hold"  # waiting for someone else (a supplier, another team)
    solved = "solved"
    closed = "closed"  # solved and no longer reopened by a reply


class Ticket(IdMixin, CreatedAtMixin, Base):
    __tablename__ = "tickets"
    __table_args__ = (Index("ix_tickets_account_status", "account_id", "status", "id"),)
    account_id: Mapped[int] = mapped_column(ForeignKey("accounts.id", ondelete="CASCADE"))
    conversation_id: Mapped[int] = mapped_column(ForeignKey("conversations.id", ondelete="CASCADE"), unique=True)
    subject: Mapped[str] = mapped_column(String(300))
    status: Mapped[TicketStatus] = mapped_column(Enum(TicketStatus, native_enum=False, length=20), default=TicketStatus.new)
    type: Mapped[str | None] = mapped_column(String(40), nullable=True)  # question, incident, problem, task
    tags: Mapped[list[str]] = mapped_column(JSON, default=list)
    custom_fields: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    # Where it came from: email, chat (an agent turned a chat into a ticket), api, web_form.
    source: Mapped[str] = mapped_column(String(20), default="api")
    updated_at: Mapped[datetime] = mapped_column(DateTime, default=utcnow)
    solved_at: Mapped[datetime | None] = mapped_column(DateTime, nullable=True)
    first_response_at: Mapped[datetime | None] = mapped_column(DateTime, nullable=True)
    # Merged into another ticket (closed; the customer's later mail goes there).
    merged_into_id: Mapped[int | None] = mapped_column(ForeignKey("tickets.id", ondelete="SET NULL"), nullable=True)


class TicketLink(Base):
    """Two tickets about the same thing (one order, one outage), kept apart
    but each showing the other. Stored once, lower id first."""

    __tablename__ = "ticket_links"
    ticket_id: Mapped[int] = mapped_column(ForeignKey("tickets.id", ondelete="CASCADE"), primary_key=True)
    linked_ticket_id: Mapped[int] = mapped_column(ForeignKey("tickets.id", ondelete="CASCADE"), primary_key=True, index=True)


class SlaPolicy(IdMixin, CreatedAtMixin, Base):
    """Promised times for one priority, counted in business hours of a
    calendar (time zone, weekly windows, public holidays of a country)."""

    __tablename__ = "sla_policies"
    __table_args__ = (UniqueConstraint("account_id", "priority", "tier"),)
    account_id: Mapped[int] = mapped_column(ForeignKey("accounts.id", ondelete="CASCADE"), index=True)
    name: Mapped[str] = mapped_column(String(200))
    priority: Mapped[str] = mapped_column(String(20))  # urgent, high, normal, low
    # For customers of this tier only (contacts.tier); None: everyone else.
    tier: Mapped[str | None] = mapped_column(String(40), nullable=True)
    first_response_seconds: Mapped[int | None] = mapped_column(Integer, nullable=True)
    next_response_seconds: Mapped[int | None] = mapped_column(Integer, nullable=True)
    resolution_seconds: Mapped[int | None] = mapped_column(Integer, nullable=True)
    warn_ratio: Mapped[float] = mapped_column(Float, default=0.75)
    # notify: a timeline line at a warning and a breach; raise_priority: and
    # the ticket goes one priority up at a breach (its timers follow);
    # reassign: and the agent holding it loses it, back to routing's queue.
    breach_action: Mapped[str] = mapped_column(String(20), default="notify")
    timezone: Mapped[str] = mapped_column(String(64), default="UTC")
    # [{"weekday": 0-6, "start": minutes, "end": minutes}]; empty: around the clock.
    windows: Mapped[list[dict[str, int]]] = mapped_column(JSON, default=list)
    holiday_country: Mapped[str | None] = mapped_column(String(8), nullable=True)
    holiday_subdivision: Mapped[str | None] = mapped_column(String(16), nullable=True)


class SlaTimer(IdMixin, Base):
    """One promised time on one ticket. `used_seconds` is the business time
    already used in earlier runs (before a pause); `running_since` is when the
    current run started (None while paused or stopped)."""

    __tablename__ = "sla_timers"
    __table_args__ = (UniqueConstraint("ticket_id", "metric"),)
    account_id: Mapped[int] = mapped_column(ForeignKey("accounts.id", ondelete="CASCADE"))
    ticket_id: Mapped[int] = mapped_column(ForeignKey("tickets.id", ondelete="CASCADE"))
    policy_id: Mapped[int | None] = mapped_column(ForeignKey("sla_policies.id", ondelete="SET NULL"), nullable=True)
    metric: Mapped[str] = mapped_column(String(20))  # first_response, next_response, resolution
    state: Mapped[str] = mapped_column(String(20))  # running, paused, met, cancelled
    target_seconds: Mapped[int] = mapped_column(Integer)
    warn_ratio: Mapped[float] = mapped_column(Float, default=0.75)
    started_at: Mapped[datetime] = mapped_column(DateTime)
    used_seconds: Mapped[float] = mapped_column(Float, default=0.0)
    running_since: Mapped[datetime | None] = mapped_column(DateTime, nullable=True)
    warn_at: Mapped[datetime | None] = mapped_column(DateTime, nullable=True)
    due_at: Mapped[datetime | None] = mapped_column(DateTime, nullable=True)
    warned_at: Mapped[datetime | None] = mapped_column(DateTime, nullable=True)
    breached_at: Mapped[datetime | None] = mapped_column(DateTime, nullable=True)
    stopped_at: Mapped[datetime | None] = mapped_column(DateTime, nullable=True)
    # The next moment the sweep must look at this timer (its warning, then its
    # deadline); None once both fired or while it does not run. Indexed: the
    # sweep's cost follows what is due, not how many tickets are open.
    next_check_at: Mapped[datetime | None] = mapped_column(DateTime, nullable=True, index=True)


class SlaEvent(IdMixin, Base):
    """Every SLA happening, with what reports group by (policy, priority,
    team, language, assignee) copied in as it was at that moment."""

    __tablename__ = "sla_events"
    __table_args__ = (Index("ix_sla_events_account_at", "account_id", "at"),)
    account_id: Mapped[int] = mapped_column(ForeignKey("accounts.id", ondelete="CASCADE"))
    ticket_id: Mapped[int] = mapped_column(ForeignKey("tickets.id", ondelete="CASCADE"), index=True)
    policy_id: Mapped[int | None] = mapped_column(Integer, nullable=True)
    metric: Mapped[str] = mapped_column(String(20))
    kind: Mapped[str] = mapped_column(String(20))  # started, paused, resumed, warning, breached, met, cancelled
    at: Mapped[datetime] = mapped_column(DateTime)
    priority: Mapped[str] = mapped_column(String(20))
    team_id: Mapped[int | None] = mapped_column(Integer, nullable=True)
    assignee_id: Mapped[int | None] = mapped_column(Integer, nullable=True)
    language: Mapped[str | None] = mapped_column(String(16), nullable=True)
    # Business seconds used when it happened (met: the response time).
    used_seconds: Mapped[float | None] = mapped_column(Float, nullable=True)


class TicketField(IdMixin, CreatedAtMixin, Base):
    """A custom field the account's tickets carry, with its label in each
    language the team works in ({"en": "Order number", "de": "Bestellnummer"})."""

    __tablename__ = "ticket_fields"
    __table_args__ = (UniqueConstraint("account_id", "key"),)
    account_id: Mapped[int] = mapped_column(ForeignKey("accounts.id", ondelete="CASCADE"), index=True)
    key: Mapped[str] = mapped_column(String(50))
    type: Mapped[str] = mapped_column(String(20))  # text, number, select, checkbox, date
    labels: Mapped[dict[str, str]] = mapped_column(JSON, default=dict)
    options: Mapped[list[str]] = mapped_column(JSON, default=list)
    required_to_solve: Mapped[bool] = mapped_column(Boolean, default=False)
    position: Mapped[int] = mapped_column(Integer, default=0)



class TicketView(IdMixin, CreatedAtMixin, Base):
    """A user's saved ticket list: a name for a set of the list's filters
    (status, assignee, priority, team, tag, order), shown above the list."""

    __tablename__ = "ticket_views"
    __table_args__ = (UniqueConstraint("user_id", "name"),)
    account_id: Mapped[int] = mapped_column(ForeignKey("accounts.id", ondelete="CASCADE"))
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
    name: Mapped[str] = mapped_column(String(80))
    filters: Mapped[dict[str, str]] = mapped_column(JSON, default=dict)
