"""language: settings, glossary, translation memory, conversation language

Revision ID: 0004
Revises: 0001
Create Date: 2026-11-22 07:20:00

A branch from the initial schema: it needs nothing newer, and `dragoman db
upgrade` applies every head.
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0004"
down_revision = "0001"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "language_settings",
        sa.Column("account_id", sa.Integer(), nullable=False),
        sa.Column("languages", sa.JSON(), nullable=False),
        sa.Column("order_pattern", sa.String(length=500), nullable=True),
        sa.Column("engine_chains", sa.JSON(), nullable=False),
        sa.Column("glossary_version", sa.Integer(), nullable=False),
        sa.Column("updated_at", sa.DateTime(), nullable=False),
        sa.ForeignKeyConstraint(["account_id"], ["accounts.id"], name=op.f("fk_language_settings_account_id_accounts"), ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("account_id", name=op.f("pk_language_settings")),
    )
    op.create_table(
        "glossary_terms",
        sa.Column("account_id", sa.Integer(), nullable=False),
        sa.Column("term", sa.String(length=200), nullable=False),
        sa.Column("translation", sa.String(length=500), nullable=True),
        sa.Column("source_language", sa.String(length=16), nullable=True),
        sa.Column("target_language", sa.String(length=16), nullable=True),
        sa.Column("case_sensitive", sa.Boolean(), nullable=False),
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("created_at", sa.DateTime(), nullable=False),
        sa.ForeignKeyConstraint(["account_id"], ["accounts.id"], name=op.f("fk_glossary_terms_account_id_accounts"), ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_glossary_terms")),
    )
    with op.batch_alter_table("glossary_terms", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_glossary_terms_account_id"), ["account_id"], unique=False)
    op.create_table(
        "translation_memory",
        sa.Column("account_id", sa.Integer(), nullable=False),
        sa.Column("engine", sa.String(length=40), nullable=False),
        sa.Column("source_language", sa.String(length=16), nullable=False),
        sa.Column("target_language", sa.String(length=16), nullable=False),
        sa.Column("source_hash", sa.String(length=64), nullable=False),
        sa.Column("source_text", sa.Text(), nullable=False),
        sa.Column("translated_text", sa.Text(), nullable=False),
        sa.Column("pivot", sa.String(length=16), nullable=True),
        sa.Column("glossary_version", sa.Integer(), nullable=False),
        sa.Column("corrected_by", sa.Integer(), nullable=True),
        sa.Column("hits", sa.Integer(), nullable=False),
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("created_at", sa.DateTime(), nullable=False),
        sa.ForeignKeyConstraint(["account_id"], ["accounts.id"], name=op.f("fk_translation_memory_account_id_accounts"), ondelete="CASCADE"),
        sa.ForeignKeyConstraint(["corrected_by"], ["users.id"], name=op.f("fk_translation_memory_corrected_by_users"), ondelete="SET NULL"),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_translation_memory")),
        sa.UniqueConstraint(
            "account_id", "engine", "source_language", "target_language", "source_hash", "glossary_version",
            name="uq_translation_memory_key",
        ),
    )
    with op.batch_alter_table("translation_memory", schema=None) as batch_op:
        batch_op.create_index(
            "ix_translation_memory_lookup", ["account_id", "source_language", "target_language", "source_hash"], unique=False
        )
    op.create_table(
        "conversation_languages",
        sa.Column("conversation_id", sa.Integer(), nullable=False),
        sa.Column("language", sa.String(length=16), nullable=True),
        sa.Column("source", sa.String(length=20), nullable=False),
        sa.Column("locked", sa.Boolean(), nullable=False),
        sa.Column("scores", sa.JSON(), nullable=False),
        sa.Column("updated_at", sa.DateTime(), nullable=False),
        sa.ForeignKeyConstraint(
            ["conversation_id"], ["conversations.id"], name=op.f("fk_conversation_languages_conversation_id_conversations"), ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("conversation_id", name=op.f("pk_conversation_languages")),
    )


def downgrade() -> None:
    op.drop_table("conversation_languages")
    with op.batch_alter_table("translation_memory", schema=None) as batch_op:
        batch_op.drop_index("ix_translation_memory_lookup")
    op.drop_table("translation_memory")
    with op.batch_alter_table("glossary_terms", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_glossary_terms_account_id"))
    op.drop_table("glossary_terms")
    op.drop_table("language_settings")
