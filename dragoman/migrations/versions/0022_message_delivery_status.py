"""messages: delivery status of replies (queued, sent, delivered, read, failed)

Revision ID: 0022
Revises: 0021
Create Date: 2026-12-08 01:00:00

One status per outgoing message, written by the delivery pipeline
(channels/delivery.py): the console shows it beside an agent's reply, and a
failure keeps the channel's reason. Replies stored before this are marked
sent where they are known to have gone out: web chat replies (pushed as
stored) and e-mail replies that carry the Message-ID they went out with.
An e-mail reply the old send thread had given up on is failed with its
reason; one still waiting is queued with a delivery job, so the upgrade
loses none.
"""

from __future__ import annotations

import json
from datetime import datetime, timezone

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
    connection = op.get_bind()
    waiting = connection.execute(
        sa.text(
            "SELECT m.id, m.account_id, m.attributes FROM messages m JOIN inboxes i ON i.id = m.inbox_id "
            "WHERE i.channel_type = 'email' AND m.direction = 'outgoing' AND m.source_id IS NULL"
        )
    ).all()
    now = datetime.now(timezone.utc).replace(tzinfo=None)
    for message_id, account_id, attributes in waiting:
        details = (json.loads(attributes) if isinstance(attributes, str) else attributes or {}).get("email") or {}
        if details.get("status") == "failed":
            connection.execute(
                sa.text("UPDATE messages SET delivery_status = 'failed', delivery_error = :error WHERE id = :id"),
                {"error": details.get("error") or "not delivered", "id": message_id},
            )
            continue
        connection.execute(sa.text("UPDATE messages SET delivery_status = 'queued' WHERE id = :id"), {"id": message_id})
        connection.execute(
            sa.text(
                "INSERT INTO jobs (kind, account_id, payload, idempotency_key, status, attempts, max_attempts, run_at, created_at) "
                "VALUES ('channels.deliver', :account_id, :payload, :key, 'queued', 0, 8, :now, :now)"
            ),
            {"account_id": account_id, "payload": json.dumps({"message_id": message_id, "attempt": 1}), "key": f"{message_id}:1", "now": now},
        )


def downgrade() -> None:
    with op.batch_alter_table('messages') as batch:
        batch.drop_column('delivery_error')
        batch.drop_column('delivery_status')
