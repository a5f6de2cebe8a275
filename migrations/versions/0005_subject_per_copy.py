"""subject per copy: editions may build each reader's subject from their own topics

Revision ID: 0005
Revises: 0004
"""
from alembic import op
import sqlalchemy as sa


revision = '0005'
down_revision = '0004'
branch_labels = None
depends_on = None


def upgrade() -> None:
    # editions made before this kept the subject they were given
    with op.batch_alter_table('edition', schema=None) as batch_op:
        batch_op.add_column(sa.Column('auto_subject', sa.Boolean(), server_default=sa.false(),
                                      nullable=False))


def downgrade() -> None:
    with op.batch_alter_table('edition', schema=None) as batch_op:
        batch_op.drop_column('auto_subject')
