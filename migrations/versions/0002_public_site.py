"""public site: public flags on topics and editions, stored pictures

Revision ID: 0002
Revises: 0001
"""
from alembic import op
import sqlalchemy as sa
import newsletter.models.base


revision = '0002'
down_revision = '0001'
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table('topic', schema=None) as batch_op:
        batch_op.add_column(sa.Column('public', sa.Boolean(), server_default=sa.true(), nullable=False))
    with op.batch_alter_table('edition', schema=None) as batch_op:
        batch_op.add_column(sa.Column('public', sa.Boolean(), server_default=sa.true(), nullable=False))
    op.create_table('picture',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('key', sa.String(length=64), nullable=False),
    sa.Column('content_type', sa.String(length=32), nullable=False),
    sa.Column('data', sa.LargeBinary(), nullable=False),
    sa.Column('width', sa.Integer(), nullable=False),
    sa.Column('height', sa.Integer(), nullable=False),
    sa.Column('created_at', newsletter.models.base.UTCDateTime(timezone=True), nullable=False),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_picture')),
    sa.UniqueConstraint('key', name=op.f('uq_picture_key'))
    )


def downgrade() -> None:
    op.drop_table('picture')
    with op.batch_alter_table('edition', schema=None) as batch_op:
        batch_op.drop_column('public')
    with op.batch_alter_table('topic', schema=None) as batch_op:
        batch_op.drop_column('public')
