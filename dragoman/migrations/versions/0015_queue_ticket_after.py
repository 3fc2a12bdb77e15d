"""routing queues: a long wait can also make the conversation a ticket

Revision ID: 0015
Revises: 0014
Create Date: 2026-11-30 20:30:00
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op


revision = '0015'
down_revision = '0014'
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table('routing_queues') as batch:
        batch.add_column(sa.Column('ticket_after_seconds', sa.Integer(), nullable=False, server_default='0'))


def downgrade() -> None:
    with op.batch_alter_table('routing_queues') as batch:
        batch.drop_column('ticket_after_seconds')
