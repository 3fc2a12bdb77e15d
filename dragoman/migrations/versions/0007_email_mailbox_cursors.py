"""e-mail: where each IMAP mailbox was read up to

Revision ID: 0007
Revises: 0006
Create Date: 2026-11-30 16:40:00
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op


revision = '0007'
down_revision = '0006'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table('email_mailbox_cursors',
    sa.Column('inbox_id', sa.Integer(), nullable=False),
    sa.Column('uidvalidity', sa.BigInteger(), nullable=False),
    sa.Column('last_uid', sa.BigInteger(), nullable=False),
    sa.Column('checked_at', sa.DateTime(), nullable=True),
    sa.ForeignKeyConstraint(['inbox_id'], ['inboxes.id'], name=op.f('fk_email_mailbox_cursors_inbox_id_inboxes'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('inbox_id', name=op.f('pk_email_mailbox_cursors'))
    )


def downgrade() -> None:
    op.drop_table('email_mailbox_cursors')
