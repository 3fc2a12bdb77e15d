"""Routing tables: skills, agents' skills and capacities, queues with their
steps, hours and holidays, per-conversation routing attributes, and every
decision with its reason."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import JSON, Boolean, CheckConstraint, DateTime, Float, ForeignKey, Index, Integer, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from dragoman.core.clock import utcnow
from dragoman.core.db import Base, CreatedAtMixin, IdMixin


class RoutingSkill(IdMixin, CreatedAtMixin, Base):
    """A skill the account routes by (presales, order tracking, ...)."""

    __tablename__ = "routing_skills"
    __table_args__ = (UniqueConstraint("account_id", "name"),)
    account_id: Mapped[int] = mapped_column(ForeignKey("accounts.id", ondelete="CASCADE"), index=True)
    name: Mapped[str] = mapped_column(String(80))


class AgentSkill(Base):
    __tablename__ = "routing_agent_skills"
    __table_args__ = (CheckConstraint("level BETWEEN 1 AND 5", name="level_range"),)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), primary_key=True)
    skill_id: Mapped[int] = mapped_column(ForeignKey("routing_skills.id", ondelete="CASCADE"), primary_key=True, index=True)
    level: Mapped[int] = mapped_column(Integer)


class AgentCapacity(Base):
    """How many conversations of a channel an agent holds at once. A channel
    with no row uses `services.DEFAULT_CAPACITY`."""

    __tablename__ = "routing_agent_capacities"
    __table_args__ = (CheckConstraint("capacity >= 0", name="capacity_not_negative"),)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), primary_key=True)
    channel: Mapped[str] = mapped_column(String(20), primary_key=True)
    capacity: Mapped[int] = mapped_column(Integer)


class AgentSchedule(Base):
    """An agent's working hours, in their own time zone (users.timezone), and
    the public holidays they are off. Outside them routing treats the agent
    as away, whatever their presence says; no row: always working."""

    __tablename__ = "routing_agent_schedules"
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), primary_key=True)
    windows: Mapped[list[dict[str, int]]] = mapped_column(JSON, default=list)  # [{"weekday", "start", "end"}] in minutes
    holiday_country: Mapped[str | None] = mapped_column(String(8), nullable=True)
    holiday_subdivision: Mapped[str | None] = mapped_column(String(16), nullable=True)


class RoutingQueue(IdMixin, CreatedAtMixin, Base):
    __tablename__ = "routing_queues"
    __table_args__ = (UniqueConstraint("account_id", "name"),)
    account_id: Mapped[int] = mapped_column(ForeignKey("accounts.id", ondelete="CASCADE"), index=True)
    name: Mapped[str] = mapped_column(String(200))
    channel: Mapped[str] = mapped_column(String(20), default="chat")
    strategy: Mapped[str] = mapped_column(String(30), default="longest_idle")
    # Lower first when several queues serve one inbox (follow-the-sun order).
    position: Mapped[int] = mapped_column(Integer, default=0)
    # Base language codes the queue serves; empty: every language.
    languages: Mapped[list[str]] = mapped_column(JSON, default=list)
    default_skill_id: Mapped[int | None] = mapped_column(
        ForeignKey("routing_skills.id", ondelete="SET NULL"), nullable=True
    )
    sticky_seconds: Mapped[int] = mapped_column(Integer, default=0)
    timezone: Mapped[str] = mapped_column(String(64), default="UTC")
    holiday_country: Mapped[str | None] = mapped_column(String(8), nullable=True)
    holiday_subdivision: Mapped[str | None] = mapped_column(String(16), nullable=True)
    # ISO dates (YYYY-MM-DD) the queue is closed besides public holidays.
    closed_dates: Mapped[list[str]] = mapped_column(JSON, default=list)
    service_target_seconds: Mapped[int] = mapped_column(Integer, default=20)
    # 0: off. Otherwise an agent must answer (reply, or accept) a routed
    # conversation within this time, or it goes back to the queue and the
    # agent is set away (a missed offer).
    answer_timeout_seconds: Mapped[int] = mapped_column(Integer, default=0)
    # After `overflow_after_seconds` in line, a conversation moves there.
    overflow_queue_id: Mapped[int | None] = mapped_column(
        ForeignKey("routing_queues.id", ondelete="SET NULL"), nullable=True
    )
    overflow_after_seconds: Mapped[int] = mapped_column(Integer, default=0)
    # When every queue for a conversation is closed: "reply" tells the
    # customer when someone will answer; "ticket" also makes it a ticket (its
    # SLA clocks run in business hours) and gives the customer its number.
    when_closed: Mapped[str] = mapped_column(String(10), default="reply")
    # 0: off. After this long in line with nobody free, it also becomes a
    # ticket and the customer is told its number (it keeps its place).
    ticket_after_seconds: Mapped[int] = mapped_column(Integer, default=0)
    enabled: Mapped[bool] = mapped_column(Boolean, default=True)

    steps: Mapped[list["RoutingStep"]] = relationship(
        cascade="all, delete-orphan", lazy="selectin", order_by="RoutingStep.position"
    )
    hours: Mapped[list["RoutingHours"]] = relationship(
        cascade="all, delete-orphan", lazy="selectin", order_by="(RoutingHours.weekday, RoutingHours.start_minute)"
    )
    inboxes: Mapped[list["RoutingQueueInbox"]] = relationship(cascade="all, delete-orphan", lazy="selectin")
    teams: Mapped[list["RoutingQueueTeam"]] = relationship(cascade="all, delete-orphan", lazy="selectin")


class RoutingQueueInbox(Base):
    __tablename__ = "routing_queue_inboxes"
    queue_id: Mapped[int] = mapped_column(ForeignKey("routing_queues.id", ondelete="CASCADE"), primary_key=True)
    inbox_id: Mapped[int] = mapped_column(ForeignKey("inboxes.id", ondelete="CASCADE"), primary_key=True, index=True)


class RoutingQueueTeam(Base):
    __tablename__ = "routing_queue_teams"
    queue_id: Mapped[int] = mapped_column(ForeignKey("routing_queues.id", ondelete="CASCADE"), primary_key=True)
    team_id: Mapped[int] = mapped_column(ForeignKey("teams.id", ondelete="CASCADE"), primary_key=True, index=True)


class RoutingStep(IdMixin, Base):
    __tablename__ = "routing_steps"
    __table_args__ = (
        CheckConstraint("min_language_level BETWEEN 0 AND 5", name="language_level_range"),
        CheckConstraint("min_skill_level BETWEEN 0 AND 5", name="skill_level_range"),
    )
    queue_id: Mapped[int] = mapped_column(ForeignKey("routing_queues.id", ondelete="CASCADE"), index=True)
    position: Mapped[int] = mapped_column(Integer)
    after_seconds: Mapped[int] = mapped_column(Integer, default=0)
    min_language_level: Mapped[int] = mapped_column(Integer, default=0)
    min_skill_level: Mapped[int] = mapped_column(Integer, default=0)
    # A fixed language / skill instead of the conversation's own.
    language: Mapped[str | None] = mapped_column(String(16), nullable=True)
    skill_id: Mapped[int | None] = mapped_column(ForeignKey("routing_skills.id", ondelete="RESTRICT"), nullable=True)
    machine_translation: Mapped[bool] = mapped_column(Boolean, default=False)
    skippable: Mapped[bool] = mapped_column(Boolean, default=True)


class RoutingHours(IdMixin, Base):
    """One opening window: weekday 0 = Monday, minutes after local midnight."""

    __tablename__ = "routing_hours"
    queue_id: Mapped[int] = mapped_column(ForeignKey("routing_queues.id", ondelete="CASCADE"), index=True)
    weekday: Mapped[int] = mapped_column(Integer)
    start_minute: Mapped[int] = mapped_column(Integer)
    end_minute: Mapped[int] = mapped_column(Integer)


class RoutingConversation(Base):
    """What routing knows of a conversation beyond the foundation's columns."""

    __tablename__ = "routing_conversations"
    conversation_id: Mapped[int] = mapped_column(ForeignKey("conversations.id", ondelete="CASCADE"), primary_key=True)
    skill_id: Mapped[int | None] = mapped_column(ForeignKey("routing_skills.id", ondelete="SET NULL"), nullable=True)
    vip: Mapped[bool] = mapped_column(Boolean, default=False)
    # A transfer to a queue pins the conversation there.
    queue_id: Mapped[int | None] = mapped_column(ForeignKey("routing_queues.id", ondelete="SET NULL"), nullable=True)
    # When it started waiting (for steps and priority); None: its creation.
    enqueued_at: Mapped[datetime | None] = mapped_column(DateTime, nullable=True)


class RoutingDecision(IdMixin, Base):
    __tablename__ = "routing_decisions"
    __table_args__ = (
        Index("ix_routing_decisions_conversation_id_id", "conversation_id", "id"),
        Index("ix_routing_decisions_account_id_created_at", "account_id", "created_at"),
    )
    account_id: Mapped[int] = mapped_column(ForeignKey("accounts.id", ondelete="CASCADE"))
    conversation_id: Mapped[int] = mapped_column(ForeignKey("conversations.id", ondelete="CASCADE"))
    queue_id: Mapped[int | None] = mapped_column(ForeignKey("routing_queues.id", ondelete="SET NULL"), nullable=True)
    agent_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"), nullable=True)
    outcome: Mapped[str] = mapped_column(String(20))
    step: Mapped[int | None] = mapped_column(Integer, nullable=True)
    machine_translation: Mapped[bool] = mapped_column(Boolean, default=False)
    waited_seconds: Mapped[float | None] = mapped_column(Float, nullable=True)
    closed_until: Mapped[datetime | None] = mapped_column(DateTime, nullable=True)
    reason: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    created_at: Mapped[datetime] = mapped_column(DateTime, default=utcnow)
