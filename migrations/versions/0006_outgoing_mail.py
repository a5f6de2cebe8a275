"""outgoing mail (transactional outbox) and an index for a topic's latest update

Revision ID: 0006
Revises: 0005
"""
from alembic import op
import sqlalchemy as sa
import newsletter.models.base


revision = '0006'
down_revision = '0005'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table('outgoing_mail',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('subscriber_id', sa.Integer(), nullable=False),
    sa.Column('kind', sa.String(length=16), nullable=False),
    sa.Column('request_id', sa.String(length=64), nullable=True),
    sa.Column('created_at', newsletter.models.base.UTCDateTime(timezone=True), nullable=False),
    sa.Column('claimed_by', sa.String(length=120), nullable=True),
    sa.Column('attempts', sa.Integer(), nullable=False),
    sa.Column('next_attempt_at', newsletter.models.base.UTCDateTime(timezone=True), nullable=True),
    sa.Column('done_at', newsletter.models.base.UTCDateTime(timezone=True), nullable=True),
    sa.ForeignKeyConstraint(['subscriber_id'], ['subscriber.id'], name=op.f('fk_outgoing_mail_subscriber_id_subscriber'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_outgoing_mail')),
    sa.UniqueConstraint('request_id', name=op.f('uq_outgoing_mail_request_id'))
    )
    with op.batch_alter_table('outgoing_mail', schema=None) as batch_op:
        batch_op.create_index('ix_outgoing_mail_unsent', ['done_at', 'next_attempt_at'], unique=False)
        batch_op.create_index(batch_op.f('ix_outgoing_mail_subscriber_id'), ['subscriber_id'], unique=False)
    with op.batch_alter_table('topic_update', schema=None) as batch_op:
        batch_op.create_index('ix_topic_update_latest', ['topic_id', 'status', 'created_at'], unique=False)


def downgrade() -> None:
    with op.batch_alter_table('topic_update', schema=None) as batch_op:
        batch_op.drop_index('ix_topic_update_latest')
    with op.batch_alter_table('outgoing_mail', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_outgoing_mail_subscriber_id'))
        batch_op.drop_index('ix_outgoing_mail_unsent')
    op.drop_table('outgoing_mail')
