"""a reader who left through an edition's unsubscribe link is counted for that edition

Revision ID: 0014
Revises: 0013
"""
from alembic import op
import sqlalchemy as sa


revision = '0014'
down_revision = '0013'
branch_labels = None
depends_on = None


def upgrade() -> None:
    # SQLite rebuilds the table for the foreign key: keep ids never reused (AUTOINCREMENT)
    with op.batch_alter_table('subscriber', table_kwargs={'sqlite_autoincrement': True}) as batch:
        batch.add_column(sa.Column('unsubscribed_edition_id', sa.Integer(), nullable=True))
        batch.create_foreign_key(op.f('fk_subscriber_unsubscribed_edition_id_edition'),
                                 'edition', ['unsubscribed_edition_id'], ['id'],
                                 ondelete='SET NULL')


def downgrade() -> None:
    # SQLite rebuilds the table for the foreign key: keep ids never reused (AUTOINCREMENT)
    with op.batch_alter_table('subscriber', table_kwargs={'sqlite_autoincrement': True}) as batch:
        batch.drop_constraint(op.f('fk_subscriber_unsubscribed_edition_id_edition'),
                              type_='foreignkey')
        batch.drop_column('unsubscribed_edition_id')
