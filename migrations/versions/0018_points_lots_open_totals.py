"""open-lot totals index: a member's open lots with what their balance split reads, index-only

Every write that moves points caches the balance split (available, pending, expiring) computed
from the member's open lots, and a debit chooses lots from the same rows: with the columns in the
index, PostgreSQL answers both from the index instead of visiting each lot's heap page (a member
with years of purchases has tens of thousands of open lots). Built CONCURRENTLY: points_lots is
big and written all day.

Revision ID: 0018
Revises: 0017
Create Date: 2026-12-02 14:15:00.000000
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = '0018'
down_revision = '0017'
branch_labels = None
depends_on = None

NAME = 'ix_points_lots_open_totals'


def upgrade() -> None:
    if op.get_bind().dialect.name == 'postgresql':
        with op.get_context().autocommit_block():
            op.create_index(NAME, 'points_lots', ['member_id', 'earned_at', 'id'],
                            postgresql_include=['remaining', 'available_at', 'expires_at'],
                            postgresql_where=sa.text('remaining > 0'), postgresql_concurrently=True)
    else:
        op.create_index(NAME, 'points_lots', ['member_id', 'earned_at', 'id'],
                        sqlite_where=sa.text('remaining > 0'))


def downgrade() -> None:
    if op.get_bind().dialect.name == 'postgresql':
        with op.get_context().autocommit_block():
            op.drop_index(NAME, table_name='points_lots', postgresql_concurrently=True)
    else:
        op.drop_index(NAME, table_name='points_lots')
