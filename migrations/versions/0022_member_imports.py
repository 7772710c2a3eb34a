"""row keys of bulk member imports (idempotent, resumable imports); member merges

Revision ID: 0022
Revises: 0021
Create Date: 2026-12-02 14:00:00.000000
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op


revision = '0022'
down_revision = '0021'
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
    op.create_table('member_merges',
    sa.Column('id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), autoincrement=True, nullable=False),
    sa.Column('kept_member_id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=False),
    sa.Column('merged_member_id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=False),
    sa.Column('staff_id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=False),
    sa.Column('reason', sa.String(length=200), nullable=False),
    sa.Column('moved', sa.JSON(), nullable=False),
    sa.Column('merged_at', sa.DateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['kept_member_id'], ['members.id'], name=op.f('fk_member_merges_kept_member_id_members'),
                            ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['merged_member_id'], ['members.id'],
                            name=op.f('fk_member_merges_merged_member_id_members'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_member_merges')),
    sa.UniqueConstraint('merged_member_id', name=op.f('uq_member_merges_merged_member_id'))
    )
    op.create_index(op.f('ix_member_merges_kept_member_id'), 'member_merges', ['kept_member_id'], unique=False)


def downgrade() -> None:
    op.drop_index(op.f('ix_member_merges_kept_member_id'), table_name='member_merges')
    op.drop_table('member_merges')
    op.drop_table('member_imports')
