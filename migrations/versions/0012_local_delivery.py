"""local delivery: an edition's start moment, and due rows found by index

Revision ID: 0012
Revises: 0011
"""
from alembic import op
import sqlalchemy as sa

from newsletter.models.base import UTCDateTime


revision = '0012'
down_revision = '0011'
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table('edition') as batch:
        batch.add_column(sa.Column('starts_at', UTCDateTime(), nullable=True))
    # (edition, status, next_attempt_at) serves everything (edition, status) did, and lets the
    # claim skip the pending rows of later waves without reading them
    op.create_index('ix_delivery_due', 'delivery', ['edition_id', 'status', 'next_attempt_at'])
    op.drop_index('ix_delivery_edition_status', table_name='delivery')


def downgrade() -> None:
    op.create_index('ix_delivery_edition_status', 'delivery', ['edition_id', 'status'])
    op.drop_index('ix_delivery_due', table_name='delivery')
    with op.batch_alter_table('edition') as batch:
        batch.drop_column('starts_at')
