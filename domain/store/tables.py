"""Table definitions. Migrations create them; tests compare the two."""

from __future__ import annotations

from sqlalchemy import (
    JSON,
    Boolean,
    Column,
    Date,
    ForeignKey,
    Index,
    Integer,
    MetaData,
    String,
    Table,
    UniqueConstraint,
    text,
)

from domain.store.columns import BigId, UtcDateTime

metadata = MetaData(
    naming_convention={
        "ix": "ix_%(column_0_label)s",
        "uq": "uq_%(table_name)s_%(column_0_name)s",
        "ck": "ck_%(table_name)s_%(constraint_name)s",
        "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
        "pk": "pk_%(table_name)s",
    }
)

members = Table(
    "members",
    metadata,
    Column("id", BigId, primary_key=True, autoincrement=True),
    Column("phone", String(20), nullable=False, unique=True),
    Column("member_code", String(12), nullable=False, unique=True),
    Column("display_name", String(30)),
    Column("avatar_url", String(500)),
    Column("birthday", Date),
    Column("birthday_locked", Boolean, nullable=False, server_default=text("false")),
    Column("gender", String(16), nullable=False, server_default="UNSPECIFIED"),
    Column("tags", JSON, nullable=False),
    Column("marketing_consent", Boolean, nullable=False, server_default=text("false")),
    Column("marketing_consent_at", UtcDateTime),
    Column("joined_at", UtcDateTime, nullable=False),
    Column("version", Integer, nullable=False, server_default=text("1")),
)

member_identities = Table(
    "member_identities",
    metadata,
    Column("id", BigId, primary_key=True, autoincrement=True),
    Column("member_id", BigId, ForeignKey("members.id", ondelete="CASCADE"), nullable=False, index=True),
    Column("channel", String(20), nullable=False),
    Column("external_id", String(128), nullable=False),
    Column("linked_at", UtcDateTime, nullable=False),
    UniqueConstraint("channel", "external_id", name="uq_member_identities_channel_external_id"),
)

login_codes = Table(
    "login_codes",
    metadata,
    Column("id", BigId, primary_key=True, autoincrement=True),
    Column("phone", String(20), nullable=False),
    Column("code_hash", String(64), nullable=False),
    Column("created_at", UtcDateTime, nullable=False),
    Column("expires_at", UtcDateTime, nullable=False),
    Column("attempts", Integer, nullable=False, server_default=text("0")),
    Column("consumed_at", UtcDateTime),
    Index("ix_login_codes_phone_created_at", "phone", "created_at"),
)

refresh_tokens = Table(
    "refresh_tokens",
    metadata,
    Column("id", BigId, primary_key=True, autoincrement=True),
    Column("token_hash", String(64), nullable=False, unique=True),
    Column("family_id", String(32), nullable=False, index=True),
    Column("role", String(16), nullable=False),
    Column("subject_id", BigId, nullable=False),
    Column("created_at", UtcDateTime, nullable=False),
    Column("expires_at", UtcDateTime, nullable=False),
    Column("used_at", UtcDateTime),
    Column("revoked_at", UtcDateTime),
)

staff_accounts = Table(
    "staff_accounts",
    metadata,
    Column("id", BigId, primary_key=True, autoincrement=True),
    Column("username", String(40), nullable=False, unique=True),
    Column("password_hash", String(200), nullable=False),
    Column("display_name", String(60), nullable=False),
    Column("active", Boolean, nullable=False, server_default=text("true")),
    Column("created_at", UtcDateTime, nullable=False),
)

audit_log = Table(
    "audit_log",
    metadata,
    Column("id", BigId, primary_key=True, autoincrement=True),
    Column("actor_role", String(16), nullable=False),
    Column("actor_id", BigId, nullable=False),
    Column("action", String(60), nullable=False),
    Column("target", String(80), nullable=False, index=True),
    Column("detail", JSON, nullable=False),
    Column("created_at", UtcDateTime, nullable=False),
)
