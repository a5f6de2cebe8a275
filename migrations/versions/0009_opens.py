"""opens of editions (open pixel, off by default)

Revision ID: 0009
Revises: 0008
"""
from alembic import op
import sqlalchemy as sa

from newsletter.models.base import UTCDateTime


revision = '0009'
down_revision = '0008'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        'email_open',
        sa.Column('id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=False),
        sa.Column('edition_id', sa.Integer(), nullable=False),
        sa.Column('subscriber_id', sa.Integer(), nullable=False),
        sa.Column('opened_at', UTCDateTime(), nullable=False),
        sa.Column('kind', sa.String(length=8), nullable=False),
        sa.ForeignKeyConstraint(['edition_id'], ['edition.id'],
                                name=op.f('fk_email_open_edition_id_edition'), ondelete='CASCADE'),
        sa.ForeignKeyConstraint(['subscriber_id'], ['subscriber.id'],
                                name=op.f('fk_email_open_subscriber_id_subscriber'),
                                ondelete='CASCADE'),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_email_open')),
    )
    op.create_index('ix_email_open_edition_kind', 'email_open', ['edition_id', 'kind'])
    op.create_index('ix_email_open_subscriber', 'email_open', ['subscriber_id'])


def downgrade() -> None:
    op.drop_index('ix_email_open_subscriber', table_name='email_open')
    op.drop_index('ix_email_open_edition_kind', table_name='email_open')
    op.drop_table('email_open')
