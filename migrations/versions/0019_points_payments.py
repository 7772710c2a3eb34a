"""points as payment: holds on lots (authorize / capture / release); points + cash rewards

Revision ID: 0019
Revises: 0018
Create Date: 2026-12-02 13:40:00.000000

`points_lots.held` is added with a constant default, which PostgreSQL 11+ applies without
rewriting the table (points_lots is as big as the ledger).
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = '0019'
down_revision = '0018'
branch_labels = None
depends_on = None

_ID = sa.BigInteger().with_variant(sa.Integer(), 'sqlite')


def upgrade() -> None:
    # Points + cash rewards (rewards and redemptions are catalogue-sized, not ledger-sized).
    with op.batch_alter_table('rewards', schema=None) as batch_op:
        batch_op.add_column(sa.Column('cash_price_cents', sa.BigInteger(), server_default=sa.text('0'),
                                      nullable=False))
    with op.batch_alter_table('redemptions', schema=None) as batch_op:
        batch_op.add_column(sa.Column('cash_paid_cents', sa.BigInteger(), server_default=sa.text('0'),
                                      nullable=False))
        batch_op.add_column(sa.Column('payment_reference', sa.String(length=64), nullable=True))
        batch_op.create_index('uq_redemptions_payment_reference', ['payment_reference'], unique=True)
    with op.batch_alter_table('points_lots', schema=None) as batch_op:
        batch_op.add_column(sa.Column('held', sa.BigInteger(), server_default=sa.text('0'), nullable=False))
    op.create_table('points_holds',
    sa.Column('id', _ID, autoincrement=True, nullable=False),
    sa.Column('member_id', _ID, nullable=False),
    sa.Column('source', sa.String(length=80), nullable=False),
    sa.Column('order_id', sa.String(length=64), nullable=False),
    sa.Column('store_id', sa.String(length=64), nullable=False),
    sa.Column('points', sa.BigInteger(), nullable=False),
    sa.Column('covers_cents', sa.BigInteger(), nullable=False),
    sa.Column('order_cents', sa.BigInteger(), nullable=False),
    sa.Column('status', sa.String(length=12), nullable=False),
    sa.Column('entry_id', _ID, nullable=True),
    sa.Column('points_refunded', sa.BigInteger(), server_default=sa.text('0'), nullable=False),
    sa.Column('expires_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('updated_at', sa.DateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['entry_id'], ['points_entries.id'], name=op.f('fk_points_holds_entry_id_points_entries')),
    sa.ForeignKeyConstraint(['member_id'], ['members.id'], name=op.f('fk_points_holds_member_id_members'),
                            ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_points_holds')),
    sa.UniqueConstraint('source', 'order_id', name='uq_points_holds_source_order'),
    )
    with op.batch_alter_table('points_holds', schema=None) as batch_op:
        batch_op.create_index('ix_points_holds_status_expires', ['status', 'expires_at'], unique=False)
        batch_op.create_index('ix_points_holds_member', ['member_id'], unique=False)
    op.create_table('points_hold_lots',
    sa.Column('hold_id', _ID, nullable=False),
    sa.Column('lot_id', _ID, nullable=False),
    sa.Column('amount', sa.BigInteger(), nullable=False),
    sa.ForeignKeyConstraint(['hold_id'], ['points_holds.id'], name=op.f('fk_points_hold_lots_hold_id_points_holds'),
                            ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['lot_id'], ['points_lots.id'], name=op.f('fk_points_hold_lots_lot_id_points_lots')),
    sa.PrimaryKeyConstraint('hold_id', 'lot_id', name=op.f('pk_points_hold_lots')),
    )


def downgrade() -> None:
    op.drop_table('points_hold_lots')
    with op.batch_alter_table('points_holds', schema=None) as batch_op:
        batch_op.drop_index('ix_points_holds_member')
        batch_op.drop_index('ix_points_holds_status_expires')
    op.drop_table('points_holds')
    with op.batch_alter_table('points_lots', schema=None) as batch_op:
        batch_op.drop_column('held')
    with op.batch_alter_table('redemptions', schema=None) as batch_op:
        batch_op.drop_index('uq_redemptions_payment_reference')
        batch_op.drop_column('payment_reference')
        batch_op.drop_column('cash_paid_cents')
    with op.batch_alter_table('rewards', schema=None) as batch_op:
        batch_op.drop_column('cash_price_cents')
