"""coupon code batches and their single-use codes; shareable coupons

Revision ID: 0021
Revises: 0020
Create Date: 2026-12-02 13:40:00.000000
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op


revision = '0021'
down_revision = '0020'
branch_labels = None
depends_on = None

_ID = sa.BigInteger().with_variant(sa.Integer(), 'sqlite')


def upgrade() -> None:
    # New tables only: nothing on a live table is rewritten or locked.
    op.create_table('coupon_code_batches',
    sa.Column('id', _ID, autoincrement=True, nullable=False),
    sa.Column('template_id', _ID, nullable=False),
    sa.Column('label', sa.String(length=80), nullable=False),
    sa.Column('quantity', sa.BigInteger(), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('valid_until', sa.DateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['template_id'], ['coupon_templates.id'],
                            name=op.f('fk_coupon_code_batches_template_id_coupon_templates')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_coupon_code_batches'))
    )
    op.create_table('coupon_codes',
    sa.Column('id', _ID, autoincrement=True, nullable=False),
    sa.Column('batch_id', _ID, nullable=False),
    sa.Column('code', sa.String(length=16), nullable=False),
    sa.Column('status', sa.String(length=12), nullable=False),
    sa.Column('member_id', _ID, nullable=True),
    sa.Column('coupon_id', _ID, nullable=True),
    sa.Column('order_ref', sa.String(length=200), nullable=True),
    sa.Column('discount_cents', sa.BigInteger(), nullable=True),
    sa.Column('used_at', sa.DateTime(timezone=True), nullable=True),
    sa.ForeignKeyConstraint(['batch_id'], ['coupon_code_batches.id'],
                            name=op.f('fk_coupon_codes_batch_id_coupon_code_batches')),
    sa.ForeignKeyConstraint(['member_id'], ['members.id'], name=op.f('fk_coupon_codes_member_id_members'),
                            ondelete='SET NULL'),
    sa.ForeignKeyConstraint(['coupon_id'], ['coupons.id'], name=op.f('fk_coupon_codes_coupon_id_coupons'),
                            ondelete='SET NULL'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_coupon_codes')),
    sa.UniqueConstraint('code', name=op.f('uq_coupon_codes_code')),
    sa.UniqueConstraint('order_ref', name=op.f('uq_coupon_codes_order_ref'))
    )
    op.create_index('ix_coupon_codes_batch_id', 'coupon_codes', ['batch_id', 'id'], unique=False)
    # A constant default: PostgreSQL 11+ adds it without rewriting the table.
    op.add_column('coupon_templates', sa.Column('shareable', sa.Boolean(), server_default=sa.text('false'),
                                                nullable=False))
    op.create_table('coupon_shares',
    sa.Column('id', _ID, autoincrement=True, nullable=False),
    sa.Column('coupon_id', _ID, nullable=False),
    sa.Column('from_member_id', _ID, nullable=False),
    sa.Column('to_member_id', _ID, nullable=True),
    sa.Column('to_phone', sa.String(length=20), nullable=True),
    sa.Column('token_hash', sa.String(length=64), nullable=True),
    sa.Column('status', sa.String(length=12), nullable=False),
    sa.Column('received_coupon_id', _ID, nullable=True),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('expires_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('settled_at', sa.DateTime(timezone=True), nullable=True),
    sa.ForeignKeyConstraint(['coupon_id'], ['coupons.id'], name=op.f('fk_coupon_shares_coupon_id_coupons'),
                            ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['from_member_id'], ['members.id'],
                            name=op.f('fk_coupon_shares_from_member_id_members'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['to_member_id'], ['members.id'], name=op.f('fk_coupon_shares_to_member_id_members'),
                            ondelete='SET NULL'),
    sa.ForeignKeyConstraint(['received_coupon_id'], ['coupons.id'],
                            name=op.f('fk_coupon_shares_received_coupon_id_coupons'), ondelete='SET NULL'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_coupon_shares')),
    sa.UniqueConstraint('coupon_id', name=op.f('uq_coupon_shares_coupon_id')),
    sa.UniqueConstraint('token_hash', name=op.f('uq_coupon_shares_token_hash'))
    )


def downgrade() -> None:
    op.drop_table('coupon_shares')
    with op.batch_alter_table('coupon_templates') as batch:
        batch.drop_column('shareable')
    op.drop_index('ix_coupon_codes_batch_id', table_name='coupon_codes')
    op.drop_table('coupon_codes')
    op.drop_table('coupon_code_batches')
