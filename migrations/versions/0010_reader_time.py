"""reader time: a zone and cadence per reader, local delivery and digest editions

Revision ID: 0010
Revises: 0009
"""
from alembic import op
import sqlalchemy as sa

from newsletter.models.base import UTCDateTime


revision = '0010'
down_revision = '0009'
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table('subscriber') as batch:
        batch.add_column(sa.Column('timezone', sa.String(length=64), nullable=True))
        batch.add_column(sa.Column('cadence', sa.String(length=8), nullable=False,
                                   server_default='edition'))
        batch.add_column(sa.Column('briefing_hour', sa.SmallInteger(), nullable=False,
                                   server_default='7'))
        batch.add_column(sa.Column('briefing_weekday', sa.SmallInteger(), nullable=True))
        batch.add_column(sa.Column('last_briefing_at', UTCDateTime(), nullable=True))
        batch.add_column(sa.Column('next_briefing_at', UTCDateTime(), nullable=True))
    op.create_index('ix_subscriber_briefing_due', 'subscriber', ['cadence', 'next_briefing_at'])
    with op.batch_alter_table('edition') as batch:
        batch.add_column(sa.Column('kind', sa.String(length=8), nullable=False,
                                   server_default='edition'))
        batch.add_column(sa.Column('delivery', sa.String(length=8), nullable=False,
                                   server_default='at_time'))
        batch.add_column(sa.Column('local_time', sa.String(length=5), nullable=True))
        batch.add_column(sa.Column('late_readers', sa.String(length=8), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table('edition') as batch:
        batch.drop_column('late_readers')
        batch.drop_column('local_time')
        batch.drop_column('delivery')
        batch.drop_column('kind')
    op.drop_index('ix_subscriber_briefing_due', table_name='subscriber')
    with op.batch_alter_table('subscriber') as batch:
        batch.drop_column('next_briefing_at')
        batch.drop_column('last_briefing_at')
        batch.drop_column('briefing_weekday')
        batch.drop_column('briefing_hour')
        batch.drop_column('cadence')
        batch.drop_column('timezone')
