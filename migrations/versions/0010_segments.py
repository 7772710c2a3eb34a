"""RFM scores, lifecycle stages and their history

Revision ID: 0010
Revises: 0009
Create Date: 2026-11-29 09:25:51.820240
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op


revision = '0010'
down_revision = '0009'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table('lifecycle_changes',
    sa.Column('id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), autoincrement=True, nullable=False),
    sa.Column('member_id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=False),
    sa.Column('from_stage', sa.String(length=10), nullable=True),
    sa.Column('to_stage', sa.String(length=10), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['member_id'], ['members.id'], name=op.f('fk_lifecycle_changes_member_id_members'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_lifecycle_changes'))
    )
    with op.batch_alter_table('lifecycle_changes', schema=None) as batch_op:
        batch_op.create_index('ix_lifecycle_changes_member_created', ['member_id', 'created_at', 'id'], unique=False)

    op.create_table('member_lifecycle',
    sa.Column('member_id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=False),
    sa.Column('stage', sa.String(length=10), nullable=False),
    sa.Column('since', sa.DateTime(timezone=True), nullable=False),
    sa.Column('last_purchase_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('updated_at', sa.DateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['member_id'], ['members.id'], name=op.f('fk_member_lifecycle_member_id_members'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('member_id', name=op.f('pk_member_lifecycle'))
    )
    with op.batch_alter_table('member_lifecycle', schema=None) as batch_op:
        batch_op.create_index('ix_member_lifecycle_stage', ['stage', 'member_id'], unique=False)

    op.create_table('member_rfm',
    sa.Column('member_id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=False),
    sa.Column('window_days', sa.Integer(), nullable=False),
    sa.Column('last_purchase_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('recency_days', sa.Integer(), nullable=False),
    sa.Column('frequency', sa.Integer(), nullable=False),
    sa.Column('monetary_cents', sa.BigInteger(), nullable=False),
    sa.Column('previous_monetary_cents', sa.BigInteger(), nullable=False),
    sa.Column('trend_bp', sa.BigInteger(), nullable=True),
    sa.Column('r_score', sa.Integer(), server_default=sa.text('0'), nullable=False),
    sa.Column('f_score', sa.Integer(), server_default=sa.text('0'), nullable=False),
    sa.Column('m_score', sa.Integer(), server_default=sa.text('0'), nullable=False),
    sa.Column('top_categories', sa.JSON(), nullable=False),
    sa.Column('computed_at', sa.DateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['member_id'], ['members.id'], name=op.f('fk_member_rfm_member_id_members'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('member_id', 'window_days', name=op.f('pk_member_rfm'))
    )
    with op.batch_alter_table('member_rfm', schema=None) as batch_op:
        batch_op.create_index('ix_member_rfm_window_scores', ['window_days', 'r_score', 'f_score', 'm_score'], unique=False)



def downgrade() -> None:
    with op.batch_alter_table('member_rfm', schema=None) as batch_op:
        batch_op.drop_index('ix_member_rfm_window_scores')

    op.drop_table('member_rfm')
    with op.batch_alter_table('member_lifecycle', schema=None) as batch_op:
        batch_op.drop_index('ix_member_lifecycle_stage')

    op.drop_table('member_lifecycle')
    with op.batch_alter_table('lifecycle_changes', schema=None) as batch_op:
        batch_op.drop_index('ix_lifecycle_changes_member_created')

    op.drop_table('lifecycle_changes')
