"""coupons

Revision ID: 0004
Revises: 0003
Create Date: 2026-11-25 04:50:30.281174
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op


revision = '0004'
down_revision = '0003'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table('coupon_templates',
    sa.Column('id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), autoincrement=True, nullable=False),
    sa.Column('name', sa.String(length=80), nullable=False),
    sa.Column('kind', sa.String(length=20), nullable=False),
    sa.Column('value_cents', sa.BigInteger(), server_default=sa.text('0'), nullable=False),
    sa.Column('percent', sa.Integer(), server_default=sa.text('0'), nullable=False),
    sa.Column('cap_cents', sa.BigInteger(), nullable=True),
    sa.Column('min_spend_cents', sa.BigInteger(), server_default=sa.text('0'), nullable=False),
    sa.Column('categories', sa.JSON(), nullable=False),
    sa.Column('stores', sa.JSON(), nullable=False),
    sa.Column('valid_from', sa.DateTime(timezone=True), nullable=True),
    sa.Column('valid_until', sa.DateTime(timezone=True), nullable=True),
    sa.Column('valid_days', sa.Integer(), nullable=True),
    sa.Column('per_member_limit', sa.Integer(), nullable=True),
    sa.Column('total_quantity', sa.BigInteger(), nullable=True),
    sa.Column('issued_count', sa.BigInteger(), server_default=sa.text('0'), nullable=False),
    sa.Column('claimable', sa.Boolean(), server_default=sa.text('false'), nullable=False),
    sa.Column('active', sa.Boolean(), server_default=sa.text('true'), nullable=False),
    sa.Column('updated_at', sa.DateTime(timezone=True), nullable=False),
    sa.CheckConstraint('total_quantity IS NULL OR issued_count <= total_quantity', name=op.f('ck_coupon_templates_not_over_issued')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_coupon_templates'))
    )
    op.create_table('coupons',
    sa.Column('id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), autoincrement=True, nullable=False),
    sa.Column('template_id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=False),
    sa.Column('member_id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=False),
    sa.Column('code', sa.String(length=16), nullable=False),
    sa.Column('status', sa.String(length=12), nullable=False),
    sa.Column('source', sa.String(length=16), nullable=False),
    sa.Column('issue_key', sa.String(length=200), nullable=False),
    sa.Column('issued_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('valid_from', sa.DateTime(timezone=True), nullable=False),
    sa.Column('valid_until', sa.DateTime(timezone=True), nullable=False),
    sa.Column('redeemed_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('order_ref', sa.String(length=200), nullable=True),
    sa.Column('discount_cents', sa.BigInteger(), nullable=True),
    sa.ForeignKeyConstraint(['member_id'], ['members.id'], name=op.f('fk_coupons_member_id_members'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['template_id'], ['coupon_templates.id'], name=op.f('fk_coupons_template_id_coupon_templates')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_coupons')),
    sa.UniqueConstraint('code', name=op.f('uq_coupons_code')),
    sa.UniqueConstraint('issue_key', name=op.f('uq_coupons_issue_key')),
    sa.UniqueConstraint('order_ref', name=op.f('uq_coupons_order_ref'))
    )
    with op.batch_alter_table('coupons', schema=None) as batch_op:
        batch_op.create_index('ix_coupons_member_template', ['member_id', 'template_id'], unique=False)



def downgrade() -> None:
    with op.batch_alter_table('coupons', schema=None) as batch_op:
        batch_op.drop_index('ix_coupons_member_template')

    op.drop_table('coupons')
    op.drop_table('coupon_templates')
