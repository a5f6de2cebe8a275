"""token version per subscriber, session version per editor

Revision ID: 0004
Revises: 0003
Create Date: 2026-11-28 19:00:00
"""
from alembic import op
import sqlalchemy as sa


revision = '0004'
down_revision = '0003'
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table('subscriber', schema=None) as batch_op:
        batch_op.add_column(sa.Column('token_version', sa.Integer(), server_default='0',
                                      nullable=False))
    with op.batch_alter_table('editor', schema=None) as batch_op:
        batch_op.add_column(sa.Column('session_version', sa.Integer(), server_default='0',
                                      nullable=False))


def downgrade() -> None:
    with op.batch_alter_table('editor', schema=None) as batch_op:
        batch_op.drop_column('session_version')
    with op.batch_alter_table('subscriber', schema=None) as batch_op:
        batch_op.drop_column('token_version')
