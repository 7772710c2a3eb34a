"""gamification: badges, challenges, points draws

Revision ID: 0017
Revises: 0016
Create Date: 2026-12-02 14:00:00.000000
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op


revision = '0017'
down_revision = '0016'
branch_labels = None
depends_on = None

_ID = sa.BigInteger().with_variant(sa.Integer(), 'sqlite')


def upgrade() -> None:
    op.create_table(
        'badges',
        sa.Column('id', _ID, autoincrement=True, nullable=False),
        sa.Column('code', sa.String(length=40), nullable=False),
        sa.Column('name', sa.String(length=40), nullable=False),
        sa.Column('name_en', sa.String(length=60), nullable=False),
        sa.Column('title', sa.String(length=40), nullable=True),
        sa.Column('title_en', sa.String(length=60), nullable=True),
        sa.Column('rule', sa.String(length=24), nullable=False),
        sa.Column('threshold', sa.Integer(), nullable=False),
        sa.Column('rank', sa.Integer(), server_default=sa.text('0'), nullable=False),
        sa.Column('active', sa.Boolean(), server_default=sa.text('true'), nullable=False),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_badges')),
        sa.UniqueConstraint('code', name=op.f('uq_badges_code')),
    )
    op.create_table(
        'member_badges',
        sa.Column('id', _ID, autoincrement=True, nullable=False),
        sa.Column('member_id', _ID, nullable=False),
        sa.Column('badge_id', _ID, nullable=False),
        sa.Column('period', sa.String(length=7), nullable=False),
        sa.Column('awarded_at', sa.DateTime(timezone=True), nullable=False),
        sa.Column('expires_at', sa.DateTime(timezone=True), nullable=True),
        sa.ForeignKeyConstraint(['member_id'], ['members.id'], name=op.f('fk_member_badges_member_id_members'),
                                ondelete='CASCADE'),
        sa.ForeignKeyConstraint(['badge_id'], ['badges.id'], name=op.f('fk_member_badges_badge_id_badges')),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_member_badges')),
        sa.UniqueConstraint('member_id', 'badge_id', 'period', name='uq_member_badges_member_badge_period'),
    )
    op.create_table(
        'challenges',
        sa.Column('id', _ID, autoincrement=True, nullable=False),
        sa.Column('name', sa.String(length=60), nullable=False),
        sa.Column('description', sa.String(length=300), nullable=False),
        sa.Column('goal', sa.String(length=16), nullable=False),
        sa.Column('target', sa.BigInteger(), nullable=False),
        sa.Column('reward_points', sa.Integer(), nullable=False),
        sa.Column('starts_at', sa.DateTime(timezone=True), nullable=False),
        sa.Column('ends_at', sa.DateTime(timezone=True), nullable=False),
        sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_challenges')),
    )
    op.create_index('ix_challenges_ends', 'challenges', ['ends_at'])
    op.create_table(
        'draws',
        sa.Column('id', _ID, autoincrement=True, nullable=False),
        sa.Column('name', sa.String(length=60), nullable=False),
        sa.Column('ticket_points', sa.Integer(), nullable=False),
        sa.Column('tickets_per_member', sa.Integer(), nullable=True),
        sa.Column('seed', sa.String(length=64), nullable=False),
        sa.Column('seed_hash', sa.String(length=64), nullable=False),
        sa.Column('starts_at', sa.DateTime(timezone=True), nullable=False),
        sa.Column('ends_at', sa.DateTime(timezone=True), nullable=False),
        sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_draws')),
    )
    op.create_table(
        'draw_prizes',
        sa.Column('id', _ID, autoincrement=True, nullable=False),
        sa.Column('draw_id', _ID, nullable=False),
        sa.Column('position', sa.Integer(), nullable=False),
        sa.Column('name', sa.String(length=60), nullable=False),
        sa.Column('kind', sa.String(length=12), nullable=False),
        sa.Column('points', sa.Integer(), server_default=sa.text('0'), nullable=False),
        sa.Column('weight_bp', sa.Integer(), nullable=False),
        sa.Column('stock', sa.Integer(), nullable=False),
        sa.Column('initial_stock', sa.Integer(), nullable=False),
        sa.CheckConstraint('stock >= 0', name=op.f('ck_draw_prizes_stock_not_negative')),
        sa.ForeignKeyConstraint(['draw_id'], ['draws.id'], name=op.f('fk_draw_prizes_draw_id_draws')),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_draw_prizes')),
    )
    op.create_index(op.f('ix_draw_prizes_draw_id'), 'draw_prizes', ['draw_id'])
    op.create_table(
        'draw_tickets',
        sa.Column('id', _ID, autoincrement=True, nullable=False),
        sa.Column('draw_id', _ID, nullable=False),
        sa.Column('member_id', _ID, nullable=False),
        sa.Column('idempotency_key', sa.String(length=100), nullable=False),
        sa.Column('roll', sa.Integer(), nullable=False),
        sa.Column('picked_prize_id', _ID, nullable=True),
        sa.Column('prize_id', _ID, nullable=True),
        sa.Column('claim_code', sa.String(length=16), nullable=True),
        sa.Column('entry_id', _ID, nullable=False),
        sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(['draw_id'], ['draws.id'], name=op.f('fk_draw_tickets_draw_id_draws')),
        sa.ForeignKeyConstraint(['member_id'], ['members.id'], name=op.f('fk_draw_tickets_member_id_members'),
                                ondelete='CASCADE'),
        sa.ForeignKeyConstraint(['picked_prize_id'], ['draw_prizes.id'],
                                name=op.f('fk_draw_tickets_picked_prize_id_draw_prizes')),
        sa.ForeignKeyConstraint(['prize_id'], ['draw_prizes.id'], name=op.f('fk_draw_tickets_prize_id_draw_prizes')),
        sa.ForeignKeyConstraint(['entry_id'], ['points_entries.id'],
                                name=op.f('fk_draw_tickets_entry_id_points_entries')),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_draw_tickets')),
        sa.UniqueConstraint('draw_id', 'member_id', 'idempotency_key', name='uq_draw_tickets_draw_member_key'),
    )
    op.create_index('ix_draw_tickets_member', 'draw_tickets', ['member_id', 'id'])


def downgrade() -> None:
    op.drop_index('ix_draw_tickets_member', table_name='draw_tickets')
    op.drop_table('draw_tickets')
    op.drop_index(op.f('ix_draw_prizes_draw_id'), table_name='draw_prizes')
    op.drop_table('draw_prizes')
    op.drop_table('draws')
    op.drop_index('ix_challenges_ends', table_name='challenges')
    op.drop_table('challenges')
    op.drop_table('member_badges')
    op.drop_table('badges')
