"""users: the presence to restore when the agent opens the console again

Revision ID: 0020
Revises: 0019
Create Date: 2026-12-07 23:20:00

Presence follows the live console: when an agent's last console closes they
go offline after a grace period, and their status then (or the one they
last chose) is kept here, so the next console they open restores it.
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op


revision = '0020'
down_revision = '0019'
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table('users') as batch:
        batch.add_column(sa.Column('last_availability', sa.String(length=20), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table('users') as batch:
        batch.drop_column('last_availability')
