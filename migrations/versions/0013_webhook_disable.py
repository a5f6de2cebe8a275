"""webhook endpoints failing for a day are disabled, with the reason shown

Revision ID: 0013
Revises: 0012
"""
from alembic import op
import sqlalchemy as sa

from newsletter.models.base import UTCDateTime


revision = '0013'
down_revision = '0012'
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table('webhook_endpoint') as batch:
        batch.add_column(sa.Column('failing_since', UTCDateTime(), nullable=True))
        batch.add_column(sa.Column('disabled_at', UTCDateTime(), nullable=True))
        batch.add_column(sa.Column('disabled_reason', sa.String(length=500), nullable=False,
                                   server_default=''))


def downgrade() -> None:
    with op.batch_alter_table('webhook_endpoint') as batch:
        batch.drop_column('disabled_reason')
        batch.drop_column('disabled_at')
        batch.drop_column('failing_since')
