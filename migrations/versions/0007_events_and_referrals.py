"""events and referrals

Revision ID: 0007
Revises: 0006
Create Date: 2026-11-25 05:41:49.172971
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op


revision = '0007'
down_revision = '0006'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table('events',
    sa.Column('id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), autoincrement=True, nullable=False),
    sa.Column('title', sa.String(length=80), nullable=False),
    sa.Column('description', sa.String(length=2000), server_default='', nullable=False),
    sa.Column('capacity', sa.Integer(), nullable=False),
    sa.Column('signed_up', sa.Integer(), server_default=sa.text('0'), nullable=False),
    sa.Column('min_tier_rank', sa.Integer(), server_default=sa.text('0'), nullable=False),
    sa.Column('attendance_points', sa.Integer(), server_default=sa.text('0'), nullable=False),
    sa.Column('signup_opens_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('signup_closes_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('starts_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('active', sa.Boolean(), server_default=sa.text('true'), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.CheckConstraint('signed_up >= 0 AND signed_up <= capacity', name=op.f('ck_events_not_overbooked')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_events'))
    )
    op.create_table('event_signups',
    sa.Column('event_id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=False),
    sa.Column('member_id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=False),
    sa.Column('status', sa.String(length=12), nullable=False),
    sa.Column('checkin_code', sa.String(length=16), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('updated_at', sa.DateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['event_id'], ['events.id'], name=op.f('fk_event_signups_event_id_events'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['member_id'], ['members.id'], name=op.f('fk_event_signups_member_id_members'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('event_id', 'member_id', name=op.f('pk_event_signups')),
    sa.UniqueConstraint('checkin_code', name=op.f('uq_event_signups_checkin_code'))
    )
    with op.batch_alter_table('members', schema=None) as batch_op:
        batch_op.add_column(sa.Column('referrer_id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=True))
        batch_op.create_index(batch_op.f('ix_members_referrer_id'), ['referrer_id'], unique=False)
        batch_op.create_foreign_key(batch_op.f('fk_members_referrer_id_members'), 'members', ['referrer_id'], ['id'])



def downgrade() -> None:
    with op.batch_alter_table('members', schema=None) as batch_op:
        batch_op.drop_constraint(batch_op.f('fk_members_referrer_id_members'), type_='foreignkey')
        batch_op.drop_index(batch_op.f('ix_members_referrer_id'))
        batch_op.drop_column('referrer_id')

    op.drop_table('event_signups')
    op.drop_table('events')
