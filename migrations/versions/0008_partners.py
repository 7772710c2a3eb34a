"""partners

Revision ID: 0008
Revises: 0007
Create Date: 2026-11-25 05:45:48.268912
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op


revision = '0008'
down_revision = '0007'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table('partners',
    sa.Column('id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), autoincrement=True, nullable=False),
    sa.Column('name', sa.String(length=80), nullable=False),
    sa.Column('client_id', sa.String(length=40), nullable=False),
    sa.Column('secret_hashes', sa.JSON(), nullable=False),
    sa.Column('partner_units', sa.Integer(), nullable=False),
    sa.Column('program_points', sa.Integer(), nullable=False),
    sa.Column('daily_earn_cap', sa.BigInteger(), nullable=False),
    sa.Column('daily_burn_cap', sa.BigInteger(), nullable=False),
    sa.Column('operations', sa.JSON(), nullable=False),
    sa.Column('active', sa.Boolean(), server_default=sa.text('true'), nullable=False),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_partners')),
    sa.UniqueConstraint('client_id', name=op.f('uq_partners_client_id'))
    )
    op.create_table('partner_auth_codes',
    sa.Column('id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), autoincrement=True, nullable=False),
    sa.Column('partner_id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=False),
    sa.Column('member_id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=False),
    sa.Column('code_hash', sa.String(length=64), nullable=False),
    sa.Column('max_points', sa.BigInteger(), nullable=False),
    sa.Column('expires_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('used_at', sa.DateTime(timezone=True), nullable=True),
    sa.ForeignKeyConstraint(['member_id'], ['members.id'], name=op.f('fk_partner_auth_codes_member_id_members'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['partner_id'], ['partners.id'], name=op.f('fk_partner_auth_codes_partner_id_partners')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_partner_auth_codes')),
    sa.UniqueConstraint('code_hash', name=op.f('uq_partner_auth_codes_code_hash'))
    )
    op.create_table('partner_links',
    sa.Column('partner_id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=False),
    sa.Column('member_id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=False),
    sa.Column('member_ref', sa.String(length=40), nullable=False),
    sa.Column('share_phone', sa.Boolean(), nullable=False),
    sa.Column('active', sa.Boolean(), nullable=False),
    sa.Column('linked_at', sa.DateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['member_id'], ['members.id'], name=op.f('fk_partner_links_member_id_members'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['partner_id'], ['partners.id'], name=op.f('fk_partner_links_partner_id_partners')),
    sa.PrimaryKeyConstraint('partner_id', 'member_id', name=op.f('pk_partner_links')),
    sa.UniqueConstraint('member_ref', name=op.f('uq_partner_links_member_ref'))
    )
    op.create_table('partner_transactions',
    sa.Column('id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), autoincrement=True, nullable=False),
    sa.Column('partner_id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=False),
    sa.Column('txn_id', sa.String(length=80), nullable=False),
    sa.Column('kind', sa.String(length=8), nullable=False),
    sa.Column('member_id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=False),
    sa.Column('partner_amount', sa.BigInteger(), nullable=False),
    sa.Column('points', sa.BigInteger(), nullable=False),
    sa.Column('entry_id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=True),
    sa.Column('reversed', sa.Boolean(), server_default=sa.text('false'), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['entry_id'], ['points_entries.id'], name=op.f('fk_partner_transactions_entry_id_points_entries')),
    sa.ForeignKeyConstraint(['member_id'], ['members.id'], name=op.f('fk_partner_transactions_member_id_members'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['partner_id'], ['partners.id'], name=op.f('fk_partner_transactions_partner_id_partners')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_partner_transactions')),
    sa.UniqueConstraint('partner_id', 'txn_id', name='uq_partner_transactions_partner_txn')
    )
    with op.batch_alter_table('partner_transactions', schema=None) as batch_op:
        batch_op.create_index('ix_partner_transactions_partner_created', ['partner_id', 'created_at'], unique=False)



def downgrade() -> None:
    with op.batch_alter_table('partner_transactions', schema=None) as batch_op:
        batch_op.drop_index('ix_partner_transactions_partner_created')

    op.drop_table('partner_transactions')
    op.drop_table('partner_links')
    op.drop_table('partner_auth_codes')
    op.drop_table('partners')
