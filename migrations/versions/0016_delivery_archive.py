"""delivery archive: an old edition's ledger rows move to a narrow table

Revision ID: 0016
Revises: 0015
"""
from alembic import op
import sqlalchemy as sa

from newsletter.models.base import UTCDateTime


revision = '0016'
down_revision = '0015'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        'archived_edition',
        sa.Column('edition_id', sa.Integer(), nullable=False),
        sa.Column('archived_at', UTCDateTime(), nullable=False),
        sa.Column('copies', sa.Integer(), nullable=False),
        sa.Column('message_head', sa.String(length=255), nullable=True),
        sa.Column('message_tail', sa.String(length=255), nullable=True),
        sa.ForeignKeyConstraint(['edition_id'], ['edition.id'], ondelete='CASCADE'),
        sa.PrimaryKeyConstraint('edition_id'),
    )
    op.create_table(
        'delivery_archive',
        sa.Column('edition_id', sa.Integer(), nullable=False),
        sa.Column('subscriber_id', sa.Integer(), nullable=False),
        sa.Column('topics_mask', sa.BigInteger(), nullable=False),
        sa.Column('status', sa.String(length=16), nullable=False),
        sa.Column('attempts', sa.SmallInteger(), nullable=False),
        sa.Column('sent_at', UTCDateTime(), nullable=True),
        sa.Column('last_error', sa.Text(), nullable=True),
        sa.Column('message_id', sa.String(length=255), nullable=True),
        sa.ForeignKeyConstraint(['edition_id'], ['edition.id'], ondelete='CASCADE'),
        sa.ForeignKeyConstraint(['subscriber_id'], ['subscriber.id'], ondelete='CASCADE'),
        sa.PrimaryKeyConstraint('edition_id', 'subscriber_id'),
    )
    op.create_index('ix_delivery_archive_subscriber', 'delivery_archive', ['subscriber_id'])


def downgrade() -> None:
    op.drop_index('ix_delivery_archive_subscriber', table_name='delivery_archive')
    op.drop_table('delivery_archive')
    op.drop_table('archived_edition')
