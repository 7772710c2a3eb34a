"""tier perks as entitlements: kinds, per-tier quotas and member prices, uses, coupon stacking; tier qualification paths

Revision ID: 0020
Revises: 0019
Create Date: 2026-12-02 13:40:00.000000
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = '0020'
down_revision = '0019'
branch_labels = None
depends_on = None

_ID = sa.BigInteger().with_variant(sa.Integer(), 'sqlite')


def upgrade() -> None:
    # Tier qualification paths: nullable or constant defaults, so no table rewrite.
    with op.batch_alter_table('tiers', schema=None) as batch_op:
        batch_op.add_column(sa.Column('min_purchases', sa.Integer(), nullable=True))
        batch_op.add_column(sa.Column('min_tier_points', sa.BigInteger(), nullable=True))
        batch_op.add_column(sa.Column('qualify_mode', sa.String(length=3), server_default=sa.text("'ANY'"),
                                      nullable=False))
        batch_op.add_column(sa.Column('spend_path', sa.Boolean(), server_default=sa.text('true'), nullable=False))
    op.create_table('entitlement_kinds',
    sa.Column('id', _ID, autoincrement=True, nullable=False),
    sa.Column('code', sa.String(length=30), nullable=False),
    sa.Column('name_zh', sa.String(length=40), nullable=False),
    sa.Column('name_en', sa.String(length=60), nullable=False),
    sa.Column('unit_zh', sa.String(length=10), nullable=False),
    sa.Column('unit_en', sa.String(length=20), nullable=False),
    sa.Column('active', sa.Boolean(), server_default=sa.text('true'), nullable=False),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_entitlement_kinds')),
    sa.UniqueConstraint('code', name=op.f('uq_entitlement_kinds_code'))
    )
    op.create_table('tier_entitlements',
    sa.Column('tier_id', _ID, nullable=False),
    sa.Column('kind_id', _ID, nullable=False),
    sa.Column('quota', sa.Integer(), nullable=True),
    sa.Column('period', sa.String(length=8), nullable=True),
    sa.Column('discount_pct', sa.Integer(), nullable=True),
    sa.Column('categories', sa.JSON(), nullable=False),
    sa.ForeignKeyConstraint(['kind_id'], ['entitlement_kinds.id'],
                            name=op.f('fk_tier_entitlements_kind_id_entitlement_kinds')),
    sa.ForeignKeyConstraint(['tier_id'], ['tiers.id'], name=op.f('fk_tier_entitlements_tier_id_tiers')),
    sa.PrimaryKeyConstraint('tier_id', 'kind_id', name=op.f('pk_tier_entitlements'))
    )
    op.create_table('coupon_stacking',
    sa.Column('coupon_kind', sa.String(length=20), nullable=False),
    sa.Column('with_member_price', sa.Boolean(), nullable=False),
    sa.PrimaryKeyConstraint('coupon_kind', name=op.f('pk_coupon_stacking'))
    )
    op.create_table('entitlement_uses',
    sa.Column('id', _ID, autoincrement=True, nullable=False),
    sa.Column('member_id', _ID, nullable=False),
    sa.Column('kind_id', _ID, nullable=False),
    sa.Column('tier_id', _ID, nullable=False),
    sa.Column('quantity', sa.Integer(), nullable=False),
    sa.Column('store_id', sa.String(length=64), nullable=False),
    sa.Column('staff_id', _ID, nullable=False),
    sa.Column('period_start', sa.DateTime(timezone=True), nullable=True),
    sa.Column('idempotency_key', sa.String(length=100), nullable=False),
    sa.Column('used_at', sa.DateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['kind_id'], ['entitlement_kinds.id'],
                            name=op.f('fk_entitlement_uses_kind_id_entitlement_kinds')),
    sa.ForeignKeyConstraint(['member_id'], ['members.id'], name=op.f('fk_entitlement_uses_member_id_members'),
                            ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['tier_id'], ['tiers.id'], name=op.f('fk_entitlement_uses_tier_id_tiers')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_entitlement_uses'))
    )
    with op.batch_alter_table('entitlement_uses', schema=None) as batch_op:
        batch_op.create_index('ix_entitlement_uses_member_kind_at', ['member_id', 'kind_id', 'used_at'], unique=False)
        batch_op.create_index('ix_entitlement_uses_member_at', ['member_id', 'used_at', 'id'], unique=False)


def downgrade() -> None:
    op.drop_table('entitlement_uses')
    op.drop_table('coupon_stacking')
    op.drop_table('tier_entitlements')
    op.drop_table('entitlement_kinds')
    with op.batch_alter_table('tiers', schema=None) as batch_op:
        batch_op.drop_column('spend_path')
        batch_op.drop_column('qualify_mode')
        batch_op.drop_column('min_tier_points')
        batch_op.drop_column('min_purchases')
