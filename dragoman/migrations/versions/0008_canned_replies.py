"""saved replies with a version per language

Revision ID: 0008
Revises: 0007
Create Date: 2026-11-30 17:00:00
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op


revision = '0008'
down_revision = '0007'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table('canned_replies',
    sa.Column('account_id', sa.Integer(), nullable=False),
    sa.Column('shortcut', sa.String(length=60), nullable=False),
    sa.Column('title', sa.String(length=200), nullable=False),
    sa.Column('kind', sa.String(length=20), nullable=False),
    sa.Column('updated_at', sa.DateTime(), nullable=False),
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('created_at', sa.DateTime(), nullable=False),
    sa.ForeignKeyConstraint(['account_id'], ['accounts.id'], name=op.f('fk_canned_replies_account_id_accounts'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_canned_replies')),
    sa.UniqueConstraint('account_id', 'shortcut', name=op.f('uq_canned_replies_account_id_shortcut'))
    )
    op.create_index(op.f('ix_canned_replies_account_id'), 'canned_replies', ['account_id'], unique=False)
    op.create_table('canned_reply_versions',
    sa.Column('canned_reply_id', sa.Integer(), nullable=False),
    sa.Column('language', sa.String(length=16), nullable=False),
    sa.Column('body', sa.Text(), nullable=False),
    sa.Column('id', sa.Integer(), nullable=False),
    sa.ForeignKeyConstraint(['canned_reply_id'], ['canned_replies.id'], name=op.f('fk_canned_reply_versions_canned_reply_id_canned_replies'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_canned_reply_versions')),
    sa.UniqueConstraint('canned_reply_id', 'language', name=op.f('uq_canned_reply_versions_canned_reply_id_language'))
    )
    op.create_index(op.f('ix_canned_reply_versions_canned_reply_id'), 'canned_reply_versions', ['canned_reply_id'], unique=False)


def downgrade() -> None:
    op.drop_index(op.f('ix_canned_reply_versions_canned_reply_id'), table_name='canned_reply_versions')
    op.drop_table('canned_reply_versions')
    op.drop_index(op.f('ix_canned_replies_account_id'), table_name='canned_replies')
    op.drop_table('canned_replies')
