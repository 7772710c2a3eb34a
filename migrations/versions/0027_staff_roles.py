"""staff roles, versions and assigned stores; the store a voucher was used at; service cases

Revision ID: 0027
Revises: 0026
Create Date: 2026-12-02 13:40:00.000000

Existing accounts (the demo operator among them) become HQ_ADMIN through the column's constant
default, which PostgreSQL 11+ applies without rewriting the table.
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op


revision = '0027'
down_revision = '0026'
branch_labels = None
depends_on = None

_ID = sa.BigInteger().with_variant(sa.Integer(), 'sqlite')


def upgrade() -> None:
    with op.batch_alter_table('staff_accounts', schema=None) as batch_op:
        batch_op.add_column(sa.Column('role', sa.String(length=20), server_default=sa.text("'HQ_ADMIN'"),
                                      nullable=False))
        batch_op.add_column(sa.Column('version', sa.Integer(), server_default=sa.text('1'), nullable=False))
    op.create_table('staff_stores',
    sa.Column('staff_id', _ID, nullable=False),
    sa.Column('store_id', sa.String(length=64), nullable=False),
    sa.ForeignKeyConstraint(['staff_id'], ['staff_accounts.id'], name=op.f('fk_staff_stores_staff_id_staff_accounts'),
                            ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('staff_id', 'store_id', name=op.f('pk_staff_stores'))
    )
    with op.batch_alter_table('redemptions', schema=None) as batch_op:
        batch_op.add_column(sa.Column('used_store_id', sa.String(length=64), nullable=True))
    op.create_table('service_cases',
    sa.Column('id', _ID, autoincrement=True, nullable=False),
    sa.Column('member_id', _ID, nullable=False),
    sa.Column('kind', sa.String(length=16), nullable=False),
    sa.Column('subject', sa.String(length=120), nullable=False),
    sa.Column('status', sa.String(length=16), nullable=False),
    sa.Column('owner_id', _ID, nullable=True),
    sa.Column('store_id', sa.String(length=64), nullable=True),
    sa.Column('opened_by', _ID, nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('updated_at', sa.DateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['member_id'], ['members.id'], name=op.f('fk_service_cases_member_id_members'),
                            ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['owner_id'], ['staff_accounts.id'], name=op.f('fk_service_cases_owner_id_staff_accounts')),
    sa.ForeignKeyConstraint(['opened_by'], ['staff_accounts.id'],
                            name=op.f('fk_service_cases_opened_by_staff_accounts')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_service_cases'))
    )
    op.create_index('ix_service_cases_member_created', 'service_cases', ['member_id', 'created_at', 'id'])
    op.create_index('ix_service_cases_owner_created', 'service_cases', ['owner_id', 'created_at', 'id'])
    op.create_table('service_case_notes',
    sa.Column('id', _ID, autoincrement=True, nullable=False),
    sa.Column('case_id', _ID, nullable=False),
    sa.Column('author_id', _ID, nullable=False),
    sa.Column('body', sa.String(length=2000), nullable=False),
    sa.Column('status', sa.String(length=16), nullable=True),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['case_id'], ['service_cases.id'], name=op.f('fk_service_case_notes_case_id_service_cases'),
                            ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['author_id'], ['staff_accounts.id'],
                            name=op.f('fk_service_case_notes_author_id_staff_accounts')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_service_case_notes'))
    )
    op.create_index('ix_service_case_notes_case', 'service_case_notes', ['case_id', 'id'])
    with op.batch_alter_table('webhook_deliveries', schema=None) as batch_op:
        batch_op.add_column(sa.Column('payload', sa.JSON(), nullable=True))
    with op.batch_alter_table('partners', schema=None) as batch_op:
        batch_op.add_column(sa.Column('tokens_valid_after', sa.DateTime(timezone=True), nullable=True))
    # The per-store report reads one store's orders by time; purchases is a big table, so on
    # PostgreSQL the index is built without locking out writes (outside the migration's transaction).
    if op.get_context().dialect.name == 'postgresql':
        with op.get_context().autocommit_block():
            op.create_index('ix_purchases_store_purchased', 'purchases', ['store_id', 'purchased_at'],
                            postgresql_concurrently=True)
    else:
        op.create_index('ix_purchases_store_purchased', 'purchases', ['store_id', 'purchased_at'])


def downgrade() -> None:
    with op.batch_alter_table('webhook_deliveries', schema=None) as batch_op:
        batch_op.drop_column('payload')
    op.drop_table('service_case_notes')
    op.drop_table('service_cases')
    op.drop_index('ix_purchases_store_purchased', table_name='purchases')
    with op.batch_alter_table('partners', schema=None) as batch_op:
        batch_op.drop_column('tokens_valid_after')
    with op.batch_alter_table('redemptions', schema=None) as batch_op:
        batch_op.drop_column('used_store_id')
    op.drop_table('staff_stores')
    with op.batch_alter_table('staff_accounts', schema=None) as batch_op:
        batch_op.drop_column('version')
        batch_op.drop_column('role')
