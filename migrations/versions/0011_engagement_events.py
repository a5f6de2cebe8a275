"""clicks and opens keep their stream entry id: a drain repeated after a crash stores each once

Revision ID: 0011
Revises: 0010
"""
from alembic import op
import sqlalchemy as sa


revision = '0011'
down_revision = '0010'
branch_labels = None
depends_on = None


def upgrade() -> None:
    for table in ('click', 'email_open'):
        op.add_column(table, sa.Column('event', sa.String(length=40), nullable=True))
        op.create_index(f'ix_{table}_event', table, ['event'], unique=True)


def downgrade() -> None:
    for table in ('email_open', 'click'):
        op.drop_index(f'ix_{table}_event', table_name=table)
        op.drop_column(table, 'event')
