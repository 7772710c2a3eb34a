"""kpi daily rollups: the rollup tables, and time indexes for the job's one-day reads

Revision ID: 0024
Revises: 0023
Create Date: 2026-12-02 13:50:00.000000

The indexes go on big tables (purchases, points_entries, coupons): on PostgreSQL they are built
CONCURRENTLY, outside the migration's transaction, so writes continue while they build (a build
that fails leaves an INVALID index: drop it before running the migration again).
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = '0024'
down_revision = '0023'
branch_labels = None
depends_on = None

INDEXES = [
    ('ix_purchases_purchased_at', 'purchases', ['purchased_at']),
    ('ix_refunds_created_at', 'refunds', ['created_at']),
    ('ix_points_entries_created_at', 'points_entries', ['created_at']),
    ('ix_coupons_issued_at', 'coupons', ['issued_at']),
    ('ix_coupons_redeemed_at', 'coupons', ['redeemed_at']),
]


def upgrade() -> None:
    op.create_table('kpi_daily_rollups',
    sa.Column('metric', sa.String(length=32), nullable=False),
    sa.Column('day', sa.Date(), nullable=False),
    sa.Column('dim1', sa.String(length=64), nullable=False),
    sa.Column('dim2', sa.String(length=64), nullable=False),
    sa.Column('value', sa.BigInteger(), nullable=False),
    sa.PrimaryKeyConstraint('metric', 'day', 'dim1', 'dim2', name=op.f('pk_kpi_daily_rollups'))
    )
    op.create_table('kpi_rollup_days',
    sa.Column('day', sa.Date(), nullable=False),
    sa.Column('rolled_at', sa.DateTime(timezone=True), nullable=False),
    sa.PrimaryKeyConstraint('day', name=op.f('pk_kpi_rollup_days'))
    )
    if op.get_context().dialect.name == 'postgresql':
        with op.get_context().autocommit_block():
            for name, table, columns in INDEXES:
                op.create_index(name, table, columns, unique=False, postgresql_concurrently=True)
    else:
        for name, table, columns in INDEXES:
            op.create_index(name, table, columns, unique=False)


def downgrade() -> None:
    for name, table, _columns in reversed(INDEXES):
        op.drop_index(name, table_name=table)
    op.drop_table('kpi_rollup_days')
    op.drop_table('kpi_daily_rollups')
