"""Language settings, glossary, translation memory, conversation language.

A message's detected language and its translations live in the message's
`attributes` (the JSON every API, push and webhook already carries):

    attributes["language"]      {"code", "confidence", "letters", "words"}
    attributes["translations"]  {target: TranslationResult.as_dict()}
    attributes["original"]      on a translated agent reply: what the agent
                                wrote, in which language, and the check flags
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import JSON, Boolean, DateTime, ForeignKey, Index, Integer, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from dragoman.core.clock import utcnow
from dragoman.core.db import Base, CreatedAtMixin, IdMixin


class LanguageSettings(Base):
    """One row per account that changed anything; absent means the defaults."""

    __tablename__ = "language_settings"
    account_id: Mapped[int] = mapped_column(ForeignKey("accounts.id", ondelete="CASCADE"), primary_key=True)
    # The customer languages the account serves (ISO 639-1); detection picks among them.
    languages: Mapped[list[str]] = mapped_column(JSON, default=list)
    # A regular expression for the account's order numbers, kept unchanged by translation.
    order_pattern: Mapped[str | None] = mapped_column(String(500), nullable=True)
    # {"*": ["apertium", "deepl"], "es-en": ["ctranslate2", "apertium"]}: engine order per pair.
    engine_chains: Mapped[dict[str, list[str]]] = mapped_column(JSON, default=dict)
    # Bumped by every glossary change: memory entries of older versions are not reused.
    glossary_version: Mapped[int] = mapped_column(Integer, default=1)
    updated_at: Mapped[datetime] = mapped_column(DateTime, default=utcnow, onupdate=utcnow)


class GlossaryTerm(IdMixin, CreatedAtMixin, Base):
    __tablename__ = "glossary_terms"
    account_id: Mapped[int] = mapped_column(ForeignKey("accounts.id", ondelete="CASCADE"), index=True)
    term: Mapped[str] = mapped_column(String(200))
    # None: do not translate the term. Otherwise: always translate it as this.
    translation: Mapped[str | None] = mapped_column(String(500), nullable=True)
    # None: every language. Forced translations name both.
    source_language: Mapped[str | None] = mapped_column(String(16), nullable=True)
    target_language: Mapped[str | None] = mapped_column(String(16), nullable=True)
    case_sensitive: Mapped[bool] = mapped_column(Boolean, default=False)


class TranslationMemory(IdMixin, CreatedAtMixin, Base):
    """A finished translation, reused for the same (engine, pair, text, glossary
    version). Agents' corrections are stored with engine "correction" and
    glossary version 0: a person's choice holds whatever the glossary says."""

    __tablename__ = "translation_memory"
    __table_args__ = (
        UniqueConstraint(
            "account_id", "engine", "source_language", "target_language", "source_hash", "glossary_version",
            name="uq_translation_memory_key",
        ),
        Index("ix_translation_memory_lookup", "account_id", "source_language", "target_language", "source_hash"),
    )
    account_id: Mapped[int] = mapped_column(ForeignKey("accounts.id", ondelete="CASCADE"))
    engine: Mapped[str] = mapped_column(String(40))
    source_language: Mapped[str] = mapped_column(String(16))
    target_language: Mapped[str] = mapped_column(String(16))
    source_hash: Mapped[str] = mapped_column(String(64))
    source_text: Mapped[str] = mapped_column(Text)
    translated_text: Mapped[str] = mapped_column(Text)
    pivot: Mapped[str | None] = mapped_column(String(16), nullable=True)
    glossary_version: Mapped[int] = mapped_column(Integer)
    corrected_by: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"), nullable=True)
    # Not counted yet: reads stay free of writes (see conversations.translation_worker).
    hits: Mapped[int] = mapped_column(Integer, default=0)


class ConversationLanguage(Base):
    """How the conversation's language was decided (see `language.evidence`)."""

    __tablename__ = "conversation_languages"
    conversation_id: Mapped[int] = mapped_column(ForeignKey("conversations.id", ondelete="CASCADE"), primary_key=True)
    language: Mapped[str | None] = mapped_column(String(16), nullable=True)
    source: Mapped[str] = mapped_column(String(20), default="none")
    locked: Mapped[bool] = mapped_column(Boolean, default=False)
    scores: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    updated_at: Mapped[datetime] = mapped_column(DateTime, default=utcnow, onupdate=utcnow)
