"""tickets: merged into another, and links between related tickets

Revision ID: 0010
Revises: 0009
Create Date: 2026-11-30 18:00:00
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op


revision = '0010'
down_revision = '0009'
branch_labels = None
depends_on = None


def upgrade() -> None:
    # Batch mode: SQLite cannot add a foreign key to an existing table in place.
    with op.batch_alter_table('tickets') as batch:
        batch.add_column(sa.Column('merged_into_id', sa.Integer(), nullable=True))
        batch.create_foreign_key(
            op.f('fk_tickets_merged_into_id_tickets'), 'tickets', ['merged_into_id'], ['id'], ondelete='SET NULL'
        )
    op.create_table('ticket_links',
    sa.Column('ticket_id', sa.Integer(), nullable=False),
    sa.Column('linked_ticket_id', sa.Integer(), nullable=False),
    sa.ForeignKeyConstraint(['linked_ticket_id'], ['tickets.id'], name=op.f('fk_ticket_links_linked_ticket_id_tickets'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['ticket_id'], ['tickets.id'], name=op.f('fk_ticket_links_ticket_id_tickets'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('ticket_id', 'linked_ticket_id', name=op.f('pk_ticket_links'))
    )
    op.create_index(op.f('ix_ticket_links_linked_ticket_id'), 'ticket_links', ['linked_ticket_id'], unique=False)


def downgrade() -> None:
    op.drop_index(op.f('ix_ticket_links_linked_ticket_id'), table_name='ticket_links')
    op.drop_table('ticket_links')
    with op.batch_alter_table('tickets') as batch:
        batch.drop_constraint(op.f('fk_tickets_merged_into_id_tickets'), type_='foreignkey')
        batch.drop_column('merged_into_id')
