"""row keys of bulk member imports (idempotent, resumable imports)

Revision ID: 0019
Revises: 0018
Create Date: 2026-12-02 14:00:00.000000
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op


revision = '0019'
down_revision = '0018'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table('member_imports',
    sa.Column('row_key', sa.String(length=100), nullable=False),
    sa.Column('member_id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=False),
    sa.Column('imported_at', sa.DateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['member_id'], ['members.id'], name=op.f('fk_member_imports_member_id_members'),
                            ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('row_key', name=op.f('pk_member_imports'))
    )


def downgrade() -> None:
    op.drop_table('member_imports')
