"""Knowledge base: categories, articles with one version per language, and
what the FAQ bot did in each conversation."""

from __future__ import annotations

import enum
from datetime import datetime

from sqlalchemy import JSON, Boolean, DateTime, Enum, Float, ForeignKey, Index, Integer, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from dragoman.core.clock import utcnow
from dragoman.core.db import Base, CreatedAtMixin, IdMixin


class VersionStatus(str, enum.Enum):
    draft = "draft"  # only admins see it; the bot and the help center do not
    published = "published"


class KbCategory(IdMixin, CreatedAtMixin, Base):
    __tablename__ = "kb_categories"
    __table_args__ = (UniqueConstraint("account_id", "slug"),)
    account_id: Mapped[int] = mapped_column(ForeignKey("accounts.id", ondelete="CASCADE"), index=True)
    slug: Mapped[str] = mapped_column(String(120))
    position: Mapped[int] = mapped_column(Integer, default=0)
    # {"en": "Orders & delivery", "es": "Pedidos y envíos"}: a name is a line, not an article.
    names: Mapped[dict[str, str]] = mapped_column(JSON, default=dict)


class KbArticle(IdMixin, CreatedAtMixin, Base):
    __tablename__ = "kb_articles"
    __table_args__ = (UniqueConstraint("account_id", "slug"),)
    account_id: Mapped[int] = mapped_column(ForeignKey("accounts.id", ondelete="CASCADE"), index=True)
    category_id: Mapped[int | None] = mapped_column(ForeignKey("kb_categories.id", ondelete="SET NULL"), nullable=True)
    slug: Mapped[str] = mapped_column(String(120))
    position: Mapped[int] = mapped_column(Integer, default=0)
    # Complaints, refunds: the bot recognises the topic and hands over at once.
    always_human: Mapped[bool] = mapped_column(Boolean, default=False)
    updated_at: Mapped[datetime] = mapped_column(DateTime, default=utcnow, onupdate=utcnow)


class KbArticleVersion(IdMixin, CreatedAtMixin, Base):
    __tablename__ = "kb_article_versions"
    __table_args__ = (
        UniqueConstraint("article_id", "language"),
        Index("ix_kb_article_versions_account_status", "account_id", "status"),
    )
    article_id: Mapped[int] = mapped_column(ForeignKey("kb_articles.id", ondelete="CASCADE"))
    account_id: Mapped[int] = mapped_column(ForeignKey("accounts.id", ondelete="CASCADE"))
    language: Mapped[str] = mapped_column(String(16))
    status: Mapped[VersionStatus] = mapped_column(Enum(VersionStatus, native_enum=False, length=20), default=VersionStatus.draft)
    title: Mapped[str] = mapped_column(String(300))
    # The bot's short answer; the body is the help-center page.
    summary: Mapped[str] = mapped_column(Text, default="")
    # Light markup (paragraphs, "- " lists, *emphasis*, **strong**, [links](https://...))
    # or HTML from an import: rendered only through kb.markup, never as it is.
    body: Mapped[str] = mapped_column(Text, default="")
    # How customers ask for this article; what the bot matches questions against.
    questions: Mapped[list[str]] = mapped_column(JSON, default=list)
    # Written by a machine, not yet read by a person: shown so in the console.
    machine_translated: Mapped[bool] = mapped_column(Boolean, default=False)
    updated_at: Mapped[datetime] = mapped_column(DateTime, default=utcnow, onupdate=utcnow)


class BotOutcome(str, enum.Enum):
    answered = "answered"
    handoff = "handoff"


class BotExchange(IdMixin, CreatedAtMixin, Base):
    """One customer message the bot handled, and what it did with it: the
    admin's view of what the bot answers and what it cannot."""

    __tablename__ = "kb_bot_exchanges"
    __table_args__ = (Index("ix_kb_bot_exchanges_account_created", "account_id", "created_at"),)
    account_id: Mapped[int] = mapped_column(ForeignKey("accounts.id", ondelete="CASCADE"))
    conversation_id: Mapped[int] = mapped_column(ForeignKey("conversations.id", ondelete="CASCADE"), index=True)
    message_id: Mapped[int | None] = mapped_column(ForeignKey("messages.id", ondelete="SET NULL"), nullable=True)
    language: Mapped[str | None] = mapped_column(String(16), nullable=True)
    question: Mapped[str] = mapped_column(Text)
    article_id: Mapped[int | None] = mapped_column(ForeignKey("kb_articles.id", ondelete="SET NULL"), nullable=True)
    score: Mapped[float | None] = mapped_column(Float, nullable=True)
    outcome: Mapped[BotOutcome] = mapped_column(Enum(BotOutcome, native_enum=False, length=20))
    reason: Mapped[str | None] = mapped_column(String(40), nullable=True)
    # The customer's answer to "did that help?"; None until they say.
    helpful: Mapped[bool | None] = mapped_column(Boolean, nullable=True)
    # An unanswered question an admin turned into an article (or added to one).
    resolved_article_id: Mapped[int | None] = mapped_column(
        ForeignKey("kb_articles.id", ondelete="SET NULL"), nullable=True
    )


class BotSession(Base):
    """The bot's state in one conversation."""

    __tablename__ = "kb_bot_sessions"
    conversation_id: Mapped[int] = mapped_column(ForeignKey("conversations.id", ondelete="CASCADE"), primary_key=True)
    account_id: Mapped[int] = mapped_column(ForeignKey("accounts.id", ondelete="CASCADE"), index=True)
    unhelpful_answers: Mapped[int] = mapped_column(Integer, default=0)
    # The answer whose "did that help?" is still open.
    awaiting_exchange_id: Mapped[int | None] = mapped_column(Integer, nullable=True)
    # Filled when the bot stops: handoff reason, or "resolved".
    ended: Mapped[str | None] = mapped_column(String(40), nullable=True)
    updated_at: Mapped[datetime] = mapped_column(DateTime, default=utcnow, onupdate=utcnow)
