"""messaging and automation: inbox notifications, channel preferences, outbound message queue and send
record; journeys and campaigns with their entrants

Revision ID: 0026
Revises: 0025
Create Date: 2026-12-02 13:40:00.000000
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = '0026'
down_revision = '0025'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        'notifications',
        sa.Column('id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), autoincrement=True, nullable=False),
        sa.Column('member_id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=False),
        sa.Column('message_key', sa.String(length=120), nullable=False),
        sa.Column('kind', sa.String(length=40), nullable=False),
        sa.Column('variables', sa.JSON(), nullable=False),
        sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
        sa.Column('read_at', sa.DateTime(timezone=True), nullable=True),
        sa.ForeignKeyConstraint(['member_id'], ['members.id'], name=op.f('fk_notifications_member_id_members'),
                                ondelete='CASCADE'),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_notifications')),
        sa.UniqueConstraint('member_id', 'message_key', name='uq_notifications_member_key'),
    )
    op.create_index('ix_notifications_member_created', 'notifications', ['member_id', 'created_at', 'id'])
    op.create_table(
        'message_preferences',
        sa.Column('member_id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=False),
        sa.Column('channel', sa.String(length=16), nullable=False),
        sa.Column('enabled', sa.Boolean(), nullable=False),
        sa.Column('updated_at', sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(['member_id'], ['members.id'],
                                name=op.f('fk_message_preferences_member_id_members'), ondelete='CASCADE'),
        sa.PrimaryKeyConstraint('member_id', 'channel', name=op.f('pk_message_preferences')),
    )
    op.create_table(
        'outbound_messages',
        sa.Column('id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), autoincrement=True, nullable=False),
        sa.Column('member_id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=False),
        sa.Column('message_key', sa.String(length=120), nullable=False),
        sa.Column('channel', sa.String(length=16), nullable=False),
        sa.Column('kind', sa.String(length=40), nullable=False),
        sa.Column('category', sa.String(length=16), nullable=False),
        sa.Column('variables', sa.JSON(), nullable=False),
        sa.Column('reason', sa.String(length=120), nullable=False),
        sa.Column('status', sa.String(length=10), nullable=False),
        sa.Column('attempts', sa.Integer(), server_default=sa.text('0'), nullable=False),
        sa.Column('next_attempt_at', sa.DateTime(timezone=True), nullable=False),
        sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
        sa.Column('updated_at', sa.DateTime(timezone=True), nullable=False),
        sa.Column('sent_at', sa.DateTime(timezone=True), nullable=True),
        sa.Column('result', sa.String(length=300), nullable=True),
        sa.ForeignKeyConstraint(['member_id'], ['members.id'],
                                name=op.f('fk_outbound_messages_member_id_members'), ondelete='CASCADE'),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_outbound_messages')),
        sa.UniqueConstraint('member_id', 'message_key', 'channel', name='uq_outbound_messages_member_key_channel'),
    )
    op.create_index('ix_outbound_messages_due', 'outbound_messages', ['status', 'next_attempt_at', 'id'])
    op.create_index('ix_outbound_messages_member_sent', 'outbound_messages', ['member_id', 'sent_at'])


    op.create_table(
        'automations',
        sa.Column('id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), autoincrement=True, nullable=False),
        sa.Column('kind', sa.String(length=10), nullable=False),
        sa.Column('name', sa.String(length=80), nullable=False),
        sa.Column('trigger', sa.String(length=24), nullable=False),
        sa.Column('trigger_days', sa.Integer(), server_default=sa.text('0'), nullable=False),
        sa.Column('segment', sa.JSON(), nullable=True),
        sa.Column('steps', sa.JSON(), nullable=False),
        sa.Column('holdout_bp', sa.Integer(), nullable=False),
        sa.Column('period_days', sa.Integer(), nullable=False),
        sa.Column('goal_days', sa.Integer(), nullable=False),
        sa.Column('status', sa.String(length=10), nullable=False),
        sa.Column('scheduled_at', sa.DateTime(timezone=True), nullable=True),
        sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
        sa.Column('updated_at', sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_automations')),
    )
    op.create_table(
        'automation_members',
        sa.Column('id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), autoincrement=True, nullable=False),
        sa.Column('automation_id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=False),
        sa.Column('member_id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=False),
        sa.Column('period_key', sa.String(length=40), nullable=False),
        sa.Column('status', sa.String(length=10), nullable=False),
        sa.Column('step', sa.Integer(), server_default=sa.text('0'), nullable=False),
        sa.Column('entered_at', sa.DateTime(timezone=True), nullable=False),
        sa.Column('next_at', sa.DateTime(timezone=True), nullable=True),
        sa.Column('coupon_id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=True),
        sa.ForeignKeyConstraint(['automation_id'], ['automations.id'],
                                name=op.f('fk_automation_members_automation_id_automations'), ondelete='CASCADE'),
        sa.ForeignKeyConstraint(['member_id'], ['members.id'],
                                name=op.f('fk_automation_members_member_id_members'), ondelete='CASCADE'),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_automation_members')),
        sa.UniqueConstraint('automation_id', 'member_id', 'period_key', name='uq_automation_members_entry'),
    )
    op.create_index('ix_automation_members_due', 'automation_members', ['status', 'next_at'])
    op.create_index('ix_automation_members_member', 'automation_members',
                    ['member_id', 'automation_id', 'entered_at'])


def downgrade() -> None:
    op.drop_index('ix_automation_members_member', table_name='automation_members')
    op.drop_index('ix_automation_members_due', table_name='automation_members')
    op.drop_table('automation_members')
    op.drop_table('automations')
    op.drop_index('ix_outbound_messages_member_sent', table_name='outbound_messages')
    op.drop_index('ix_outbound_messages_due', table_name='outbound_messages')
    op.drop_table('outbound_messages')
    op.drop_table('message_preferences')
    op.drop_index('ix_notifications_member_created', table_name='notifications')
    op.drop_table('notifications')
