"""purchase import checkpoints: how far each import file has committed

Revision ID: 0025
Revises: 0024
Create Date: 2026-12-02 14:00:00.000000
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = '0025'
down_revision = '0024'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table('purchase_import_checkpoints',
    sa.Column('key', sa.String(length=100), nullable=False),
    sa.Column('done_through_line', sa.BigInteger(), nullable=False),
    sa.Column('updated_at', sa.DateTime(timezone=True), nullable=False),
    sa.PrimaryKeyConstraint('key', name=op.f('pk_purchase_import_checkpoints'))
    )


def downgrade() -> None:
    op.drop_table('purchase_import_checkpoints')
