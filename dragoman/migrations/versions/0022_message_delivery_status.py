"""messages: delivery status of replies (queued, sent, delivered, read, failed)

Revision ID: 0022
Revises: 0021
Create Date: 2026-12-08 01:00:00

One status per outgoing message, written by the delivery pipeline
(channels/delivery.py): the console shows it beside an agent's reply, and a
failure keeps the channel's reason. Replies stored before this are marked
sent where they are known to have gone out: web chat replies (pushed as
stored) and e-mail replies that carry the Message-ID they went out with.
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op


revision = '0022'
down_revision = '0021'
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table('messages') as batch:
        batch.add_column(sa.Column('delivery_status', sa.String(length=20), nullable=True))
        batch.add_column(sa.Column('delivery_error', sa.Text(), nullable=True))
    op.execute(
        "UPDATE messages SET delivery_status = 'sent' WHERE direction = 'outgoing' AND ("
        "source_id IS NOT NULL OR inbox_id IN (SELECT id FROM inboxes WHERE channel_type = 'webchat'))"
    )


def downgrade() -> None:
    with op.batch_alter_table('messages') as batch:
        batch.drop_column('delivery_error')
        batch.drop_column('delivery_status')
