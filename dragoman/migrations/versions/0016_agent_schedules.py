"""routing: agents' working hours and holidays

Revision ID: 0016
Revises: 0015
Create Date: 2026-11-30 21:00:00
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op


revision = '0016'
down_revision = '0015'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table('routing_agent_schedules',
    sa.Column('user_id', sa.Integer(), nullable=False),
    sa.Column('windows', sa.JSON(), nullable=False),
    sa.Column('holiday_country', sa.String(length=8), nullable=True),
    sa.Column('holiday_subdivision', sa.String(length=16), nullable=True),
    sa.ForeignKeyConstraint(['user_id'], ['users.id'], name=op.f('fk_routing_agent_schedules_user_id_users'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('user_id', name=op.f('pk_routing_agent_schedules'))
    )


def downgrade() -> None:
    op.drop_table('routing_agent_schedules')
