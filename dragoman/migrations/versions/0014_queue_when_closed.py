"""routing queues: what happens when every queue is closed (reply, or ticket)

Revision ID: 0014
Revises: 0013
Create Date: 2026-11-30 20:00:00
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op


revision = '0014'
down_revision = '0013'
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table('routing_queues') as batch:
        batch.add_column(sa.Column('when_closed', sa.String(length=10), nullable=False, server_default='reply'))


def downgrade() -> None:
    with op.batch_alter_table('routing_queues') as batch:
        batch.drop_column('when_closed')
