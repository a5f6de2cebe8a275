"""delivery claim index: an at-once edition's next pending rows, in id order

The claim takes first attempts (no next_attempt_at) of one edition in id order. With only
ix_delivery_due (edition_id, status, next_attempt_at) PostgreSQL either walks the primary
key from the edition's first row, past every copy already sent, or reads every pending row
and sorts: both grow as the edition progresses. This partial index holds only the rows the
claim looks for, in the order it takes them (bench/local_waves.py "at_once").

Built CONCURRENTLY on PostgreSQL (outside the migration's transaction), so batches keep
claiming and recording while it is built.

Revision ID: 0017
Revises: 0016
"""
import sqlalchemy as sa
from alembic import op

revision = '0017'
down_revision = '0016'
branch_labels = None
depends_on = None

WHERE = sa.text("status = 'pending' AND next_attempt_at IS NULL")


def upgrade() -> None:
    if op.get_bind().dialect.name == "postgresql":
        with op.get_context().autocommit_block():
            op.create_index('ix_delivery_claim', 'delivery', ['edition_id', 'id'],
                            postgresql_where=WHERE, postgresql_concurrently=True,
                            if_not_exists=True)
    else:
        op.create_index('ix_delivery_claim', 'delivery', ['edition_id', 'id'],
                        sqlite_where=WHERE)


def downgrade() -> None:
    op.drop_index('ix_delivery_claim', table_name='delivery')
