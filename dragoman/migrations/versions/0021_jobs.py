"""durable background jobs (core.jobs)

Revision ID: 0021
Revises: 0020
Create Date: 2026-12-07 23:00:00

Background work that lived in in-memory queues (lost when the process died)
becomes rows: claimed with a lease, retried with back-off, kept as dead
letters for admins.
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op


revision = '0021'
down_revision = '0020'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table('jobs',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('kind', sa.String(length=64), nullable=False),
    sa.Column('account_id', sa.Integer(), nullable=True),
    sa.Column('payload', sa.JSON(), nullable=False),
    sa.Column('idempotency_key', sa.String(length=200), nullable=True),
    sa.Column('status', sa.Enum('queued', 'running', 'done', 'dead', name='jobstatus', native_enum=False, length=20), nullable=False),
    sa.Column('attempts', sa.Integer(), nullable=False),
    sa.Column('max_attempts', sa.Integer(), nullable=False),
    sa.Column('run_at', sa.DateTime(), nullable=False),
    sa.Column('lease_owner', sa.String(length=120), nullable=True),
    sa.Column('lease_until', sa.DateTime(), nullable=True),
    sa.Column('last_error', sa.Text(), nullable=True),
    sa.Column('finished_at', sa.DateTime(), nullable=True),
    sa.Column('created_at', sa.DateTime(), nullable=False),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_jobs')),
    sa.UniqueConstraint('kind', 'idempotency_key', name='uq_jobs_kind_idempotency_key')
    )
    op.create_index('ix_jobs_due', 'jobs', ['status', 'run_at'], unique=False)
    op.create_index('ix_jobs_account_status', 'jobs', ['account_id', 'status'], unique=False)


def downgrade() -> None:
    op.drop_index('ix_jobs_account_status', table_name='jobs')
    op.drop_index('ix_jobs_due', table_name='jobs')
    op.drop_table('jobs')
