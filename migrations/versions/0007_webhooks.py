"""webhooks: endpoints and the outbox of calls

Revision ID: 0007
Revises: 0006
"""
from alembic import op
import sqlalchemy as sa

from newsletter.models.base import UTCDateTime


revision = '0007'
down_revision = '0006'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        'webhook_endpoint',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('url', sa.String(length=2000), nullable=False),
        sa.Column('secret', sa.String(length=200), nullable=False),
        sa.Column('events', sa.String(length=500), nullable=False),
        sa.Column('created_at', UTCDateTime(), nullable=False),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_webhook_endpoint')),
    )
    op.create_table(
        'webhook_call',
        sa.Column('id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=False),
        sa.Column('endpoint_id', sa.Integer(), nullable=False),
        sa.Column('event', sa.String(length=40), nullable=False),
        sa.Column('body', sa.Text(), nullable=False),
        sa.Column('created_at', UTCDateTime(), nullable=False),
        sa.Column('status', sa.String(length=16), nullable=False),
        sa.Column('attempts', sa.Integer(), nullable=False),
        sa.Column('next_attempt_at', UTCDateTime(), nullable=False),
        sa.Column('last_attempt_at', UTCDateTime(), nullable=True),
        sa.Column('last_status_code', sa.Integer(), nullable=True),
        sa.Column('last_error', sa.String(length=500), nullable=False),
        sa.Column('last_response', sa.String(length=500), nullable=False),
        sa.Column('delivered_at', UTCDateTime(), nullable=True),
        sa.ForeignKeyConstraint(['endpoint_id'], ['webhook_endpoint.id'],
                                name=op.f('fk_webhook_call_endpoint_id_webhook_endpoint'),
                                ondelete='CASCADE'),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_webhook_call')),
    )
    op.create_index('ix_webhook_call_due', 'webhook_call', ['status', 'next_attempt_at'])
    op.create_index('ix_webhook_call_endpoint_created', 'webhook_call',
                    ['endpoint_id', 'created_at'])


def downgrade() -> None:
    op.drop_index('ix_webhook_call_endpoint_created', table_name='webhook_call')
    op.drop_index('ix_webhook_call_due', table_name='webhook_call')
    op.drop_table('webhook_call')
    op.drop_table('webhook_endpoint')
