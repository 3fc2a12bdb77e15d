"""custom ticket fields an account defines

Revision ID: 0011
Revises: 0010
Create Date: 2026-11-30 18:20:00
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op


revision = '0011'
down_revision = '0010'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table('ticket_fields',
    sa.Column('account_id', sa.Integer(), nullable=False),
    sa.Column('key', sa.String(length=50), nullable=False),
    sa.Column('type', sa.String(length=20), nullable=False),
    sa.Column('labels', sa.JSON(), nullable=False),
    sa.Column('options', sa.JSON(), nullable=False),
    sa.Column('required_to_solve', sa.Boolean(), nullable=False),
    sa.Column('position', sa.Integer(), nullable=False),
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('created_at', sa.DateTime(), nullable=False),
    sa.ForeignKeyConstraint(['account_id'], ['accounts.id'], name=op.f('fk_ticket_fields_account_id_accounts'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_ticket_fields')),
    sa.UniqueConstraint('account_id', 'key', name=op.f('uq_ticket_fields_account_id_key'))
    )
    op.create_index(op.f('ix_ticket_fields_account_id'), 'ticket_fields', ['account_id'], unique=False)


def downgrade() -> None:
    op.drop_index(op.f('ix_ticket_fields_account_id'), table_name='ticket_fields')
    op.drop_table('ticket_fields')
