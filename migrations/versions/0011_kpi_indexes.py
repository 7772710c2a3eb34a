"""kpi indexes: time-range indexes for program-wide reports

Revision ID: 0011
Revises: 0010
Create Date: 2026-11-29 09:50:00.000000
"""

from __future__ import annotations

from alembic import op

revision = '0011'
down_revision = '0010'
branch_labels = None
depends_on = None

INDEXES = [
    ('ix_members_joined_at', 'members', ['joined_at']),
    ('ix_check_ins_created_at', 'check_ins', ['created_at']),
    ('ix_posts_created_at', 'posts', ['created_at']),
    ('ix_comments_created_at', 'comments', ['created_at']),
    ('ix_redemptions_created_at', 'redemptions', ['created_at']),
    ('ix_tier_changes_created_at', 'tier_changes', ['created_at']),
]


def upgrade() -> None:
    for name, table, columns in INDEXES:
        op.create_index(name, table, columns, unique=False)


def downgrade() -> None:
    for name, table, _columns in reversed(INDEXES):
        op.drop_index(name, table_name=table)
