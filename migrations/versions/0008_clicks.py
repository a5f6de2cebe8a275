"""clicks on tracked links

Revision ID: 0008
Revises: 0007
"""
from alembic import op
import sqlalchemy as sa

from newsletter.models.base import UTCDateTime


revision = '0008'
down_revision = '0007'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        'click',
        sa.Column('id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=False),
        sa.Column('edition_id', sa.Integer(), nullable=False),
        sa.Column('subscriber_id', sa.Integer(), nullable=False),
        sa.Column('item', sa.Integer(), nullable=False),
        sa.Column('topic_slug', sa.String(length=64), nullable=False),
        sa.Column('url', sa.String(length=2000), nullable=False),
        sa.Column('clicked_at', UTCDateTime(), nullable=False),
        sa.Column('kind', sa.String(length=8), nullable=False),
        sa.ForeignKeyConstraint(['edition_id'], ['edition.id'],
                                name=op.f('fk_click_edition_id_edition'), ondelete='CASCADE'),
        sa.ForeignKeyConstraint(['subscriber_id'], ['subscriber.id'],
                                name=op.f('fk_click_subscriber_id_subscriber'),
                                ondelete='CASCADE'),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_click')),
    )
    op.create_index('ix_click_edition_kind', 'click', ['edition_id', 'kind'])
    op.create_index('ix_click_subscriber', 'click', ['subscriber_id'])


def downgrade() -> None:
    op.drop_index('ix_click_subscriber', table_name='click')
    op.drop_index('ix_click_edition_kind', table_name='click')
    op.drop_table('click')
