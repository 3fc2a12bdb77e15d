"""tickets: saved views of the ticket list

Revision ID: 0017
Revises: 0016
Create Date: 2026-12-01 14:10:00
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op


revision = '0017'
down_revision = '0016'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table('ticket_views',
    sa.Column('account_id', sa.Integer(), nullable=False),
    sa.Column('user_id', sa.Integer(), nullable=False),
    sa.Column('name', sa.String(length=80), nullable=False),
    sa.Column('filters', sa.JSON(), nullable=False),
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('created_at', sa.DateTime(), nullable=False),
    sa.ForeignKeyConstraint(['account_id'], ['accounts.id'], name=op.f('fk_ticket_views_account_id_accounts'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['user_id'], ['users.id'], name=op.f('fk_ticket_views_user_id_users'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_ticket_views')),
    sa.UniqueConstraint('user_id', 'name', name=op.f('uq_ticket_views_user_id_name'))
    )
    op.create_index(op.f('ix_ticket_views_user_id'), 'ticket_views', ['user_id'], unique=False)


def downgrade() -> None:
    op.drop_index(op.f('ix_ticket_views_user_id'), table_name='ticket_views')
    op.drop_table('ticket_views')
