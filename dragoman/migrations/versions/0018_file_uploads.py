"""files belong to the accounts (and the agents or customers) that uploaded them

Revision ID: 0018
Revises: 0017
Create Date: 2026-12-07 17:50:00

Files are kept once per SHA-256; until now any account could attach (and so
download) any file whose digest it named. file_uploads says who uploaded
which bytes. Files messages already carry become their account's, uploaded
by the message's sender, so every existing download keeps working.
"""

from __future__ import annotations

import json
from datetime import datetime, timezone

import sqlalchemy as sa
from alembic import op


revision = '0018'
down_revision = '0017'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table('file_uploads',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('account_id', sa.Integer(), nullable=False),
    sa.Column('sha256', sa.String(length=64), nullable=False),
    sa.Column('uploader', sa.String(length=40), nullable=False),
    sa.Column('uploaded_at', sa.DateTime(), nullable=False),
    sa.ForeignKeyConstraint(['account_id'], ['accounts.id'], name=op.f('fk_file_uploads_account_id_accounts'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_file_uploads')),
    sa.UniqueConstraint('account_id', 'sha256', 'uploader', name=op.f('uq_file_uploads_account_id_sha256_uploader'))
    )
    connection = op.get_bind()
    messages = sa.table(
        'messages',
        sa.column('account_id', sa.Integer()),
        sa.column('sender_type', sa.String()),
        sa.column('sender_id', sa.Integer()),
        sa.column('attributes', sa.JSON()),
    )
    uploads: dict[tuple[int, str, str], None] = {}
    rows = connection.execute(
        sa.select(messages.c.account_id, messages.c.sender_type, messages.c.sender_id, messages.c.attributes).where(
            sa.cast(messages.c.attributes, sa.String).like('%"sha256"%')
        )
    )
    for account_id, sender_type, sender_id, attributes in rows:
        if isinstance(attributes, str):
            attributes = json.loads(attributes)
        attributes = attributes or {}
        files = [*(attributes.get("attachments") or []), *((attributes.get("email") or {}).get("attachments") or [])]
        uploader = f"{sender_type}:{sender_id}" if sender_type in ("user", "contact") and sender_id is not None else "system"
        for file in files:
            if isinstance(file, dict) and isinstance(file.get("sha256"), str):
                uploads[(account_id, file["sha256"], uploader)] = None
    now = datetime.now(timezone.utc).replace(tzinfo=None)
    table = sa.table(
        'file_uploads',
        sa.column('account_id', sa.Integer()),
        sa.column('sha256', sa.String()),
        sa.column('uploader', sa.String()),
        sa.column('uploaded_at', sa.DateTime()),
    )
    if uploads:
        op.bulk_insert(table, [{"account_id": a, "sha256": d, "uploader": u, "uploaded_at": now} for a, d, u in uploads])


def downgrade() -> None:
    op.drop_table('file_uploads')
