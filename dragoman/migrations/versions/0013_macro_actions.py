"""saved replies can be macros: actions applied when they are sent

Revision ID: 0013
Revises: 0012
Create Date: 2026-11-30 19:30:00
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op


revision = '0013'
down_revision = '0012'
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table('canned_replies') as batch:
        batch.add_column(sa.Column('actions', sa.JSON(), nullable=False, server_default='{}'))


def downgrade() -> None:
    with op.batch_alter_table('canned_replies') as batch:
        batch.drop_column('actions')
