"""purchase channel and item quantity: two nullable columns on purchases

Revision ID: 0023
Revises: 0022
Create Date: 2026-12-02 13:40:00.000000

Nullable without a default, so PostgreSQL only touches the catalogue (no table rewrite, no long
lock on a table with millions of rows). Old rows read as channel POS and one unit per line.
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = '0023'
down_revision = '0022'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.add_column('purchases', sa.Column('channel', sa.String(length=16), nullable=True))
    op.add_column('purchases', sa.Column('item_quantity', sa.BigInteger(), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table('purchases') as batch:
        batch.drop_column('item_quantity')
        batch.drop_column('channel')
