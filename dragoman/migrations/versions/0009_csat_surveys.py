"""satisfaction surveys

Revision ID: 0009
Revises: 0008
Create Date: 2026-11-30 17:30:00
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op


revision = '0009'
down_revision = '0008'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table('csat_surveys',
    sa.Column('account_id', sa.Integer(), nullable=False),
    sa.Column('conversation_id', sa.Integer(), nullable=False),
    sa.Column('ticket_id', sa.Integer(), nullable=True),
    sa.Column('token', sa.String(length=64), nullable=False),
    sa.Column('language', sa.String(length=16), nullable=True),
    sa.Column('assignee_id', sa.Integer(), nullable=True),
    sa.Column('team_id', sa.Integer(), nullable=True),
    sa.Column('rating', sa.Integer(), nullable=True),
    sa.Column('comment', sa.Text(), nullable=True),
    sa.Column('answered_at', sa.DateTime(), nullable=True),
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('created_at', sa.DateTime(), nullable=False),
    sa.ForeignKeyConstraint(['account_id'], ['accounts.id'], name=op.f('fk_csat_surveys_account_id_accounts'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['conversation_id'], ['conversations.id'], name=op.f('fk_csat_surveys_conversation_id_conversations'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['ticket_id'], ['tickets.id'], name=op.f('fk_csat_surveys_ticket_id_tickets'), ondelete='SET NULL'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_csat_surveys')),
    sa.UniqueConstraint('token', name=op.f('uq_csat_surveys_token'))
    )
    op.create_index(op.f('ix_csat_surveys_account_id'), 'csat_surveys', ['account_id'], unique=False)
    op.create_index(op.f('ix_csat_surveys_conversation_id'), 'csat_surveys', ['conversation_id'], unique=False)
    op.create_index(op.f('ix_csat_surveys_ticket_id'), 'csat_surveys', ['ticket_id'], unique=False)


def downgrade() -> None:
    op.drop_index(op.f('ix_csat_surveys_ticket_id'), table_name='csat_surveys')
    op.drop_index(op.f('ix_csat_surveys_conversation_id'), table_name='csat_surveys')
    op.drop_index(op.f('ix_csat_surveys_account_id'), table_name='csat_surveys')
    op.drop_table('csat_surveys')
