"""list settings an admin chose (click and open tracking), over the environment's default

Revision ID: 0015
Revises: 0014
"""
from alembic import op
import sqlalchemy as sa

from newsletter.models.base import UTCDateTime


revision = '0015'
down_revision = '0014'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        'list_setting',
        sa.Column('name', sa.String(length=64), nullable=False),
        sa.Column('value', sa.String(length=200), nullable=False),
        sa.Column('updated_at', UTCDateTime(), nullable=False),
        sa.PrimaryKeyConstraint('name', name=op.f('pk_list_setting')),
    )


def downgrade() -> None:
    op.drop_table('list_setting')
