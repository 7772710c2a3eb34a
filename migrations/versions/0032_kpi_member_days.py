"""kpi member days: per member and program-local day, how many purchases, check-ins, redemptions
and posts or comments they made (the rollup job writes them with the daily rollups)

Revision ID: 0032
Revises: 0027
Create Date: 2026-12-02 16:40:00.000000

A new, empty table: the programKpis report reads its distinct-member figures (active members,
retention, purchasers, check-ins, redeemers) from it once `rollup-kpis` has run over the days. The
days rolled up before this migration have no member-day rows (nor the new tier_moves metric), so
they are forgotten here (kpi_rollup_days emptied): both reports name them as not rolled up
(`firstMissingDay`) until `rollup-kpis --all` recomputes them, instead of showing zeros.
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = '0032'
down_revision = '0027'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table('kpi_member_days',
    sa.Column('day', sa.Date(), nullable=False),
    sa.Column('member_id', sa.BigInteger(), nullable=False),
    sa.Column('purchases', sa.Integer(), nullable=False),
    sa.Column('check_ins', sa.Integer(), nullable=False),
    sa.Column('redemptions', sa.Integer(), nullable=False),
    sa.Column('writes', sa.Integer(), nullable=False),
    sa.PrimaryKeyConstraint('day', 'member_id', name=op.f('pk_kpi_member_days'))
    )
    op.create_index('ix_kpi_member_days_member_id_day', 'kpi_member_days', ['member_id', 'day'], unique=False)
    op.execute('DELETE FROM kpi_rollup_days')


def downgrade() -> None:
    op.drop_index('ix_kpi_member_days_member_id_day', table_name='kpi_member_days')
    op.drop_table('kpi_member_days')
