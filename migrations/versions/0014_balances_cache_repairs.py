"""cache repairs: entries whose write-through to Redis was lost, shared by every worker

Revision ID: 0014
Revises: 0013
Create Date: 2026-12-02 10:50:00.000000
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = '0014'
down_revision = '0013'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table('cache_repairs',
    sa.Column('key', sa.String(length=200), nullable=False),
    sa.Column('version', sa.BigInteger(), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.PrimaryKeyConstraint('key', name=op.f('pk_cache_repairs'))
    )


def downgrade() -> None:
    op.drop_table('cache_repairs')
