"""users: an e-mail address is unique within an account, not across accounts

Revision ID: 0019
Revises: 0018
Create Date: 2026-12-07 18:05:00

Creating a user answered 409 when another account had the address, which
told any admin which addresses other accounts use. Sign-in finds the
address's users in every account and lets the password decide (see
accounts.services.authenticate).
"""

from __future__ import annotations

from alembic import op


revision = '0019'
down_revision = '0018'
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table('users') as batch:
        batch.drop_constraint('uq_users_email', type_='unique')
        batch.create_unique_constraint(batch.f('uq_users_account_id_email'), ['account_id', 'email'])
        batch.create_index(batch.f('ix_users_email'), ['email'], unique=False)


def downgrade() -> None:
    # Fails while two accounts share an address, which is the point of upgrading.
    with op.batch_alter_table('users') as batch:
        batch.drop_index(batch.f('ix_users_email'))
        batch.drop_constraint(batch.f('uq_users_account_id_email'), type_='unique')
        batch.create_unique_constraint('uq_users_email', ['email'])
