"""knowledge base: categories, articles and language versions; the FAQ bot's
sessions and exchanges; conversations.bot_active

Revision ID: 0005
Revises: 0001
Create Date: 2026-11-22 07:41:46

A branch from the initial schema: it needs nothing newer, and `dragoman db
upgrade` applies every head.
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0005"
down_revision = "0001"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table('kb_categories',
    sa.Column('account_id', sa.Integer(), nullable=False),
    sa.Column('slug', sa.String(length=120), nullable=False),
    sa.Column('position', sa.Integer(), nullable=False),
    sa.Column('names', sa.JSON(), nullable=False),
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('created_at', sa.DateTime(), nullable=False),
    sa.ForeignKeyConstraint(['account_id'], ['accounts.id'], name=op.f('fk_kb_categories_account_id_accounts'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_kb_categories')),
    sa.UniqueConstraint('account_id', 'slug', name=op.f('uq_kb_categories_account_id_slug'))
    )
    with op.batch_alter_table('kb_categories', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_kb_categories_account_id'), ['account_id'], unique=False)

    op.create_table('kb_articles',
    sa.Column('account_id', sa.Integer(), nullable=False),
    sa.Column('category_id', sa.Integer(), nullable=True),
    sa.Column('slug', sa.String(length=120), nullable=False),
    sa.Column('position', sa.Integer(), nullable=False),
    sa.Column('always_human', sa.Boolean(), nullable=False),
    sa.Column('updated_at', sa.DateTime(), nullable=False),
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('created_at', sa.DateTime(), nullable=False),
    sa.ForeignKeyConstraint(['account_id'], ['accounts.id'], name=op.f('fk_kb_articles_account_id_accounts'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['category_id'], ['kb_categories.id'], name=op.f('fk_kb_articles_category_id_kb_categories'), ondelete='SET NULL'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_kb_articles')),
    sa.UniqueConstraint('account_id', 'slug', name=op.f('uq_kb_articles_account_id_slug'))
    )
    with op.batch_alter_table('kb_articles', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_kb_articles_account_id'), ['account_id'], unique=False)

    op.create_table('kb_article_versions',
    sa.Column('article_id', sa.Integer(), nullable=False),
    sa.Column('account_id', sa.Integer(), nullable=False),
    sa.Column('language', sa.String(length=16), nullable=False),
    sa.Column('status', sa.Enum('draft', 'published', name='versionstatus', native_enum=False, length=20), nullable=False),
    sa.Column('title', sa.String(length=300), nullable=False),
    sa.Column('summary', sa.Text(), nullable=False),
    sa.Column('body', sa.Text(), nullable=False),
    sa.Column('questions', sa.JSON(), nullable=False),
    sa.Column('machine_translated', sa.Boolean(), nullable=False),
    sa.Column('updated_at', sa.DateTime(), nullable=False),
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('created_at', sa.DateTime(), nullable=False),
    sa.ForeignKeyConstraint(['account_id'], ['accounts.id'], name=op.f('fk_kb_article_versions_account_id_accounts'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['article_id'], ['kb_articles.id'], name=op.f('fk_kb_article_versions_article_id_kb_articles'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_kb_article_versions')),
    sa.UniqueConstraint('article_id', 'language', name=op.f('uq_kb_article_versions_article_id_language'))
    )
    with op.batch_alter_table('kb_article_versions', schema=None) as batch_op:
        batch_op.create_index('ix_kb_article_versions_account_status', ['account_id', 'status'], unique=False)

    op.create_table('kb_bot_sessions',
    sa.Column('conversation_id', sa.Integer(), nullable=False),
    sa.Column('account_id', sa.Integer(), nullable=False),
    sa.Column('unhelpful_answers', sa.Integer(), nullable=False),
    sa.Column('awaiting_exchange_id', sa.Integer(), nullable=True),
    sa.Column('ended', sa.String(length=40), nullable=True),
    sa.Column('updated_at', sa.DateTime(), nullable=False),
    sa.ForeignKeyConstraint(['account_id'], ['accounts.id'], name=op.f('fk_kb_bot_sessions_account_id_accounts'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['conversation_id'], ['conversations.id'], name=op.f('fk_kb_bot_sessions_conversation_id_conversations'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('conversation_id', name=op.f('pk_kb_bot_sessions'))
    )
    with op.batch_alter_table('kb_bot_sessions', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_kb_bot_sessions_account_id'), ['account_id'], unique=False)

    op.create_table('kb_bot_exchanges',
    sa.Column('account_id', sa.Integer(), nullable=False),
    sa.Column('conversation_id', sa.Integer(), nullable=False),
    sa.Column('message_id', sa.Integer(), nullable=True),
    sa.Column('language', sa.String(length=16), nullable=True),
    sa.Column('question', sa.Text(), nullable=False),
    sa.Column('article_id', sa.Integer(), nullable=True),
    sa.Column('score', sa.Float(), nullable=True),
    sa.Column('outcome', sa.Enum('answered', 'handoff', name='botoutcome', native_enum=False, length=20), nullable=False),
    sa.Column('reason', sa.String(length=40), nullable=True),
    sa.Column('helpful', sa.Boolean(), nullable=True),
    sa.Column('resolved_article_id', sa.Integer(), nullable=True),
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('created_at', sa.DateTime(), nullable=False),
    sa.ForeignKeyConstraint(['account_id'], ['accounts.id'], name=op.f('fk_kb_bot_exchanges_account_id_accounts'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['article_id'], ['kb_articles.id'], name=op.f('fk_kb_bot_exchanges_article_id_kb_articles'), ondelete='SET NULL'),
    sa.ForeignKeyConstraint(['conversation_id'], ['conversations.id'], name=op.f('fk_kb_bot_exchanges_conversation_id_conversations'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['message_id'], ['messages.id'], name=op.f('fk_kb_bot_exchanges_message_id_messages'), ondelete='SET NULL'),
    sa.ForeignKeyConstraint(['resolved_article_id'], ['kb_articles.id'], name=op.f('fk_kb_bot_exchanges_resolved_article_id_kb_articles'), ondelete='SET NULL'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_kb_bot_exchanges'))
    )
    with op.batch_alter_table('kb_bot_exchanges', schema=None) as batch_op:
        batch_op.create_index('ix_kb_bot_exchanges_account_created', ['account_id', 'created_at'], unique=False)
        batch_op.create_index(batch_op.f('ix_kb_bot_exchanges_conversation_id'), ['conversation_id'], unique=False)

    with op.batch_alter_table('conversations', schema=None) as batch_op:
        batch_op.add_column(sa.Column('bot_active', sa.Boolean(), server_default=sa.false(), nullable=False))



def downgrade() -> None:
    with op.batch_alter_table('conversations', schema=None) as batch_op:
        batch_op.drop_column('bot_active')

    with op.batch_alter_table('kb_bot_exchanges', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_kb_bot_exchanges_conversation_id'))
        batch_op.drop_index('ix_kb_bot_exchanges_account_created')

    op.drop_table('kb_bot_exchanges')
    with op.batch_alter_table('kb_bot_sessions', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_kb_bot_sessions_account_id'))

    op.drop_table('kb_bot_sessions')
    with op.batch_alter_table('kb_article_versions', schema=None) as batch_op:
        batch_op.drop_index('ix_kb_article_versions_account_status')

    op.drop_table('kb_article_versions')
    with op.batch_alter_table('kb_articles', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_kb_articles_account_id'))

    op.drop_table('kb_articles')
    with op.batch_alter_table('kb_categories', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_kb_categories_account_id'))

    op.drop_table('kb_categories')
