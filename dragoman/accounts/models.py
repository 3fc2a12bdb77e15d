"""Tenants, people and how they are grouped."""

from __future__ import annotations

import enum
from datetime import datetime

from sqlalchemy import (
    Boolean,
    CheckConstraint,
    DateTime,
    Enum,
    ForeignKey,
    Integer,
    String,
    UniqueConstraint,
)
from sqlalchemy.orm import Mapped, mapped_column, relationship

from dragoman.core.db import Base, CreatedAtMixin, IdMixin


class Role(str, enum.Enum):
    admin = "admin"
    supervisor = "supervisor"
    agent = "agent"


class Availability(str, enum.Enum):
    online = "online"
    away = "away"
    # Taking a break: the same as away for routing, but said as it is on the
    # supervisors' screens and in the agent's own status menu.
    on_break = "break"
    offline = "offline"


class Account(IdMixin, CreatedAtMixin, Base):
    __tablename__ = "accounts"
    name: Mapped[str] = mapped_column(String(200))
    default_locale: Mapped[str] = mapped_column(String(16), default="en")


class Vendor(IdMixin, CreatedAtMixin, Base):
    """An outsourcing company whose agents work for the account."""

    __tablename__ = "vendors"
    __table_args__ = (UniqueConstraint("account_id", "name"),)
    account_id: Mapped[int] = mapped_column(ForeignKey("accounts.id", ondelete="CASCADE"), index=True)
    name: Mapped[str] = mapped_column(String(200))


class User(IdMixin, CreatedAtMixin, Base):
    __tablename__ = "users"
    # An e-mail address is unique within an account, not across accounts: a
    # person may work for two companies on one install, and an account must
    # not learn which addresses another account has (a 409 would say so).
    __table_args__ = (UniqueConstraint("account_id", "email"),)
    account_id: Mapped[int] = mapped_column(ForeignKey("accounts.id", ondelete="CASCADE"), index=True)
    email: Mapped[str] = mapped_column(String(320), index=True)
    name: Mapped[str] = mapped_column(String(200))
    password_hash: Mapped[str] = mapped_column(String(200))
    role: Mapped[Role] = mapped_column(Enum(Role, native_enum=False, length=20))
    availability: Mapped[Availability] = mapped_column(
        Enum(Availability, native_enum=False, length=20), default=Availability.offline
    )
    # The presence the console restores when the agent opens it again: the one
    # they last chose, or the one they had when their last console closed.
    last_availability: Mapped[Availability | None] = mapped_column(
        Enum(Availability, native_enum=False, length=20), nullable=True
    )
    # None: follow the browser's Accept-Language.
    ui_locale: Mapped[str | None] = mapped_column(String(16), nullable=True)
    # The language the agent reads and writes in the console (used by translation).
    working_language: Mapped[str] = mapped_column(String(16), default="en")
    timezone: Mapped[str] = mapped_column(String(64), default="UTC")
    active: Mapped[bool] = mapped_column(Boolean, default=True)

    languages: Mapped[list["UserLanguage"]] = relationship(
        back_populates="user", cascade="all, delete-orphan", lazy="selectin", order_by="UserLanguage.language"
    )


class UserLanguage(Base):
    """How well a person reads, writes and speaks one language (0 = not at all, 5 = native)."""

    __tablename__ = "user_languages"
    __table_args__ = (
        CheckConstraint("reading BETWEEN 0 AND 5", name="reading_range"),
        CheckConstraint("writing BETWEEN 0 AND 5", name="writing_range"),
        CheckConstraint("speaking BETWEEN 0 AND 5", name="speaking_range"),
    )
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), primary_key=True)
    language: Mapped[str] = mapped_column(String(16), primary_key=True)
    reading: Mapped[int] = mapped_column(Integer, default=0)
    writing: Mapped[int] = mapped_column(Integer, default=0)
    speaking: Mapped[int] = mapped_column(Integer, default=0)

    user: Mapped[User] = relationship(back_populates="languages")


class Team(IdMixin, CreatedAtMixin, Base):
    __tablename__ = "teams"
    __table_args__ = (UniqueConstraint("account_id", "name"),)
    account_id: Mapped[int] = mapped_column(ForeignKey("accounts.id", ondelete="CASCADE"), index=True)
    name: Mapped[str] = mapped_column(String(200))
    vendor_id: Mapped[int | None] = mapped_column(ForeignKey("vendors.id", ondelete="SET NULL"), nullable=True)


class TeamMember(Base):
    __tablename__ = "team_members"
    team_id: Mapped[int] = mapped_column(ForeignKey("teams.id", ondelete="CASCADE"), primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), primary_key=True, index=True)


class InboxTeam(Base):
    """Teams that work an inbox; their agents see its unassigned conversations.

    A team membership, like `TeamMember`: it decides what a signed-in person
    sees, so it lives with the accounts that build the `Viewer`."""

    __tablename__ = "inbox_teams"
    inbox_id: Mapped[int] = mapped_column(ForeignKey("inboxes.id", ondelete="CASCADE"), primary_key=True)
    team_id: Mapped[int] = mapped_column(ForeignKey("teams.id", ondelete="CASCADE"), primary_key=True, index=True)


class AuthSession(Base):
    """A console login. The cookie holds a random token; the table its hash."""

    __tablename__ = "auth_sessions"
    token_hash: Mapped[str] = mapped_column(String(64), primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
    csrf_token: Mapped[str] = mapped_column(String(64))
    created_at: Mapped[datetime] = mapped_column(DateTime)
    expires_at: Mapped[datetime] = mapped_column(DateTime)


class ApiToken(IdMixin, CreatedAtMixin, Base):
    """A token an integrator uses for the REST API; it acts as the user who made it."""

    __tablename__ = "api_tokens"
    account_id: Mapped[int] = mapped_column(ForeignKey("accounts.id", ondelete="CASCADE"), index=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
    name: Mapped[str] = mapped_column(String(200))
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    # The first characters, shown in lists so people can tell tokens apart.
    prefix: Mapped[str] = mapped_column(String(12))
    last_used_at: Mapped[datetime | None] = mapped_column(DateTime, nullable=True)
    revoked_at: Mapped[datetime | None] = mapped_column(DateTime, nullable=True)
