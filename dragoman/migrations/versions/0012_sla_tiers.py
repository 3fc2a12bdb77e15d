"""SLA policies per customer tier; contacts carry a tier

Revision ID: 0012
Revises: 0011
Create Date: 2026-11-30 19:00:00
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op


revision = '0012'
down_revision = '0011'
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table('contacts') as batch:
        batch.add_column(sa.Column('tier', sa.String(length=40), nullable=True))
    # Batch mode: SQLite rebuilds the table to change its unique constraint.
    with op.batch_alter_table('sla_policies') as batch:
        batch.add_column(sa.Column('tier', sa.String(length=40), nullable=True))
        batch.drop_constraint(op.f('uq_sla_policies_account_id_priority'), type_='unique')
        batch.create_unique_constraint(op.f('uq_sla_policies_account_id_priority_tier'), ['account_id', 'priority', 'tier'])


def downgrade() -> None:
    with op.batch_alter_table('sla_policies') as batch:
        batch.drop_constraint(op.f('uq_sla_policies_account_id_priority_tier'), type_='unique')
        batch.create_unique_constraint(op.f('uq_sla_policies_account_id_priority'), ['account_id', 'priority'])
        batch.drop_column('tier')
    with op.batch_alter_table('contacts') as batch:
        batch.drop_column('tier')
