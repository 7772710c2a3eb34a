"""messaging: inbox notifications, channel preferences, outbound message queue and send record

Revision ID: 0021
Revises: 0015
Create Date: 2026-12-02 13:40:00.000000
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = '0021'
down_revision = '0015'
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
    op.create_index('ix_outbound_messages_due', 'outbound_messages', ['status', 'next_attempt_at'])
    op.create_index('ix_outbound_messages_member_sent', 'outbound_messages', ['member_id', 'sent_at'])


def downgrade() -> None:
    op.drop_index('ix_outbound_messages_member_sent', table_name='outbound_messages')
    op.drop_index('ix_outbound_messages_due', table_name='outbound_messages')
    op.drop_table('outbound_messages')
    op.drop_table('message_preferences')
    op.drop_index('ix_notifications_member_created', table_name='notifications')
    op.drop_table('notifications')
